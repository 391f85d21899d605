"""Findings per case: one buyer, their orders and every event from every source.

From the tagged timeline this module works out, for each buyer, what a platform
reviewer asks: when the buyer paid and by when the goods had to ship; how often the
seller reached out before and after that deadline, on which channel, and whether the
buyer ever answered; whether each shipping promise was kept; when each claim came
relative to payment, deadline and shipment; and a summary in plain Chinese where every
sentence names the events that support it.

The rules (windows, what counts as an answer, the risk flag) are written down in
docs/reports.md; the code below follows them one to one.  Nothing here reads a file or
knows about HTML: rendering is :mod:`extractor.render`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Sequence

from .labels import registry
from .model import Event, FileReport, Order, Tag
from .roles import shop_of
from .structure import SAME_CALL_WINDOW, SILENCE, answered_call, answers, same_call  # noqa: F401 (SAME_CALL_WINDOW: re-exported)
from .timeline import order_events

WANGWANG = "wangwang"
PHONE = "phone"
LABELS = registry()
CLAIM_LABELS = LABELS.claims

# A buyer event within this long after a contact attempt answers it: the threshold of
# the `buyer_silence` tag.  What answers, and which note is of which call, are
# :mod:`extractor.structure`'s, for the tags and the findings alike.
ANSWER_WINDOW = SILENCE
# The buyer "went silent after paying" when at least this many attempts before the
# deadline all went unanswered.
SILENT_AFTER_PAYMENT_MIN_ATTEMPTS = 2

RETURN_REASONS_ZH = {r.name: r.zh for r in LABELS["return_claim"].reasons}
DELAY_REASONS_ZH = {r.name: r.zh for r in LABELS["delay_claim"].reasons}


# ---------------------------------------------------------------------------
# the case model


@dataclass(frozen=True)
class CaseEvent:
    """An event of the case with its id in the report (``E1``, ``E2``… in time order)."""

    id: str
    event: Event


@dataclass(frozen=True)
class Shipment:
    """A shipment, dated as its evidence dates it.  ``time`` is the latest it can have
    been (the order record's time; the end of the window a message's words name, 6月25日
    下午 → 18:00; the message's own time when they name none) and ``earliest`` the
    earliest (None: unknown).  A finding calls a shipment late only when ``earliest`` is
    after the deadline, and on time only when ``time`` is not."""

    time: datetime
    event_id: str
    via: str  # "order" (the order export's shipping time) or "message" (a `shipped` tag)
    tracking: str | None = None
    carrier: str | None = None
    earliest: datetime | None = None
    precision: str = "exact"  # the `shipped` tag's: "exact", "part_of_day", "day", "not_stated"

    def on_time(self, deadline: datetime) -> bool | None:
        """True: shipped by ``deadline``; False: after it; None: the evidence cannot tell."""
        if self.time <= deadline:
            return True
        if self.earliest is not None and self.earliest > deadline:
            return False
        return None


@dataclass(frozen=True)
class Attempt:
    """One contact attempt by the seller.  A call and the staff note about it are one
    attempt; ``event_ids`` lists both, the first is the attempt's id."""

    event_ids: tuple[str, ...]
    time: datetime
    channel: str  # WANGWANG or PHONE
    initiated: bool
    answered_by: str | None  # id of the buyer event (or answered call) that answered it

    @property
    def id(self) -> str:
        return self.event_ids[0]

    @property
    def answered(self) -> bool:
        return self.answered_by is not None


@dataclass(frozen=True)
class ContactWindow:
    """The seller's contact attempts within one span of time."""

    name: str  # "before_payment", "before_deadline", "after_deadline", "no_order"
    attempts: tuple[Attempt, ...]

    def count(self, channel: str | None = None) -> int:
        return sum(1 for a in self.attempts if channel is None or a.channel == channel)

    @property
    def initiated(self) -> int:
        return sum(1 for a in self.attempts if a.initiated)

    @property
    def answered(self) -> int:
        return sum(1 for a in self.attempts if a.answered)


@dataclass(frozen=True)
class OrderFinding:
    order_id: str
    event_id: str
    paid: datetime | None
    deadline: datetime | None
    shipment: Shipment | None
    before_deadline: ContactWindow
    after_deadline: ContactWindow

    @property
    def shipped_on_time(self) -> bool | None:
        if self.shipment is None or self.deadline is None:
            return None
        return self.shipment.on_time(self.deadline)


@dataclass(frozen=True)
class Silence:
    """The longest time the buyer left a contact attempt unanswered."""

    hours: float
    from_id: str
    until_id: str | None  # the buyer's next event; None: never answered in the record
    start: datetime
    end: datetime


@dataclass(frozen=True)
class PromiseFinding:
    event_id: str
    time: datetime
    deadline: datetime | None
    evidence: tuple[str, ...]
    shipment: Shipment | None
    status: str  # "kept", "late", "undetermined" (the shipment's time cannot tell), "no_deadline", "no_shipment"


@dataclass(frozen=True)
class AgreementFinding:
    """The buyer agreeing to a later ship date (`delay_agreed`): when, in which words, the
    day agreed (None: none named) and the seller's offer it answers (``offer_id``: the
    event the day comes from, None when the record does not hold it), and the shipment
    judged against that day (``on_time``: True, False, or None when it cannot tell or
    there is no shipment or no day)."""

    event_id: str
    time: datetime
    deadline: datetime | None
    text: str  # the buyer's message, verbatim
    offer_id: str | None
    shipment: Shipment | None
    on_time: bool | None


@dataclass(frozen=True)
class ClaimFinding:
    event_id: str
    time: datetime
    label: str
    reason: str | None
    evidence: tuple[str, ...]
    order_id: str | None
    since_payment: timedelta | None
    since_deadline: timedelta | None  # negative: before the deadline
    since_shipment: timedelta | None  # negative: before the shipment; None: no shipment
    score: float | None = None  # the statistical backoff's probability, for a claim it found
    confidence: float | None = None  # how often such a claim was right on real chats (nlp.calibration)

    @property
    def name_zh(self) -> str:
        return claim_name_zh(self.label, self.reason, self.evidence)


@dataclass(frozen=True)
class Sentence:
    text: str
    event_ids: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    buyer: str
    shop: str | None
    ship_within_hours: float
    events: tuple[CaseEvent, ...]
    orders: tuple[OrderFinding, ...]
    other_contacts: ContactWindow  # attempts before any payment, or with no order known
    silence: Silence | None
    promises: tuple[PromiseFinding, ...]
    claims: tuple[ClaimFinding, ...]
    summary: tuple[Sentence, ...]
    risk: str
    files: tuple[FileReport, ...]
    # A placeholder nick's case (账号信息保护显示): where its conversation starts, which
    # with the shop and the placeholder is the case's key (extractor.keys).
    conversation: str | None = None
    # Claims the tagger found but that are not sure enough on real chats to state: listed
    # as 待核实 for a person to confirm, never in the summary, the risk or the register.
    unsure: tuple[ClaimFinding, ...] = ()
    # 异常拍下 (extractor.patterns.CasePattern): the run's order patterns this case's
    # orders are in, and the buyer's requests to leave the platform.
    patterns: tuple[Any, ...] = ()
    # The buyer's agreements to a later ship date (docs/tags.md, delay_agreed).
    agreements: tuple[AgreementFinding, ...] = ()

    def event(self, event_id: str) -> Event:
        return self._by_id()[event_id]

    def _by_id(self) -> dict[str, Event]:
        return {ce.id: ce.event for ce in self.events}

    def events_in_file(self, file: str) -> int:
        return sum(1 for ce in self.events if any(s.file == file for s in ce.event.all_sources()))


@dataclass(frozen=True)
class Run:
    """Every case of a run, the events no buyer could be found for, and the inputs."""

    cases: tuple[Case, ...]
    unassigned: tuple[Event, ...]
    files: tuple[FileReport, ...]


# ---------------------------------------------------------------------------
# building


def build_run(events: Iterable[Event], files: Sequence[FileReport],
              ship_within_hours: float = 72) -> Run:
    """Group a timeline's events into cases by case key (shop, buyer), as the run's
    stages do (:mod:`extractor.keys`); events without a buyer stay unassigned (they are
    listed in the run's index, never guessed into a case).  What the keys' join says
    (placeholder nicks, shops it cannot tell) is added to the files' warnings."""
    from .keys import plan_cases, split_groups
    from .timeline import _source_order

    by_file: dict[str, list[Event]] = {}
    for event in events:
        by_file.setdefault(event.source.file, []).append(event)
    groups, held, aside = [], {}, []
    for file, evs in by_file.items():
        split, rest, conversations = split_groups(
            sorted(evs, key=lambda e: _source_order(e.source)),
            lambda e: e.kind in ("order", "call", "note") or e.buyer is None)
        for group, group_events in split.items():
            groups.append((file, group, conversations.get(group)))
            held[(file, group)] = group_events
        aside.extend(rest)
    plan = plan_cases(groups, aside)
    extra: dict[str, tuple] = {}
    for w in plan.warnings:
        extra[w.file] = extra.get(w.file, ()) + (w,)
    files = [replace(f, warnings=f.warnings + extra[f.file]) if f.file in extra else f for f in files]
    cases = tuple(build_case(key.buyer, [e for piece in plan.groups.get(key, ()) for e in held[piece]]
                             + plan.aside.get(key, []), files, ship_within_hours,
                             shop=key.shop or None, conversation=key.conversation or None)
                  for key in sorted(plan.keys))
    unassigned = [e for e in aside if e.buyer is None]
    return Run(cases, tuple(order_events(unassigned)), tuple(files))


def build_cases(events: Iterable[Event], files: Sequence[FileReport],
                ship_within_hours: float = 72) -> list[Case]:
    return list(build_run(events, files, ship_within_hours).cases)


def build_case(buyer: str, events: Iterable[Event], files: Sequence[FileReport],
               ship_within_hours: float = 72, shop: str | None = None,
               conversation: str | None = None, stated: Callable[[Tag], bool] | None = None) -> Case:
    """``stated``: which claim tags the findings state (the others are 待核实); None: the
    shipped calibration's rule (extractor.nlp.calibration)."""
    """One case.  ``shop``: the case key's (extractor.keys); None: the shop most of the
    case's seller accounts write for."""
    ordered = order_events(events)
    case_events = tuple(CaseEvent(f"E{i}", e) for i, e in enumerate(ordered, 1))
    window = timedelta(hours=ship_within_hours)

    orders_raw = _orders(case_events)
    shipped_msgs = sorted((_message_shipment(ce, tag) for ce in case_events for tag in ce.event.tags
                           if tag.label == "shipped" and ce.event.kind != "order"), key=lambda s: s.time)
    attempts = _attempts(case_events)

    orders: list[OrderFinding] = []
    paid_times = sorted((o.paid, o.id) for _, o in orders_raw if o.paid is not None)
    for event_id, order in orders_raw:
        deadline = order.paid + window if order.paid is not None else None
        shipment = _order_shipment(event_id, order, shipped_msgs, case_events)
        # Each attempt belongs to the latest order paid at or before it, so an attempt
        # is counted once in the register even for a buyer with several orders.
        mine = [a for a in attempts if order.paid is not None and _owner(a.time, paid_times) == order.id]
        before = tuple(a for a in mine if deadline is None or a.time <= deadline)
        after = tuple(a for a in mine if deadline is not None and a.time > deadline)
        orders.append(OrderFinding(order.id, event_id, order.paid, deadline, shipment,
                                   ContactWindow("before_deadline", before),
                                   ContactWindow("after_deadline", after)))
    orders.sort(key=lambda f: (f.paid is None, f.paid.timestamp() if f.paid else 0.0, f.order_id))

    owned = {a.id for f in orders for a in (*f.before_deadline.attempts, *f.after_deadline.attempts)}
    other = ContactWindow("before_payment" if paid_times else "no_order",
                          tuple(a for a in attempts if a.id not in owned))

    shipments = sorted([f.shipment for f in orders if f.shipment] + shipped_msgs, key=lambda s: s.time)
    promises = tuple(_promise(ce, tag, orders, shipments) for ce in case_events for tag in ce.event.tags
                     if tag.label == "shipping_promise")
    # Only claims sure enough on real chats (or confirmed by a person) are stated; the
    # others are listed as 待核实 and count for nothing (extractor.nlp.calibration).
    stated = stated or _claim_filter()
    found = [(ce, tag) for ce in case_events for tag in ce.event.tags if tag.label in CLAIM_LABELS]
    claims = tuple(_claim(ce, tag, orders, paid_times) for ce, tag in found if stated(tag))
    unsure = tuple(_claim(ce, tag, orders, paid_times) for ce, tag in found if not stated(tag))
    agreements = tuple(_agreement(ce, tag, case_events, orders, shipments) for ce in case_events
                       for tag in ce.event.tags if tag.label == "delay_agreed")
    silence = _longest_silence(case_events, attempts)
    order_tuple = tuple(orders)
    case_files = tuple(f for f in files if any(
        s.file == f.file for ce in case_events for s in ce.event.all_sources()))
    summary = _summary(order_tuple, other, silence, promises, claims, ship_within_hours, agreements)
    return Case(
        buyer=buyer,
        shop=shop or _shop(case_events),
        ship_within_hours=ship_within_hours,
        events=case_events,
        orders=order_tuple,
        other_contacts=other,
        silence=silence,
        promises=promises,
        claims=claims,
        summary=summary,
        risk=risk_flag(order_tuple, promises, claims, agreements),
        files=case_files,
        conversation=conversation,
        unsure=unsure,
        agreements=agreements,
    )


def _shop(case_events: Sequence[CaseEvent]) -> str | None:
    shops = Counter(shop for ce in case_events if ce.event.role == "seller" and ce.event.sender
                    for shop in [shop_of(ce.event.sender)] if shop)
    if not shops:
        return None
    return sorted(shops.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def _orders(case_events: Sequence[CaseEvent]) -> list[tuple[str, Order]]:
    """(event id, Order) per distinct order id; a second record of the same order only
    fills in what the first lacked."""
    seen: dict[str, tuple[str, Order]] = {}
    for ce in case_events:
        order = ce.event.order
        if ce.event.kind != "order" or order is None:
            continue
        if order.id not in seen:
            seen[order.id] = (ce.id, order)
            continue
        first_id, first = seen[order.id]
        seen[order.id] = (first_id, replace(
            first,
            paid=first.paid or order.paid,
            shipped=first.shipped or order.shipped,
            tracking=first.tracking or order.tracking,
            carrier=first.carrier or order.carrier,
        ))
    return list(seen.values())


def _order_shipment(event_id: str, order: Order, shipped_msgs: Sequence[Shipment],
                    case_events: Sequence[CaseEvent]) -> Shipment | None:
    if order.shipped is not None:
        # An export that writes the shipment as its own order event (at the shipping
        # time) is cited by that event; otherwise by the order's record.
        own = next((ce.id for ce in case_events if ce.event.kind == "order" and ce.event.order is not None
                    and ce.event.order.id == order.id and ce.event.time == order.shipped), event_id)
        return Shipment(order.shipped, own, "order", order.tracking, order.carrier, order.shipped)
    for msg in shipped_msgs:
        if order.paid is None or msg.time >= order.paid:
            return msg
    return None


def _message_shipment(ce: CaseEvent, tag: Tag) -> Shipment:
    """A seller's message that the goods have shipped, dated by its words when they
    name a time (the tag's window), else not later than the message."""
    latest = tag.shipped_at_latest or ce.event.time
    if tag.precision in (None, "not_stated") or tag.shipped_at is None:
        return Shipment(latest, ce.id, "message", tag.tracking, precision="not_stated")
    return Shipment(latest, ce.id, "message", tag.tracking, earliest=tag.shipped_at, precision=tag.precision)


def _owner(time: datetime, paid_times: Sequence[tuple[datetime, str]]) -> str | None:
    owner = None
    for paid, order_id in paid_times:
        if paid <= time:
            owner = order_id
    return owner


def _is_conversation(event: Event) -> bool:
    """Buyer and seller messages, calls and call notes: not system lines, auto-replies
    or order records (see TAGS.md)."""
    return event.kind in ("message", "call", "note") and event.role in ("buyer", "seller")


def _is_buyer_response(event: Event) -> bool:
    return _is_conversation(event) and answers(event)


def _attempts(case_events: Sequence[CaseEvent]) -> list[Attempt]:
    contacts = [ce for ce in case_events if any(t.label == "seller_contact" for t in ce.event.tags)]
    calls = [ce for ce in contacts if ce.event.kind == "call"]
    folded: dict[str, str] = {}  # note id → call id it describes
    for ce in contacts:
        if ce.event.kind != "note":
            continue
        near = [c for c in calls if same_call(ce.event, c.event)]
        if near:
            folded[ce.id] = min(near, key=lambda c: abs(c.event.time - ce.event.time)).id
    responses = [ce for ce in case_events if _is_buyer_response(ce.event)]

    out: list[Attempt] = []
    for ce in contacts:
        if ce.id in folded:
            continue
        group = [ce] + [n for n in contacts if folded.get(n.id) == ce.id]
        channel = PHONE if ce.event.kind in ("call", "note") else WANGWANG
        answered_by = next((g.id for g in group if answered_call(g.event)), None)
        if answered_by is None:
            answered_by = next((r.id for r in responses
                                if ce.event.time < r.event.time <= ce.event.time + ANSWER_WINDOW), None)
        initiated = any(t.label == "seller_initiated" for g in group for t in g.event.tags)
        out.append(Attempt(tuple(g.id for g in group), ce.event.time, channel, initiated, answered_by))
    return out


def _longest_silence(case_events: Sequence[CaseEvent], attempts: Sequence[Attempt]) -> Silence | None:
    conversation = [ce for ce in case_events if _is_conversation(ce.event)]
    if not conversation or not attempts:
        return None
    last = conversation[-1].event.time
    best: Silence | None = None
    for attempt in attempts:
        if attempt.answered_by in attempt.event_ids:
            continue  # a call the buyer picked up: no silence at all
        reply = next((ce for ce in conversation
                      if ce.event.time > attempt.time and _is_buyer_response(ce.event)), None)
        end = reply.event.time if reply else last
        hours = round((end - attempt.time).total_seconds() / 3600, 1)
        if best is None or hours > best.hours:
            best = Silence(hours, attempt.id, reply.id if reply else None, attempt.time, end)
    return best


def _order_at(time: datetime, orders: Sequence[OrderFinding]) -> OrderFinding | None:
    """The order a dated statement is about: the latest paid at or before it, else the
    first order of the case."""
    candidates = [o for o in orders if o.paid is not None and o.paid <= time]
    if candidates:
        return candidates[-1]
    return orders[0] if orders else None


def _promise(ce: CaseEvent, tag: Tag, orders: Sequence[OrderFinding],
             shipments: Sequence[Shipment]) -> PromiseFinding:
    order = _order_at(ce.event.time, orders)
    shipment = order.shipment if order and order.shipment else next(
        (s for s in shipments if s.time >= ce.event.time), None)
    if shipment is None:
        status = "no_shipment"
    elif tag.deadline is None:
        status = "no_deadline"
    else:
        on_time = shipment.on_time(tag.deadline)
        status = "undetermined" if on_time is None else "kept" if on_time else "late"
    return PromiseFinding(ce.id, ce.event.time, tag.deadline, tag.evidence, shipment, status)


def _agreement(ce: CaseEvent, tag: Tag, case_events: Sequence[CaseEvent], orders: Sequence[OrderFinding],
               shipments: Sequence[Shipment]) -> AgreementFinding:
    """The agreement, the seller's offer it answers (the tag's last evidence is that
    message as written: the latest seller message before it with that text) and the
    shipment of its order (else the first one after it) against the agreed day."""
    offer = tag.evidence[-1] if tag.evidence else None
    offer_id = next((c.id for c in reversed(case_events) if c.event.time <= ce.event.time and c is not ce
                     and c.event.role == "seller" and c.event.text.strip() == offer), None)
    order = _order_at(ce.event.time, orders)
    shipment = order.shipment if order and order.shipment else next(
        (s for s in shipments if s.time >= ce.event.time), None)
    on_time = shipment.on_time(tag.deadline) if shipment is not None and tag.deadline is not None else None
    return AgreementFinding(ce.id, ce.event.time, tag.deadline, ce.event.text.strip(), offer_id, shipment, on_time)


def agreement_before(agreements: Sequence[AgreementFinding], time: datetime) -> AgreementFinding | None:
    """The latest agreement made before ``time`` (a claim's, a shipment's)."""
    before = [a for a in agreements if a.time <= time]
    return before[-1] if before else None


def agreement_led(agreements: Sequence[AgreementFinding],
                  claims: Sequence[ClaimFinding]) -> AgreementFinding | None:
    """The agreement a case's text leads with: the latest one before the first
    delay_claim that follows an agreement (None: no delay claim follows one)."""
    for claim in claims:
        if claim.label == "delay_claim":
            found = agreement_before(agreements, claim.time)
            if found is not None:
                return found
    return None


def quote_zh(text: str, limit: int = 16) -> str:
    """The buyer's words, verbatim, cut short: “好的不急”, “行吧，那就下周一发…”."""
    text = " ".join(text.split())
    return f"“{text[:limit]}…”" if len(text) > limit else f"“{text}”"


def _claim_filter():
    from .nlp.calibration import builtin

    cal = builtin()
    return cal.stated if cal is not None else (lambda tag: True)


def _claim(ce: CaseEvent, tag: Tag, orders: Sequence[OrderFinding],
           paid_times: Sequence[tuple[datetime, str]]) -> ClaimFinding:
    order = _order_at(ce.event.time, orders)
    t = ce.event.time
    return ClaimFinding(
        event_id=ce.id, time=t, label=tag.label, reason=tag.reason, evidence=tag.evidence,
        order_id=order.order_id if order else None,
        since_payment=(t - order.paid) if order and order.paid else None,
        since_deadline=(t - order.deadline) if order and order.deadline else None,
        since_shipment=(t - order.shipment.time) if order and order.shipment else None,
        score=tag.score,
        confidence=tag.confidence,
    )


# ---------------------------------------------------------------------------
# words


def claim_name_zh(label: str, reason: str | None, evidence: Sequence[str] = ()) -> str:
    """What a claim is called: its reason's name (缺货, 过敏), else the label's claim name
    from the registry (威胁).  Never the buyer's own words (``evidence``, kept for the
    callers' sake): 投訴 or 12315 in a claim list would read as a name the tool gave."""
    entry = LABELS.get(label)
    if entry is None:
        return label
    return entry.name_zh(reason)


def claims_phrase_zh(claims: Sequence[ClaimFinding]) -> str:
    """What one buyer message claims, in words: 称缺货、以过敏、无效果为由要求退货退款、以投诉/差评相威胁.

    Each label's wording is the registry's ``phrase`` (its reason's, where it has one):
    ``{reasons}`` is the registry's names of the message's reasons of that label; a label
    without a phrase is 主张 + its name.  The buyer's own words are the timeline's, never
    the sentence's."""
    phrases: list[str] = []
    for c in claims:
        entry = LABELS.get(c.label)
        if entry is None:
            phrase = f"主张{c.label}"
        else:
            own = entry.reason(c.reason)
            template = (own.phrase if own and own.phrase else None) or entry.phrase or "主张{name}"
            same = [x for x in claims if x.label == c.label]
            reasons = "、".join(dict.fromkeys(x.name_zh for x in same))
            phrase = template.format(reasons=reasons, name=entry.name_zh(c.reason))
        if phrase not in phrases:
            phrases.append(phrase)
    return "、".join(phrases)


def zh_time(t: datetime) -> str:
    return f"{t.month}月{t.day}日{t:%H:%M}"


def zh_span(delta: timedelta) -> str:
    """A duration, rounded down so it never overstates: 3天11小时, 5小时, 16分钟."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{mins}分钟" if hours < 3 and mins else f"{hours}小时"
    return f"{mins}分钟"


def shipment_when_zh(ship: Shipment) -> str:
    """When a shipment was, as exactly as its evidence says: 6月25日15:00, 6月25日12:00至18:00,
    6月25日, 不晚于6月27日21:16 (a message that states no time)."""
    if ship.earliest is None:
        return f"不晚于{zh_time(ship.time)}"
    if ship.precision == "day":
        return f"{ship.earliest.month}月{ship.earliest.day}日"
    if ship.earliest == ship.time:
        return zh_time(ship.time)
    return f"{zh_time(ship.earliest)}至{ship.time:%H:%M}"


def shipment_phrase_zh(ship: Shipment) -> str:
    """The shipment in a sentence: 于6月25日12:00至18:00发货; with no time stated,
    已发货（卖家于…告知，未说明发货时间）."""
    if ship.earliest is None:
        return f"已发货（卖家于{zh_time(ship.time)}告知，未说明发货时间）"
    return f"于{shipment_when_zh(ship)}发货"


def _late_by(ship: Shipment, deadline: datetime) -> str:
    """How late, never overstated: from the earliest the shipment can have been."""
    assert ship.earliest is not None
    return ("" if ship.earliest == ship.time else "至少") + zh_span(ship.earliest - deadline)


def _hours(value: float) -> str:
    return f"{value:g}"


def _count_phrase(window: ContactWindow) -> str:
    parts = []
    if window.count(WANGWANG):
        parts.append(f"旺旺联系买家{window.count(WANGWANG)}次")
    if window.count(PHONE):
        parts.append(f"电话联系买家{window.count(PHONE)}次")
    text = "通过" + "、".join(parts) if parts else ""
    if window.initiated:
        text += f"（其中{window.initiated}次为卖家主动发起）"
    return text


def _answer_phrase(window: ContactWindow) -> str:
    n, answered = len(window.attempts), window.answered
    if answered == 0:
        return "买家均未回复" if n > 1 else "买家未回复"
    if answered == n:
        return "买家均有回复或接听" if n > 1 else "买家有回复或接听"
    return f"买家回复或接听了其中{answered}次"


def _window_ids(window: ContactWindow) -> tuple[str, ...]:
    ids: list[str] = []
    for a in window.attempts:
        ids.extend(a.event_ids)
        if a.answered_by:
            ids.append(a.answered_by)
    return tuple(sorted(set(ids), key=lambda i: int(i[1:])))


def _promise_sentence(p: PromiseFinding) -> Sentence:
    if p.deadline is not None:
        promise = f"卖家于{zh_time(p.time)}承诺在{zh_time(p.deadline)}前发货"
    else:
        promise = f"卖家于{zh_time(p.time)}承诺发货（未说明具体时间）"
    if p.shipment is None:
        return Sentence(f"{promise}，记录中未见此后的发货。", (p.event_id,))
    shipped = f"，{'' if p.shipment.earliest is None else '实际'}{shipment_phrase_zh(p.shipment)}"
    if p.status == "kept":
        shipped += "，早于承诺时间"
    elif p.status == "late" and p.deadline is not None:
        shipped += f"，晚于承诺时间{_late_by(p.shipment, p.deadline)}"
    elif p.status == "undetermined":
        shipped += "，记录不足以判断是否按承诺时间发货"
    return Sentence(f"{promise}{shipped}。", tuple(dict.fromkeys((p.event_id, p.shipment.event_id))))


def _shipment_sentence(order: OrderFinding, agreed: AgreementFinding | None = None) -> Sentence | None:
    ship = order.shipment
    if ship is None:
        if order.paid is None:
            return None
        return Sentence(f"记录中未见订单{order.order_id}的发货。", (order.event_id,))
    via = " ".join(x for x in (ship.carrier, ship.tracking) if x)
    text = f"订单{order.order_id}{shipment_phrase_zh(ship)}" + (f"（{via}）" if via else "")
    if order.deadline is not None:
        on_time = ship.on_time(order.deadline)
        if on_time:
            text += f"，早于发货时限{'' if ship.earliest == ship.time else '至少'}{zh_span(order.deadline - ship.time)}"
        elif on_time is False:
            text += f"，晚于发货时限{_late_by(ship, order.deadline)}"
        else:
            text += "，记录不足以判断是否在发货时限前发货"
    ids = (order.event_id, ship.event_id)
    if agreed is not None and agreed.deadline is not None and agreed.shipment is ship:
        # both deadlines: the 72 hours, and the day the buyer agreed to
        text += f"；{_against_agreed(agreed)}"
        ids += (agreed.event_id,)
    return Sentence(text + "。", tuple(dict.fromkeys(ids)))


def _against_agreed(a: AgreementFinding) -> str:
    """The shipment against the agreed day: 早于买家同意的发货时间（6月6日23:59）."""
    assert a.deadline is not None and a.shipment is not None
    when = f"买家同意的发货时间（{zh_time(a.deadline)}）"
    if a.on_time:
        return f"未晚于{when}"
    if a.on_time is False:
        return f"晚于{when}{_late_by(a.shipment, a.deadline)}"
    return f"记录不足以判断是否晚于{when}"


def _agreement_sentence(a: AgreementFinding) -> Sentence:
    """The agreement, first when a delay claim follows it: 买家于6月2日10:08同意延期发货
    （“好的不急”），同意的发货时间为6月6日23:59；实际于6月6日16:20发货，未晚于买家同意的发货时间。"""
    text = f"买家于{zh_time(a.time)}同意延期发货（{quote_zh(a.text)}）"
    ids = [a.event_id] + ([a.offer_id] if a.offer_id else [])
    text += f"，同意的发货时间为{zh_time(a.deadline)}" if a.deadline is not None else "，未约定具体日期"
    if a.shipment is None:
        text += "；记录中未见此后的发货"
    else:
        ids.append(a.shipment.event_id)
        shipped = f"{'' if a.shipment.earliest is None else '实际'}{shipment_phrase_zh(a.shipment)}"
        text += f"；{shipped}" + (f"，{_against_agreed(a)}" if a.deadline is not None else "")
    return Sentence(text + "。", tuple(dict.fromkeys(ids)))


def _claim_sentence(group: Sequence[ClaimFinding]) -> Sentence:
    first = group[0]
    rel = []
    if first.since_payment is not None and first.since_payment >= timedelta(0):
        rel.append(f"付款后{zh_span(first.since_payment)}")
    if first.since_deadline is not None:
        rel.append(f"超过发货时限{zh_span(first.since_deadline)}" if first.since_deadline > timedelta(0)
                   else f"距发货时限还有{zh_span(first.since_deadline)}")
    if first.since_shipment is not None:
        rel.append(f"发货后{zh_span(first.since_shipment)}" if first.since_shipment >= timedelta(0)
                   else f"发货前{zh_span(first.since_shipment)}")
    when = f"（{'，'.join(rel)}）" if rel else ""
    return Sentence(f"买家于{zh_time(first.time)}{when}{claims_phrase_zh(group)}。", (first.event_id,))


def _summary(orders: Sequence[OrderFinding], other: ContactWindow, silence: Silence | None,
             promises: Sequence[PromiseFinding], claims: Sequence[ClaimFinding],
             ship_within_hours: float, agreements: Sequence[AgreementFinding] = ()) -> tuple[Sentence, ...]:
    """Plain sentences in the order things happened, each stating only what its cited
    events show: per order the payment and deadline, the seller's contacts before the
    deadline, the promises and the shipment, the contacts after the deadline; then the
    buyer's longest silence and each claim.  When a delay claim follows the buyer's
    agreement to a later ship date, the agreement comes first (docs/reports.md)."""
    out: list[Sentence] = []
    led = agreement_led(agreements, claims)
    if led is not None:
        out.append(_agreement_sentence(led))
    if other.attempts:
        lead = "付款前，卖家" if other.name == "before_payment" else "卖家"
        out.append(Sentence(f"{lead}{_count_phrase(other)}，{_answer_phrase(other)}。", _window_ids(other)))
    placed: set[str] = set()
    for order in orders:
        if order.paid is not None and order.deadline is not None:
            out.append(Sentence(
                f"订单{order.order_id}于{zh_time(order.paid)}付款，按付款后{_hours(ship_within_hours)}小时计，"
                f"发货时限为{zh_time(order.deadline)}。", (order.event_id,)))
        if order.before_deadline.attempts:
            span = "付款后至发货时限前" if order.deadline else "付款后"
            out.append(Sentence(f"{span}，卖家{_count_phrase(order.before_deadline)}，"
                                f"{_answer_phrase(order.before_deadline)}。", _window_ids(order.before_deadline)))
        for p in promises:
            if p.event_id not in placed and _order_at(p.time, orders) is order:
                placed.add(p.event_id)
                out.append(_promise_sentence(p))
        ship = order.shipment
        agreed = agreement_before(agreements, ship.time) if ship is not None else None
        shipment = _shipment_sentence(order, agreed)
        if shipment is not None:
            out.append(shipment)
        if order.after_deadline.attempts:
            out.append(Sentence(f"发货时限后，卖家{_count_phrase(order.after_deadline)}，"
                                f"{_answer_phrase(order.after_deadline)}。", _window_ids(order.after_deadline)))
    out.extend(_promise_sentence(p) for p in promises if p.event_id not in placed)
    if silence is not None and silence.hours >= ANSWER_WINDOW.total_seconds() / 3600:
        if silence.until_id:
            out.append(Sentence(
                f"买家最长{_hours(silence.hours)}小时未回应卖家的联系"
                f"（自{zh_time(silence.start)}至{zh_time(silence.end)}）。", (silence.from_id, silence.until_id)))
        else:
            out.append(Sentence(
                f"自{zh_time(silence.start)}卖家联系起，至记录中最后一条事件（{zh_time(silence.end)}），"
                f"买家未再回应，共{_hours(silence.hours)}小时。", (silence.from_id,)))
    by_event: dict[str, list[ClaimFinding]] = {}
    for c in claims:
        by_event.setdefault(c.event_id, []).append(c)
    out.extend(_claim_sentence(group) for group in by_event.values())
    return tuple(out)


# ---------------------------------------------------------------------------
# the register's risk flag


def risk_flag(orders: Sequence[OrderFinding], promises: Sequence[PromiseFinding],
              claims: Sequence[ClaimFinding], agreements: Sequence[AgreementFinding] = ()) -> str:
    """A short flag from the findings, by the rules in docs/reports.md."""
    return risk_flag_for(orders, promises, claims, None, agreements)


def risk_flag_for(orders: Sequence[OrderFinding], promises: Sequence[PromiseFinding],
                  claims: Sequence[ClaimFinding], order_id: str | None,
                  agreements: Sequence[AgreementFinding] = ()) -> str:
    """The flag of one order (``order_id``) or of the whole case (None).  A shipment late
    by the 72 hours but within a day the buyer agreed to (delay_agreed) is not the
    seller's lateness, and a delay claim after that agreement contradicts it."""
    scoped_orders = [o for o in orders if order_id is None or o.order_id == order_id]
    scoped_claims = [c for c in claims if order_id is None or c.order_id == order_id
                     or (c.order_id is None and orders and orders[0].order_id == order_id)]
    by_id = {o.order_id: o for o in orders}
    buyer_side: list[str] = []
    seller_side: list[str] = []

    went_silent = any(len(o.before_deadline.attempts) >= SILENT_AFTER_PAYMENT_MIN_ATTEMPTS
                      and o.before_deadline.answered == 0 and o.paid is not None for o in scoped_orders)
    if went_silent:
        buyer_side.append("付款后失联")

    contradicting = []
    for c in scoped_claims:
        order = by_id.get(c.order_id or "")
        if c.label != "delay_claim" or order is None or not order.shipped_on_time:
            continue
        if c.since_shipment is not None and c.since_shipment >= timedelta(0):
            contradicting.append(c)
    if any(c.since_deadline is not None and c.since_deadline > timedelta(0) for c in contradicting):
        buyer_side.append("超时后主张延迟发货")
    elif contradicting:
        buyer_side.append("已发货后主张未发货")
    kept = [a for a in agreements if a.on_time is True and a.shipment is not None]
    agreed_then_claimed = [c for c in scoped_claims if c.label == "delay_claim"
                           and any(a.time < c.time for a in kept)]
    if agreed_then_claimed:
        buyer_side.append("同意延期后主张延迟发货")
    if any(c.label == "compensation_demand" for c in scoped_claims):
        buyer_side.append("索要赔偿")
    threats = [c for c in scoped_claims if c.label == "threat"]
    if threats:
        # the registry's wording (以投诉/差评相威胁), never the buyer's words
        buyer_side.append(claims_phrase_zh(threats[:1]))

    for o in scoped_orders:
        if o.shipped_on_time is False and not any(a.shipment == o.shipment for a in kept):
            seller_side.append("卖家发货超时")
        elif o.shipment is None and o.paid is not None:
            seller_side.append("未见发货记录")
    scoped_promises = [p for p in promises if order_id is None or not orders
                       or _order_at(p.time, orders) is by_id.get(order_id)]
    if any(p.status == "late" for p in scoped_promises):
        seller_side.append("未按承诺时间发货")

    if seller_side:
        return "卖家风险：" + "，".join(dict.fromkeys(seller_side + buyer_side))
    contradiction = any(p in buyer_side for p in ("超时后主张延迟发货", "已发货后主张未发货", "同意延期后主张延迟发货"))
    if contradiction and (went_silent or "索要赔偿" in buyer_side or threats):
        return "疑似恶意：" + "，".join(buyer_side)
    if buyer_side:
        return "需关注：" + "，".join(buyer_side)
    return "无"
