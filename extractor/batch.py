"""`evidence batch`: a folder of exports in, every case out; parallel, incremental,
bounded in memory.

The stages are :mod:`extractor.stages`', run the same way as ``evidence report`` runs
them.  A batch adds three things, and only these:

- sharding: each file's events are kept on disk, one shard per group (shop, buyer,
  placeholder conversation: the pieces case keys are made of), under
  ``OUT/.cache/shards/``; the main process holds only the files' reports, which
  buyers each file holds, and the orders, calls and notes the join needs.  Memory grows
  with the largest case, not with the run;
- a worker pool: files are read, and cases made, in worker processes.  Every ordering
  is by walk order or buyer, never by completion order, so the output is the same
  whatever the worker count;
- a cache keyed by (stage, input hashes, fingerprint): a file whose bytes and parse
  fingerprint are unchanged is not read again; a case whose inputs and tag fingerprint
  are unchanged is not tagged again ("reused"); a case tagged again whose findings and
  render fingerprint are unchanged is not rendered again ("unchanged").  The
  fingerprints hash the package's own rules, model, labels, templates and code too, so
  a changed built-in rule redoes the cases it changes, and only their files.

The cache is plain JSON (the timeline contract's events), never pickle: a file planted in
``OUT/.cache`` can at worst be wrong data, which is checked and redone, never code that
runs.  A cache entry that does not parse is redone.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from . import __version__
from .errors import EvidenceError, UsageError
from .i18n import N_
from .fsutil import Skip, atomic_write, file_sha256
from .keys import CaseKey, Conversation, Group, case_names, group_id
from .model import Event, FileReport, ParseWarning, event_from_dict, event_to_dict
from .progress import Progress
from .stages import (Assembly, CaseOutcome, FileRead, RunConfig, RunResult, case_events, case_reports,
                     case_patterns, events_digest, file_shops, join_aside, make_renderer, prepare_out_dir, produce_case, read_file,
                     read_files, read_options, split_events, tag_unassigned)
from .timeline import parse_file

CACHE_VERSION = "3"  # bump when the shard or case cache layout changes


@dataclass(frozen=True)
class BatchOptions:
    config: RunConfig = field(default_factory=RunConfig)
    workers: int = 0  # 0: one per core
    force: bool = False


BatchResult = RunResult


def buyer_key(buyer: str) -> str:
    """A file-name-safe digest of a group's or a case key's id."""
    return hashlib.sha256(buyer.encode("utf-8")).hexdigest()[:20]


def _shard_name(group: Group) -> str:
    return f"{buyer_key(group_id(group))}.jsonl"


_atomic_write = atomic_write  # temp file in the same folder, fsync, rename; E302 on failure


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
                          .encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------
# stage "read", sharded: a file's events by buyer on disk


def _shard_dir(cache: Path, key: str) -> Path:
    return cache / "shards" / key[:24]


def _events_json(events: Sequence[Event]) -> bytes:
    return "".join(json.dumps(event_to_dict(e, with_tags=True), ensure_ascii=False) + "\n"
                   for e in events).encode("utf-8")


def _events_from_json(data: bytes) -> list[Event]:
    return [event_from_dict(json.loads(line)) for line in data.decode("utf-8").splitlines() if line]


def _warning_dict(w: ParseWarning) -> dict[str, Any]:
    return {"file": w.file, "reason": w.reason, "line": w.line, "row": w.row, "page": w.page}


def _read_to_json(read: FileRead) -> bytes:
    r = read.report
    return json.dumps({
        "cache": CACHE_VERSION, "path": read.path,
        "report": {"file": r.file, "sha256": r.sha256, "size": r.size, "format": r.format, "events": r.events,
                   "warnings": [_warning_dict(w) for w in r.warnings], "error": r.error},
        "groups": [[*g, digest, read.conversations[g].to_dict() if g in read.conversations else None]
                   for g, digest in read.buyers.items()],
        "aside": [event_to_dict(e, with_tags=True) for e in read.aside],
        "years": {str(y): n for y, n in read.years.items()}, "yearless": read.yearless,
        "shard_dir": read.shard_dir, "shops": dict(read.shops), "parties": list(read.parties),
        "main_senders": list(read.main_senders), "forged": read.forged,
    }, ensure_ascii=False).encode("utf-8")


def _read_from_json(data: bytes, path: str, shard_dir: Path) -> FileRead:
    """A cached read, checked: it must be this file's, in this cache's layout."""
    d = json.loads(data.decode("utf-8"))
    if d.get("cache") != CACHE_VERSION or d.get("path") != path or d.get("shard_dir") != str(shard_dir):
        raise ValueError("not this file's cache entry")
    r = d["report"]
    report = FileReport(str(r["file"]), r["sha256"], r["size"], r["format"], int(r["events"]),
                        tuple(ParseWarning(**w) for w in r["warnings"]), r["error"])
    buyers: dict[Group, str] = {}
    conversations: dict[Group, Conversation] = {}
    for shop, buyer, conversation, digest, conv in d["groups"]:
        group = (str(shop), str(buyer), str(conversation))
        buyers[group] = str(digest)
        if conv is not None:
            conversations[group] = Conversation.from_dict(conv)
    return FileRead(path, report, buyers, tuple(event_from_dict(e) for e in d["aside"]),
                    {int(y): int(n) for y, n in d["years"].items()}, bool(d["yearless"]), shard_dir=str(shard_dir),
                    shops={str(k): int(v) for k, v in d["shops"].items()}, parties=tuple(map(str, d["parties"])),
                    main_senders=tuple(map(str, d["main_senders"])), forged=bool(d["forged"]),
                    conversations=conversations)


def read_file_to_shards(path: str, config: RunConfig, cache: Path, year_hint: int | None = None,
                        main_accounts: Sequence[str] = ()) -> FileRead:
    """:func:`extractor.stages.read_file`, its groups' events in shards (cached by the
    file's bytes, its path, the year and main accounts it is read with and the parse
    fingerprint)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return read_file(path, config, year_hint, main_accounts)  # the report says why
    key = _key("read", CACHE_VERSION, hashlib.sha256(data).hexdigest(), path, year_hint, list(main_accounts),
               config.parse_fingerprint())
    shard_dir = _shard_dir(cache, key)
    meta_path = shard_dir / "meta.json"
    if meta_path.exists():
        try:
            return _read_from_json(meta_path.read_bytes(), path, shard_dir)
        except Exception:  # a torn or foreign cache entry is redone, never trusted
            shutil.rmtree(shard_dir, ignore_errors=True)
    options = read_options(config, year_hint, main_accounts)
    events, report, yearless = parse_file(path, options, config.format_name, data=data)
    mains = (*options.shop, *options.known_shops)
    by_group, aside, conversations = split_events(events, mains)
    buyers: dict[Group, str] = {}
    for group, evs in sorted(by_group.items()):
        _atomic_write(shard_dir / _shard_name(group), _events_json(evs))
        buyers[group] = events_digest(evs)
    years: dict[int, int] = {}
    for e in events:
        years[e.time.year] = years.get(e.time.year, 0) + 1
    read = FileRead(path, report, buyers, tuple(aside), years, yearless, shard_dir=str(shard_dir),
                    conversations=conversations, **file_shops(events, mains))
    _atomic_write(meta_path, _read_to_json(read))
    return read


