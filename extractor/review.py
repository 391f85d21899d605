"""A person's review of the tagger: confirm a tag, dismiss one, add a missing one.

Decisions are JSON Lines, one per line, so a shop can keep them, merge them and apply
them again to a later run of the same exports::

    {"event": "3f9c…", "action": "dismiss", "label": "return_claim", "reason": "allergy",
     "who": "客服小雅", "at": "2025-07-08T10:02:00+08:00", "note": "买家只是问敏感肌能不能用"}

``event`` is the event's key (:func:`event_key`): a hash of its primary source (the
file's SHA-256 and the line, row or page) with its time, sender and text, so it is the
same event in every run over the same files, whatever its E-number in one report.
Decisions apply after tagging and before the findings: a dismissed tag is gone from the
case (the decisions file is the record of why), a confirmed or added one carries
``reviewed`` and the report marks it 人工确认 / 人工添加.  A decision whose event is not in
the run is reported, never silently dropped.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .errors import UsageError
from .i18n import N_
from .labels import registry
from .model import Event, Tag

ACTIONS = ("confirm", "dismiss", "add")


class ReviewError(UsageError):
    """A decisions file that does not validate."""

    code = "E403"


@dataclass(frozen=True)
class Decision:
    event: str
    action: str
    label: str
    reason: str | None = None
    who: str = ""
    at: str = ""  # ISO 8601 with offset, as written by the reviewer's tool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"event": self.event, "action": self.action, "label": self.label}
        for key in ("reason", "who", "at", "note"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out


def event_key(event: Event) -> str:
    """The event's identity across runs over the same files (see the module doc)."""
    s = event.source
    where = f"{s.sha256}|{s.sheet or ''}|{s.line}|{s.row}|{s.page}"
    body = f"{where}|{event.time.isoformat()}|{event.sender or ''}|{event.kind}|{event.text}"
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:20]


def decision_from_dict(data: Any, where: str) -> Decision:
    if not isinstance(data, dict):
        raise ReviewError(N_("{where}: a decision is a JSON object"), where=where)
    for key in ("event", "action", "label"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ReviewError(N_("{where}: {key!r} is missing or not a string"), where=where, key=key)
    if data["action"] not in ACTIONS:
        raise ReviewError(N_("{where}: action {action!r} is not one of {actions}"), where=where,
                          action=data["action"], actions=", ".join(ACTIONS))
    label = registry().get(data["label"])
    if label is None:
        raise ReviewError(N_("{where}: unknown label {label!r}"), where=where, label=data["label"])
    reason = data.get("reason")
    if reason is not None and (not isinstance(reason, str) or label.reason(reason) is None):
        known = ", ".join(r.name for r in label.reasons) or "none"
        raise ReviewError(N_("{where}: label {label!r} has no reason {reason!r} (its reasons: {known})"),
                          where=where, label=label.name, reason=reason, known=known)
    if data["action"] == "add" and label.reasons and reason is None:
        raise ReviewError(N_("{where}: adding {label!r} needs its reason"), where=where, label=label.name)
    at = data.get("at") or ""
    if at:
        try:
            if datetime.fromisoformat(str(at)).tzinfo is None:
                raise ValueError
        except ValueError:
            raise ReviewError(N_("{where}: 'at' must be an ISO 8601 time with its offset, not {at!r}"), where=where,
                              at=at) from None
    return Decision(data["event"], data["action"], data["label"], reason, str(data.get("who") or ""), str(at),
                    str(data.get("note") or ""))


def read_decisions(path: str | Path) -> list[Decision]:
    return [d for _, d in read_numbered_decisions(path)]


def read_numbered_decisions(path: str | Path) -> list[tuple[int, Decision]]:
    """The decisions of ``path`` with the line each is on (for a message that names it)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ReviewError(N_("{path}: cannot read the decisions file ({problem})"), path=path,
                          problem=exc.strerror or exc) from None
    except UnicodeDecodeError:
        raise ReviewError(N_("{path}: the decisions file is not UTF-8"), path=path) from None
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ReviewError(N_("{path}:{line}: not JSON ({problem})"), path=path, line=number,
                              problem=exc.msg) from None
        out.append((number, decision_from_dict(data, f"{path}:{number}")))
    return out


@lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int, size: int) -> tuple[Decision, ...]:
    return tuple(read_decisions(path))


def decisions_for(path: str | Path) -> tuple[Decision, ...]:
    """The decisions of ``path``, read once per process while the file is unchanged."""
    st = Path(path).stat()
    return _cached(str(path), st.st_mtime_ns, st.st_size)


def write_decisions(decisions: Iterable[Decision]) -> str:
    return "".join(json.dumps(d.to_dict(), ensure_ascii=False) + "\n" for d in decisions)


def _matches(tag: Tag, d: Decision) -> bool:
    return tag.label == d.label and (d.reason is None or tag.reason == d.reason)


@dataclass(frozen=True)
class ReviewOutcome:
    events: tuple[Event, ...]
    applied: tuple[Decision, ...]
    unmatched: tuple[Decision, ...]  # their event is not among these events, or nothing to act on


def apply_decisions(events: Sequence[Event], decisions: Sequence[Decision]) -> ReviewOutcome:
    """The events with the decisions applied, the later decision on the same tag winning."""
    by_key: dict[str, list[Decision]] = {}
    for d in decisions:
        by_key.setdefault(d.event, []).append(d)
    applied: list[Decision] = []
    used: set[int] = set()
    out = []
    for event in events:
        mine = by_key.get(event_key(event))
        if not mine:
            out.append(event)
            continue
        tags = list(event.tags)
        for d in mine:
            hit = [i for i, t in enumerate(tags) if _matches(t, d)]
            if d.action == "dismiss" and hit:
                tags = [t for i, t in enumerate(tags) if i not in hit]
            elif d.action == "confirm" and hit:
                tags = [replace(t, reviewed="confirmed") if i in hit else t for i, t in enumerate(tags)]
            elif d.action == "add":
                if hit:
                    tags = [replace(t, reviewed="confirmed") if i in hit else t for i, t in enumerate(tags)]
                else:
                    tags.append(Tag(d.label, reason=d.reason, reviewed="added"))
            else:
                continue
            applied.append(d)
            used.add(id(d))
        out.append(replace(event, tags=_in_label_order(tags)) if tuple(tags) != event.tags else event)
    unmatched = tuple(d for d in decisions if id(d) not in used)
    return ReviewOutcome(tuple(out), tuple(applied), unmatched)


def _in_label_order(tags: list[Tag]) -> tuple[Tag, ...]:
    order = {label.name: i for i, label in enumerate(registry().labels)}
    return tuple(sorted(tags, key=lambda t: order.get(t.label, len(order))))


def review_summary(outcome: ReviewOutcome) -> Mapping[str, int]:
    counts = {a: 0 for a in ACTIONS}
    for d in outcome.applied:
        counts[d.action] += 1
    return {**counts, "unmatched": len(outcome.unmatched)}
