"""`evidence batch`: a folder of exports in, every case out; parallel, incremental,
bounded in memory.

Two stages, each a pool of worker processes (or in-process with one worker):

1. files: each file is parsed once (cached by its SHA-256 and the parse options) into
   one shard per buyer under ``OUT/.cache/shards/<file key>/``.  The main process keeps
   only the per-file report and which buyers each file holds, plus the small set of
   order, call and note events needed to join calls to buyers across files.
2. cases: each buyer's shards are loaded, merged, tagged and rendered.  A case whose
   inputs (the hashes of its shards) and options are unchanged since the last run is
   reused as it is.

Memory therefore grows with the largest case and with the number of files' reports, not
with the number of messages.  Output is identical whatever the worker count: every
ordering is by file path or buyer, never by completion order.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import pickle
import shutil
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from . import __version__
from .errors import UsageError
from .model import Event, FileReport, ParseWarning, event_to_dict
from .sources import ParseOptions
from .timeline import merge_duplicates, order_events, parse_file, walk

CACHE_VERSION = "1"  # bump when the shard or case cache layout changes
SIDE_KINDS = ("order", "call", "note")  # events the cross-file call join needs


@dataclass(frozen=True)
class BatchOptions:
    parse: ParseOptions = field(default_factory=ParseOptions)
    format_name: str | None = None
    rules_files: tuple[str, ...] = ()
    ship_within_hours: float = 72.0
    outputs: tuple[str, ...] = ("html", "pdf", "json")
    mask_phones: bool = True
    templates: str | None = None
    workers: int = 0  # 0: one per core
    force: bool = False

    def key(self) -> str:
        """What, besides the inputs, decides a case's output."""
        rules = [(p, _file_sha(p)) for p in self.rules_files]
        blob = json.dumps({
            "v": __version__, "cache": CACHE_VERSION, "tz": str(self.parse.tz),
            "shop": self.parse.shop, "staff": self.parse.staff, "format": self.format_name,
            "rules": rules, "ship": self.ship_within_hours, "outputs": sorted(self.outputs),
            "mask": self.mask_phones, "templates": _dir_sha(self.templates),
        }, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class CaseOutcome:
    buyer: str
    name: str
    reused: bool
    summary: dict[str, Any]
    error: str | None = None


@dataclass
class BatchResult:
    out_dir: Path
    files: list[FileReport]
    cases: list[CaseOutcome]
    unassigned: list[Event]
    timings: dict[str, float]

    @property
    def failed_files(self) -> list[FileReport]:
        return [f for f in self.files if not f.ok]


class Progress:
    """What the batch tells the user; the CLI supplies a rich or a plain one."""

    def start(self, stage: str, total: int) -> None: ...

    def advance(self, stage: str, label: str) -> None: ...

    def done(self, stage: str) -> None: ...


# ---------------------------------------------------------------------------
# helpers


def _file_sha(path: str | os.PathLike[str]) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _dir_sha(path: str | None) -> str | None:
    if not path:
        return None
    h = hashlib.sha256()
    for p in sorted(Path(path).rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(path)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def buyer_key(buyer: str) -> str:
    return hashlib.sha256(buyer.encode("utf-8")).hexdigest()[:20]


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------
# stage 1: files → per-buyer shards


@dataclass(frozen=True)
class FileOutcome:
    path: str
    report: FileReport
    shard_dir: str | None
    buyers: dict[str, str]  # buyer → shard content hash
    side: tuple[Event, ...]  # order/call/note events, for the cross-file join
    missing_year: bool


def _parse_to_shards(path: str, options: ParseOptions, format_name: str | None,
                     cache: Path, year_hint: int | None = None) -> FileOutcome:
    try:
        data = Path(path).read_bytes()
    except OSError:
        events, report, missing = parse_file(path, options, format_name)
        return FileOutcome(path, report, None, {}, (), missing)
    sha = hashlib.sha256(data).hexdigest()
    opts = replace(options, year_hint=year_hint) if year_hint else options
    key = hashlib.sha256(f"{sha}|{opts}|{format_name}|{__version__}|{CACHE_VERSION}|{path}".encode()).hexdigest()[:24]
    shard_dir = cache / "shards" / key
    meta_path = shard_dir / "meta.pickle"
    if meta_path.exists():
        try:
            return pickle.loads(meta_path.read_bytes())
        except Exception:  # a torn cache entry is redone, never trusted
            shutil.rmtree(shard_dir, ignore_errors=True)
    events, report, missing = parse_file(path, opts, format_name, data=data)
    by_buyer: dict[str, list[Event]] = defaultdict(list)
    side: list[Event] = []
    for event in events:
        if event.kind in SIDE_KINDS:
            side.append(event)  # joined and distributed by the main process
        elif event.buyer is not None:
            by_buyer[event.buyer].append(event)
        else:
            side.append(event)
    buyers: dict[str, str] = {}
    for buyer, evs in sorted(by_buyer.items()):
        blob = pickle.dumps(evs, protocol=pickle.HIGHEST_PROTOCOL)
        _atomic_write(shard_dir / f"{buyer_key(buyer)}.pickle", blob)
        buyers[buyer] = hashlib.sha256(blob).hexdigest()
    outcome = FileOutcome(path, report, str(shard_dir), buyers, tuple(side), missing)
    _atomic_write(meta_path, pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    return outcome


def _stage_files_task(args: tuple) -> FileOutcome:
    return _parse_to_shards(*args)


# ---------------------------------------------------------------------------
# stage 2: buyers → cases


@dataclass(frozen=True)
class CaseTask:
    buyer: str
    name: str
    shards: tuple[str, ...]
    side: tuple[Event, ...]
    files: tuple[FileReport, ...]
    key: str


def _case_key(options_key: str, buyer: str, shard_hashes: Iterable[str], side: Sequence[Event]) -> str:
    h = hashlib.sha256(options_key.encode())
    h.update(buyer.encode("utf-8"))
    for s in sorted(shard_hashes):
        h.update(s.encode())
    # JSON, not pickle: equal events must hash equal, however they were loaded.
    for event in side:
        h.update(json.dumps(event_to_dict(event), ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return h.hexdigest()


_WORKER: dict[str, Any] = {}


def _init_worker(options: BatchOptions, out_dir: str, generated_at: datetime, argv: tuple[str, ...]) -> None:
    from .nlp import get_tagger
    from .render import Renderer

    _WORKER["options"] = options
    _WORKER["out"] = Path(out_dir)
    _WORKER["tagger"] = get_tagger(tuple(Path(p) for p in options.rules_files))
    _WORKER["renderer"] = Renderer(
        templates=options.templates, mask_phones=options.mask_phones,
        generated_at=generated_at, argv=argv,
    )


def _case_record(out: Path, buyer: str) -> Path:
    return out / ".cache" / "cases" / f"{buyer_key(buyer)}.json"


def _cached_case(out: Path, task: CaseTask) -> CaseOutcome | None:
    """The previous run's outcome for this case, if its inputs and options are unchanged
    and its files are still there."""
    record = _case_record(out, task.buyer)
    try:
        cached = json.loads(record.read_text("utf-8"))
        if cached.get("key") == task.key and cached.get("name") == task.name \
                and all((out / f).exists() for f in cached["files"]):
            return CaseOutcome(task.buyer, task.name, True, cached["summary"])
    except (ValueError, KeyError, OSError):
        pass
    return None


def _case_task(task: CaseTask) -> CaseOutcome:
    from .cases import build_cases

    options: BatchOptions = _WORKER["options"]
    out: Path = _WORKER["out"]
    try:
        events: list[Event] = list(task.side)
        for shard in task.shards:
            events.extend(pickle.loads(Path(shard).read_bytes()))
        events = order_events(merge_duplicates(events))
        tagged = _WORKER["tagger"].tag_events(events)
        cases = build_cases(tagged, list(task.files), ship_within_hours=options.ship_within_hours)
        case = next(c for c in cases if c.buyer == task.buyer)
        written = _WORKER["renderer"].write_case(case, out, task.name, outputs=options.outputs)
        summary = _WORKER["renderer"].case_summary(case, task.name, options.outputs)
    except Exception as exc:  # one broken case must not stop the batch
        return CaseOutcome(task.buyer, task.name, False, {}, error=f"{type(exc).__name__}: {exc}")
    _atomic_write(_case_record(out, task.buyer), json.dumps({
        "key": task.key, "name": task.name, "files": [str(p.relative_to(out)) for p in written], "summary": summary,
    }, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return CaseOutcome(task.buyer, task.name, False, summary)


# ---------------------------------------------------------------------------
# the run


def _pool_map(fn: Callable, tasks: Sequence, workers: int, progress: Progress, stage: str,
              label: Callable[[Any], str], initializer=None, initargs=()) -> Iterator:
    progress.start(stage, len(tasks))
    if not tasks:
        progress.done(stage)
        return
    if workers <= 1 or len(tasks) <= 1:
        if initializer:
            initializer(*initargs)
        for task in tasks:
            result = fn(task)
            progress.advance(stage, label(task))
            yield result
    else:
        ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        with ctx.Pool(workers, initializer=initializer, initargs=initargs, maxtasksperchild=2000) as pool:
            # Ordered imap: results come back in task order, so nothing depends on timing.
            for task, result in zip(tasks, pool.imap(fn, tasks, chunksize=max(1, min(64, len(tasks) // (workers * 8) or 1)))):
                progress.advance(stage, label(task))
                yield result
    progress.done(stage)


def run_batch(in_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str],
              options: BatchOptions | None = None, progress: Progress | None = None,
              argv: Sequence[str] = (), generated_at: datetime | None = None) -> BatchResult:
    from .join import join_calls
    from .render.filenames import unique_names

    options = options or BatchOptions()
    progress = progress or Progress()
    in_path, out = Path(in_dir), Path(out_dir)
    if not in_path.is_dir():
        raise UsageError(f"{in_dir}: not a folder; `evidence batch` takes a folder of exports")
    out.mkdir(parents=True, exist_ok=True)
    cache = out / ".cache"
    workers = options.workers or os.cpu_count() or 1
    generated_at = generated_at or datetime.now(options.parse.tz).replace(microsecond=0)
    timings: dict[str, float] = {}

    # Stage 1: files.
    t0 = time.perf_counter()
    paths = [p for p in walk([in_path]) if not Path(p).resolve().is_relative_to(out.resolve())]
    tasks = [(p, options.parse, options.format_name, cache) for p in paths]
    outcomes = list(_pool_map(_stage_files_task, tasks, workers, progress, "files", lambda t: t[0]))
    missing = [i for i, o in enumerate(outcomes) if o.missing_year]
    if missing:
        years = Counter(e.time.year for o in outcomes if not o.missing_year for e in o.side)
        if years:
            year = years.most_common(1)[0][0]
            for i in missing:
                o = _parse_to_shards(paths[i], options.parse, options.format_name, cache, year_hint=year)
                warning = ParseWarning(paths[i], f"dates without a year were given the year {year} from the run's other inputs")
                outcomes[i] = replace(o, report=replace(o.report, warnings=o.report.warnings + (warning,)))
    timings["parse_s"] = time.perf_counter() - t0

    # Cross-file join of calls and notes to buyers (orders carry the phone numbers).
    t1 = time.perf_counter()
    side = [e for o in outcomes for e in o.side]
    chat_buyers = {b for o in outcomes for b in o.buyers}
    joined, join_warnings = join_calls(side, known_nicks=chat_buyers)
    reports = [o.report for o in outcomes]
    if join_warnings:
        extra: dict[str, list[ParseWarning]] = defaultdict(list)
        for w in join_warnings:
            extra[w.file].append(w)
        reports = [replace(r, warnings=r.warnings + tuple(extra.get(r.file, ()))) for r in reports]
    side_by_buyer: dict[str, list[Event]] = defaultdict(list)
    unassigned: list[Event] = []
    for event in joined:
        (side_by_buyer[event.buyer] if event.buyer else unassigned).append(event)
    shards_by_buyer: dict[str, list[tuple[str, str]]] = defaultdict(list)
    files_by_buyer: dict[str, set[str]] = defaultdict(set)
    for o in outcomes:
        for buyer, digest in o.buyers.items():
            shards_by_buyer[buyer].append((str(Path(o.shard_dir) / f"{buyer_key(buyer)}.pickle"), digest))
            files_by_buyer[buyer].add(o.path)
    buyers = sorted(set(shards_by_buyer) | set(side_by_buyer))
    names = unique_names(buyers)
    reports_by_file = {r.file: r for r in reports}
    opt_key = options.key()
    case_tasks: list[CaseTask] = []
    for buyer in buyers:
        shard_list = shards_by_buyer.get(buyer, [])
        side_events = tuple(order_events(side_by_buyer.get(buyer, [])))
        files = sorted({s.file for e in side_events for s in e.all_sources()} | files_by_buyer[buyer])
        case_tasks.append(CaseTask(
            buyer, names[buyer], tuple(p for p, _ in shard_list), side_events,
            tuple(reports_by_file[f] for f in files if f in reports_by_file),
            _case_key(opt_key, buyer, [d for _, d in shard_list], side_events),
        ))
    timings["group_s"] = time.perf_counter() - t1

    # Stage 2: cases.
    t2 = time.perf_counter()
    reused = {} if options.force else {
        t.buyer: c for t in case_tasks if (c := _cached_case(out, t)) is not None}
    todo = [t for t in case_tasks if t.buyer not in reused]
    fresh = {c.buyer: c for c in _pool_map(
        _case_task, todo, workers, progress, "cases", lambda t: t.buyer,
        initializer=_init_worker, initargs=(options, str(out), generated_at, tuple(argv)),
    )}
    cases = [reused.get(t.buyer) or fresh[t.buyer] for t in case_tasks]
    timings["cases_s"] = time.perf_counter() - t2

    result = BatchResult(out, reports, cases, order_events(unassigned), timings)
    t3 = time.perf_counter()
    run_key = _run_key(opt_key, case_tasks, reports, result.unassigned)
    _write_run_outputs(result, options, generated_at, argv, run_key)
    timings["index_s"] = time.perf_counter() - t3
    timings["total_s"] = time.perf_counter() - t0
    return result


# ---------------------------------------------------------------------------
# run-level outputs


def run_record(result: BatchResult, options: BatchOptions, generated_at: datetime,
               argv: Sequence[str]) -> dict[str, Any]:
    """run.json: every input with its status, every case, the totals and timings."""
    files = [{
        "file": r.file, "format": r.format, "sha256": r.sha256, "size": r.size,
        "events": r.events, "warnings": [str(w) for w in r.warnings],
        "status": "ok" if r.ok else "error", "error": r.error,
    } for r in result.files]
    cases = [{
        "buyer": c.buyer, "name": c.name, "status": "error" if c.error else ("reused" if c.reused else "written"),
        "error": c.error,
    } for c in result.cases]
    return {
        "tool": "evidence", "version": __version__, "generated_at": generated_at.isoformat(),
        "command": list(argv), "options": {
            "tz": str(options.parse.tz), "shop": list(options.parse.shop), "staff": list(options.parse.staff),
            "format": options.format_name, "ship_within_hours": options.ship_within_hours,
            "outputs": list(options.outputs), "workers": options.workers or os.cpu_count(),
        },
        "totals": {
            "files": len(files), "failed_files": sum(1 for r in result.files if not r.ok),
            "events": sum(r.events for r in result.files),
            "warnings": sum(len(r.warnings) for r in result.files),
            "cases": len(cases), "cases_written": sum(1 for c in result.cases if not c.reused and not c.error),
            "cases_reused": sum(1 for c in result.cases if c.reused),
            "failed_cases": sum(1 for c in result.cases if c.error),
            "unassigned_calls": len(result.unassigned),
        },
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "files_detail": files,
        "cases_detail": cases,
    }


def _run_key(options_key: str, tasks: Sequence[CaseTask], reports: Sequence[FileReport],
             unassigned: Sequence[Event]) -> str:
    """What the run-level outputs (index, register) are made from."""
    h = hashlib.sha256(options_key.encode())
    for task in tasks:
        h.update(f"{task.name}\0{task.key}\n".encode("utf-8"))
    for r in reports:
        h.update(json.dumps([r.file, r.sha256, r.format, r.events, [str(w) for w in r.warnings], r.error],
                            ensure_ascii=False).encode("utf-8"))
    for event in unassigned:
        h.update(json.dumps(event_to_dict(event), ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return h.hexdigest()


def _write_run_outputs(result: BatchResult, options: BatchOptions, generated_at: datetime,
                       argv: Sequence[str], run_key: str) -> None:
    from .render import REGISTRY, Renderer

    # Nothing changed since the last run: its index and register stand as they are
    # (rendering 10,000 rows again would be most of a no-change re-run).
    record_path = result.out_dir / ".cache" / "run.key"
    run_files = [result.out_dir / o.filename("") for o in REGISTRY.values() if o.scope == "run"]
    unchanged = (not options.force and all(p.exists() for p in run_files)
                 and record_path.exists() and record_path.read_text("utf-8") == run_key
                 and not any(c.error for c in result.cases))
    if not unchanged:
        renderer = Renderer(templates=options.templates, mask_phones=options.mask_phones,
                            generated_at=generated_at, argv=argv)
        summaries = [c.summary for c in result.cases if not c.error]
        renderer.write_run(summaries, result.out_dir, result.files, result.unassigned)
        _atomic_write(record_path, run_key.encode("utf-8"))
    record = run_record(result, options, generated_at, argv)
    _atomic_write(result.out_dir / "run.json",
                  (json.dumps(record, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