def load_shard(path: str | Path, digest: str) -> list[Event]:
    """A buyer's events from a shard, checked against the digest the file's read gave:
    a shard changed since (torn, or planted) is an error for that case, not its data."""
    events = _events_from_json(Path(path).read_bytes())
    if events_digest(events) != digest:
        raise ValueError(f"cache shard {path} does not match its file's read; run again with --force")
    return events


# ---------------------------------------------------------------------------
# stage "case", in workers


@dataclass(frozen=True)
class CaseTask:
    case: CaseKey
    name: str
    shards: tuple[tuple[str, str], ...]  # (path, digest)
    aside: tuple[Event, ...]
    reports: tuple[FileReport, ...]
    key: str  # inputs and tag fingerprint
    patterns: tuple = ()  # the run's order patterns of this case (extractor.patterns), in the key


_WORKER: dict[str, Any] = {}


def _init_worker(config: RunConfig, out_dir: str, generated_at: datetime, argv: tuple[str, ...]) -> None:
    from .stages import tagger_for

    _WORKER["config"] = config
    _WORKER["out"] = Path(out_dir)
    _WORKER["render_key"] = config.render_fingerprint()
    if not config.tagged:
        tagger_for(config)  # spaCy, jieba, rules and model: once per worker
    _WORKER["renderer"] = make_renderer(config, generated_at, argv)


