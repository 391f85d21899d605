"""Report speed: HTML and PDF of a 300-event case, and 100 PDFs of ~50-event cases in one
process (the target: after the first, each PDF under 0.3 s, font subsetting included).

    .venv/bin/python bench/bench_report.py [--pdfs 100] [--events 50] [--big 300]

Prints figures; asserts nothing.  Source files are generated under a temporary folder.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from report_fixtures import FIXED_NOW, long_case  # noqa: E402

from extractor.cases import build_case  # noqa: E402
from extractor.render import Renderer  # noqa: E402


def _case(root: Path, n: int, buyer: str):
    events, files = long_case(root, n, buyer)
    return build_case(buyer, events, files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", type=int, default=100, help="PDFs of typical cases in one process")
    parser.add_argument("--events", type=int, default=50, help="events in a typical case")
    parser.add_argument("--big", type=int, default=300, help="events in the big case")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        renderer = Renderer(generated_at=FIXED_NOW, argv=("evidence", "report", "bench"))
        big = _case(root / "big", args.big, "tb_bigcase")
        print(f"setup (import, templates, {args.big}-event case): {time.perf_counter() - t0:.3f} s")

        t = time.perf_counter()
        html = renderer.render("html", big, "tb_bigcase")
        print(f"HTML, {args.big} events: {time.perf_counter() - t:.3f} s ({len(html) / 1024:.0f} KB)")
        t = time.perf_counter()
        pdf = renderer.render("pdf", big, "tb_bigcase")
        print(f"PDF,  {args.big} events, first in process (fonts loaded here): "
              f"{time.perf_counter() - t:.3f} s ({len(pdf) / 1024:.0f} KB)")
        t = time.perf_counter()
        renderer.render("pdf", big, "tb_bigcase")
        print(f"PDF,  {args.big} events, again: {time.perf_counter() - t:.3f} s")

        cases = [_case(root / f"c{i:03d}", args.events, f"tb_buyer{i:03d}") for i in range(args.pdfs)]
        timings, cpu = [], []
        for i, case in enumerate(cases):
            t, c = time.perf_counter(), time.process_time()
            renderer.render("pdf", case, case.buyer)
            timings.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        rest = timings[1:] or timings
        print(f"{args.pdfs} PDFs of {args.events}-event cases: total {sum(timings):.2f} s; "
              f"first {timings[0]:.3f} s; after the first: mean {statistics.mean(rest):.3f} s, "
              f"median {statistics.median(rest):.3f} s, max {max(rest):.3f} s")
        # CPU time of this process: what a PDF costs, whatever else the machine is running.
        print(f"  CPU time per PDF after the first: median {statistics.median(cpu[1:] or cpu):.3f} s")
        target = 0.3
        verdict = "meets" if statistics.median(rest) < target else "MISSES"
        print(f"target: each PDF after the first under {target} s: {verdict} the target (median)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
