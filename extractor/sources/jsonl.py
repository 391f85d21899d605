"""The project's own JSON Lines output (``evidence parse`` / ``evidence tag``), read back.

Reading it back keeps the original provenance: an event's ``source`` is the export it
came from, not this JSON file, so a round trip gives the same events.
"""

from __future__ import annotations

import json
from typing import Iterator

from ..errors import FormatError
from ..model import Event, event_from_dict
from .base import InputFile, ParseContext, SourceFormat, register


@register
class JsonLinesFormat(SourceFormat):
    NAME = "jsonl"
    DESCRIPTION = "evidence's own JSON Lines timeline (output of `evidence parse` / `evidence tag`)"
    PRIORITY = 10

    def sniff(self, file: InputFile) -> bool:
        first = file.head_text.lstrip("\ufeff").split("\n", 1)[0].strip()
        if not (first.startswith("{") and first.endswith("}")):
            return False
        try:
            data = json.loads(first)
        except ValueError:
            return False
        return isinstance(data, dict) and {"time", "role", "kind", "source"} <= data.keys()

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:
        good = 0
        for number, line in enumerate(file.lines, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if not isinstance(data, dict):
                    raise ValueError("not a JSON object")
                event = event_from_dict(data)
            except (ValueError, KeyError, TypeError) as exc:
                ctx.warn(f"not a timeline event: {exc}", line=number)
                continue
            good += 1
            yield event
        if good == 0 and file.lines:
            raise FormatError(f"{file.label}: no line is a timeline event")
