"""What the call-record formats share: durations, start times that may lack a year,
the call event itself, and the reading of carrier bills laid out as a table (CSV, XLSX
or the tables of a PDF e-bill).

A carrier bill is a header row and one row per call.  China Mobile and China Unicom
name their columns differently (:class:`BillLayout`), but a row always yields the same
four things: when, which way, which number, how long.  Rows are collected first and
turned into events afterwards, because a date written without a year (``06-24
10:20:11``) takes its year from the rows around it.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time as dtime, timedelta
from functools import lru_cache
from typing import Any, Callable, Iterator, Literal, Sequence

from ..errors import FormatError
from ..i18n import N_, said
from ..limits import MAX_CALL_SECONDS
from ..model import Call, Event, Source
from .base import InputFile, ParseContext, plausible_year, quote
from .containers import check_workbook, csv_reader, sheet_rows, stop_reason

Direction = Literal["out", "in"]

# -- durations -------------------------------------------------------------

# Matched against the text with every blank taken out: three optional parts separated
# by "\s*" backtrack quadratically over a long run of blanks.
_CN_DURATION_RE = re.compile(
    r"^(?:(?P<h>\d+)(?:小时|时))?(?:(?P<m>\d+)(?:分钟|分))?(?:(?P<s>\d+)秒)?$")
_CLOCK_DURATION_RE = re.compile(r"^(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>\d{2})$")
EMPTY_VALUES = frozenset({"", "--", "-", "—", "null", "NULL", "无"})


class ImpossibleDuration(ValueError):
    """A duration that reads as a number but no call lasts (negative, or longer than
    MAX_CALL_SECONDS): the call itself is kept, its duration unknown."""


def parse_duration(value: Any) -> int | None:
    """Seconds from ``0秒``, ``1分12秒``, ``1小时2分3秒``, ``00:01:12``, ``72`` or an Excel
    time cell; None for an empty cell (``--``).  Raises ImpossibleDuration for a negative
    duration or one past MAX_CALL_SECONDS, ValueError for anything else."""
    seconds = _duration_seconds(value)
    if seconds is not None:
        check_duration(seconds, value)
    return seconds


def check_duration(seconds: int, written: Any) -> None:
    if seconds < 0:
        raise ImpossibleDuration(f"negative call duration {quote(written)}")
    if seconds > MAX_CALL_SECONDS:
        raise ImpossibleDuration(f"call duration {quote(written)} is {seconds} s, longer than "
                                 f"{MAX_CALL_SECONDS // 3600} hours")


def impossible_duration_warning(exc: ImpossibleDuration) -> str:
    return f"{exc}: not a real call duration; the call is kept, its duration unknown"


def _duration_seconds(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {quote(value)}")
    if isinstance(value, timedelta):
        return int(round(value.total_seconds()))
    if isinstance(value, dtime):
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"not a duration: {quote(value)}")
        # A bare number from a sheet: whole seconds, or a fraction of a day when the
        # cell held an Excel time without a time format.
        return int(round(value * 86400)) if 0 < value < 1 else int(round(value))
    text = "".join(str(value).split())
    if text in EMPTY_VALUES:
        return None
    if text.isdigit():
        return int(text)
    if text[:1] == "-" and text[1:].isdigit():
        return -int(text[1:])  # read, so that parse_duration names it as impossible
    match = _CLOCK_DURATION_RE.match(text)
    if match is None:
        match = _CN_DURATION_RE.match(text)
        if match is None or not any(match.groupdict().values()):
            raise ValueError(f"not a duration: {quote(value)}")
    h, m, s = (int(match.group(k) or 0) for k in ("h", "m", "s"))
    return h * 3600 + m * 60 + s


def format_duration(seconds: int | None) -> str:
    if seconds is None:
        return "时长未知"
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return (f"{h}小时" if h else "") + (f"{m}分" if h or m else "") + f"{s}秒"


# -- start times, with or without a year ------------------------------------

_DATETIME_RE = re.compile(
    r"^(?:(?P<y>\d{4})\s*[-/.年]\s*)?(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?:\s*日)?"
    r"\s*T?(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?$")


@dataclass(frozen=True)
class WrittenTime:
    """A start time as the record wrote it; ``year`` is None when the record left it out."""

    year: int | None
    month: int
    day: int
    clock: dtime

    def on_year(self, year: int) -> datetime:
        """Raises ValueError for an impossible date (02-30, or 02-29 of a common year)."""
        return datetime.combine(date(year, self.month, self.day), self.clock)


def parse_written_time(value: Any) -> WrittenTime:
    """A start time from a cell: a datetime (XLSX), an Excel serial number, or text such
    as ``2022-06-24 10:20:11``, ``2022/6/24 10:20``, ``06-24 10:20:11``."""
    if isinstance(value, datetime):
        if not plausible_year(value.year):
            raise ValueError(f"not a date and time of a record: {value.isoformat(sep=' ')}")
        return WrittenTime(value.year, value.month, value.day, value.time().replace(microsecond=0))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        try:
            moment = from_excel(value)
        except (OverflowError, ValueError):  # past year 9999, or not a finite number
            raise ValueError(f"not a date and time: {quote(value)}") from None
        if not isinstance(moment, datetime):
            raise ValueError(f"not a date and time: {quote(value)}")
        return parse_written_time(moment)
    text = str(value).strip() if value is not None else ""
    match = _DATETIME_RE.match(text)
    if match is None:
        raise ValueError(f"not a date and time: {quote(text)}")
    try:
        clock = dtime(int(match["h"]), int(match["mi"]), int(match["s"] or 0))
        year = int(match["y"]) if match["y"] else None
        written = WrittenTime(year, int(match["mo"]), int(match["d"]), clock)
        written.on_year(year or 2000)  # 2000 is a leap year: only month/day are checked here
        if year is not None and not plausible_year(year):
            raise ValueError(year)
    except ValueError:
        raise ValueError(f"not a valid date and time: {quote(text)}") from None
    return written


def nearest_year(month: int, day: int, anchor: date) -> int | None:
    """The year that puts month-day closest to ``anchor`` (so 1月2日 after 12月30日 goes
    into the next year); None if the date exists in none of the three candidate years."""
    best: tuple[int, int] | None = None
    for year in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            gap = abs((date(year, month, day) - anchor).days)
        except ValueError:
            continue
        if best is None or gap < best[0]:
            best = (gap, year)
    return best[1] if best else None


def fill_years(written: Sequence[tuple[int | None, int, int]],
               leading: Sequence[date] = ()) -> list[int | None]:
    """Years for dates written in file order, some without a year.

    A year-less date takes the year that puts it nearest the record before it (dated or
    already filled), else nearest the next dated record; ``leading`` are dates that come
    before every record (a bill's query period).  None where nothing gives a year."""
    years: list[int | None] = [y for y, _, _ in written]
    previous: date | None = leading[-1] if leading else None
    for i, (year, month, day) in enumerate(written):
        if year is None:
            anchor = previous
            if anchor is None:
                anchor = next((date(y, m, d) for y, m, d in written[i + 1:] if y is not None), None)
            if anchor is None:
                continue
            year = nearest_year(month, day, anchor)
            years[i] = year
        if year is not None:
            try:
                previous = date(year, month, day)
            except ValueError:
                pass
    return years


# -- call events ------------------------------------------------------------

def describe_call(direction: Direction, number: str | None, duration_s: int | None,
                  unanswered: str | None = None) -> str:
    """The short factual line a call event reads as, e.g. ``呼出 13812345678 0秒``."""
    who = number or "（号码未显示）"
    if unanswered:
        return f"{unanswered} {who}"
    return f"{'呼出' if direction == 'out' else '呼入'} {who} {format_duration(duration_s)}"


def call_event(*, time: datetime, direction: Direction, number: str | None,
               duration_s: int | None, source: Source, unanswered: str | None = None) -> Event:
    """A call from a bill or a phone's log.  ``unanswered`` names a missed or rejected
    call (未接来电, 拒接来电), which is unanswered whatever its duration."""
    answered = unanswered is None and duration_s is not None and duration_s > 0
    return Event(
        time=time,
        role="seller" if direction == "out" else "buyer",
        kind="call",
        sender=None,
        buyer=None,
        text=describe_call(direction, number, duration_s, unanswered),
        source=source,
        call=Call(direction=direction, duration_s=duration_s, number=number, answered=answered),
    )


def number_as_written(value: Any) -> str | None:
    """The other party's number as the record wrote it; Excel-protecting ``="…"`` and a
    leading ``'`` are not part of it."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unwrap_cell(str(value))
    return None if text in EMPTY_VALUES else text


def unwrap_cell(text: str) -> str:
    """``="12345"`` → ``12345``; ``'12345`` → ``12345``; surrounding blanks removed."""
    text = text.strip()
    if text.startswith('="') and text.endswith('"') and len(text) >= 3:
        return text[2:-1].strip()
    if text.startswith("'"):
        return text[1:].strip()
    return text


# -- carrier bills laid out as a table ----------------------------------------

def header_name(value: Any) -> str:
    return re.sub(r"\s+", "", str(value)).lstrip("\ufeff") if value is not None else ""


@dataclass(frozen=True)
class BillLayout:
    """How one carrier names its bill columns.  ``marker`` is a column only this
    carrier's call bills have; detection needs it together with the others."""

    carrier: str
    marker: str
    time: tuple[str, ...]
    direction: tuple[str, ...]
    number: tuple[str, ...]
    duration: tuple[str, ...]

    def columns(self, cells: Sequence[Any]) -> dict[str, int] | None:
        """Column positions when ``cells`` is this layout's header row, else None."""
        names = [header_name(c) for c in cells]
        if self.marker not in names:
            return None
        found: dict[str, int] = {}
        for key in ("time", "direction", "number", "duration"):
            for alias in getattr(self, key):
                if alias in names:
                    found[key] = names.index(alias)
                    break
            else:
                return None
        return found


@dataclass(frozen=True)
class BillRow:
    where: dict[str, Any]          # Source/warning position: row (+ sheet) or page
    written: WrittenTime
    direction: Direction
    number: str | None
    duration_s: int | None


_TOTAL_ROW_RE = re.compile(r"^(合计|总计|小计|共计|总通话)")


class BillReader:
    """Reads the rows of one bill: finds the header, keeps its columns across tables and
    pages, skips repeated headers, warns about rows it cannot read, then fills years."""

    def __init__(self, layout: BillLayout, ctx: ParseContext) -> None:
        self.layout = layout
        self.ctx = ctx
        self.columns: dict[str, int] | None = None
        self.header_width = 0
        self.rows: list[BillRow] = []
        self.preamble: list[str] = []  # text before the first header: title, query period

    def feed(self, cells: Sequence[Any], where: dict[str, Any]) -> None:
        values = list(cells)
        if not any(header_name(v) for v in values):
            return
        columns = self.layout.columns(values)
        if columns is not None:
            # A header again (next page, next sheet): same table continues.
            self.columns, self.header_width = columns, len(values)
            return
        if self.columns is None:
            self.preamble.append(" ".join(str(v) for v in values if v is not None))
            return
        if _TOTAL_ROW_RE.match(header_name(values[0])):
            return
        self.rows_read(values, where)

    def rows_read(self, values: list[Any], where: dict[str, Any]) -> None:
        assert self.columns is not None
        try:
            cell = {k: values[i] if i < len(values) else None for k, i in self.columns.items()}
            written = parse_written_time(cell["time"])
            direction = self.direction_of(cell["direction"])
            try:
                duration = parse_duration(cell["duration"])
            except ImpossibleDuration as exc:
                sheet = f"sheet {where['sheet']}: " if where.get("sheet") else ""
                self.ctx.warn(sheet + impossible_duration_warning(exc), **_warn_where(where))
                duration = None
        except ValueError as exc:
            shown = ", ".join("" if v is None else str(v) for v in values)
            sheet = f"sheet {where['sheet']}: " if where.get("sheet") else ""
            self.ctx.warn(f"{sheet}not a call record ({_clip(str(exc), 120)}): {_clip(shown, 300)}",
                          **_warn_where(where))
            return
        self.rows.append(BillRow(where, written, direction, number_as_written(cell["number"]), duration))

    @staticmethod
    def direction_of(value: Any) -> Direction:
        text = header_name(value)
        if text.startswith("主叫"):
            return "out"
        if text.startswith("被叫"):
            return "in"
        raise ValueError(f"call type {quote(text) if text else '(empty)'} is neither 主叫 nor 被叫")

    def events(self, source_of) -> Iterator[Event]:
        """Events for the rows read, years filled; ``source_of(where)`` makes the Source."""
        if self.columns is None:
            raise FormatError(N_("{file}: no {carrier} call table (header row with the call columns) found"),
                              file=self.ctx.file.label, carrier=said(self.layout.carrier))
        written = [(r.written.year, r.written.month, r.written.day) for r in self.rows]
        period = [d for text in self.preamble for d in dates_in(text)]
        years = fill_years(written, period)
        filled = 0
        for row, year in zip(self.rows, years):
            if row.written.year is None and year is not None:
                filled += 1
            if year is None:
                year = self.ctx.options.year_hint
            if year is None:
                self.ctx.missing_year = True
                self.ctx.warn(f"{row.written.month:02d}-{row.written.day:02d} is written without a "
                              "year and nothing in this bill gives one: row left out",
                              **_warn_where(row.where))
                continue
            try:
                naive = row.written.on_year(year)
            except ValueError:
                self.ctx.warn(f"{year}-{row.written.month:02d}-{row.written.day:02d} is not a date: "
                              "row left out", **_warn_where(row.where))
                continue
            yield call_event(time=self.ctx.localize(naive), direction=row.direction,
                             number=row.number, duration_s=row.duration_s,
                             source=source_of(row.where))
        if filled:
            self.ctx.warn(f"{filled} call(s) written without a year were given the year of the "
                          "bill's other records or its query period")


def _clip(text: str, limit: int) -> str:
    """A warning quotes a row, but a 5 MB cell must not make a 5 MB warning."""
    return text if len(text) <= limit else text[:limit] + "…"


def _warn_where(where: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in where.items() if k in ("line", "row", "page")}


_FULL_DATE_RE = re.compile(r"(20\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def dates_in(text: str) -> list[date]:
    out = []
    for y, m, d in _FULL_DATE_RE.findall(text):
        try:
            out.append(date(int(y), int(m), int(d)))
        except ValueError:
            continue
    return out


# -- reading the three containers ---------------------------------------------

def csv_records(file: InputFile) -> Iterator[tuple[int, list[str]]]:
    """(record number, cells) of a CSV bill; the header counts as record 1 when it is
    the first line, and a quoted multi-line cell stays one record."""
    text = file.text
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv_reader(text, delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells
    except csv.Error as exc:
        raise FormatError(N_("{file}: not a readable CSV file ({problem})"), file=file.label, problem=exc) from None


def csv_head_header(file: InputFile, layout: BillLayout, lines: int = 8) -> bool:
    """Cheap sniff: one of the first lines is this layout's header."""
    head = file.head_text.lstrip("\ufeff")
    for line in head.replace("\r\n", "\n").split("\n")[:lines]:
        delimiter = "\t" if line.count("\t") > line.count(",") else ","
        try:
            cells = next(csv.reader([line], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        if layout.columns(cells) is not None:
            return True
    return False


def is_xlsx(file: InputFile) -> bool:
    return file.head.startswith(b"PK\x03\x04") and b"xl/workbook" in file.data


@lru_cache(maxsize=8)
def _xlsx_heads(data: bytes) -> tuple[tuple[Any, ...], ...]:
    """The first rows of every sheet (for sniffing; cached so each format's sniff
    does not open the workbook again)."""
    rows: list[tuple[Any, ...]] = []
    for _, _, values in xlsx_rows(data, limit=8):
        rows.append(values)
    return tuple(rows)


def xlsx_head_header(file: InputFile, layout: BillLayout) -> bool:
    if not is_xlsx(file):
        return False
    check_workbook(file)  # a zip bomb is refused here, not opened
    try:
        heads = _xlsx_heads(file.data)
    except Exception:
        return False
    return any(layout.columns(row) is not None for row in heads)


def xlsx_rows(data: bytes, limit: int | None = None,
              on_stop: Callable[[str, int, int], None] | None = None) -> Iterator[tuple[str, int, tuple[Any, ...]]]:
    """(sheet name, Excel row number, values) of every sheet; ``limit`` rows per sheet.
    A sheet ends after a long run of empty rows (``on_stop(sheet, first empty, row)``)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for sheet in book.worksheets:
            def stopped(first_empty: int, at: int, title: str = sheet.title) -> None:
                if on_stop is not None:
                    on_stop(title, first_empty, at)

            for number, values in enumerate(sheet_rows(sheet, stopped), start=1):
                if limit is not None and number > limit:
                    break
                yield sheet.title, number, tuple(values)
    finally:
        book.close()


def read_xlsx_bill(file: InputFile, reader: BillReader) -> None:
    check_workbook(file)

    def stopped(sheet: str, first_empty: int, at: int) -> None:
        reader.ctx.warn(stop_reason(sheet, first_empty, at), row=at)

    try:
        for sheet, number, values in xlsx_rows(file.data, on_stop=stopped):
            reader.feed(values, {"row": number, "sheet": sheet})
    except FormatError:
        raise
    except Exception as exc:  # zip or XML damage: the file as a whole is unreadable
        raise FormatError(N_("{file}: not a readable XLSX workbook ({error}: {detail})"), file=file.label,
                          error=type(exc).__name__, detail=exc) from None


def read_csv_bill(file: InputFile, reader: BillReader) -> None:
    for number, cells in csv_records(file):
        reader.feed(cells, {"row": number})


def bill_events(file: InputFile, ctx: ParseContext, layout: BillLayout,
                container: Literal["csv", "xlsx"]) -> Iterator[Event]:
    reader = BillReader(layout, ctx)
    if container == "csv":
        read_csv_bill(file, reader)
        return reader.events(lambda where: ctx.source(row=where["row"]))
    read_xlsx_bill(file, reader)
    return reader.events(lambda where: ctx.source(row=where["row"], sheet=where["sheet"]))
