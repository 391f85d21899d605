"""Calls and call notes the join could not place, assigned to a buyer by the user.

The join never guesses (:mod:`extractor.join`): what fits no buyer, or several, stays
unassigned and is listed in the run's index with an id.  A person who knows whose call it
was writes it down in a small file, ``--assign FILE``, and the join stage applies it::

    # event,buyer
    U3f9a20c1,tb_lin8866

CSV (``event,buyer`` a line; a header line of those two words and ``#`` comments are
allowed) or JSON (``{"U3f9a20c1": "tb_lin8866"}``, or a list of ``{"event": …,
"buyer": …}``).  An id is the event's own: a digest of where it was read (file hash and
line, row or page, for each of its records) and its time, so it stays the same from run
to run and names nothing else if the exports change.  Every line is checked: a malformed
one, an id that is not among the run's unassigned events, or a buyer who is in none of
the inputs is a usage error naming the file and the line, and nothing is written.  Each
assignment made is a warning on the event's file, so the report says it was made by hand.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from .errors import UsageError
from .i18n import N_, said
from .model import Event, ParseWarning

_ID = re.compile(r"U[0-9a-f]{8}")
MAX_BYTES = 1 << 20  # a hand-written list; a larger file is not one
EXAMPLE_BUYER = "买家旺旺名"


def unassigned_id(event: Event) -> str:
    """The id an unassigned event is listed and assigned by: ``U`` and 8 hex digits."""
    h = hashlib.sha256(event.time.isoformat().encode("utf-8"))
    for s in event.all_sources():
        h.update(f"\0{s.sha256}|{s.line}|{s.row}|{s.page}|{s.sheet}".encode("utf-8"))
    return "U" + h.hexdigest()[:8]


@dataclass(frozen=True)
class Assignment:
    event_id: str
    buyer: str
    line: int  # the line of the file it was written on


@dataclass(frozen=True)
class Assignments:
    path: str
    items: tuple[Assignment, ...]

    def where(self, line: int) -> str:
        return f"{Path(self.path).name}:{line}"


def _fail(path: str, line: int | None, problem: str, /, **args: object) -> UsageError:
    """``problem``: a template (N_) and its ``args``, said in the terminal's language."""
    where = f"{path}:{line}" if line is not None else path
    return UsageError(N_("--assign {where}: {problem}"), where=where, problem=said(problem, **args))


def load_assignments(path: str) -> Assignments:
    """The file, read and checked line by line (ids and buyers are checked against the
    run by :func:`apply_assignments`)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise _fail(path, None, N_("cannot read ({problem})"), problem=exc.strerror or exc) from None
    if len(data) > MAX_BYTES:
        raise _fail(path, None, N_("{size} bytes: an assignment file is a short list of event,buyer lines"),
                    size=len(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _fail(path, None, N_("not UTF-8 text")) from None
    rows = _json_rows(path, text) if text.lstrip().startswith(("{", "[")) else _csv_rows(path, text)
    items: list[Assignment] = []
    seen: dict[str, int] = {}
    for line, event_id, buyer in rows:
        if not _ID.fullmatch(event_id):
            raise _fail(path, line, N_("{event!r} is not an event id (U and 8 hex digits, as the index lists them)"),
                        event=event_id)
        if not buyer:
            raise _fail(path, line, N_("no buyer for {event}"), event=event_id)
        if event_id in seen:
            raise _fail(path, line, N_("{event} is assigned twice (also on line {line})"), event=event_id,
                        line=seen[event_id])
        seen[event_id] = line
        items.append(Assignment(event_id, buyer, line))
    return Assignments(path, tuple(items))


def _csv_rows(path: str, text: str) -> list[tuple[int, str, str]]:
    rows = []
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cells = next(csv.reader([raw]))
        cells = [c.strip() for c in cells]
        if [c.lower() for c in cells] == ["event", "buyer"]:
            continue
        if len(cells) != 2:
            raise _fail(path, line, N_("expected two fields, event,buyer (got {count}: {text!r})"), count=len(cells),
                        text=raw.strip()[:80])
        rows.append((line, cells[0], cells[1]))
    return rows


def _json_rows(path: str, text: str) -> list[tuple[int, str, str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(path, exc.lineno, N_("not valid JSON ({problem})"), problem=exc.msg) from None
    lines = text.splitlines()

    def line_of(key: str) -> int:
        quoted = json.dumps(key, ensure_ascii=False)
        return next((n for n, raw in enumerate(lines, 1) if quoted in raw), 1)

    if isinstance(data, dict):
        pairs = list(data.items())
    elif isinstance(data, list):
        pairs = []
        for n, item in enumerate(data, 1):
            if not (isinstance(item, dict) and set(item) == {"event", "buyer"}):
                raise _fail(path, None, N_("item {n}: expected {{\"event\": …, \"buyer\": …}}"), n=n)
            pairs.append((item["event"], item["buyer"]))
    else:
        # no args: the template is the text (its braces are not formatted)
        raise _fail(path, None, N_("expected an object of event id → buyer, or a list of {event, buyer}"))
    rows = []
    for event_id, buyer in pairs:
        if not isinstance(event_id, str) or not isinstance(buyer, str):
            raise _fail(path, line_of(str(event_id)), N_("{event!r}: the event id and the buyer are strings"),
                        event=event_id)
        rows.append((line_of(event_id), event_id.strip(), buyer.strip()))
    return rows


def apply_assignments(unassigned: Sequence[Event], assignments: Assignments | None,
                      buyers: Iterable[str]) -> tuple[list[Event], list[Event], list[ParseWarning]]:
    """(the events assigned, with their buyer; those still unassigned; a warning per
    assignment, on the event's file).  An id not among ``unassigned`` or a buyer not
    among ``buyers`` is a UsageError naming the line."""
    if assignments is None or not assignments.items:
        return [], list(unassigned), []
    by_id: Mapping[str, Event] = {unassigned_id(e): e for e in unassigned}
    known = set(buyers)
    wanted: dict[str, Assignment] = {}
    for a in assignments.items:
        if a.event_id not in by_id:
            listed = ", ".join(sorted(by_id)[:10]) or "none"
            raise _fail(assignments.path, a.line, N_("unknown event id {event}: not among this run's "
                                                     "unassigned events ({listed})"), event=a.event_id, listed=listed)
        if a.buyer not in known:
            raise _fail(assignments.path, a.line, N_("buyer {buyer!r} is in none of the inputs"), buyer=a.buyer)
        wanted[a.event_id] = a
    assigned, left, warnings = [], [], []
    for event in unassigned:
        a = wanted.get(unassigned_id(event))
        if a is None:
            left.append(event)
            continue
        assigned.append(replace(event, buyer=a.buyer))
        s = event.source
        warnings.append(ParseWarning(s.file, f"assigned to {a.buyer} by hand ({assignments.where(a.line)})",
                                     s.line, s.row, s.page))
    return assigned, left, warnings


def example_line(event_id: str) -> str:
    """A line of an assignment file, for the index to show."""
    return f"{event_id},{EXAMPLE_BUYER}"
