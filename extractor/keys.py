"""Case keys: which shop and which buyer a case is about.

A case is one buyer of one shop, keyed ``(shop, buyer nick)``: an agency running two
shops has two cases for a nick that chatted with both, each with its own chats, orders,
promises and silences.  The shop of a conversation is the shop its seller accounts write
for (``店铺名:子账号``, or a shop's main account writing as the bare shop name); a
conversation with no seller line takes the shop of the buyer's orders (店铺名称) or of
their other conversations, else the one ``--shop``; else it has none (``""``).

A placeholder nick (账号信息保护显示, ``t***1``, ``**``: the platform's stand-ins for a
nick it hides) names nobody, so it is never a key: each conversation under one is a case
of its own, keyed by where it starts (file and line), unless an order number or a full
phone number of exactly one order is written in it; then it joins that order's case.
Either way the file's report says which, in a warning.

Two stages use this: reading splits each file's events into groups (shop as far as the
file tells, nick, placeholder conversation), and the run-wide join turns every group and
every order, call and note into a case key (:func:`plan_cases`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from .model import Event, ParseWarning
from .roles import shop_of, shoplike

# The nick the web page shows instead of one it hides (docs/formats.md, the specimens).
PLACEHOLDER_NICKS = frozenset({"账号信息保护显示"})
# How the platform masks a nick: its ends kept, the middle starred (t**9, t***1), or stars
# alone (**).  Taobao nicks hold no star, so a run of two is a mask, never a name.
_MASK_RE = re.compile(r"[*＊]{2,}|^[*＊]+$")
# Digit runs in a message that may be an order number (16-19 digits) or a mobile number
# (11, after +86 and separators): the evidence a placeholder conversation is joined by.
_DIGIT_RUN_RE = re.compile(r"(?<![\d])\+?\d[\d \-]{9,24}\d(?![\d])")

Group = tuple[str, str, str]  # one file's events: (shop or "", buyer nick, conversation or "")


def placeholder_nick(nick: str | None) -> bool:
    """A nick the platform wrote instead of the buyer's: it tells no buyer apart."""
    if nick is None:
        return False
    name = nick.strip()
    return not name or name in PLACEHOLDER_NICKS or bool(_MASK_RE.search(name))


def _base(where: str) -> str:
    return re.split(r"[\\/]", where)[-1]


@dataclass(frozen=True, order=True)
class CaseKey:
    """``shop`` is "" when no input tells it; ``conversation`` is set only for a
    placeholder nick: where its conversation starts (``file:line``)."""

    shop: str
    buyer: str
    conversation: str = ""

    @property
    def id(self) -> str:
        return json.dumps([self.shop, self.buyer, self.conversation], ensure_ascii=False)

    def label(self) -> str:
        """The case's name before the shop: the nick, or the placeholder and where its
        conversation starts (the file's base name, never a folder)."""
        return f"{self.buyer}@{_base(self.conversation)}" if self.conversation else self.buyer


def group_id(group: Group) -> str:
    return json.dumps(list(group), ensure_ascii=False)


@dataclass(frozen=True)
class Conversation:
    """A placeholder conversation of one file: where it starts and the digit runs
    written in it (candidate order numbers and phone numbers)."""

    where: str
    line: int | None = None
    row: int | None = None
    page: int | None = None
    clues: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"where": self.where, "line": self.line, "row": self.row, "page": self.page,
                "clues": list(self.clues)}

    @classmethod
    def from_dict(cls, d: Mapping) -> "Conversation":
        return cls(str(d["where"]), d.get("line"), d.get("row"), d.get("page"),
                   tuple(str(c) for c in d.get("clues") or ()))


def seller_shop(sender: str | None, main_accounts: Iterable[str] = ()) -> str | None:
    """The shop a seller account writes for: ``店铺名:子账号``'s shop, or the bare shop
    name of a main account."""
    if not sender:
        return None
    shop = shop_of(sender)
    if shop:
        return shop
    name = sender.strip()
    return name if name in set(main_accounts) else None


