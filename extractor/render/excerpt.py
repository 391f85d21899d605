"""What of a source file a case's PDF may carry: the file whole, this case's records
cut from it, or nothing.

An order export, a call bill, a call-note file or a chat file with several
conversations holds other buyers' nicks, phones, addresses and accounts.  A PDF that a
seller uploads to the platform must not hand them over, so a file shared with other
cases (or with calls no buyer was found for) is cut to this case's records:

* CSV (order export, bills, chat sheets): the header row and this case's rows, cells
  as read (a quoted multi-line cell stays one row), written as UTF-8 CSV;
* XLSX: the same, per sheet, as CSV;
* text (chat exports, call notes, the phone's call log, timelines): this case's lines —
  each event's own line and the following lines that are part of its message.

Cells and lines are masked as the report is (phone numbers; in a sheet also the
columns of addresses, accounts and names) unless ``--no-mask``.  The manifest names
the original (base name, size, SHA-256) and the numbers of the rows or lines, and
:func:`check_excerpt` compares an excerpt with an original cell by cell or line by
line, so ``evidence verify`` can tell a faithful excerpt from an edited one.  A shared
PDF source (an e-bill, a printed web chat) cannot be cut by record: it is not
attached, and the manifest says why.  A file that holds only this case's events, and
no line the parser could not read, is embedded whole, byte for byte.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

from ..model import Event, FileReport
from ..textio import decode_bytes, split_lines
from .env import mask_phones

WHOLE, EXCERPT, OMITTED = "whole", "excerpt", "none"
ROW, LINE = "row", "line"
# A message's lines after its first: at most this many more than its text has (the
# sender's name under it, in the web chat's layout), so a span never runs on.
SPAN_SLACK = 2
_BOM = "\ufeff"
# Sheet columns that hold personal data the report never shows (the order export's
# 收货地址, 支付宝账号, 收货人姓名): masked in an excerpt like the phone numbers.
_ADDRESS_COL = re.compile(r"地址")
_ACCOUNT_COL = re.compile(r"账号|帐号|邮箱")
_NAME_COL = re.compile(r"收货人|姓名|联系人")
_PHONE_COL = re.compile(r"电话|手机|号码")
_DIGIT = re.compile(r"[0-9]")
# A cell with a run of digits (a date, a time, an amount, a number) is data, not a
# column name ("是否是O2O交易" is a name).
_DIGIT_RUN = re.compile(r"[0-9]{4}")


@dataclass(frozen=True)
class Excerpt:
    unit: str  # ROW or LINE
    records: tuple[dict[str, Any], ...]  # {"row": n[, "sheet": s][, "header": True]} or {"line": n}
    data: bytes


def plan(f: FileReport, events_in_case: int, positions: Sequence[dict[str, Any]], data: bytes) -> str:
    """WHOLE, EXCERPT or OMITTED for one of a case's files in ``--attach case``."""
    shared = events_in_case < f.events or any(
        w.line is not None or w.row is not None or w.page is not None for w in f.warnings)
    if not shared:
        return WHOLE
    return EXCERPT if unit_of(positions, data) is not None else OMITTED


def unit_of(positions: Sequence[dict[str, Any]], data: bytes) -> str | None:
    """How a file can be cut: by rows (CSV, XLSX), by lines (text), or not (PDF, or
    events with no position)."""
    if not positions or data.startswith(b"%PDF") or any(p.get("page") is not None for p in positions):
        return None
    if all(p.get("row") is not None for p in positions):
        return ROW
    if all(p.get("line") is not None for p in positions) and not data.startswith(b"PK\x03\x04"):
        return LINE
    return None


def positions_in(events: Iterable[Event], file: str) -> list[dict[str, Any]]:
    """Where in ``file`` each of the events was read (row/sheet or line), with the event
    (a line span needs its text)."""
    out = []
    for event in events:
        for s in event.all_sources():
            if s.file == file:
                out.append({"line": s.line, "row": s.row, "page": s.page, "sheet": s.sheet, "event": event})
    return out


# ---------------------------------------------------------------------------
# reading the original the way the parsers number it


