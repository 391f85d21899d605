"""The project's own JSON Lines output (``evidence parse`` / ``evidence tag``), read back.

Reading it back keeps the original provenance: an event's ``source`` is the export it
came from, not this JSON file, so a round trip gives the same events.
"""

from __future__ import annotations

import dataclasses
import json
import types
from datetime import datetime
from functools import lru_cache
from typing import Any, Iterator, Literal, Union, get_args, get_origin, get_type_hints

from ..errors import FormatError
from ..model import Event, event_from_dict
from .base import InputFile, ParseContext, SourceFormat, plausible_year, register
from .chat_common import excerpt


@lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _conforms(value: Any, hint: Any) -> bool:
    """Whether a value read from JSON has the type the model declares.  The file may
    come from anyone: a line number written as "12" or a sender as {} must be a warning
    here, not a TypeError when the timeline sorts or merges events."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_conforms(value, arg) for arg in get_args(hint))
    if origin is Literal:
        return value in get_args(hint)
    if origin is tuple:
        item = get_args(hint)[0]
        return isinstance(value, tuple) and all(_conforms(v, item) for v in value)
    if hint is type(None):
        return value is None
    if hint is datetime:
        return (isinstance(value, datetime) and value.tzinfo is not None
                and plausible_year(value.year))
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if dataclasses.is_dataclass(hint):
        return isinstance(value, hint) and _wrong_field(value) is None
    return isinstance(value, hint)


def _wrong_field(obj: Any) -> str | None:
    """The first field of a model object (dotted path) whose value has the wrong type."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        hint = _hints(type(obj))[f.name]
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            inner = _wrong_field(value)
            if inner is not None:
                return f"{f.name}.{inner}"
        if not _conforms(value, hint):
            return f.name
    return None


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
                wrong = _wrong_field(event)
                if wrong is not None:
                    raise ValueError(f"{wrong}: wrong type or out of range")
            except (ValueError, KeyError, TypeError, RecursionError) as exc:
                ctx.warn(f"not a timeline event: {excerpt(str(exc), 120)}", line=number)
                continue
            good += 1
            yield event
        if good == 0 and file.lines:
            raise FormatError(f"{file.label}: no line is a timeline event")
