"""China Mobile call bills (通话详单): the CSV and XLSX downloads and the PDF e-bill.

Header ``起始时间,通信地点,通信方式,对方号码,通信时长,通信类型,…``; 通信方式 主叫 is a
call the shop made, 被叫 one it received.  The PDF e-bill prints the same table, one
per page: its tables are read page by page and a table that runs over pages stays one
table (the header repeated on each page is skipped, a page without a header continues
the table before it).  A page whose tables miss rows its text has (a table printed
without rules) is read from its text lines.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterator

from ..i18n import N_
from ..model import Event
from .base import InputFile, ParseContext, SourceFormat, register
from .call_records import BillLayout, BillReader, bill_events, csv_head_header, xlsx_head_header
from .containers import first_page_text, open_pdf, pdf_pages

CMCC = BillLayout(
    carrier=N_("China Mobile"),
    marker="通信方式",
    time=("起始时间", "通话起始时间", "开始时间"),
    direction=("通信方式",),
    number=("对方号码",),
    duration=("通信时长", "通话时长"),
)


@register
class CmccBillCsv(SourceFormat):
    NAME = "cmcc-bill-csv"
    DESCRIPTION = "China Mobile call bill (通话详单), CSV download"
    PRIORITY = 30

    def sniff(self, file: InputFile) -> bool:
        return not file.head.startswith((b"PK\x03\x04", b"%PDF")) and csv_head_header(file, CMCC)

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:
        return bill_events(file, ctx, CMCC, "csv")


@register
class CmccBillXlsx(SourceFormat):
    NAME = "cmcc-bill-xlsx"
    DESCRIPTION = "China Mobile call bill (通话详单), Excel download"
    PRIORITY = 30

    def sniff(self, file: InputFile) -> bool:
        return xlsx_head_header(file, CMCC)

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:
        return bill_events(file, ctx, CMCC, "xlsx")


# -- the PDF e-bill -----------------------------------------------------------

_ROW_START_RE = re.compile(r"^(?:\d{4}[-/.])?\d{1,2}[-/.]\d{1,2}\s+\d{1,2}:\d{2}")
_SPACED_NUMBER_RE = re.compile(r"(?<!\S)(?:\+?86 )?1\d{2} \d{4} \d{4}(?!\S)")
_SPLIT_DATETIME_RE = re.compile(r"^((?:\d{4}[-/.])?\d{1,2}[-/.]\d{1,2}) (\d{1,2}:\d{2}(?::\d{2})?)(?= |$)")


@lru_cache(maxsize=4)
def _first_page_text(file: InputFile) -> str:
    return first_page_text(file)


def _unwrap(cell: Any) -> Any:
    """A table cell whose text wrapped: ``2025-06-07\\n18:24:53`` is a date and a time,
    ``通信地\\n点`` one word."""
    if not isinstance(cell, str):
        return cell
    return re.sub(r"(?<=\d)\n(?=\d)", " ", cell).replace("\n", "")


def _text_cells(line: str) -> list[str]:
    """A table line from a page's text: the date and the clock are one cell
    (``2025-06-24T10:20:11``, which the time parser reads)."""
    line = _SPLIT_DATETIME_RE.sub(r"\1T\2", line.strip())
    # A number written with blanks (+86 137 0000 2222) is one cell, kept as written.
    line = _SPACED_NUMBER_RE.sub(lambda m: m.group(0).replace(" ", "\ue000"), line)
    return [cell.replace("\ue000", " ") for cell in line.split()]


@register
class CmccBillPdf(SourceFormat):
    NAME = "cmcc-bill-pdf"
    DESCRIPTION = "China Mobile e-bill (电子详单), PDF; call table read page by page"
    PRIORITY = 30

    def sniff(self, file: InputFile) -> bool:
        if not file.head.startswith(b"%PDF"):
            return False
        # Narrow columns wrap their headers (通信方 / 式), so the words are looked for in
        # the page's text with the line breaks taken out, and the title counts too.
        text = re.sub(r"\s+", "", _first_page_text(file))
        return "对方号码" in text and "起始" in text and any(
            mark in text for mark in ("通信方式", "通信方", "通话详单", "中国移动"))

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:
        reader = BillReader(CMCC, ctx)
        with open_pdf(file) as pdf:
            for number, page in pdf_pages(file, pdf, ctx):
                self._read_page(page, number, reader)
        return reader.events(lambda where: ctx.source(page=where["page"]))

    @staticmethod
    def _read_page(page: Any, number: int, reader: BillReader) -> None:
        where = {"page": number}
        try:
            text = page.extract_text() or ""
            tables = [t for t in page.extract_tables() if t]
        except Exception as exc:  # pdfminer fails inside a damaged page's content
            reader.ctx.warn(f"page could not be read ({type(exc).__name__}); its calls are missing",
                            page=number)
            return
        if reader.columns is None:
            # The title block (customer, 查询周期) sits above the first table; its dates
            # give the year to rows written without one.
            for line in text.split("\n"):
                if "对方号码" in line.replace(" ", ""):
                    break
                reader.preamble.append(line)
        rows_before, warnings_before = len(reader.rows), len(reader.ctx.warnings)
        for table in tables:
            for cells in table:
                reader.feed([_unwrap(c) for c in cells], where)
        from_tables = len(reader.rows) - rows_before + len(reader.ctx.warnings) - warnings_before
        row_lines = [ln for ln in text.split("\n") if _ROW_START_RE.match(ln.strip())]
        if from_tables >= len(row_lines):
            return
        # The tables missed rows the text has (no rules around the table, only a shaded
        # header): read this page from its text lines instead.
        del reader.rows[rows_before:]
        del reader.ctx.warnings[warnings_before:]
        for line in text.split("\n"):
            cells = _text_cells(line)
            if CMCC.columns(cells) is not None:
                reader.feed(cells, where)
            elif reader.columns is not None and _ROW_START_RE.match(line.strip()):
                if len(cells) != reader.header_width:
                    # A blank in a cell (+86 138 …) or an empty cell shifts every column
                    # after it: better no row than a number read as a duration.
                    reader.ctx.warn(f"call row outside a ruled table whose columns cannot be told "
                                    f"apart ({len(cells)} words for {reader.header_width} columns): "
                                    f"{line.strip()}", page=number)
                    continue
                reader.feed(cells, where)
