"""Inputs to one timeline: walk paths, detect formats, parse, merge duplicates, order.

``parse_paths`` is the library function behind ``evidence parse``.  A file that cannot
be read becomes a :class:`FileReport` with an error; the others still go through.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .errors import EvidenceError, InputError, UnreadableFileError
from .i18n import N_
from .model import Event, FileReport, ParseResult, ParseWarning, Source
from .sources import InputFile, ParseContext, ParseOptions, detect, get_format
from .sources.base import bounded

ProgressFn = Callable[[str], None]


def walk(paths: Sequence[str | os.PathLike[str]], follow_links: bool = False) -> list[str]:
    """The files under ``paths`` as :func:`extractor.fsutil.walk_inputs` finds them
    (links, loops and files that are plainly no export are left out there)."""
    from .fsutil import walk_inputs

    return list(walk_inputs(paths, follow_links=follow_links).files)


def parse_file(path: str, options: ParseOptions, format_name: str | None = None,
               data: bytes | None = None) -> tuple[list[Event], FileReport, bool]:
    """Parse one file; errors are returned in the report, never raised.  The flag says
    the file had dates without a year and nothing in it to take the year from."""
    try:
        if data is None:
            data = Path(path).read_bytes()
    except OSError as exc:
        err = UnreadableFileError(N_("{path}: cannot read ({reason})"), path=path, reason=exc.strerror or exc)
        return [], FileReport(path, None, None, None, error=err.record()), False
    file = InputFile(path, data)
    fmt_name: str | None = format_name
    try:
        fmt = get_format(format_name) if format_name else detect(file)
        fmt_name = fmt.NAME
        ctx = ParseContext(file, fmt.NAME, options)
        events = list(fmt.parse(file, ctx))
    except InputError as exc:
        return [], FileReport(path, file.sha256, file.size, fmt_name, error=exc.record()), False
    except EvidenceError:
        raise
    except Exception as exc:  # a parser bug must not sink the batch; report it loudly
        return [], FileReport(
            path, file.sha256, file.size, fmt_name,
            error=f"[E199] {path}: internal error in the {fmt_name} parser: {type(exc).__name__}: {bounded(str(exc))}",
        ), False
    warnings = tuple(ctx.finished_warnings())
    decoded = file.__dict__.get("decoded")  # set when the parser read the file as text
    if decoded is not None and decoded.note:
        # An encoding chosen by plausibility, or Big5: said first, so a reader can check it.
        warnings = (ParseWarning(file.label, decoded.note),) + warnings
    report = FileReport(path, file.sha256, file.size, fmt_name, len(events), warnings)
    return events, report, ctx.missing_year and options.year_hint is None


def _dedup_key(event: Event) -> tuple:
    text = "\n".join(line.rstrip() for line in event.text.strip().split("\n"))
    call = event.call
    call_key = (call.direction, call.number, call.duration_s) if call and event.kind == "call" else None
    # The buyer is part of the key: one seller broadcast sent to two buyers at the same
    # second is two messages, each in its own buyer's case.
    return (event.time, event.kind, event.sender, event.buyer, text, call_key,
            event.order.id if event.order else None)


def merge_duplicates(events: Iterable[Event]) -> list[Event]:
    """One event per (buyer, sender, time, text) across files: the same message in two
    overlapping exports is one event listing both sources.  The first source (in input
    order) stays ``source``; ``sources`` lists all of them.  Two equal messages from the
    same file (a buyer who sends 在吗 twice within a second) stay two events."""
    merged: list[Event] = []
    slots: dict[tuple, list[int]] = {}
    for event in events:
        files = {s.file for s in event.all_sources()}
        candidates = slots.setdefault(_dedup_key(event), [])
        target = next((i for i in candidates
                       if not files & {s.file for s in merged[i].all_sources()}), None)
        if target is None:
            candidates.append(len(merged))
            merged.append(event)
            continue
        seen = merged[target]
        sources = list(seen.all_sources())
        sources.extend(src for src in event.all_sources() if src not in sources)
        flags = seen.flags + tuple(f for f in event.flags if f not in seen.flags)
        merged[target] = replace(seen, sources=tuple(sources), buyer=seen.buyer or event.buyer, flags=flags)
    return merged


# What two exports of one conversation can both hold: the parties' words and the lines
# the platform writes into the chat.  Calls, notes and orders come from other records.
_CHAT_KINDS = ("message", "auto_reply", "system")
# Two files are taken for exports of the same conversation once they share this many
# messages; a message one of them lacks is flagged only between shared ones.
SHARED_TO_COMPARE = 2


def flag_missing_in_other_exports(events: Sequence[Event]) -> list[Event]:
    """Where one buyer's conversation is in two chat exports, a message of one that the
    other lacks, although it lies between messages both hold, is flagged
    ``missing_in_other_export``: one of the two files was edited, or a line in one was
    forged.  Before the first or after the last shared message nothing is flagged (an
    export covers the span it was made for).  ``events`` are merged already (a message
    in both files lists both sources)."""
    by_buyer: dict[str | None, list[int]] = {}
    for i, e in enumerate(events):
        if e.kind in _CHAT_KINDS and e.buyer is not None:
            by_buyer.setdefault(e.buyer, []).append(i)
    flagged: set[int] = set()
    for indices in by_buyer.values():
        files: dict[str, list[int]] = {}
        for i in indices:
            for f in {s.file for s in events[i].all_sources()}:
                files.setdefault(f, []).append(i)
        names = sorted(files)
        for a_pos, a in enumerate(names):
            for b in names[a_pos + 1:]:
                in_a, in_b = set(files[a]), set(files[b])
                shared = sorted(in_a & in_b, key=lambda i: events[i].time)
                if len(shared) < SHARED_TO_COMPARE:
                    continue
                start, end = events[shared[0]].time, events[shared[-1]].time
                for i in in_a ^ in_b:
                    if start < events[i].time < end:
                        flagged.add(i)
    if not flagged:
        return list(events)
    flag = "missing_in_other_export"
    return [replace(e, flags=e.flags + (flag,)) if i in flagged and flag not in e.flags else e
            for i, e in enumerate(events)]


def _source_order(source: Source) -> tuple:
    return (source.file, source.sheet or "", source.page or 0, source.line or 0, source.row or 0)


def order_events(events: Iterable[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (e.time, _source_order(e.source)))


def parse_paths(paths: Sequence[str | os.PathLike[str]], options: ParseOptions | None = None,
                format_name: str | None = None, progress: ProgressFn | None = None,
                follow_links: bool = False) -> ParseResult:
    """Parse every file under ``paths`` into one ordered, de-duplicated timeline: the
    read and join stages of :mod:`extractor.stages`, every buyer's events together."""
    from .stages import RunConfig, join_aside, read_file, read_files

    config = RunConfig(parse=options or ParseOptions(), format_name=format_name, follow_links=follow_links)

    def read_one(path: str, year: int | None, mains=()):
        if progress and year is None and not mains:
            progress(path)
        return read_file(path, config, year, mains)

    skipped: list = []
    reads = read_files(paths, config, read_one, skipped=skipped)
    assembly = join_aside(reads, config.parse.shop)
    events = [e for r in reads if r.held for evs in r.held.values() for e in evs]
    events.extend(e for evs in assembly.aside_by_key.values() for e in evs)
    events.extend(assembly.unassigned)
    merged = order_events(merge_duplicates(order_events(events)))
    return ParseResult(tuple(flag_missing_in_other_exports(merged)), assembly.reports, tuple(skipped))
