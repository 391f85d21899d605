"""What every input format shares: the input file, the parse context, the format base
class and the registry.

A format is a class with ``NAME``, ``DESCRIPTION``, a cheap ``sniff(file)`` that looks at
the first bytes (or the decoded head), and ``parse(file, ctx)`` that yields events.
``parse`` never raises for a bad line: it calls ``ctx.warn(...)`` and goes on.  It
raises :class:`~extractor.errors.FormatError` only when the file as a whole cannot be
read as this format.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime
from functools import cached_property
from pathlib import Path
from typing import ClassVar, Iterator
from zoneinfo import ZoneInfo

from ..errors import InputTooLargeError, UnknownFormatError, UnsafeInputError, UsageError
from ..i18n import N_, said
from ..limits import EXCERPT_CHARS, MAX_WARNING_CHARS, MAX_WARNINGS_PER_FILE
from ..model import Event, Kind, ParseWarning, Role, Source
from ..roles import AUTO_REPLY_RE, RoleResolver
from ..textio import DecodedText, decode_bytes, decode_head, split_lines

# A buyer message that starts like the shop's auto-reply (extractor.model.FLAGS).
FORGED_AUTO_REPLY = "forged_auto_reply"

BEIJING = ZoneInfo("Asia/Shanghai")
HEAD_BYTES = 8192

# The years an export's times can fall in.  A line dated 0001-01-01 or 9999-12-31 is
# damaged or forged, not evidence, and would overflow the date arithmetic done later
# (call windows, shipping deadlines): parsers warn and leave it out.  1970 keeps the
# epoch-zero date a phone with a reset clock writes.
EARLIEST_YEAR, LATEST_YEAR = 1970, 2099


def plausible_year(year: int) -> bool:
    return EARLIEST_YEAR <= year <= LATEST_YEAR


@dataclass(frozen=True)
class ParseOptions:
    """Options a user gives once for a whole run."""

    tz: ZoneInfo = BEIJING
    shop: tuple[str, ...] = ()
    staff: tuple[str, ...] = ()
    # The year for dates written without one (6月24日), when the file itself has no
    # dated neighbour; filled in by the timeline from the run's other inputs.
    year_hint: int | None = None
    # Shop names the run's other inputs show (店铺名: prefixes, 店铺名称): a sender
    # written exactly so is the shop's main account, a seller, although it has no colon.
    # Filled in by the read stage; unlike ``shop`` it leaves the colon convention on.
    known_shops: tuple[str, ...] = ()


class InputFile:
    """One input file: the path as the user gave it, its bytes and their SHA-256."""

    def __init__(self, path: Path | str, data: bytes, label: str | None = None) -> None:
        self.path = Path(path)
        self.label = label if label is not None else str(path)
        self.data = data
        self.sha256 = hashlib.sha256(data).hexdigest()
        self.size = len(data)

    @classmethod
    def read(cls, path: Path | str, label: str | None = None) -> "InputFile":
        return cls(path, Path(path).read_bytes(), label)

    @property
    def head(self) -> bytes:
        return self.data[:HEAD_BYTES]

    @cached_property
    def head_text(self) -> str:
        return decode_head(self.head)

    @cached_property
    def decoded(self) -> DecodedText:
        """The whole file as text; raises EncodingError rather than guess."""
        return decode_bytes(self.data, name=self.label)

    @property
    def text(self) -> str:
        return self.decoded.text

    @cached_property
    def lines(self) -> list[str]:
        return split_lines(self.text)


# What a warning must not carry to a terminal or a log: control characters (an ESC
# sequence can clear the screen or retitle the window, a line break can forge a line
# of output) and bidi controls (which reorder what follows them).  Warnings quote
# hostile text; events keep it verbatim, warnings show these characters escaped.
_UNPRINTABLE_RE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    return _UNPRINTABLE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def quote(value: object, limit: int = EXCERPT_CHARS) -> str:
    """What a warning or an error quotes of an input value: its repr when it is short,
    else the repr of its first ``limit`` characters and ``…(N 字符)``, N being the whole
    length (a value that is no string: its repr, cut the same way).  A 20 MB attribute must not make a 20 MB warning; the event (or the
    file) keeps the value whole."""
    if not isinstance(value, str):
        value = repr(value)
        return value if len(value) <= limit else f"{value[:limit]}…({len(value)} 字符)"
    return repr(value) if len(value) <= limit else f"{value[:limit]!r}…({len(value)} 字符)"


def bounded(reason: str, limit: int = MAX_WARNING_CHARS) -> str:
    """A whole message cut to ``limit`` characters with the same marker (the safety net
    for a warning that quotes a whole row)."""
    return reason if len(reason) <= limit else f"{reason[:limit]}…({len(reason)} 字符)"


class ParseContext:
    """Per-file state a parser writes to: warnings, and helpers that stamp provenance,
    roles and time zones the same way in every format."""

    def __init__(self, file: InputFile, format_name: str, options: ParseOptions) -> None:
        self.file = file
        self.format_name = format_name
        self.options = options
        self.tz = options.tz
        self.warnings: list[ParseWarning] = []
        # Warnings past MAX_WARNINGS_PER_FILE are counted, not kept (see finished_warnings).
        self.warnings_left_out = 0
        self.roles = RoleResolver(shop=options.shop, staff=options.staff, known_shops=options.known_shops)
        # Set by a parser that met a date without a year, found no dated neighbour in
        # the file and had no ``year_hint``: it warns and skips such lines, and the
        # timeline parses the file again with the year of the run's other inputs.
        self.missing_year = False

    # -- provenance -------------------------------------------------------
    def source(self, *, line: int | None = None, row: int | None = None,
               page: int | None = None, sheet: str | None = None) -> Source:
        return Source(self.file.label, self.file.sha256, self.format_name, line, row, page, sheet)

    def warn(self, reason: str, *, line: int | None = None, row: int | None = None,
             page: int | None = None) -> None:
        if len(self.warnings) >= MAX_WARNINGS_PER_FILE:
            self.warnings_left_out += 1
            return
        self.warnings.append(ParseWarning(self.file.label, printable(bounded(reason)), line, row, page))

    def finished_warnings(self) -> tuple[ParseWarning, ...]:
        """The warnings, and one more saying how many were left out past the limit."""
        if not self.warnings_left_out:
            return tuple(self.warnings)
        last = self.warnings[-1] if self.warnings else None
        more = ParseWarning(
            self.file.label,
            f"{self.warnings_left_out} more warnings of this file are not listed (a file keeps at most "
            f"{MAX_WARNINGS_PER_FILE}); the last listed is at {last.where() if last else 'the start'}")
        return (*self.warnings, more)

    # -- times --------------------------------------------------------------
    def localize(self, naive: datetime) -> datetime:
        if naive.tzinfo is not None:
            return naive.astimezone(self.tz)
        return naive.replace(tzinfo=self.tz)

    def at(self, day: date, clock: dtime) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.tz)

    # -- events -------------------------------------------------------------
    def message(self, *, time: datetime, sender: str, text: str, buyer: str | None,
                source: Source, role: Role | None = None, kind: Kind | None = None) -> Event:
        """A chat line: role and kind from the sender and text unless the format knows."""
        resolved_role, resolved_kind = self.roles.classify(sender, text)
        role = role or resolved_role
        kind = kind or resolved_kind
        flags: tuple[str, ...] = ()
        if role == "buyer" and AUTO_REPLY_RE.match(text):
            # The buyer's text, tagged as any other: 【自动回复】 would otherwise hide its
            # threats and claims from the tagger (auto-replies are not tagged).
            kind = "message" if kind == "auto_reply" else kind
            flags = (FORGED_AUTO_REPLY,)
            self.warn(f"a message from buyer {sender} starts with 【自动回复】, which only the shop's "
                      "auto-reply sends: kept as the buyer's message and tagged, marked suspicious",
                      line=source.line, row=source.row, page=source.page)
        return Event(
            time=self.localize(time),
            role=role,
            kind=kind,
            sender=sender,
            buyer=buyer,
            text=text,
            source=source,
            flags=flags,
        )


class SourceFormat:
    """Base class of every input format."""

    NAME: ClassVar[str]
    DESCRIPTION: ClassVar[str]
    # Lower runs first in detection; specific formats before liberal ones.
    PRIORITY: ClassVar[int] = 50

    def sniff(self, file: InputFile) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:  # pragma: no cover
        raise NotImplementedError


_REGISTRY: dict[str, SourceFormat] = {}


def register(cls: type[SourceFormat]) -> type[SourceFormat]:
    name = cls.NAME
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise ValueError(f"format name {name!r} must be lower-case ascii")
    if name in _REGISTRY:
        raise ValueError(f"format {name!r} registered twice")
    _REGISTRY[name] = cls()
    return cls


def formats() -> list[SourceFormat]:
    return sorted(_REGISTRY.values(), key=lambda f: (f.PRIORITY, f.NAME))


def get_format(name: str) -> SourceFormat:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(f.NAME for f in formats())
        raise UsageError(N_("unknown format {name!r}; known formats: {known}"), name=name, known=known) from None


def detect(file: InputFile) -> SourceFormat:
    for fmt in formats():
        try:
            if fmt.sniff(file):
                return fmt
        except (UnsafeInputError, InputTooLargeError):
            raise  # a zip bomb is the answer, not "not mine"
        except Exception:  # a sniff must never sink the run; treat as "not mine"
            continue
    tried = ", ".join(f.NAME for f in formats())
    hint: str = ""
    if file.head.startswith(b"PK\x03\x04") and not _is_workbook(file.data):
        hint = said(N_("; it is a zip archive, not an export: 请先解压 (unzip it and give evidence the unpacked "
                       "folder; the files inside are not read)"))
    elif file.head.startswith(b"PK\x03\x04"):
        hint = said(N_("; it is a ZIP/XLSX container that no sheet format could read (damaged, truncated or "
                       "another kind of workbook)"))
    elif file.head.lstrip().startswith(b"%PDF"):
        from .containers import pdf_problem  # late: containers builds on this module

        problem = pdf_problem(file.data)
        if problem == "password-protected":
            hint = said(N_("; it is a password-protected PDF: open it with its password and save or print "
                           "it to a new PDF without one"))
        elif problem:
            hint = said(N_("; it is a PDF that cannot be read ({problem})"), problem=said(problem))
        else:
            hint = said(N_("; it is a PDF with no chat, call or order text on its first page (a scan, or "
                           "another document)"))
    elif not file.data:
        hint = said(N_("; the file is empty"))
    elif not file.head_text and b"\x00" not in file.head:
        # Text whose first bytes decode in no known encoding: that is the error (E102,
        # naming the byte), not "unknown format" -- no sniff could see what it is.
        file.decoded
    raise UnknownFormatError(N_("{file}: not a known export (tried: {tried}){hint}"), file=file.label, tried=tried,
                             hint=hint)


def _is_workbook(data: bytes) -> bool:
    """A zip whose listing (the central directory only: nothing is inflated) holds a
    workbook's parts, or one too damaged to list (the sheet readers say what is wrong)."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(n.startswith("xl/") or n == "[Content_Types].xml" for n in archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return True
