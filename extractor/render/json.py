"""The case as JSON: its events with their tags and sources, and every finding.

Byte-identical for the same inputs and options: no generation time, no command line,
keys in a fixed order, times as ISO strings.  Phone numbers are masked unless the run
says not to (``phones_masked`` records which).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

from .. import __version__
from ..cases import Attempt, Case, ContactWindow, Shipment
from ..model import Event, event_to_dict, source_to_dict
from ..review import event_key
from .context import RenderContext
from .view import Masker, masker

SCHEMA = "evidence-case/1"


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _hours(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 3600, 2)


def masked_event(event: Event, m: Masker) -> Event:
    call = event.call and replace(event.call, number=m(event.call.number) if event.call.number else None)
    order = event.order and replace(event.order, phone=m(event.order.phone) if event.order.phone else None,
                                    tel=m(event.order.tel) if event.order.tel else None)
    tags = tuple(replace(t, evidence=tuple(m(w) for w in t.evidence)) for t in event.tags)
    return replace(event, text=m(event.text), sender=m(event.sender) if event.sender else None,
                   buyer=m(event.buyer) if event.buyer else None, call=call, order=order, tags=tags)


def _shipment(s: Shipment | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"time": _iso(s.time), "earliest": _iso(s.earliest), "precision": s.precision,
            "event": s.event_id, "via": s.via, "carrier": s.carrier, "tracking": s.tracking}


def _attempt(a: Attempt) -> dict[str, Any]:
    return {"events": list(a.event_ids), "time": _iso(a.time), "channel": a.channel,
            "initiated": a.initiated, "answered_by": a.answered_by}


def _window(w: ContactWindow) -> dict[str, Any]:
    return {"name": w.name, "wangwang": w.count("wangwang"), "phone": w.count("phone"),
            "initiated": w.initiated, "answered": w.answered, "attempts": [_attempt(a) for a in w.attempts]}


def case_to_dict(case: Case, mask: bool = True) -> dict[str, Any]:
    m = masker(mask)
    s = case.silence
    return {
        "schema": SCHEMA,
        "tool": {"name": "evidence", "version": __version__},
        "buyer": m(case.buyer),
        "shop": m(case.shop) if case.shop else None,
        **({"conversation": case.conversation} if case.conversation else {}),
        "ship_within_hours": case.ship_within_hours,
        "phones_masked": mask,
        "risk": case.risk,
        "summary": [{"text": m(x.text), "events": list(x.event_ids)} for x in case.summary],
        "orders": [{
            "id": o.order_id, "event": o.event_id, "paid": _iso(o.paid), "deadline": _iso(o.deadline),
            "shipment": _shipment(o.shipment), "shipped_on_time": o.shipped_on_time,
            "contacts": {"before_deadline": _window(o.before_deadline), "after_deadline": _window(o.after_deadline)},
        } for o in case.orders],
        "other_contacts": _window(case.other_contacts),
        "silence": None if s is None else {
            "hours": s.hours, "from": s.from_id, "until": s.until_id, "start": _iso(s.start), "end": _iso(s.end)},
        "promises": [{
            "event": p.event_id, "time": _iso(p.time), "deadline": _iso(p.deadline),
            "evidence": [m(w) for w in p.evidence], "shipment": _shipment(p.shipment), "status": p.status,
        } for p in case.promises],
        "claims": [{
            "event": c.event_id, "time": _iso(c.time), "label": c.label, "reason": c.reason,
            "evidence": [m(w) for w in c.evidence], "order": c.order_id,
            "hours_since_payment": _hours(c.since_payment), "hours_since_deadline": _hours(c.since_deadline),
            "hours_since_shipment": _hours(c.since_shipment),
            **({"score": c.score} if c.score is not None else {}),
            **({"confidence": c.confidence} if c.confidence is not None else {}),
        } for c in case.claims],
        # found, but not sure enough on real chats to state (extractor.nlp.calibration)
        "unsure_claims": [{
            "event": c.event_id, "time": _iso(c.time), "label": c.label, "reason": c.reason,
            "evidence": [m(w) for w in c.evidence], "confidence": c.confidence,
        } for c in case.unsure],
        # 异常拍下 (extractor.patterns): the other orders by number only, this case's rows
        **({"patterns": [{
            "kind": p.kind, "orders": list(p.own_orders), "rows": [source_to_dict(r) for r in dict.fromkeys(p.own_rows)],
            "other_orders": list(p.other_orders), "other_orders_total": p.other_total,
            "other_accounts": p.other_accounts, "masked": p.masked,
            "minutes": p.minutes, "events": list(p.event_ids), "detail": [m(w) for w in p.detail],
        } for p in case.patterns]} if case.patterns else {}),
        # "key": the event's identity across runs, what a review decision names (extractor.review)
        "events": [{"id": ce.id, "key": event_key(ce.event), **event_to_dict(masked_event(ce.event, m), with_tags=True)}
                   for ce in case.events],
        "files": [{
            "file": f.file, "sha256": f.sha256, "size": f.size, "format": f.format,
            "events": f.events, "events_in_case": case.events_in_file(f.file),
            "warnings": [str(w) for w in f.warnings],
        } for f in case.files],
    }


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def dumps(data: dict[str, Any]) -> bytes:
    """The case as JSON: one top-level field a line and one list item (an event, a file)
    a line.  Readable and diffable, and written by json's C encoder: ``indent=`` would
    fall back to the pure-Python one, several times slower on a batch of 10,000 cases."""
    lines = []
    for key, value in data.items():
        if isinstance(value, list) and value:
            items = ",\n".join(f"    {_compact(item)}" for item in value)
            lines.append(f"  {_compact(key)}: [\n{items}\n  ]")
        else:
            lines.append(f"  {_compact(key)}: {_compact(value)}")
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode("utf-8")


def render_case_json(case: Case, ctx: RenderContext) -> bytes:
    return dumps(case_to_dict(case, ctx.mask))
