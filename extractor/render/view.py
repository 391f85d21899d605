"""What a report shows of a case: plain values, phone numbers masked (unless asked
not to), times formatted, ready for the templates and the register.

Masking happens here, once, so the HTML, the PDF, the JSON and the register can never
disagree about what is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any, Callable, Sequence

from ..cases import (PHONE, WANGWANG, Case, ClaimFinding, ContactWindow, OrderFinding, Shipment,
                     claim_name_zh, risk_flag_for, zh_span)
from ..display import name_label
from ..model import Event, FileReport, Source, Tag
from .filenames import unique_attachment_names
from .warnings import warning_zh
from ..labels import registry
from ..limits import MAX_PATTERN_ORDERS_SHOWN, MAX_SHOWN_MESSAGE_CHARS
from ..patterns import BURST, KIND_ZH, OFF_PLATFORM, SHARED_PHONE, CasePattern
from .env import CHANNEL_ZH, FLAG_ZH, ROLE_ZH, TAG_ZH, evidence_words, mask_phones, zh_datetime

Masker = Callable[[str], str]

PROMISE_STATUS_ZH = {"kept": "按时发货", "late": "晚于承诺", "undetermined": "无法判断",
                     "no_deadline": "未说明时间", "no_shipment": "未见发货"}
WINDOW_ZH = {"before_payment": "付款前", "before_deadline": "付款后至发货时限",
             "after_deadline": "发货时限后", "no_order": "无订单记录"}
REGISTER_COLUMNS = ("订单编号", "买家旺旺", "付款时间", "发货时间", "卖家联系次数", "买家回复次数",
                    "最长沉默(小时)", "主张", "风险提示", "店铺")


REVIEWED_ZH = {"confirmed": "人工确认", "added": "人工添加"}


def masker(enabled: bool) -> Masker:
    return mask_phones if enabled else (lambda s: s)


def _opt(m: Masker, value: str | None) -> str | None:
    return m(value) if value is not None else None


def tag_detail(tag: Tag, m: Masker) -> str:
    """The attribute a badge shows after its label (the registry's ``detail``)."""
    label = registry().get(tag.label)
    detail = label.detail if label else None
    if detail == "reason" and tag.reason:
        reason = label.reason(tag.reason)
        return reason.zh if reason else tag.reason
    if detail == "deadline":
        return f"{zh_datetime(tag.deadline, seconds=False)}前" if tag.deadline else "未说明时间"
    if detail == "tracking" and tag.tracking:
        return m(tag.tracking)
    if detail == "hours" and tag.hours is not None:
        return f"{tag.hours:g}小时"
    if detail == "evidence" and tag.evidence:
        return m("/".join(dict.fromkeys(tag.evidence)))
    return ""


def shipment_time(ship: Shipment | None) -> str:
    """A shipment's time as exactly as its evidence gives it: a time, a window, a day,
    or 不晚于 the message that said it had shipped without saying when."""
    if ship is None:
        return ""
    if ship.earliest is None:
        return f"不晚于 {zh_datetime(ship.time)}"
    if ship.precision == "day":
        return f"{ship.earliest:%Y-%m-%d}"
    if ship.earliest == ship.time:
        return zh_datetime(ship.time)
    return f"{zh_datetime(ship.earliest, seconds=False)} 至 {ship.time:%H:%M}"


def _shipped_detail(tag: Tag, event_time: datetime | None) -> str:
    """The window a message's words date its shipment to (昨天已经发出 → that day), when it
    is not simply the event's own time."""
    if tag.label != "shipped" or tag.shipped_at is None or tag.shipped_at_latest is None:
        return ""
    if tag.shipped_at == tag.shipped_at_latest == event_time:
        return ""
    if tag.precision == "day":
        return f"发货于{tag.shipped_at:%Y-%m-%d}"
    if tag.shipped_at == tag.shipped_at_latest:
        return f"发货于{zh_datetime(tag.shipped_at, seconds=False)}"
    return f"发货于{zh_datetime(tag.shipped_at, seconds=False)}至{tag.shipped_at_latest:%H:%M}"


def _detail(tag: Tag, m: Masker, event_time: datetime | None) -> str:
    return " · ".join(x for x in (tag_detail(tag, m), _shipped_detail(tag, event_time)) if x)


def _with_score(detail: str, tag: Tag) -> str:
    """A tag the statistical backoff made says so, with its probability: a reader weighs
    it differently from a rule's."""
    if tag.score is None:
        return detail
    return f"{detail} · 模型 {tag.score:.2f}" if detail else f"模型 {tag.score:.2f}"


def _call_line(event: Event, m: Masker) -> str:
    call = event.call
    if call is None:
        return ""
    parts = ["呼出" if call.direction == "out" else "呼入"]
    if call.duration_s is not None:
        parts.append(f"{call.duration_s}秒")
    parts.append("已接通" if call.answered else "未接通")
    if call.number:
        parts.append(m(call.number))
    return " · ".join(parts)


def _order_line(event: Event, m: Masker) -> str:
    o = event.order
    if o is None:
        return ""
    parts = [f"订单 {name_label(o.id)}"]
    if o.paid:
        parts.append(f"付款 {zh_datetime(o.paid)}")
    if o.shipped:
        parts.append(f"发货 {zh_datetime(o.shipped)}")
    if o.carrier or o.tracking:
        parts.append(" ".join(x for x in (o.carrier, m(o.tracking) if o.tracking else None) if x))
    if o.phone:
        parts.append(f"手机 {m(o.phone)}")
    return " · ".join(parts)


def source_names(files: Sequence[FileReport]) -> dict[str, str]:
    """Short, unique names for the case's files: the names their PDF attachments carry;
    the appendix maps each to its full path and SHA-256."""
    return unique_attachment_names(f.file for f in files)


def base_name(path: str) -> str:
    """A file as the uploadable outputs name it (HTML, PDF, index): no folders, which
    would show a user's name (``C:\\Users\\<name>\\…``); the full path is in the JSON."""
    return PurePath(path.replace("\\", "/")).name or path


def _where(source: Source, names: dict[str, str] | None) -> str:
    if names and source.file in names:
        return replace(source, file=names[source.file]).where()
    return replace(source, file=base_name(source.file)).where()


def _shown_text(event: Event, m: Masker) -> tuple[str, str]:
    """The text the HTML and PDF show, and the note when it is cut: past
    MAX_SHOWN_MESSAGE_CHARS only the start is shown (masked whole first, so that no
    phone number is cut to a fragment the masker no longer knows); the JSON report and
    the timeline keep the whole text."""
    text = m(event.text)
    if len(text) <= MAX_SHOWN_MESSAGE_CHARS:
        return text, ""
    return text[:MAX_SHOWN_MESSAGE_CHARS], (
        f"…（此消息共 {len(text)} 字符，此处只显示前 {MAX_SHOWN_MESSAGE_CHARS} 字符；全文见本案的 JSON 报告）")


def event_view(event_id: str, event: Event, m: Masker, names: dict[str, str] | None = None) -> dict[str, Any]:
    text, cut = _shown_text(event, m)
    return {
        "id": event_id,
        "time": zh_datetime(event.time),
        "iso": event.time.isoformat(),
        "kind": event.kind,
        "role": event.role,
        "channel": CHANNEL_ZH.get(event.kind, event.kind),
        "who": m(event.sender) if event.sender else ROLE_ZH.get(event.role, event.role),
        "role_zh": ROLE_ZH.get(event.role, event.role),
        "text": text,
        "cut": cut,
        "marks": [m(w) for w in evidence_words(event.tags)],
        "call": _call_line(event, m),
        "order": _order_line(event, m),
        "tags": [{"label": t.label, "zh": TAG_ZH.get(t.label, t.label), "detail": _with_score(_detail(t, m, event.time), t),
                  "reviewed": REVIEWED_ZH.get(t.reviewed or "")}
                 for t in event.tags],
        "sources": [_where(s, names) for s in event.all_sources()],
        "flags": [FLAG_ZH.get(f, f) for f in event.flags],
        "recorded": [s.where() for s in event.recorded],
    }


def _window_view(order_id: str | None, window: ContactWindow) -> dict[str, Any]:
    return {
        "order": order_id, "window": WINDOW_ZH.get(window.name, window.name),
        "wangwang": window.count(WANGWANG), "phone": window.count(PHONE),
        "initiated": window.initiated, "answered": window.answered, "total": len(window.attempts),
        "ids": [a.id for a in window.attempts],
    }


def _relative(delta: timedelta | None, before: str, after: str) -> str:
    if delta is None:
        return "—"
    return f"{after}{zh_span(delta)}" if delta >= timedelta(0) else f"{before}{zh_span(delta)}"


def claim_view(c: ClaimFinding, m: Masker) -> dict[str, Any]:
    return {
        "id": c.event_id, "time": zh_datetime(c.time), "label": c.label,
        "name": m(c.name_zh) + (f" · 模型 {c.score:.2f}" if c.score is not None else ""),
        "tag": TAG_ZH.get(c.label, c.label), "order": c.order_id,
        "since_payment": _relative(c.since_payment, "付款前", "付款后"),
        "vs_deadline": _relative(c.since_deadline, "时限前", "超过时限"),
        "vs_shipment": _relative(c.since_shipment, "发货前", "发货后") if c.since_shipment is not None else "未见发货",
    }


def _order_view(o: OrderFinding) -> dict[str, Any]:
    ship = o.shipment
    return {
        "id": o.order_id, "event_id": o.event_id,
        "paid": zh_datetime(o.paid), "deadline": zh_datetime(o.deadline),
        "shipped": shipment_time(ship),
        "shipment_id": ship.event_id if ship else None,
        "carrier": (ship.carrier or "") if ship else "", "tracking": (ship.tracking or "") if ship else "",
        "on_time": o.shipped_on_time,
    }


def _ids_shown(sentence: str, case: Case) -> str:
    """A summary sentence with each order id it names shown as the header shows it (an id
    with a hidden character gets its code points and 可疑)."""
    for o in case.orders:
        if o.order_id and o.order_id in sentence and name_label(o.order_id) != o.order_id:
            sentence = sentence.replace(o.order_id, name_label(o.order_id))
    return sentence


def _ids(ids: Sequence[str], total: int = 0) -> str:
    """Order numbers, at most MAX_PATTERN_ORDERS_SHOWN of them, then how many in all."""
    total = max(total, len(ids))
    shown = "、".join(name_label(i) for i in ids[:MAX_PATTERN_ORDERS_SHOWN])
    return shown + (f" 等{total}单" if total > MAX_PATTERN_ORDERS_SHOWN else "")


def _rows(sources: Sequence[Source]) -> str:
    """Export rows by file, ``a.csv 第2、5行、b.csv 第3行`` (base names), at most
    MAX_PATTERN_ORDERS_SHOWN rows, then how many more."""
    by_file: dict[str, list[str]] = {}
    shown = list(dict.fromkeys(sources))
    for s in shown[:MAX_PATTERN_ORDERS_SHOWN]:
        if s.row is not None:
            by_file.setdefault(base_name(s.file), []).append(str(s.row))
        else:
            by_file.setdefault(_where(s, None), [])
    text = "、".join(f"{f} 第{'、'.join(sorted(rows, key=int))}行" if rows else f for f, rows in by_file.items())
    return text + ("等" if len(shown) > MAX_PATTERN_ORDERS_SHOWN else "")


def pattern_sentence(p: CasePattern, m: Masker, named: bool = True) -> str:
    """What a case's report says of one pattern: the other orders by number only (never
    their buyers, phones or addresses); ``named``: after the pattern's name."""
    head = f"{KIND_ZH[p.kind]}：" if named else ""
    if p.kind == OFF_PLATFORM:
        asked = "、".join(m(w) for w in p.detail) if p.detail else ""
        return f"{head}买家要求转到平台外联系" + (f"（{asked}）" if asked else "") + \
            f"，见 {'、'.join(p.event_ids)}"
    if p.kind == BURST:
        what = (f"本案订单与另外 {p.other_accounts} 个账号的订单在 {round(p.minutes, 1):g} 分钟内先后付款购买同一宝贝"
                if p.minutes is not None else f"本案订单与另外 {p.other_accounts} 个账号的订单集中购买同一宝贝")
    else:
        thing = "手机号" if p.kind == SHARED_PHONE else "收货地址"
        what = f"本案订单与另外 {p.other_accounts} 个账号的订单{thing}相同"
        if p.masked:
            what += f"（{thing}为打码形式，仅打码后相同，不能断定是同一{'号码' if p.kind == SHARED_PHONE else '地址'}）"
    return f"{head}{what}；其他订单 {_ids(p.other_orders, p.other_total)}"


def pattern_view(p: CasePattern, m: Masker, names: dict[str, str] | None = None) -> dict[str, Any]:
    return {"kind": p.kind, "zh": KIND_ZH.get(p.kind, p.kind), "text": pattern_sentence(p, m, named=False),
            "line": pattern_sentence(p, m),
            "own": [name_label(i) for i in p.own_orders], "others": [name_label(i) for i in p.other_orders],
            "rows": [_where(s, names) for s in dict.fromkeys(p.own_rows)], "ids": list(p.event_ids)}


def register_patterns(case: Case, order_id: str | None, m: Masker) -> list[str]:
    """The 风险提示 of one register row from the case's patterns: each names the other
    orders and cites every order's row (the register is the seller's own list)."""
    out = []
    for p in case.patterns:
        if p.kind == OFF_PLATFORM:
            out.append(f"{pattern_sentence(p, m)}（依据 {_rows(p.own_rows)}）")
        elif order_id is not None and order_id in p.own_orders:
            out.append(f"{pattern_sentence(p, m)}（依据 {_rows(tuple(p.own_rows) + tuple(p.other_rows))}）")
    return out


def case_view(case: Case, mask: bool) -> dict[str, Any]:
    m = masker(mask)
    names = source_names(case.files)
    windows = []
    if case.other_contacts.attempts:
        windows.append(_window_view(None, case.other_contacts))
    for o in case.orders:
        windows.append(_window_view(o.order_id, o.before_deadline))
        windows.append(_window_view(o.order_id, o.after_deadline))
    silence = case.silence
    return {
        "buyer": m(case.buyer),
        "shop": m(case.shop) if case.shop else "",
        "ship_within": f"{case.ship_within_hours:g}",
        "risk": case.risk,
        "orders": [_order_view(o) for o in case.orders],
        "windows": windows,
        "silence": None if silence is None else {
            "hours": f"{silence.hours:g}", "none": silence.hours == 0, "from": silence.from_id, "until": silence.until_id,
            "start": zh_datetime(silence.start), "end": zh_datetime(silence.end)},
        "promises": [{
            "id": p.event_id, "time": zh_datetime(p.time), "deadline": zh_datetime(p.deadline) or "未说明",
            "shipped": shipment_time(p.shipment),
            "shipment_id": p.shipment.event_id if p.shipment else None,
            "status": PROMISE_STATUS_ZH.get(p.status, p.status), "status_code": p.status,
        } for p in case.promises],
        "claims": [claim_view(c, m) for c in case.claims],
        "unsure": [{**claim_view(c, m), "words": [m(w) for w in c.evidence],
                    "confidence": f"{c.confidence:.2f}" if c.confidence is not None else "—"} for c in case.unsure],
        "summary": [{"text": _ids_shown(m(s.text), case), "ids": list(s.event_ids)} for s in case.summary],
        "events": [event_view(ce.id, ce.event, m, names) for ce in case.events],
        "files": [file_view(f, case.events_in_file(f.file), names.get(f.file)) for f in case.files],
        "patterns": [pattern_view(p, m, names) for p in case.patterns],
    }


def file_view(f: FileReport, in_case: int | None = None, short: str | None = None) -> dict[str, Any]:
    base = base_name(f.file)
    return {
        "file": base, "short": short if short != base else None, "sha256": f.sha256 or "", "size": f.size,
        "format": f.format or "", "events": f.events, "in_case": in_case, "warnings": len(f.warnings),
        # the Chinese report's words for each warning (the terminal and the JSON keep the English)
        "warning_lines": [warning_zh(replace(w, file=base)) for w in f.warnings],
        "error": f.error.replace(f.file, base) if f.error else f.error,
        "attached": None,  # the PDF says how it carries the file
    }


# ---------------------------------------------------------------------------
# the register (one row per order) and the run index


def _claims_for(case: Case, order_id: str | None) -> list[ClaimFinding]:
    if order_id is None:
        return list(case.claims)
    first = case.orders[0].order_id if case.orders else None
    return [c for c in case.claims if c.order_id == order_id or (c.order_id is None and order_id == first)]


def register_rows(case: Case, mask: bool) -> list[list[Any]]:
    """Rows of register.csv / register.xlsx for one case, in REGISTER_COLUMNS order."""
    m = masker(mask)
    silence = case.silence.hours if case.silence else ""
    rows: list[list[Any]] = []
    targets: list[OrderFinding | None] = list(case.orders) or [None]
    for order in targets:
        if order is None:
            attempts = case.other_contacts.attempts
        else:
            attempts = order.before_deadline.attempts + order.after_deadline.attempts
        claims = _claims_for(case, order.order_id if order else None)
        rows.append([
            name_label(order.order_id) if order else "",
            name_label(m(case.buyer)),
            zh_datetime(order.paid) if order else "",
            shipment_time(order.shipment) if order else "",
            len(attempts),
            sum(1 for a in attempts if a.answered),
            silence,
            "、".join(dict.fromkeys(m(claim_name_zh(c.label, c.reason, c.evidence)) for c in claims)),
            _risk_cell(risk_flag_for(case.orders, case.promises, case.claims, order.order_id, case.agreements)
                       if order else case.risk, register_patterns(case, order.order_id if order else None, m)),
            m(case.shop) if case.shop else "",
        ])
    return rows


def _risk_cell(risk: str, patterns: Sequence[str]) -> str:
    if not patterns:
        return risk
    # one pattern a line: Excel wraps the cell (the XLSX's cells wrap), a reader sees each
    return "；\n".join(([risk] if risk and risk != "无" else []) + list(patterns))


@dataclass(frozen=True)
class RunIndex:
    """What the run-level outputs (register, index) need, from each case's summary."""

    summaries: tuple[dict[str, Any], ...]
    files: tuple[FileReport, ...]
    unassigned: tuple[Event, ...]
    skipped: tuple[Any, ...] = ()  # extractor.fsutil.Skip: what the walk did not read


def case_summary(case: Case, name: str, mask: bool, outputs: tuple[str, ...]) -> dict[str, Any]:
    """A JSON-able digest of a case for the run's register and index (a batch worker
    returns this instead of the whole case)."""
    m = masker(mask)
    rows = register_rows(case, mask)
    claims = [c for r in rows for c in r[7].split("、") if c]
    return {
        "buyer": m(case.buyer),
        "name": name,
        "contacts": sum(r[4] for r in rows),
        "replies": sum(r[5] for r in rows),
        "silence_hours": case.silence.hours if case.silence else None,
        "claims_text": "、".join(dict.fromkeys(claims)),
        "shop": m(case.shop) if case.shop else "",
        # Where a placeholder nick's conversation starts, by the file's base name.
        "conversation": re.split(r"[\\/]", case.conversation)[-1] if case.conversation else None,
        "orders": [o.order_id for o in case.orders],
        "events": len(case.events),
        "claims": len(case.claims),
        "risk": case.risk,
        "outputs": {kind: f"{name}.{kind}" for kind in outputs},
        "register_rows": rows,
        "first_event": case.events[0].event.time.isoformat() if case.events else None,
    }


def generated_label(generated_at: datetime) -> str:
    return generated_at.strftime("%Y-%m-%d %H:%M:%S %z")
