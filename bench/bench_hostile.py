"""Hostile shapes at 1×, 4× and 16×: time and peak memory of the command a user runs on
each, and the ratio to 1× (linear is about 4 and 16; a bounded shape stays near 1).

    .venv/bin/python bench/bench_hostile.py [--scale 1.0] [--only NAME ...]

Each run is its own process (``evidence parse`` or ``evidence report``), so the peak
resident memory is that run's alone, import of the tool included (the same 50-100 MB in
every row).  The inputs are built by tests/hostile/hostile_shapes.py, each in its own
process, in a temporary folder.  A shape past its bound is refused (exit 2) or read with
a warning (exit 0): then 4× and 16× cost about what 1× does.  Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "hostile"))

import hostile_shapes as shapes  # noqa: E402

# name, builder, base n (what 1× means), file name, command
SHAPES = [
    ("pdf-trailing-bytes", shapes.pdf_with_trailing_bytes, 1_000_000, "聊天记录.pdf", "parse"),
    ("pdf-strings-in-bound", shapes.many_strings_pdf, 1_000, "聊天记录.pdf", "parse"),
    ("pdf-many-strings", shapes.many_strings_pdf, 62_500, "聊天记录.pdf", "parse"),
    ("pdf-flate-bomb", shapes.flate_bomb_pdf, 20_000_000, "聊天记录.pdf", "parse"),
    ("xlsx-shared-strings", shapes.xlsx_shared_strings_bomb, 100_000, "聊天记录.xlsx", "parse"),
    ("xlsx-styles", shapes.xlsx_styles_bomb, 100_000, "聊天记录.xlsx", "parse"),
    ("xlsx-huge-cell", shapes.xlsx_huge_cell, 1_000_000, "聊天记录.xlsx", "parse"),
    ("huge-message", shapes.huge_message_chat, 62_500, "聊天记录.txt", "report"),
    ("huge-attribute", shapes.huge_attribute_calls, 1_000_000, "calls-2022.xml", "parse"),
]
FACTORS = (1, 4, 16)


def _build(builder: str, n: int, path: Path) -> None:
    """Build the input in a child process: a fork of a parent that just held a 320 MB
    string would count it in the measured child's peak memory."""
    code = (f"import sys; sys.path.insert(0, {str(ROOT / 'tests' / 'hostile')!r}); import hostile_shapes as s; "
            f"open({str(path)!r}, 'wb').write(s.{builder}({n}))")
    subprocess.run([sys.executable, "-c", code], check=True)


def _run(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB and exit code of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, child.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every base size")
    parser.add_argument("--only", nargs="*", default=None, help="shape names to run")
    args = parser.parse_args()
    evidence = [sys.executable, "-m", "extractor"]
    print(f"{'shape':22} {'×':>3} {'input':>10} {'bytes':>10} {'s':>8} {'MB':>7} {'s/1×':>6} "
          f"{'MB/1×':>6} exit")
    with tempfile.TemporaryDirectory() as tmp:
        for name, build, base, filename, command in SHAPES:
            if args.only and name not in args.only:
                continue
            first: tuple[float, float] | None = None
            for factor in FACTORS:
                n = int(base * args.scale * factor)
                path = Path(tmp) / name / str(factor) / filename
                path.parent.mkdir(parents=True)
                _build(build.__name__, n, path)
                cmd = evidence + [command, str(path)]
                if command == "report":
                    cmd += ["-o", str(path.parent / "out")]
                seconds, mb, code = _run(cmd)
                first = first or (seconds, mb)
                print(f"{name:22} {factor:>3} {n:>10} {path.stat().st_size:>10} {seconds:>8.2f} {mb:>7.0f} "
                      f"{seconds / first[0]:>6.1f} {mb / first[1]:>6.1f} {code:>4}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
