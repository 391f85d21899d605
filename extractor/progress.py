"""Progress for long runs: a rich bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from .i18n import N_, _

# The stages a run reports (extractor.batch names them; the lines say them translated).
STAGES = {"files": N_("files"), "cases": N_("cases")}


def stage_name(stage: str) -> str:
    return _(STAGES[stage]) if stage in STAGES else stage


class Progress:
    """What a long run tells the user, stage by stage; silent by default.  The CLI
    supplies a rich bar on a terminal or plain lines otherwise."""

    def start(self, stage: str, total: int) -> None: ...

    def advance(self, stage: str, label: str) -> None: ...

    def done(self, stage: str) -> None: ...


class PlainProgress(Progress):
    """One line per stage start/end, and a line every ``every`` items: friendly to logs."""

    def __init__(self, stream: TextIO | None = None, every: int = 500) -> None:
        self.stream = stream or sys.stderr
        self.every = every
        self.totals: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.started: dict[str, float] = {}

    def _say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def start(self, stage: str, total: int) -> None:
        self.totals[stage], self.counts[stage], self.started[stage] = total, 0, time.perf_counter()
        self._say(_("{stage}: {total} to do").format(stage=stage_name(stage), total=total))

    def advance(self, stage: str, label: str) -> None:
        self.counts[stage] += 1
        n, total = self.counts[stage], self.totals[stage]
        if n % self.every == 0 and n < total:
            elapsed = time.perf_counter() - self.started[stage]
            remaining = elapsed / n * (total - n)
            self._say(_("{stage}: {n}/{total}, {elapsed:.0f}s elapsed, about {remaining:.0f}s remaining").format(
                stage=stage_name(stage), n=n, total=total, elapsed=elapsed, remaining=remaining))

    def done(self, stage: str) -> None:
        elapsed = time.perf_counter() - self.started.get(stage, time.perf_counter())
        self._say(_("{stage}: {n}/{total} done in {elapsed:.1f}s").format(
            stage=stage_name(stage), n=self.counts.get(stage, 0), total=self.totals.get(stage, 0), elapsed=elapsed))


class RichProgress(Progress):
    """A live bar per stage (files read, cases written) with elapsed and remaining time."""

    def __init__(self) -> None:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        self.bar = Bar(TextColumn("{task.description:<6}"), BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn(), TimeRemainingColumn(), transient=False)
        self.tasks: dict[str, int] = {}

    def start(self, stage: str, total: int) -> None:
        if not self.tasks:
            self.bar.start()
        self.tasks[stage] = self.bar.add_task(stage_name(stage), total=total)

    def advance(self, stage: str, label: str) -> None:
        self.bar.advance(self.tasks[stage])

    def done(self, stage: str) -> None:
        if stage == "cases":
            self.bar.stop()

    def close(self) -> None:
        self.bar.stop()


def progress_for(stream: TextIO | None = None) -> Progress:
    stream = stream or sys.stderr
    return RichProgress() if stream.isatty() else PlainProgress(stream)
