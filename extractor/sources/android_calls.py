"""Android call logs saved by the SMS Backup & Restore app (``calls-*.xml``).

``<calls count="…"><call number="…" duration="72" date="1656037211000" type="2" …/>``:
``date`` is epoch milliseconds, ``duration`` seconds, ``type`` 1 incoming, 2 outgoing,
3 missed, 5 rejected (other types, such as voicemail or blocked, are reported and left
out).  A missed or rejected call is an incoming call nobody answered.

The file may come from anyone's phone, so it is parsed with defusedxml and refuses any
DTD: a call-log backup never has one, and a DTD is how entity-expansion ("billion
laughs") and external-entity attacks get in.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Iterator
from xml.sax import SAXParseException
from xml.sax.expatreader import ExpatLocator
from xml.sax.handler import ContentHandler

import defusedxml
import defusedxml.sax

from ..errors import FormatError, UnsafeInputError
from ..i18n import N_
from ..model import Event
from .base import InputFile, ParseContext, SourceFormat, plausible_year, quote, register
from .call_records import Direction, ImpossibleDuration, call_event, check_duration, impossible_duration_warning

# The root element, or a DOCTYPE naming it: an entity declared in the DOCTYPE can push
# <calls> past the head the sniff sees, and such a file must reach the E105 refusal.
_CALLS_ROOT_RE = re.compile(r"<calls[\s>/]|<!DOCTYPE\s+calls[\s\[>]")
# type → (direction, what an unanswered call is called, or None when the duration decides)
_CALL_TYPES: dict[str, tuple[Direction, str | None]] = {
    "1": ("in", None),
    "2": ("out", None),
    "3": ("in", "未接来电"),
    "5": ("in", "拒接来电"),
}
_OTHER_TYPES = {"4": "voicemail", "6": "blocked", "7": "answered on another device"}
# Android writes these instead of a number for private / unknown / payphone callers.
_HIDDEN_NUMBERS = {"", "-1", "-2", "-3", "-4"}


class _CallCollector(ContentHandler):
    """Collects each ``<call>`` element's attributes with the line it starts on."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[int, dict[str, str]]] = []
        self.root: str | None = None
        self._locator = None

    def setDocumentLocator(self, locator) -> None:  # noqa: N802 - SAX API name
        self._locator = locator

    def startElement(self, name, attrs) -> None:  # noqa: N802 - SAX API name
        if self.root is None:
            self.root = name
        if name == "call":
            line = self._locator.getLineNumber() if self._locator else 0
            self.calls.append((line, {k: attrs[k] for k in attrs.getNames()}))


def _parse_whole(data: bytes, handler: ContentHandler) -> None:
    """defusedxml's parseString, with the whole file handed to expat in one feed:
    parseString feeds it in 64 KB pieces, and expat scans an unfinished token again from
    its start at every piece, so one 16 MB attribute cost 250 rescans (quadratic)."""
    parser = defusedxml.sax.make_parser()
    parser.setContentHandler(handler)
    handler.setDocumentLocator(ExpatLocator(parser))  # parse() does this; feed() does not
    parser.forbid_dtd, parser.forbid_entities, parser.forbid_external = True, True, True
    parser.feed(data)
    parser.close()


@register
class AndroidCallsXml(SourceFormat):
    NAME = "android-calls-xml"
    DESCRIPTION = "Android call log from SMS Backup & Restore (calls-*.xml)"
    PRIORITY = 20

    def sniff(self, file: InputFile) -> bool:
        head = file.head_text.lstrip("\ufeff").lstrip()
        return head.startswith("<") and bool(_CALLS_ROOT_RE.search(head))

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:
        collector = _CallCollector()
        try:
            _parse_whole(file.data, collector)
        except defusedxml.DefusedXmlException as exc:
            raise UnsafeInputError(
                N_("{file}: refused to read this XML: it declares a DTD, entities or an "
                   "external reference ({error}). A call-log backup never contains "
                   "these; they are how entity-expansion (\"billion laughs\") and external-entity "
                   "attacks work. Export the call log again from the phone."),
                file=file.label, error=type(exc).__name__,
            ) from None
        except SAXParseException as exc:
            raise FormatError(N_("{file}: not well-formed XML (line {line}: {problem})"), file=file.label,
                              line=exc.getLineNumber(), problem=exc.getMessage()) from None
        if collector.root != "calls":
            raise FormatError(N_("{file}: an XML file whose root is <{root}>, "
                                 "not an SMS Backup & Restore call log (<calls>)"), file=file.label,
                              root=collector.root)
        for line, attrs in collector.calls:
            event = self._call(attrs, line, ctx)
            if event is not None:
                yield event

    @staticmethod
    def _call(attrs: dict[str, str], line: int, ctx: ParseContext) -> Event | None:
        kind = attrs.get("type", "").strip()
        if kind not in _CALL_TYPES:
            what = _OTHER_TYPES.get(kind, "unknown")
            ctx.warn(f"call of type {kind or '(none)'} ({what}) is not an incoming, outgoing, "
                     "missed or rejected call: left out", line=line)
            return None
        direction, unanswered = _CALL_TYPES[kind]
        try:
            millis = int(attrs["date"])
            duration = int(attrs.get("duration", "0") or 0)
            when = datetime.fromtimestamp(millis / 1000, tz=ctx.tz)
        except (KeyError, ValueError, OverflowError, OSError):
            ctx.warn(f"call without a readable date/duration (date={quote(attrs.get('date', ''))}, "
                     f"duration={quote(attrs.get('duration', ''))}): left out", line=line)
            return None
        if not plausible_year(when.year):
            ctx.warn(f"call dated {when:%Y-%m-%d} (date={quote(attrs['date'])}) is not a real call time: "
                     "left out", line=line)
            return None
        try:
            check_duration(duration, attrs.get("duration", ""))
        except ImpossibleDuration as exc:
            ctx.warn(impossible_duration_warning(exc), line=line)
            duration = None
        number = attrs.get("number", "").strip()
        return call_event(
            time=when, direction=direction,
            number=None if number in _HIDDEN_NUMBERS else number,
            duration_s=duration, source=ctx.source(line=line), unanswered=unanswered,
        )
