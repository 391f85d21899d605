"""申诉说明: the ready-to-paste text of an upload, within each text field's limit.

Every fact in it is one of the case's findings (payment, deadline, shipment, contact
counts, silence, promises, claims), each with the event ids it rests on, so the text
says nothing the report does not.  Facts are ranked: a short field takes the ones a
reviewer needs first (the deadline kept, the seller's contacts, what the buyer claimed
and when); a long field adds the rest.  A fact goes in whole or not at all, and the
text is counted as the form counts it (characters, or UTF-8 bytes for the API).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Sequence

from ..cases import (PHONE, WANGWANG, Case, ClaimFinding, ContactWindow, agreement_led, claims_phrase_zh,
                     quote_zh, zh_span, zh_time)
from ..errors import PackError
from ..i18n import N_
from .profiles import TextField


@dataclass(frozen=True)
class Fact:
    text: str  # a clause, without the final 。
    event_ids: tuple[str, ...]
    rank: int  # 0 first: what a short field keeps
    position: tuple[int, int]  # where it goes in the text: (group, order within it)


@dataclass(frozen=True)
class AppealText:
    field: TextField
    text: str
    length: int
    facts: tuple[Fact, ...]  # the facts it holds, in text order

    @property
    def event_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i for f in self.facts for i in f.event_ids))


def _contacts(window: ContactWindow, when: str) -> str | None:
    n = len(window.attempts)
    if not n:
        return None
    ways = []
    if window.count(WANGWANG):
        ways.append(f"旺旺{window.count(WANGWANG)}次")
    if window.count(PHONE):
        ways.append(f"电话{window.count(PHONE)}次")
    answered = window.answered
    reply = "买家均未回复" if answered == 0 else ("买家均有回复" if answered == n else f"买家回复{answered}次")
    return f"{when}卖家联系买家{n}次（{'、'.join(ways)}），{reply}"


def claim_groups(claims: Sequence[ClaimFinding]) -> list[list[ClaimFinding]]:
    groups: dict[str, list[ClaimFinding]] = {}
    for c in claims:
        groups.setdefault(c.event_id, []).append(c)
    return list(groups.values())


def case_facts(case: Case) -> list[Fact]:
    """The case's findings as short clauses, ranked for a short field.  When a delay
    claim follows the buyer's agreement to a later ship date, that agreement leads (and
    is kept first by a short field): when, the buyer's words, the day, the shipment
    against it."""
    facts: list[Fact] = []
    led = agreement_led(case.agreements, case.claims)
    if led is not None:
        text = f"买家{zh_time(led.time)}同意延期发货（{quote_zh(led.text, 12)}）"
        ids = [led.event_id] + ([led.offer_id] if led.offer_id else [])
        text += f"，约定{zh_time(led.deadline)}前发货" if led.deadline is not None else "，未约定日期"
        if led.shipment is not None and led.deadline is not None and led.on_time is not None:
            text += f"，{zh_time(led.shipment.time)}已发货，" + ("未超约定时间" if led.on_time else "晚于约定时间")
            ids.append(led.shipment.event_id)
        facts.append(Fact(text, tuple(dict.fromkeys(ids)), 0, (-1, 0)))
    for i, o in enumerate(case.orders):
        g = 10 * i
        lead = f"订单{o.order_id}"
        if o.paid is not None:
            lead += f"于{zh_time(o.paid)}付款"
            if o.deadline is not None:
                lead += f"，发货时限{zh_time(o.deadline)}"
        facts.append(Fact(lead, (o.event_id,), 0 if i == 0 else 4, (g, 0)))
        ship = o.shipment
        if ship is not None:
            text = f"{zh_time(ship.time)}已发货"
            if o.deadline is not None:
                text += (f"，早于时限{zh_span(o.deadline - ship.time)}" if ship.time <= o.deadline
                         else f"，晚于时限{zh_span(ship.time - o.deadline)}")
            facts.append(Fact(text, (ship.event_id,), 0 if i == 0 else 4, (g, 1)))
            via = " ".join(x for x in (ship.carrier, ship.tracking) if x)
            if via:
                facts.append(Fact(f"物流{via}", (ship.event_id,), 3, (g, 2)))
        elif o.paid is not None:
            facts.append(Fact("记录中未见发货", (o.event_id,), 1, (g, 1)))
        before = _contacts(o.before_deadline, "时限前")
        if before:
            facts.append(Fact(before, tuple(a.id for a in o.before_deadline.attempts), 1, (g, 3)))
        after = _contacts(o.after_deadline, "时限后")
        if after:
            facts.append(Fact(after, tuple(a.id for a in o.after_deadline.attempts), 3, (g, 4)))
    if not case.orders:
        other = _contacts(case.other_contacts, "")
        if other:
            facts.append(Fact(other, tuple(a.id for a in case.other_contacts.attempts), 1, (0, 3)))
    for j, p in enumerate(case.promises):
        if p.deadline is None:
            continue
        status = {"kept": "已按时发出", "late": "发货晚于承诺", "no_shipment": "记录中未见发货"}.get(p.status)
        if status:
            facts.append(Fact(f"卖家{zh_time(p.time)}承诺{zh_time(p.deadline)}前发货，{status}",
                              (p.event_id,), 2, (90, j)))
    if case.silence is not None and case.silence.hours > 0:
        s = case.silence
        facts.append(Fact(f"买家最长{s.hours:g}小时未回应（{zh_time(s.start)}起）", (s.from_id,), 2, (91, 0)))
    answered = None  # the delay claim the agreement answers: kept with it by a short field
    if led is not None:
        answered = next((g[0].event_id for g in claim_groups(case.claims)
                         if g[0].time >= led.time and any(c.label == "delay_claim" for c in g)), None)
    for k, group in enumerate(claim_groups(case.claims)):
        first = group[0]
        text = f"买家{zh_time(first.time)}{claims_phrase_zh(group)}"
        if first.since_shipment is not None and first.since_shipment >= timedelta(0):
            text += f"，时在发货后{zh_span(first.since_shipment)}"
        rank = 0 if first.event_id == answered else 1 if k == 0 else 3
        facts.append(Fact(text, (first.event_id,), rank, (92, k)))
    return facts


def compose(facts: Sequence[Fact], field: TextField, lead: str = "") -> AppealText:
    """The most facts, best ranked first, that fit ``field``; in the text's own order."""
    chosen: list[Fact] = []

    def render(selection: Sequence[Fact]) -> str:
        ordered = sorted(selection, key=lambda f: f.position)
        return lead + "".join(f"{f.text}。" for f in ordered) if ordered else lead

    for fact in sorted(facts, key=lambda f: (f.rank, f.position)):
        trial = render([*chosen, fact])
        if field.length(trial) <= field.max:
            chosen.append(fact)
    text = render(chosen)
    if not chosen or not field.fits(text):
        raise PackError(N_("{field}: not even the first finding fits in {limit} ({needed} needed); "
                           "give the profile a longer text field"), field=field.label, limit=field.describe(),
                        needed=field.length(render(sorted(facts, key=lambda f: f.rank)[:1])))
    return AppealText(field, text, field.length(text), tuple(sorted(chosen, key=lambda f: f.position)))


def appeal_texts(case: Case, fields: Sequence[TextField], mask) -> list[AppealText]:
    shop = f"本店{mask(case.shop)}，" if case.shop else ""
    lead = f"{shop}买家{mask(case.buyer)}：" if case.buyer else shop
    facts = [Fact(mask(f.text), f.event_ids, f.rank, f.position) for f in case_facts(case)]
    out = []
    for field in fields:
        try:
            out.append(compose(facts, field, lead))
        except PackError:
            out.append(compose(facts, field, ""))  # a tight field drops the shop and nick first
    return out