def _is_xlsx(data: bytes) -> bool:
    return data.startswith(b"PK\x03\x04")


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def sheet_records(data: bytes, fmt: str | None) -> Iterator[tuple[str | None, int, list[str]]]:
    """(sheet or None, row number, cells as text) of a CSV or XLSX source, numbered as
    its parser numbers them (CSV records from 1, a multi-line cell one record; XLSX
    rows as Excel numbers them)."""
    if _is_xlsx(data):
        from openpyxl import load_workbook

        from ..sources.containers import sheet_rows

        chat_sheet = (fmt or "").startswith("chat-sheet")
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=not chat_sheet)
        try:
            for sheet in book.worksheets:
                if chat_sheet:
                    sheet.reset_dimensions()
                for number, values in enumerate(sheet_rows(sheet, lambda *_: None), start=1):
                    yield sheet.title, number, [cell_text(v) for v in values]
        finally:
            book.close()
        return
    text = decode_bytes(data).text
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") and fmt != "chat-sheet-csv" else ","
    if csv.field_size_limit() < len(text) + 1:
        csv.field_size_limit(len(text) + 1)
    for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
        yield None, number, cells


def text_lines(data: bytes) -> list[str]:
    return split_lines(decode_bytes(data).text)


# A batch cuts the same order export or bill for every case of the run: each is read
# once per process, keyed by its SHA-256 (the bytes were checked against it).
_READ_CACHE: dict[tuple[str, str, str | None], Any] = {}
_READ_CACHE_SIZE = 8


def _cached(kind: str, key: str | None, fmt: str | None, read):
    if key is None:
        return read()
    slot = (kind, key, fmt)
    if slot not in _READ_CACHE:
        if len(_READ_CACHE) >= _READ_CACHE_SIZE:
            _READ_CACHE.pop(next(iter(_READ_CACHE)))
        _READ_CACHE[slot] = read()
    return _READ_CACHE[slot]


def _table(data: bytes, fmt: str | None, key: str | None = None) -> dict[tuple[str | None, int], list[str]]:
    return _cached("rows", key, fmt, lambda: {(sheet, n): cells for sheet, n, cells in sheet_records(data, fmt)})


def _lines(data: bytes, key: str | None = None) -> list[str]:
    return _cached("lines", key, None, lambda: text_lines(data))


# ---------------------------------------------------------------------------
# masking, one definition for the writer and the checker


def mask_cell(value: str, column: str, mask: bool) -> str:
    if not mask:
        return value
    value = mask_phones(value)
    if not value.strip():
        return value
    if _ADDRESS_COL.search(column):
        return value[:6] + "****" if len(value) > 6 else value
    if _ACCOUNT_COL.search(column):
        return value[:3] + "****" if len(value) > 3 else "****"
    if _NAME_COL.search(column):
        return value[:1] + "**"
    if _PHONE_COL.search(column) and "****" not in value and len(_DIGIT.findall(value)) >= 7:
        return value[:3] + "****" + value[-4:]  # a landline or a number in another form
    return value


def mask_row(cells: Sequence[str], header: Sequence[str] | None, mask: bool) -> list[str]:
    names = list(header or ())
    return [mask_cell(c, names[i].strip().lstrip(_BOM) if i < len(names) else "", mask) for i, c in enumerate(cells)]


def mask_line(line: str, mask: bool) -> str:
    return mask_phones(line) if mask else line


# ---------------------------------------------------------------------------
# making an excerpt


def _header_row(rows: dict[tuple[str | None, int], list[str]], sheet: str | None, before: int) -> int | None:
    """The column header above a sheet's first case row: the first row with two or more
    cells and no run of four digits in any (title rows carry dates and numbers, data rows
    too).  None when there is none: then no other row is taken in its place."""
    for number in range(1, before):
        cells = rows.get((sheet, number))
        if cells and sum(1 for c in cells if c.strip()) >= 2 and not any(_DIGIT_RUN.search(c) for c in cells):
            return number
    return None


def _row_excerpt(data: bytes, fmt: str | None, positions: Sequence[dict[str, Any]], mask: bool,
                 key: str | None) -> Excerpt:
    wanted = {(p.get("sheet"), p["row"]) for p in positions}
    first: dict[str | None, int] = {}
    for sheet, row in wanted:
        first[sheet] = min(row, first.get(sheet, row))
    rows = _table(data, fmt, key)
    records: list[dict[str, Any]] = []
    out_rows: list[list[str]] = []
    for sheet in sorted(first, key=lambda s: s or ""):
        header_no = _header_row(rows, sheet, first[sheet])
        header = rows.get((sheet, header_no)) if header_no else None
        numbers = ([header_no] if header_no else []) + sorted(r for s, r in wanted if s == sheet)
        for number in numbers:
            record: dict[str, Any] = {"row": number}
            if sheet is not None:
                record["sheet"] = sheet
            if number == header_no:
                record["header"] = True
            records.append(record)
            cells = rows.get((sheet, number), [])
            out_rows.append(list(cells) if number == header_no else mask_row(cells, header, mask))
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(out_rows)
    return Excerpt(ROW, tuple(records), (_BOM + buf.getvalue()).encode("utf-8"))


