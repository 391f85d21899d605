"""Inputs to one timeline: walk paths, detect formats, parse, merge duplicates, order.

``parse_paths`` is the library function behind ``evidence parse``.  A file that cannot
be read becomes a :class:`FileReport` with an error; the others still go through.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .errors import EvidenceError, InputError, UnreadableFileError, UsageError
from .model import Event, FileReport, ParseResult, ParseWarning, Source
from .sources import InputFile, ParseContext, ParseOptions, detect, get_format

# Files no export tool writes; skipped when walking a folder, never when named.
_SKIP_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}

ProgressFn = Callable[[str], None]


def walk(paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """Expand folders recursively (sorted, so runs are repeatable); keep files as given."""
    out: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name in _SKIP_NAMES or name.startswith("."):
                        continue
                    out.append(str(Path(root) / name))
        elif path.exists():
            out.append(str(raw))
        else:
            out.append(str(raw))  # reported as unreadable by parse_file
    return out


def parse_file(path: str, options: ParseOptions, format_name: str | None = None,
               data: bytes | None = None) -> tuple[list[Event], FileReport, bool]:
    """Parse one file; errors are returned in the report, never raised.  The flag says
    the file had dates without a year and nothing in it to take the year from."""
    try:
        if data is None:
            data = Path(path).read_bytes()
    except OSError as exc:
        err = UnreadableFileError(f"{path}: cannot read ({exc.strerror or exc})")
        return [], FileReport(path, None, None, None, error=str(err)), False
    file = InputFile(path, data)
    fmt_name: str | None = format_name
    try:
        fmt = get_format(format_name) if format_name else detect(file)
        fmt_name = fmt.NAME
        ctx = ParseContext(file, fmt.NAME, options)
        events = list(fmt.parse(file, ctx))
    except InputError as exc:
        return [], FileReport(path, file.sha256, file.size, fmt_name, error=str(exc)), False
    except EvidenceError:
        raise
    except Exception as exc:  # a parser bug must not sink the batch; report it loudly
        return [], FileReport(
            path, file.sha256, file.size, fmt_name,
            error=f"[E199] {path}: internal error in the {fmt_name} parser: {type(exc).__name__}: {exc}",
        ), False
    report = FileReport(path, file.sha256, file.size, fmt_name, len(events), tuple(ctx.warnings))
    return events, report, ctx.missing_year and options.year_hint is None


def _dedup_key(event: Event) -> tuple:
    text = "\n".join(line.rstrip() for line in event.text.strip().split("\n"))
    call = event.call
    call_key = (call.direction, call.number, call.duration_s) if call and event.kind == "call" else None
    return (event.time, event.kind, event.sender, text, call_key,
            event.order.id if event.order else None)


def merge_duplicates(events: Iterable[Event]) -> list[Event]:
    """One event per (sender, time, text) across files: the same message in two
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
        merged[target] = replace(seen, sources=tuple(sources), buyer=seen.buyer or event.buyer)
    return merged


def _source_order(source: Source) -> tuple:
    return (source.file, source.sheet or "", source.page or 0, source.line or 0, source.row or 0)


def order_events(events: Iterable[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (e.time, _source_order(e.source)))


def _year_from(events: Iterable[Event]) -> int | None:
    years = Counter(e.time.year for e in events)
    return years.most_common(1)[0][0] if years else None


def parse_paths(paths: Sequence[str | os.PathLike[str]], options: ParseOptions | None = None,
                format_name: str | None = None, progress: ProgressFn | None = None) -> ParseResult:
    """Parse every file under ``paths`` into one ordered, de-duplicated timeline."""
    if not paths:
        raise UsageError("no input given: name at least one file or folder")
    options = options or ParseOptions()
    files = walk(paths)
    per_file: list[tuple[list[Event], FileReport]] = []
    needs_year: list[int] = []
    for path in files:
        if progress:
            progress(path)
        events, report, yearless = parse_file(path, options, format_name)
        if yearless:
            needs_year.append(len(per_file))
        per_file.append((events, report))

    # Files whose dates had no year and no dated neighbour: parse them again with the
    # year the run's other inputs agree on, and say so.
    if needs_year:
        others = [e for i, (evs, _) in enumerate(per_file) if i not in needs_year for e in evs]
        year = _year_from(others)
        for i in needs_year:
            if year is None:
                per_file[i] = (per_file[i][0], replace(per_file[i][1], warnings=per_file[i][1].warnings + (
                    ParseWarning(files[i], "dates without a year and no other input to take the year "
                                 "from: those lines are left out and listed as warnings"),)))
                continue
            events, report, _ = parse_file(files[i], replace(options, year_hint=year), format_name)
            report = replace(report, warnings=report.warnings + (ParseWarning(
                files[i], f"dates without a year were given the year {year} from the run's other inputs"),))
            per_file[i] = (events, report)

    from .join import join_calls  # late import: join depends on the order events

    all_events = [e for evs, _ in per_file for e in evs]
    all_events, join_warnings = join_calls(all_events)
    reports = [rep for _, rep in per_file]
    if join_warnings:
        by_file: dict[str, list] = {}
        for w in join_warnings:
            by_file.setdefault(w.file, []).append(w)
        reports = [replace(r, warnings=r.warnings + tuple(by_file.get(r.file, ()))) for r in reports]
    return ParseResult(tuple(order_events(merge_duplicates(all_events))), tuple(reports))
