"""Batch benchmark: throughput, parallel speed-up, memory, re-run, JSON and PDF costs.

    python bench/bench_batch.py [--buyers 10000] [--messages 1000000] [--pdfs 1000]

Generates the synthetic batch once (bench/data/batch-<buyers>-<messages>/, reused after),
then prints, in one run:

- parse + tag + group throughput (messages/s) with 1 worker and with every core, and
  the speed-up between them (no per-case files written: that is measured apart);
- peak memory (RSS) of the main process and of the largest worker;
- a re-run with nothing changed, as a share of the first run's time;
- the time to write every case's JSON file;
- the time per PDF over ``--pdfs`` PDFs rendered in one process.

Never run by `make test`; the figures go in the README with the machine they came from.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractor.batch import BatchOptions, run_batch  # noqa: E402
from extractor.stages import RunConfig  # noqa: E402


def _rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def _events(out: Path) -> int:
    import json

    return json.loads((out / "run.json").read_text("utf-8"))["totals"]["events"]


def _run(src: Path, out: Path, workers: int, outputs: tuple[str, ...]) -> tuple[float, dict]:
    t = time.perf_counter()
    result = run_batch(src, out, BatchOptions(RunConfig(outputs=outputs), workers=workers))
    return time.perf_counter() - t, result.timings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--buyers", type=int, default=10_000)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--pdfs", type=int, default=1_000)
    ap.add_argument("--skip-single", action="store_true", help="skip the 1-worker run (it is the slowest)")
    args = ap.parse_args()

    data = ROOT / "bench" / "data" / f"batch-{args.buyers}-{args.messages}"
    if not data.exists():
        tmp = data.with_name(data.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run([sys.executable, str(ROOT / "bench" / "gen_batch.py"), str(tmp),
                        "--buyers", str(args.buyers), "--messages", str(args.messages)], check=True)
        tmp.rename(data)
    cores = os.cpu_count() or 1
    print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}, {platform.platform()}")
    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        print(f"input: {data} ({args.buyers} buyers, {args.messages} generated messages)")
        # The forked runs first: a fork inherits what the parent has loaded, so the
        # 1-worker run (which loads the tagger in this process) must come after them.
        # JSON is the lightest per-case output a run takes (--outputs cannot be empty):
        # the base of every comparison below.
        tn, timn = _run(data, work / "all", cores, ("json",))
        n = _events(work / "all")
        print(f"{cores} workers: {tn:7.1f} s  {n / tn:9.0f} events/s   (parse {timn['parse_s']:.1f} s, cases {timn['cases_s']:.1f} s)")
        # Each into a fresh folder, after the first run has warmed the caches, so
        # the two differ only in the HTML pages.
        tj, _ = _run(data, work / "json", cores, ("json",))
        th, _ = _run(data, work / "html", cores, ("json", "html"))
        print(f"HTML     : {args.buyers} case pages more in a run of {th:.1f} s; "
              f"{th / tj:.2f}x the same run writing JSON alone ({tj:.1f} s)")
        if not args.skip_single:
            t1, tim1 = _run(data, work / "one", 1, ("json",))
            n = _events(work / "one")
            print(f"1 worker : {t1:7.1f} s  {n / t1:9.0f} events/s   (parse {tim1['parse_s']:.1f} s, cases {tim1['cases_s']:.1f} s)")
            print(f"speed-up : {t1 / tn:.2f} on {cores} workers")
        tr, _ = _run(data, work / "all", cores, ("json",))
        print(f"re-run, nothing changed: {tr:.1f} s = {100 * tr / tn:.1f}% of the first run")
        print(f"peak RSS : main {_rss_mb(resource.RUSAGE_SELF):.0f} MB, largest worker {_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB")

        if args.pdfs:
            pdf_bench(data, args.pdfs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def pdf_bench(data: Path, count: int) -> None:
    """Render ``count`` PDFs in this process from the batch's first cases."""
    from extractor.cases import build_cases
    from extractor.nlp import get_tagger
    from extractor.render import Renderer
    from extractor.timeline import parse_paths

    files = sorted(p for p in data.rglob("*.txt") if p.parent.name != "电话记录")[:count]
    result = parse_paths([str(p) for p in files])
    tagged = get_tagger().tag_events(result.events)
    cases = build_cases(tagged, list(result.files))[:count]
    renderer = Renderer()
    out = Path(tempfile.mkdtemp(prefix="bench-pdf-"))
    try:
        t = time.perf_counter()
        renderer.write_case(cases[0], out, "first", outputs=("pdf",))
        first = time.perf_counter() - t
        t = time.perf_counter()
        for i, case in enumerate(cases[1:], start=1):
            renderer.write_case(case, out, f"c{i}", outputs=("pdf",))
        rest = (time.perf_counter() - t) / max(1, len(cases) - 1)
        events = sum(len(c.events) for c in cases) / len(cases)
        print(f"PDF      : first {first:.2f} s, then {rest:.3f} s per PDF over {len(cases) - 1} PDFs "
              f"(about {events:.0f} events per case)")
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