def _case_record(out: Path, case: CaseKey) -> Path:
    return out / ".cache" / "cases" / f"{buyer_key(case.id)}.json"


def _read_record(out: Path, task: CaseTask) -> dict[str, Any] | None:
    """The previous run's record of this case, when every file it lists is on disk as
    it was written (its SHA-256): a report cut short by a full disk, or edited, is made
    again, never trusted."""
    try:
        record = json.loads(_case_record(out, task.case).read_text("utf-8"))
        if record.get("name") == task.name and outputs_intact(out, record["files"], record["sha256"]):
            return record
    except (ValueError, KeyError, OSError, TypeError, AttributeError):
        pass
    return None


def _own_output(out: Path, name: Any) -> Path | None:
    """``name`` as a file of this output folder (a plain relative name, not hidden)."""
    if not isinstance(name, str) or not name or name.startswith(".") or "/" in name or "\\" in name:
        return None
    return out / name


def outputs_intact(out: Path, files: Sequence[str], hashes: dict[str, str]) -> bool:
    paths = [_own_output(out, f) for f in files]
    return all(p is not None and hashes.get(f) and file_sha256(p) == hashes[f] for f, p in zip(files, paths))


def _cached_case(out: Path, task: CaseTask) -> CaseOutcome | None:
    """The previous run's outcome, when this case's inputs and tag fingerprint are the
    same and its files are still there."""
    record = _read_record(out, task)
    if record is not None and record.get("key") == task.key:
        return CaseOutcome(task.case.buyer, task.name, "reused", record["summary"],
                           tuple(str(out / f) for f in record["files"]), record.get("risk", ""),
                           shop=task.case.shop)
    return None


