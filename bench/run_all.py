"""Run every benchmark in turn (`make bench`).  Each prints its own figures.

    python bench/run_all.py [--quick]

``--quick`` uses small sizes to check that the benchmarks run; the README's figures
come from the default sizes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent

FULL = [
    ["bench_tag.py"],
    ["bench_report.py"],
    ["bench_batch.py"],
    ["bench_hostile.py"],
    ["bench_store.py"],
]
QUICK = [
    ["bench_tag.py", "--messages", "20000"],
    ["bench_report.py", "--pdfs", "5"],
    ["bench_batch.py", "--buyers", "100", "--messages", "10000", "--pdfs", "5"],
    ["bench_hostile.py", "--scale", "0.1"],
    ["bench_store.py", "--cases", "500", "--buyers", "20", "--messages", "2000", "--repeat", "3"],
]


def main() -> int:
    runs = QUICK if "--quick" in sys.argv[1:] else FULL
    status = 0
    for script, *args in runs:
        print(f"== {script} {' '.join(args)}", flush=True)
        status |= subprocess.run([sys.executable, str(BENCH / script), *args]).returncode
    return status


if __name__ == "__main__":
    raise SystemExit(main())
