"""The complaint register: one row per order, as CSV (UTF-8 with BOM, so Excel opens it
right) and XLSX.

Every text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
prefixed with ``'``: a buyer's nick or words must never become a formula in the seller's
Excel (CSV/XLSX formula injection).

Order numbers have 19 digits; Excel reads a CSV cell of digits as a number and shows
3.02146E+18 (and keeps only 15 digits).  The XLSX stores them as text cells.  In the
CSV a long digit string is written after a tab: Excel opening a UTF-8-BOM CSV then
takes the cell as text and shows every digit, and the tab is invisible there.  The
other usual choices do not fit: ``="…"`` is a formula (which this module refuses to
write), and a leading ``'`` is a text prefix only when typed into Excel — in a CSV it
stays, visible, in the cell.  A reader that strips blanks (this tool's own CSV readers,
``csv`` plus ``str.strip``) gets the digits back.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timezone
from typing import Any, Iterable, Sequence

from .context import RenderContext
from .view import REGISTER_COLUMNS, RunIndex

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Digit strings this long are shown by Excel in scientific notation (and cut to 15
# significant digits) when a CSV cell holds them bare.
_LONG_DIGITS = re.compile(r"[0-9]{12,}")
# Characters an XLSX cell cannot hold (XML 1.0 forbids them): openpyxl refuses the whole
# workbook over one.  In a cell they are written as visible escapes (\x07), so the
# register is still made and a reader sees that the nick or id held one.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def neutralize(value: Any) -> Any:
    """A cell value Excel will show as text, never run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def register_table(run: RunIndex) -> list[list[Any]]:
    return [list(row) for summary in run.summaries for row in summary["register_rows"]]


def csv_cell(value: Any) -> Any:
    """A register value as the CSV writes it: neutralized, and a long digit string
    (an order number) after a tab so that Excel keeps it as text, every digit."""
    value = neutralize(value)
    if isinstance(value, str) and _LONG_DIGITS.fullmatch(value):
        return "\t" + value
    return value


def register_csv(rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(REGISTER_COLUMNS)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def register_xlsx(rows: Iterable[Sequence[Any]], ctx: RenderContext) -> bytes:
    # Write-only mode streams rows: the ordinary mode looks up the sheet's extent on
    # every append, which made a 10,000-order register take tens of seconds.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("登记表")
    widths = (22, 18, 20, 20, 12, 12, 14, 30, 46, 20)
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    def header_cell(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=value)
        cell.font = bold
        return cell

    def cell(value: Any) -> WriteOnlyCell:
        if isinstance(value, str):
            value = _ILLEGAL_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
        c = WriteOnlyCell(ws, value=neutralize(value))
        if isinstance(c.value, str):
            # Text, always: order numbers keep their 19 digits and nothing is a formula.
            c.data_type = "s"
            c.number_format = "@"
            c.alignment = wrap
        return c

    ws.append([header_cell(name) for name in REGISTER_COLUMNS])
    for row in rows:
        ws.append([cell(v) for v in row])
    when = ctx.generated_at.astimezone(timezone.utc).replace(tzinfo=None)
    wb.properties.creator = "evidence"
    wb.properties.created = when
    wb.properties.modified = when
    buf = io.BytesIO()
    wb.save(buf)
    return _pin_zip_times(buf.getvalue(), when)


def _pin_zip_times(data: bytes, when) -> bytes:
    """openpyxl stamps the zip entries and docProps' ``modified`` with the clock at save
    time; pin both to the run's generation time so the same run gives the same bytes."""
    import re
    import zipfile

    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              lambda m: m.group(1) + stamp + m.group(2), body)
            pinned = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = info.external_attr
            dst.writestr(pinned, body)
    return out.getvalue()


def render_register_csv(run: RunIndex, ctx: RenderContext) -> bytes:
    return register_csv(register_table(run))


def render_register_xlsx(run: RunIndex, ctx: RenderContext) -> bytes:
    return register_xlsx(register_table(run), ctx)
