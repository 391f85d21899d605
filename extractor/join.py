"""Join calls and call notes to buyers (filled in by the call-records stage)."""

from __future__ import annotations

from .model import Event, ParseWarning


def join_calls(events: list[Event]) -> tuple[list[Event], list[ParseWarning]]:
    return events, []
