"""The project's own JSON Lines output (``evidence parse`` / ``evidence tag``), read back.

Anyone can write a file in this shape, and claim in it that a genuine export (with that
export's real SHA-256) is where each event came from.  So an event read back cites the
file it was READ from (``source``: this file, its hash, the line), and the sources the
file claims are kept apart in ``recorded``, shown to a reader as recorded and not
verified.  Only a file that is plainly this tool's output is taken: its name ends in
``.jsonl`` (or ``.ndjson``) and its first line is an event of the contract with no key
the contract does not have; ``--format jsonl`` reads any file as such.
"""

from __future__ import annotations

import dataclasses
import json
import types
from datetime import datetime
from functools import lru_cache
from typing import Any, Iterator, Literal, Union, get_args, get_origin, get_type_hints

from ..errors import FormatError
from ..i18n import N_
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


JSONL_SUFFIXES = (".jsonl", ".ndjson")
REQUIRED_KEYS = frozenset({"time", "role", "kind", "source"})
# Every key event_to_dict writes.
CONTRACT_KEYS = frozenset({"time", "role", "kind", "sender", "buyer", "text", "call", "order", "source",
                           "sources", "tags", "flags", "recorded_sources"})


@register
class JsonLinesFormat(SourceFormat):
    NAME = "jsonl"
    DESCRIPTION = "evidence's own JSON Lines timeline (output of `evidence parse` / `evidence tag`)"
    PRIORITY = 10

    def sniff(self, file: InputFile) -> bool:
        if not file.label.lower().endswith(JSONL_SUFFIXES):
            return False
        first = file.head_text.lstrip("\ufeff").split("\n", 1)[0].strip()
        if not (first.startswith("{") and first.endswith("}")):
            return False
        try:
            data = json.loads(first)
        except ValueError:
            return False
        return isinstance(data, dict) and REQUIRED_KEYS <= data.keys() and data.keys() <= CONTRACT_KEYS

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
            yield dataclasses.replace(event, source=ctx.source(line=number), sources=(),
                                      recorded=event.all_sources() + event.recorded)
        if good == 0 and file.lines:
            raise FormatError(N_("{file}: no line is a timeline event"), file=file.label)