def _span(lines: Sequence[str], start: int, event: Event) -> list[int]:
    """The lines of one event: its own, and the next ones that are its message's text or
    its sender's name (a blank line only inside the span)."""
    text = event.text or ""
    sender = (event.sender or "").strip()
    limit = min(len(lines), start + text.count("\n") + 1 + SPAN_SLACK)
    span, blanks = [start], []
    for number in range(start + 1, limit + 1):
        stripped = lines[number - 1].strip()
        if not stripped:
            blanks.append(number)
        elif stripped in text or stripped == sender:
            span.extend(blanks)
            blanks = []
            span.append(number)
        else:
            break
    return span


def _line_excerpt(data: bytes, positions: Sequence[dict[str, Any]], mask: bool, key: str | None) -> Excerpt:
    lines = _lines(data, key)
    numbers: set[int] = set()
    for p in positions:
        if 1 <= p["line"] <= len(lines):
            numbers.update(_span(lines, p["line"], p["event"]))
    chosen = sorted(numbers)
    body = "".join(mask_line(lines[n - 1], mask) + "\r\n" for n in chosen)
    return Excerpt(LINE, tuple({"line": n} for n in chosen), (_BOM + body).encode("utf-8"))


def make_excerpt(data: bytes, fmt: str | None, positions: Sequence[dict[str, Any]], mask: bool,
                 key: str | None = None) -> Excerpt:
    """This case's records of ``data``; ``key`` (the bytes' SHA-256) lets the file be
    read once for all the cases of a process."""
    unit = unit_of(positions, data)
    if unit == ROW:
        return _row_excerpt(data, fmt, positions, mask, key)
    if unit == LINE:
        return _line_excerpt(data, positions, mask, key)
    raise ValueError("this file cannot be cut by record")


def excerpt_name(attachment: str, unit: str) -> str:
    """``ExportOrderList.csv`` → ``ExportOrderList.excerpt.csv``; XLSX and text
    excerpts are CSV and text files."""
    stem, dot, ext = attachment.rpartition(".")
    if not dot:
        stem = attachment
    return f"{stem}.excerpt.{'csv' if unit == ROW else 'txt'}"


# ---------------------------------------------------------------------------
# checking an excerpt against an original


def check_excerpt(original: bytes, fmt: str | None, unit: str, records: Sequence[dict[str, Any]],
                  excerpt: bytes, mask: bool) -> list[str]:
    """What differs between ``excerpt`` and the records of ``original`` it names, one
    line each (empty: every row or line is the original's, masked as recorded)."""
    text = decode_bytes(excerpt).text
    problems: list[str] = []
    if unit == LINE:
        got = split_lines(text)
        lines = text_lines(original)
        if len(got) != len(records):
            problems.append(f"the excerpt has {len(got)} lines, the manifest names {len(records)}")
        for record, line in zip(records, got):
            n = int(record["line"])
            want = mask_line(lines[n - 1], mask) if 1 <= n <= len(lines) else None
            if want != line:
                problems.append(f"line {n} differs from the original" if want is not None
                                else f"line {n} is not in the original")
        return problems
    got_rows = list(csv.reader(io.StringIO(text, newline="")))
    table = _table(original, fmt)
    if len(got_rows) != len(records):
        problems.append(f"the excerpt has {len(got_rows)} rows, the manifest names {len(records)}")
    headers: dict[str | None, list[str]] = {}
    for record in records:
        if record.get("header"):
            headers[record.get("sheet")] = table.get((record.get("sheet"), int(record["row"])), [])
    for record, cells in zip(records, got_rows):
        sheet, n = record.get("sheet"), int(record["row"])
        where = f"row {n}" + (f" of sheet {sheet!r}" if sheet else "")
        original_cells = table.get((sheet, n))
        if original_cells is None:
            problems.append(f"{where} is not in the original")
            continue
        want = list(original_cells) if record.get("header") else mask_row(original_cells, headers.get(sheet), mask)
        if _trim(want) != _trim(cells):
            problems.append(f"{where} differs from the original")
    return problems


def _trim(cells: Sequence[str]) -> list[str]:
    out = list(cells)
    while out and out[-1] == "":
        out.pop()
    return out