def _case_task(task: CaseTask) -> CaseOutcome:
    config: RunConfig = _WORKER["config"]
    out: Path = _WORKER["out"]
    render_key: str = _WORKER["render_key"]
    record = _read_record(out, task)
    try:
        shards = [load_shard(p, digest) for p, digest in task.shards]
        events = case_events(shards, task.aside)
        outcome, digest = produce_case(
            task.case, task.name, events, task.reports, config, _WORKER["renderer"], out,
            unchanged=lambda d: record is not None and record.get("findings") == _key(render_key, d),
            patterns=task.patterns)
    except EvidenceError as exc:  # a full disk: the case fails with the coded error
        return CaseOutcome(task.case.buyer, task.name, "error", {}, error=exc.record(), shop=task.case.shop)
    except Exception as exc:  # one broken case must not stop the batch
        return CaseOutcome(task.case.buyer, task.name, "error", {}, error=f"{type(exc).__name__}: {exc}",
                           shop=task.case.shop)
    files = record["files"] if outcome.status == "unchanged" and record else \
        [str(Path(p).relative_to(out)) for p in outcome.paths]
    if outcome.status == "unchanged":
        outcome = replace(outcome, paths=tuple(str(out / f) for f in files))
        hashes = record["sha256"] if record else {}
    else:
        hashes = {f: file_sha256(out / f) for f in files}
    try:
        _atomic_write(_case_record(out, task.case), json.dumps({
            "key": task.key, "findings": _key(render_key, digest), "name": task.name, "files": files,
            "sha256": hashes, "summary": outcome.summary, "risk": outcome.risk,
        }, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    except EvidenceError as exc:
        return CaseOutcome(task.case.buyer, task.name, "error", {}, error=exc.record(), shop=task.case.shop)
    return outcome


# ---------------------------------------------------------------------------
# the pool


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
            chunk = max(1, min(64, len(tasks) // (workers * 8) or 1))
            for task, result in zip(tasks, pool.imap(fn, tasks, chunksize=chunk)):
                progress.advance(stage, label(task))
                yield result
    progress.done(stage)


_READER: dict[str, Any] = {}


def _init_reader(config: RunConfig, cache: str) -> None:
    _READER["config"], _READER["cache"] = config, Path(cache)


def _read_task(args: tuple) -> FileRead:
    path, year, *mains = args
    return read_file_to_shards(path, _READER["config"], _READER["cache"], year, mains[0] if mains else ())


def run_batch(in_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str],
              options: BatchOptions | None = None, progress: Progress | None = None,
              argv: Sequence[str] = (), generated_at: datetime | None = None) -> RunResult:
    options = options or BatchOptions()
    config = options.config
    progress = progress or Progress()
    in_path, out = Path(in_dir), Path(out_dir)
    if not in_path.is_dir():
        raise UsageError(N_("{path}: not a folder; `evidence batch` takes a folder of exports"), path=in_dir)
    config.validate()
    out = prepare_out_dir(out)
    cache = out / ".cache"
    workers = options.workers or os.cpu_count() or 1
    generated_at = generated_at or datetime.now(config.parse.tz).replace(microsecond=0)
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    _init_reader(config, str(cache))

    def pooled(_, paths):
        # The first pass reads every file in the pool; a year-less file's second pass
        # (one file each) runs here.
        return _pool_map(_read_task, [(p, None) for p in paths], workers, progress, "files", lambda t: t[0],
                         initializer=_init_reader, initargs=(config, str(cache)))

    skipped: list[Skip] = []
    reads = read_files([in_path], config, read_one=lambda p, year, mains=(): _read_task((p, year, mains)),
                       map_fn=pooled, exclude=out, skipped=skipped)
    timings["parse_s"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    assembly = join_aside(reads, config.parse.shop, config.assignments())
    names = case_names(assembly.keys)
    tag_key = config.tag_fingerprint()
    patterns = case_patterns(assembly)
    tasks = [_task(key, names[key], reads, assembly, cache, tag_key, patterns.get(key, ()))
             for key in assembly.keys]
    timings["group_s"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    reused = {} if options.force else {t.case: c for t in tasks if (c := _cached_case(out, t)) is not None}
    todo = [t for t in tasks if t.case not in reused]
    if options.force:
        shutil.rmtree(cache / "cases", ignore_errors=True)
    # Results come back in task order (ordered imap), so they pair with their tasks.
    fresh = {t.case: c for t, c in zip(todo, _pool_map(
        _case_task, todo, workers, progress, "cases", lambda t: t.name,
        initializer=_init_worker, initargs=(config, str(out), generated_at, tuple(argv))))}
    cases = [reused.get(t.case) or fresh[t.case] for t in tasks]
    timings["cases_s"] = time.perf_counter() - t2

    t3 = time.perf_counter()
    unassigned = list(tag_unassigned(assembly.unassigned, config))
    result = RunResult(out, list(assembly.reports), cases, unassigned, timings=timings, skipped=skipped)
    run_key = _key("run", config.fingerprint(), [(t.name, t.key) for t in tasks],
                   [c.summary for c in cases], [_report_dict(r) for r in assembly.reports],
                   [event_to_dict(e, with_tags=True) for e in unassigned], [str(s) for s in skipped])
    result.run_files = _write_run_outputs(result, config, options.force, generated_at, argv, run_key)
    result.removed, result.kept = remove_stale_outputs(out, cases)
    _atomic_write(out / "run.json", (json.dumps(run_record(result, options, generated_at, argv),
                                                ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    timings["index_s"] = time.perf_counter() - t3
    timings["total_s"] = time.perf_counter() - t0
    return result


def _task(case: CaseKey, name: str, reads: Sequence[FileRead], assembly: Assembly, cache: Path,
          tag_key: str, patterns: tuple = ()) -> CaseTask:
    by_path = {r.path: r for r in reads}
    shards, digests = [], []
    for path, group in assembly.groups_by_key.get(case, ()):
        r = by_path[path]
        if r.shard_dir is not None:
            shards.append((str(Path(r.shard_dir) / _shard_name(group)), r.buyers[group]))
            digests.append(r.buyers[group])
    aside = assembly.aside_by_key.get(case, ())
    reports = case_reports(assembly, case)
    # The patterns come from other cases' orders too: a new order elsewhere that puts this
    # case in a burst must redo it (frozen dataclasses: equal patterns, equal reprs).
    key = _key("case", CACHE_VERSION, tag_key, case.id, name, digests, events_digest(aside),
               [_report_dict(r) for r in reports], repr(patterns))
    return CaseTask(case, name, tuple(shards), aside, reports, key, patterns)


def _report_dict(r: FileReport) -> dict[str, Any]:
    return {"file": r.file, "sha256": r.sha256, "size": r.size, "format": r.format, "events": r.events,
            "warnings": [str(w) for w in r.warnings], "error": r.error}


# ---------------------------------------------------------------------------
# run-level outputs


def _previous_cases(out: Path) -> list[dict[str, Any]]:
    try:
        previous = json.loads((out / "run.json").read_text("utf-8"))
        return [c for c in previous["cases_detail"] if isinstance(c, dict)]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def remove_stale_outputs(out: Path, cases: Sequence[CaseOutcome]) -> tuple[list[str], list[str]]:
    """The files the previous run wrote (its run.json) for cases this run no longer has
    (a buyer whose exports were taken out of the folder): removed when they are still
    the bytes written (their SHA-256), kept and named when someone changed them since.
    Nothing the previous run.json does not list is touched."""
    current = {c.name for c in cases}
    removed, kept = [], []
    for case in _previous_cases(out):
        if case.get("name") in current or not isinstance(case.get("outputs"), dict):
            continue
        for name, digest in sorted(case["outputs"].items()):
            path = _own_output(out, name)
            if path is None or path.is_symlink() or not path.is_file():
                continue
            if file_sha256(path) == digest:
                try:
                    path.unlink()
                    removed.append(name)
                except OSError:
                    kept.append(name)
            else:
                kept.append(name)
    return removed, kept


def run_record(result: RunResult, options: BatchOptions, generated_at: datetime,
               argv: Sequence[str]) -> dict[str, Any]:
    """run.json: every input with its status, every case, the totals and timings."""
    config = options.config
    files = [{**_report_dict(r), "status": "ok" if r.ok else "error"} for r in result.files]
    cases = [{"shop": c.shop, "buyer": c.buyer, "name": c.name, "status": c.status, "error": c.error,
              "outputs": _output_hashes(result.out_dir, c.paths)} for c in result.cases]
    return {
        "tool": "evidence", "version": __version__, "generated_at": generated_at.isoformat(),
        "command": list(argv), "options": {
            "tz": str(config.parse.tz), "shop": list(config.parse.shop), "staff": list(config.parse.staff),
            "format": config.format_name, "ship_within_hours": config.ship_within_hours,
            "outputs": list(config.case_outputs()), "workers": options.workers or os.cpu_count(),
            "assign": config.assign_file, "fingerprint": config.fingerprint(),
        },
        "totals": {
            "files": len(files), "failed_files": len(result.failed_files),
            "events": sum(r.events for r in result.files),
            "warnings": sum(len(r.warnings) for r in result.files),
            "cases": len(cases), "cases_written": sum(1 for c in result.cases if c.status == "written"),
            "cases_reused": sum(1 for c in result.cases if c.reused),
            "failed_cases": len(result.failed_cases),
            "unassigned_calls": len(result.unassigned),
        },
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "files_detail": files,
        "cases_detail": cases,
        "skipped": [{"file": s.path, "reason": s.reason} for s in result.skipped],
        # outputs of cases no longer in the input (see remove_stale_outputs)
        "removed_outputs": list(result.removed), "kept_outputs": list(result.kept),
    }


def _output_hashes(out: Path, paths: Sequence[str]) -> dict[str, str | None]:
    """A case's files by name, with their SHA-256 as on disk now: what the next run
    checks before it trusts or removes them."""
    return {Path(p).name: file_sha256(p) for p in paths}


def _write_run_outputs(result: RunResult, config: RunConfig, force: bool, generated_at: datetime,
                       argv: Sequence[str], run_key: str) -> list[Path]:
    from .render import REGISTRY

    # Nothing changed since the last run: its index and register stand as they are
    # (rendering 10,000 rows again would be most of a no-change re-run).
    # A run file cut short or edited since (its SHA-256 differs from the one recorded)
    # is written again.
    record_path = result.out_dir / ".cache" / "run.key"
    run_files = [result.out_dir / o.filename("") for o in REGISTRY.values() if o.scope == "run"]
    try:
        record = json.loads(record_path.read_text("utf-8"))
        unchanged = (not force and not result.failed_cases and record["key"] == run_key
                     and outputs_intact(result.out_dir, [p.name for p in run_files], record["sha256"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        unchanged = False
    if unchanged:
        return run_files
    renderer = make_renderer(config, generated_at, argv)
    summaries = [c.summary for c in result.cases if not c.error]
    written = renderer.write_run(summaries, result.out_dir, result.files, result.unassigned, result.skipped)
    _atomic_write(record_path, json.dumps({"key": run_key, "sha256": _output_hashes(result.out_dir, written)},
                                          ensure_ascii=False).encode("utf-8"))
    return written