def digits_in(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for run in _DIGIT_RUN_RE.findall(text):
        digits = re.sub(r"\D", "", run)
        if len(digits) == 13 and digits.startswith("861"):
            digits = digits[2:]
        if 11 <= len(digits) <= 20 and digits not in out:
            out.append(digits)
    return tuple(out)


def split_groups(events: Sequence[Event], is_aside, main_accounts: Iterable[str] = ()
                 ) -> tuple[dict[Group, list[Event]], list[Event], dict[Group, Conversation]]:
    """A file's events by group, those that go aside, and its placeholder conversations.

    A placeholder nick's conversation is a run of its events not cut by another buyer's
    event (file order).  Each event's shop is that of the nearest seller line of its
    conversation above it, else below it: one file may hold one nick's chats with two
    shops (a chat sheet), and a buyer's own lines carry no shop."""
    mains = set(main_accounts)
    keyed: list[tuple[Event, tuple[str, str]]] = []
    aside: list[Event] = []
    starts: dict[str, str] = {}
    first: dict[tuple[str, str], Event] = {}
    previous: str | None = None
    for event in events:
        if is_aside(event):
            aside.append(event)
            continue
        buyer = event.buyer or ""
        conversation = ""
        if placeholder_nick(buyer):
            if previous != buyer or buyer not in starts:
                starts[buyer] = event.source.where()
            conversation = starts[buyer]
        previous = buyer
        keyed.append((event, (buyer, conversation)))
        first.setdefault((buyer, conversation), event)

    shops: list[str] = [""] * len(keyed)
    for order in (range(len(keyed)), reversed(range(len(keyed)))):
        last: dict[tuple[str, str], str] = {}
        for i in order:
            event, seq = keyed[i]
            own = seller_shop(event.sender, mains) if event.role == "seller" else None
            if own:
                last[seq] = own
            if not shops[i]:
                shops[i] = own or last.get(seq, "")

    groups: dict[Group, list[Event]] = {}
    for (event, (buyer, conversation)), shop in zip(keyed, shops):
        groups.setdefault((shop, buyer, conversation), []).append(event)
    conversations: dict[Group, Conversation] = {}
    for group, evs in groups.items():
        if group[2]:
            start = first[(group[1], group[2])].source
            clues = tuple(dict.fromkeys(d for e in evs for d in digits_in(e.text)))
            conversations[group] = Conversation(group[2], start.line, start.row, start.page, clues)
    return groups, aside, conversations


# ---------------------------------------------------------------------------
# the run-wide join: groups, orders, calls and notes to case keys


@dataclass
class Plan:
    keys: dict[CaseKey, None] = field(default_factory=dict)  # insertion-ordered set
    groups: dict[CaseKey, list[tuple[str, Group]]] = field(default_factory=dict)
    aside: dict[CaseKey, list[Event]] = field(default_factory=dict)
    warnings: list[ParseWarning] = field(default_factory=list)

    def add_group(self, key: CaseKey, path: str, group: Group) -> None:
        self.keys[key] = None
        self.groups.setdefault(key, []).append((path, group))

    def add_event(self, key: CaseKey, event: Event) -> None:
        self.keys[key] = None
        self.aside.setdefault(key, []).append(event)


def _warning(path: str, reason: str, **where) -> ParseWarning:
    # Nicks are the other side's words: no control or bidi character reaches a terminal.
    from .sources.base import printable

    return ParseWarning(path, printable(reason), **where)


def _masked_tail(digits: str) -> str:
    return f"尾号{digits[-4:]}" if len(digits) == 11 else digits


def plan_cases(groups: Sequence[tuple[str, Group, Conversation | None]], joined: Sequence[Event],
               given_shops: Sequence[str] = ()) -> Plan:
    """Every chat group and every joined order, call and note (with a buyer) to its case
    key.  ``given_shops``: ``--shop``; one given is the shop of what nothing else places."""
    from .join import normalize_number, parse_number

    plan = Plan()
    orders = [e for e in joined if e.kind == "order" and e.order is not None and e.buyer]
    known: dict[str, set[str]] = {}
    for _, (shop, buyer, conversation), _ in groups:
        if shop and not conversation:
            known.setdefault(buyer, set()).add(shop)
    for e in orders:
        if e.order is not None and e.order.shop and e.buyer:
            known.setdefault(e.buyer, set()).add(e.order.shop)
    default = given_shops[0].strip() if len(given_shops) == 1 else ""
    orders_of: dict[str, list[Event]] = {}
    for e in orders:
        orders_of.setdefault(e.buyer or "", []).append(e)
    ambiguous: dict[tuple[str, str], int] = {}  # (file, buyer) → events put in no shop's case

    def shop_for(buyer: str, shop: str | None) -> str | None:
        """The shop, or None when the buyer has cases in several shops and nothing says which."""
        if shop:
            return shop
        mine = known.get(buyer, set())
        if len(mine) == 1:
            return next(iter(mine))
        if not mine:
            return default
        return default if default in mine else None

    for path, group, conversation in groups:
        shop, buyer, conv = group
        if conv and conversation is not None:
            plan.add_group(_placeholder_key(plan, path, group, conversation, orders, shop_for, default,
                                            normalize_number), path, group)
            continue
        resolved = shop_for(buyer, shop)
        if resolved is None:
            ambiguous[(path, buyer)] = ambiguous.get((path, buyer), 0) + 1
            resolved = ""
        plan.add_group(CaseKey(resolved, buyer), path, group)

    for event in joined:
        if not event.buyer:
            continue
        if placeholder_nick(event.buyer):
            # An order or call record under a placeholder: a case of its own, like a chat.
            plan.add_event(CaseKey(default if event.order is None else (event.order.shop or default),
                                   event.buyer, event.source.where()), event)
            continue
        if event.order is not None:
            shop = shop_for(event.buyer, event.order.shop)
        else:
            # A note written by a shop's account is that shop's; a call is its number's.
            own = seller_shop(event.sender) if event.role == "seller" else None
            shop = shop_for(event.buyer, own or _call_shop(event, orders_of.get(event.buyer, ()), parse_number))
        if shop is None:
            ambiguous[(event.source.file, event.buyer)] = ambiguous.get((event.source.file, event.buyer), 0) + 1
            shop = ""
        plan.add_event(CaseKey(shop, event.buyer), event)

    for (path, buyer), count in sorted(ambiguous.items()):
        shops = "、".join(sorted(known.get(buyer, ())))
        plan.warnings.append(_warning(path, (
            f"{buyer} has cases in several shops ({shops}) and nothing in {count} of this file's "
            f"records of {buyer} says which: they make a case of no shop; give --shop to name it")))
    return plan


def _call_shop(event: Event, orders: Sequence[Event], parse_number) -> str | None:
    """A call's shop: that of the buyer's orders (``orders``) whose phone its number
    fits, when one."""
    number = parse_number(event.call.number) if event.call is not None else None
    if number is None:
        return None
    shops = set()
    for o in orders:
        if o.order is not None and o.order.shop:
            theirs = parse_number(o.order.phone)
            if theirs is not None and theirs.fits(number):
                shops.add(o.order.shop)
    return shops.pop() if len(shops) == 1 else None


def _placeholder_key(plan: Plan, path: str, group: Group, conversation: Conversation, orders: Sequence[Event],
                     shop_for, default: str, normalize_number) -> CaseKey:
    shop, buyer, conv = group
    clues = set(conversation.clues)
    hits: dict[tuple[str, str], str] = {}  # (shop, buyer) → what tied them
    for o in orders:
        assert o.order is not None and o.buyer
        if placeholder_nick(o.buyer):
            continue
        order_shop = shop_for(o.buyer, o.order.shop) or ""
        if shop and order_shop and shop != order_shop:
            continue  # another shop's order is not this conversation's
        if o.order.id in clues:
            hits.setdefault((order_shop, o.buyer), f"the order number {o.order.id}")
        phone = normalize_number(o.order.phone)
        if phone and "*" not in phone and phone in clues:
            hits.setdefault((order_shop, o.buyer), f"the phone number ({_masked_tail(phone)}) of order {o.order.id}")
    where = dict(line=conversation.line, row=conversation.row, page=conversation.page)
    lead = (f"the buyer of the conversation starting at {_base(conversation.where)} is shown as {buyer}, "
            "a placeholder, not a nick")
    if len(hits) == 1:
        ((order_shop, nick), why), = hits.items()
        plan.warnings.append(_warning(path, f"{lead}: joined to the case of {nick} by {why} written in it",
                                          **where))
        return CaseKey(order_shop or shop or default, nick)
    if hits:
        names = ", ".join(sorted(n for _, n in hits))
        reason = f"it names orders of several buyers ({names})"
    else:
        reason = "no order number or phone number of an order is written in it"
    plan.warnings.append(_warning(path, f"{lead}: a case of its own ({reason})", **where))
    return CaseKey(shop or default, buyer, conv)


def case_names(keys: Iterable[CaseKey]) -> dict[CaseKey, str]:
    """Each case's file-name stem: the nick alone in a run of one shop (readable), else
    ``<shop>__<nick>``; safe and unique as :func:`extractor.render.filenames.unique_names`
    makes them."""
    from .render.filenames import unique_names

    ordered = sorted(set(keys))
    several = len({k.shop for k in ordered if k.shop}) > 1
    labels: dict[CaseKey, str] = {}
    seen: dict[str, int] = {}
    for key in ordered:
        label = f"{key.shop}__{key.label()}" if several and key.shop else key.label()
        n = seen.get(label, 0) + 1
        seen[label] = n
        labels[key] = label if n == 1 else f"{label}-{n}"
    stems = unique_names(labels.values())
    return {key: stems[label] for key, label in labels.items()}


def main_account_warnings(path: str, parties: Iterable[str], known: Iterable[str], read_as: Iterable[str]
                          ) -> list[ParseWarning]:
    """What the read stage says about senders written as a bare shop name."""
    known_set, taken = set(known), set(read_as)
    out = [_warning(path, f"{name} writes without a 店铺名: prefix, and the run's other inputs name "
                              f"{name} as a shop: its messages are the shop's main account's, the seller's")
           for name in sorted(taken)]
    out += [_warning(path, f"{name} writes without a 店铺名: prefix and no other input names it as a shop: "
                               f"taken for a buyer; if it is the shop's main account, run again with --shop {name}")
            for name in sorted(set(parties)) if name not in known_set and name not in taken and shoplike(name)]
    return out
