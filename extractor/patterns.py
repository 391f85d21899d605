"""异常拍下: patterns over all the orders of a run, and a buyer's request to leave the platform.

A dispute ring places its orders together: several accounts pay for the same item within
minutes, or accounts under different nicks share one phone number or one delivery
address.  One case cannot see that; the run can, because the order exports of every shop
it reads are in its aside events.  :func:`run_patterns` finds the patterns once per run
(a report and a batch call it on the same :class:`~extractor.stages.Assembly`, so they
agree) and gives each case the patterns its orders are in, as :class:`CasePattern`.

What a case carries of the OTHER orders is their order numbers and the fact of sharing,
never another buyer's nick, phone or address: the case's HTML, PDF, JSON and upload pack
go to the platform, and an upload must hold no other buyer's data.  The register, the
seller's own list, also cites every order's row (file, row).

Every pattern cites its rows: each order is known by its export row (``Source``), and a
pattern lists the rows of this case's orders and of the others.

:func:`flag_off_platform` flags a buyer's message that asks to move to WeChat, QQ or a
private phone (加我微信, vx, 威信, QQ号, 私下联系, 加个好友 …) with the flag ``off_platform``
(a flag, not a tag: it is no claim about the order, it needs no calibration, and the
tagger's label set is the shared contract of docs/tags.md).  The seller's messages are
never read, so a seller's 请不要私下交易 is no flag; a negation (不加微信, 不要私下联系)
and 微信 as a way to pay (微信支付) are not requests.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Iterable, Mapping, Sequence

from .limits import MAX_PATTERN_ORDERS_SHOWN
from .model import Event, Source

# A burst: paid orders for the same item (宝贝标题, normalized) by at least
# BURST_MIN_ACCOUNTS distinct buyer accounts whose payment times all fall within
# BURST_WINDOW.  Ten minutes and three accounts: a ring's accounts pay within a few
# minutes of each other; two buyers of a popular item in ten minutes are ordinary.
BURST_WINDOW = timedelta(minutes=10)
BURST_MIN_ACCOUNTS = 3
# A normalized address shorter than this is too vague to say two orders share it (a
# province and a city, or what is left of a masked one).
MIN_ADDRESS_CHARS = 8
# A phone with fewer digits than this (after masking) says nothing about who it is.
MIN_PHONE_DIGITS = 7

BURST, SHARED_PHONE, SHARED_ADDRESS, OFF_PLATFORM = "burst", "shared_phone", "shared_address", "off_platform"
KINDS = (BURST, SHARED_PHONE, SHARED_ADDRESS, OFF_PLATFORM)
KIND_ZH = {BURST: "同款集中拍下", SHARED_PHONE: "多账号共用手机号", SHARED_ADDRESS: "多账号共用收货地址",
           OFF_PLATFORM: "要求站外联系"}


# ---------------------------------------------------------------------------
# normalization


def _nfkc(text: str) -> str:
    """Full-width letters, digits and punctuation as half-width (ＡＢ１２ → AB12)."""
    return unicodedata.normalize("NFKC", text)


def phone_key(raw: str | None) -> tuple[str, bool] | None:
    """A phone as it compares: digits only, a +86 / 0086 / 86 prefix of a mobile number
    stripped; a masked number (138****5678) keeps its stars and matches only the same
    mask.  Returns (key, masked), or None for what says nothing (too short, all stars)."""
    if not raw:
        return None
    kept = "".join(c for c in _nfkc(raw) if c.isdigit() or c == "*")
    for prefix in ("0086", "86"):
        if kept.startswith(prefix) and len(kept) == len(prefix) + 11 and kept[len(prefix)] == "1":
            kept = kept[len(prefix):]
            break
    digits = [c for c in kept if c.isdigit()]
    masked = "*" in kept
    if len(digits) < (4 if masked else MIN_PHONE_DIGITS) or len(kept) < MIN_PHONE_DIGITS:
        return None
    if len(set(digits)) == 1:
        return None  # 00000000, 11111111111: a placeholder an export or a buyer typed, no one's number
    return kept, masked


_POSTCODE_RE = re.compile(r"[(\[【〔]\s*\d{6}\s*[)\]】〕]|邮编\s*[:：]?\s*\d{6}")
_ADDRESS_NOISE_RE = re.compile(r"[\s,，、。.·\-—_/\\'\"“”]+")


def address_key(raw: str | None) -> tuple[str, bool] | None:
    """An address as it compares: half-width, no blanks or separating punctuation, the
    postcode in brackets removed (``广东省 深圳市 … (518000)`` and
    ``广东省深圳市…（５１８０００）`` are one address).  A masked address (stars) matches only
    the same mask.  None for an empty or too vague one."""
    if not raw:
        return None
    text = _ADDRESS_NOISE_RE.sub("", _POSTCODE_RE.sub("", _nfkc(raw))).casefold()
    masked = "*" in text
    shown = text.replace("*", "")
    if len(shown) < MIN_ADDRESS_CHARS:
        return None
    if masked and not any(c.isdigit() for c in shown):
        # 广东省深圳市南山区**** is every buyer of a district: a masked address compares
        # only when what is left still holds a number (a street's, a building's).
        return None
    return text, masked


def item_key(raw: str | None) -> str | None:
    """宝贝标题 as it compares: half-width, case-folded, no blanks."""
    if not raw:
        return None
    text = re.sub(r"\s+", "", _nfkc(raw)).casefold()
    return text or None


def mask_key(kind: str, value: str) -> str:
    """A stored key as a list shows it: a phone 138****5678, an address its first six
    characters and ****; a nick as it is."""
    if kind == "phone":
        return value if "*" in value or len(value) < 8 else value[:3] + "****" + value[-4:]
    if kind == "address":
        return value[:6] + "****" if len(value) > 6 else value
    return value


# ---------------------------------------------------------------------------
# the run's orders


@dataclass(frozen=True)
class OrderRef:
    """One paid order of the run, as the patterns see it."""

    order_id: str
    buyer: str
    case: object  # the CaseKey of the case it is in
    paid: datetime
    sources: tuple[Source, ...]  # its export rows
    item: str | None
    phones: tuple[tuple[str, bool], ...]
    address: tuple[str, bool] | None


@dataclass(frozen=True)
class RunPattern:
    """One pattern over the run's orders; ``value`` is what they share (the item, the
    phone key, the address key): the register's, never a case's."""

    kind: str
    value: str
    masked: bool
    orders: tuple[OrderRef, ...]

    @property
    def accounts(self) -> int:
        return len({o.buyer for o in self.orders})


@dataclass(frozen=True)
class CasePattern:
    """A pattern as one case carries it: its own orders and rows, the other orders'
    numbers and rows (positions in the exports, not their contents), how many other
    accounts, and for a burst the span of the payments.  For ``off_platform``: the
    messages (``event_ids``) and what the buyer asked for (``detail``: the channel and
    the id when written)."""

    kind: str
    own_orders: tuple[str, ...] = ()
    own_rows: tuple[Source, ...] = ()
    other_orders: tuple[str, ...] = ()
    other_rows: tuple[Source, ...] = ()
    other_accounts: int = 0
    masked: bool = False
    # How many other orders there are: ``other_orders`` keeps the first
    # MAX_PATTERN_ORDERS_SHOWN (a flash sale's burst of thousands would otherwise give
    # each of its thousands of cases every other order: memory quadratic in the burst).
    other_total: int = 0
    minutes: float | None = None
    event_ids: tuple[str, ...] = ()
    detail: tuple[str, ...] = ()


def order_refs(keyed: Mapping[object, Sequence[Event]]) -> list[OrderRef]:
    """Each paid order of the run once (an order in two exports is one order, with both
    rows), from the order events of every case."""
    seen: dict[str, OrderRef] = {}
    for key, events in keyed.items():
        for e in events:
            o = e.order
            if e.kind != "order" or o is None or o.paid is None or e.buyer is None:
                continue
            sources = tuple(sorted(set(e.all_sources())))
            phones = tuple(dict.fromkeys(k for k in (phone_key(o.phone), phone_key(o.tel)) if k))
            ref = OrderRef(o.id, e.buyer, key, o.paid, sources, item_key(o.item), phones, address_key(o.address))
            old = seen.get(o.id)
            if old is None:
                seen[o.id] = ref
            elif old.buyer == ref.buyer:
                seen[o.id] = replace(old, sources=tuple(sorted(set(old.sources) | set(sources))))
            # an order number under two buyers is the join's business, not a pattern's
    return sorted(seen.values(), key=lambda r: (r.paid, r.order_id))


def _bursts(refs: Sequence[OrderRef]) -> list[RunPattern]:
    """Per item, the payments in time order; every window of BURST_WINDOW holding
    BURST_MIN_ACCOUNTS accounts marks its orders, and overlapping windows are one burst."""
    by_item: dict[str, list[OrderRef]] = defaultdict(list)
    for r in refs:
        if r.item:
            by_item[r.item].append(r)
    out: list[RunPattern] = []
    for item, orders in sorted(by_item.items()):
        orders.sort(key=lambda r: (r.paid, r.order_id))
        clusters: list[list[int]] = []
        end = 0
        counts: dict[str, int] = defaultdict(int)
        for start in range(len(orders)):
            while end < len(orders) and orders[end].paid - orders[start].paid <= BURST_WINDOW:
                counts[orders[end].buyer] += 1
                end += 1
            if len(counts) >= BURST_MIN_ACCOUNTS:
                if clusters and start <= clusters[-1][1]:
                    clusters[-1][1] = end - 1
                else:
                    clusters.append([start, end - 1])
            counts[orders[start].buyer] -= 1
            if not counts[orders[start].buyer]:
                del counts[orders[start].buyer]
        for first, last in clusters:
            out.append(RunPattern(BURST, item, False, tuple(orders[first:last + 1])))
    return out


def _shared(refs: Sequence[OrderRef], kind: str) -> list[RunPattern]:
    groups: dict[tuple[str, bool], list[OrderRef]] = defaultdict(list)
    for r in refs:
        keys = r.phones if kind == SHARED_PHONE else ((r.address,) if r.address else ())
        for k in keys:
            groups[k].append(r)
    return [RunPattern(kind, value, masked, tuple(orders))
            for (value, masked), orders in sorted(groups.items())
            if len({o.buyer for o in orders}) >= 2]


def find_patterns(refs: Sequence[OrderRef]) -> list[RunPattern]:
    return _bursts(refs) + _shared(refs, SHARED_PHONE) + _shared(refs, SHARED_ADDRESS)


def run_patterns(keyed: Mapping[object, Sequence[Event]]) -> dict[object, tuple[CasePattern, ...]]:
    """The patterns each case is in, keyed like ``keyed`` (case key → its aside events)."""
    out: dict[object, list[CasePattern]] = defaultdict(list)
    for p in find_patterns(order_refs(keyed)):
        # Linear in the pattern's orders for each case's counts, and at most
        # MAX_PATTERN_ORDERS_SHOWN others listed: a burst of thousands stays cheap.  A
        # case's own orders are all kept (bounded by the case), so each of its register
        # rows names the pattern.
        by_case: dict[object, list[OrderRef]] = defaultdict(list)
        per_buyer: dict[str, int] = defaultdict(int)
        for o in p.orders:
            by_case[o.case].append(o)
            per_buyer[o.buyer] += 1
        span = (p.orders[-1].paid - p.orders[0].paid).total_seconds() / 60 if p.kind == BURST else None
        for case, mine in by_case.items():
            buyers = {o.buyer for o in mine}
            total = len(p.orders) - sum(per_buyer[b] for b in buyers)
            if not total:
                continue  # the same account in two shops shares with itself
            shown: list[OrderRef] = []
            for o in p.orders:
                if o.buyer not in buyers:
                    shown.append(o)
                    if len(shown) == MAX_PATTERN_ORDERS_SHOWN:
                        break
            out[case].append(CasePattern(
                p.kind, tuple(o.order_id for o in mine), tuple(s for o in mine for s in o.sources),
                tuple(o.order_id for o in shown), tuple(s for o in shown for s in o.sources),
                len(per_buyer) - len(buyers), p.masked, other_total=total, minutes=span))
    return {k: tuple(v) for k, v in out.items()}


# ---------------------------------------------------------------------------
# 要求站外联系


# The channels; a Latin one only where no letter or digit runs into it (WX2000 is a model).
_C = r"(?:微信|威信|薇信|微心|徽信|扣扣|企鹅号?|(?<![a-z0-9])(?:v信|vx|wx|weixin|wechat|qq)(?![a-z0-9]))"
_ID = r"([a-z][-_a-z0-9]{5,19}|\d{5,12})"
_OFF_PLATFORM_RES = tuple(re.compile(p, re.IGNORECASE) for p in (
    # 加我微信, 加个vx, 加下QQ, 加你微信
    r"加(?:一下|一个|下|个|個)?(?:我|你|您)?(?:的)?(?:私人)?" + _C,
    # 我微信是abc123, vx: abc_123, QQ号 12345678
    _C + r"(?:号|號|号码|號碼)?\s*(?:是|[:：])?\s*" + _ID,
    # 微信聊, vx上联系, QQ详谈, 微信转账给你
    _C + r"(?:上)?(?:聊|说|說|谈|談|联系|聯繫|联繫|聯系|沟通|溝通|详谈|詳談|私聊|找我|加我|转账|轉賬|转你|發你|发你)",
    # 你有微信吗, 留个QQ吧
    r"(?:有|留|给|給)(?:个|個|一个|下)?(?:你的|我|你)?" + _C + r"(?:吗|嗎|么|麼|不|吧|号|號)",
    r"私下(?:联系|聯繫|联繫|交易|沟通|溝通|聊|说|說|处理|處理|解决|解決|转账|轉賬|给你|給你|退|谈|談)|私聊",
    r"加(?:个|個|一下|下)?好友",
    r"(?:打|加)我(?:的)?私人(?:电话|電話|手机|手機|号码|號碼)?|私人(?:电话|電話|手机|手機|号码|號碼)",
))
# Not a request: the channel as a way to pay, a channel of the shop's, and a negation
# just before the words (不加微信, 不要私下联系, 别加好友).
_NOT_A_REQUEST_RE = re.compile(_C + r"(?:支付|付款|付的|付了|钱包|錢包|零钱|零錢|红包|紅包|公众号|公眾號|小程序|扫码付)",
                               re.IGNORECASE)
_NEGATION_RE = re.compile(r"(?:不|别|別|不要|不用|不会|不會|不能|不可以|不准|禁止|拒绝|拒絕|没|沒|勿)"
                          r"(?:要|用|想|去|再|会|會|能)?(?:我|你|您)?$")
# 能不能加个微信 asks; it negates nothing.
_ASKING_RE = re.compile(r"(?:能不能|可不可以|可不可|要不要|会不会|會不會|行不行|用不用)(?:我|你|您)?$")
_ID_AFTER_RE = re.compile(r"^(?:号|號|号码|號碼)?\s*(?:是|[:：])?\s*" + _ID, re.IGNORECASE)
_CHANNEL_RE = re.compile(_C, re.IGNORECASE)


def off_platform_request(text: str) -> tuple[str, ...]:
    """The words of a buyer's request to move off the platform, and the id when written
    (``("加我微信", "微信", "abc123")``); () when the text makes none.  Read on the
    text's half-width form; each match looks at most 20 characters around it, so the
    cost is linear in the text."""
    norm = _nfkc(text)
    # Non-overlapping and in order: a match is inside one when the last span starting at
    # or before it reaches it (bisection, so a message of thousands stays linear).
    excluded = [m.span() for m in _NOT_A_REQUEST_RE.finditer(norm)]
    starts = [s for s, _ in excluded]
    for rx in _OFF_PLATFORM_RES:
        for m in rx.finditer(norm):
            start, end = m.span()
            i = bisect_right(starts, end - 1) - 1
            if i >= 0 and excluded[i][1] > start:
                continue
            before = norm[max(0, start - 6):start]
            if _NEGATION_RE.search(before) and not _ASKING_RE.search(before):
                continue
            found = [m.group(0)]
            channel = _CHANNEL_RE.search(m.group(0))
            if channel:
                word = channel.group(0).lower()
                found.append("QQ" if word in ("qq", "扣扣") or word.startswith("企鹅") else "微信")
                written = m.group(1) if m.lastindex else None
                if written is None:
                    after = _ID_AFTER_RE.match(norm[end:end + 24])
                    written = after.group(1) if after else None
                if written:
                    found.append(written)
            return tuple(found)
    return ()


def flag_off_platform(events: Iterable[Event]) -> list[Event]:
    """The events, a buyer's message asking to leave the platform flagged ``off_platform``."""
    out = []
    for e in events:
        if (e.role == "buyer" and e.kind == "message" and "off_platform" not in e.flags
                and off_platform_request(e.text)):
            e = replace(e, flags=e.flags + ("off_platform",))
        out.append(e)
    return out


def off_platform_patterns(case_events: Sequence[object]) -> tuple[CasePattern, ...]:
    """One pattern for a case's flagged messages (``CaseEvent``s), with what was asked."""
    flagged = [ce for ce in case_events if "off_platform" in ce.event.flags]
    if not flagged:
        return ()
    detail: dict[str, None] = {}
    for ce in flagged:
        for word in off_platform_request(ce.event.text)[1:]:
            detail[word] = None
    return (CasePattern(OFF_PLATFORM, own_rows=tuple(ce.event.source for ce in flagged),
                        event_ids=tuple(ce.id for ce in flagged), detail=tuple(detail)),)
