"""Opening PDF, XLSX and CSV exports within bounds.

A container can cost far more work than its size suggests: a 3 MB PDF with 10,000
pages, a 100 KB workbook whose sheet declares a million rows or writes one cell in
column XFD of every row, a zip that expands to gigabytes.  Every PDF and XLSX format
reads through these helpers, which refuse what no real export looks like
(:class:`InputTooLargeError`) and stop a sheet after a long run of empty rows (with a
warning), so that a hostile file ends in a clear error or a bounded-time result.  A
CSV cell, on the other hand, may be as long as its file: csv's default 128 KB field limit
would refuse a whole export for one long message.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from typing import Any, Callable, Iterable, Iterator

from ..errors import FormatError, InputTooLargeError
from ..i18n import N_
from .base import InputFile, ParseContext, quote

# The bounds are in extractor/limits.py (one place for every limit); re-exported here
# for the callers and tests that read them from this module.
from ..limits import (MAX_EMPTY_ROW_RUN, MAX_PDF_PAGES, MAX_SHEET_COLUMNS,  # noqa: E402,F401
                      MAX_XLSX_EXPANDED, MAX_XLSX_RATIO, MAX_XLSX_SHARED_STRINGS,
                      MAX_XLSX_SHARED_STRINGS_BYTES,
                      MAX_XLSX_STYLES_BYTES, XLSX_RATIO_FLOOR)


# -- PDF ------------------------------------------------------------------------------

def pdf_body(data: bytes) -> tuple[bytes, int]:
    from .pdf_bounds import pdf_body as body  # late: pdfminer loads only for a PDF

    return body(data)


def _cause(exc: BaseException) -> BaseException:
    """pdfplumber wraps pdfminer's error as the first argument of its own."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc


def _is_locked(exc: BaseException) -> bool:
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    return isinstance(_cause(exc), (PDFPasswordIncorrect, PDFEncryptionError))


def _pdf_failure(label: str, exc: BaseException) -> FormatError:
    if _is_locked(exc):
        return FormatError(N_("{file}: the PDF is password-protected; open it with its password "
                              "and save or print it to a new PDF without one, then read that copy"), file=label)
    detail = str(exc).strip()
    if len(detail) > 80:
        detail = detail[:80] + "…"
    return FormatError(N_("{file}: not a readable PDF ({error}: {detail})"), file=label, error=type(exc).__name__,
                       detail=detail)


def open_pdf(file: InputFile):
    """A pdfplumber PDF for ``file``; FormatError when it is damaged or password-protected.
    The caller closes it (``with open_pdf(file) as pdf``)."""
    import pdfplumber

    try:
        return pdfplumber.open(io.BytesIO(pdf_body(file.data)[0]))
    except Exception as exc:  # pdfminer raises many types for a damaged file
        raise _pdf_failure(file.label, exc) from None


def count_pdf_pages(file: InputFile, pdf) -> int:
    """Walk the page tree once (cheap: no page is laid out) and refuse a PDF longer than
    MAX_PDF_PAGES before any page is read."""
    from pdfminer.pdfpage import PDFPage

    try:
        count = sum(1 for _ in PDFPage.create_pages(pdf.doc))
    except Exception as exc:
        raise _pdf_failure(file.label, exc) from None
    if count > MAX_PDF_PAGES:
        raise InputTooLargeError(
            N_("{file}: the PDF has {count} pages; evidence reads at most {max} pages "
               "of a PDF export; split it into smaller PDFs (print or export a shorter period at a time)"),
            file=file.label, count=count, max=MAX_PDF_PAGES)
    return count


def pdf_pages(file: InputFile, pdf, ctx: ParseContext) -> Iterator[tuple[int, Any]]:
    """(1-based number, pdfplumber page) of each page, after the page-count check.  Pages
    are made one at a time and closed after use, so a long PDF does not keep every
    page's layout in memory; each is laid out within the bounds of pdf_bounds (a page
    past them is a warning, and the pages after it are read).  Bytes after the end of
    the document are a warning too."""
    from pdfminer.pdfpage import PDFPage

    from .pdf_bounds import BoundedPage, PageTooLarge, trailing_junk

    body, left_out = pdf_body(file.data)
    if left_out and trailing_junk(left_out, file.data[len(body):]):
        ctx.warn(f"{left_out} bytes after the end of the PDF document (its last %%EOF marker) are not "
                 "part of it and were not read")
    count_pdf_pages(file, pdf)
    walk = PDFPage.create_pages(pdf.doc)
    number = 0
    while True:
        try:
            page_obj = next(walk)
        except StopIteration:
            return
        except Exception as exc:
            raise _pdf_failure(file.label, exc) from None
        number += 1
        page = BoundedPage(pdf, page_obj, page_number=number)
        try:
            try:
                page.layout
            except PageTooLarge as exc:
                ctx.warn(f"page not read: {exc}; what it shows is missing from the result", page=number)
                continue
            except Exception:
                pass  # the caller's own reading of the page reports it, as for any damaged page
            yield number, page
        finally:
            page.close()


def first_page_text(file: InputFile) -> str:
    """The text of a PDF's first page, for sniffing: only the first page is looked up,
    so a sniff costs the same for a 2-page and a 10,000-page file.  Raises on a PDF
    that cannot be read (a sniff treats that as "not mine"), and InputTooLargeError
    when the first page is past the bounds of pdf_bounds (detection stops there)."""
    import pdfplumber
    from pdfminer.pdfpage import PDFPage

    from .pdf_bounds import BoundedPage, PageTooLarge

    with pdfplumber.open(io.BytesIO(pdf_body(file.data)[0])) as pdf:
        page_obj = next(PDFPage.create_pages(pdf.doc), None)
        if page_obj is None:
            return ""
        page = BoundedPage(pdf, page_obj, page_number=1)
        try:
            return page.extract_text() or ""
        except PageTooLarge as exc:
            raise InputTooLargeError(N_("{file}: page 1 of the PDF is not read: {problem}; no chat record or bill "
                                        "page looks like that"), file=file.label, problem=exc) from None
        finally:
            page.close()


def pdf_problem(data: bytes) -> str | None:
    """Why a PDF cannot be read at all ("password-protected", "damaged or truncated"),
    or None when it opens; for the hint of a file no format recognised."""
    import pdfplumber
    from pdfminer.pdfpage import PDFPage

    try:
        with pdfplumber.open(io.BytesIO(pdf_body(data)[0])) as pdf:
            next(PDFPage.create_pages(pdf.doc), None)
    except Exception as exc:
        return "password-protected" if _is_locked(exc) else N_("damaged or truncated")
    return None


# -- XLSX -----------------------------------------------------------------------------

def check_workbook(file: InputFile) -> None:
    """FormatError for a zip that cannot be read; InputTooLargeError for one that
    expands beyond MAX_XLSX_EXPANDED, has a part that inflates more than MAX_XLSX_RATIO
    times, or a styles or shared-strings part past its own bound, or more than
    MAX_XLSX_SHARED_STRINGS shared strings (openpyxl reads those parts whole before the
    first row).  The sizes are those the zip's directory declares, which also bound
    what zipfile will inflate."""
    try:
        with zipfile.ZipFile(io.BytesIO(file.data)) as archive:
            parts = archive.infolist()
            _check_parts(file, parts)
            strings = next((i for i in parts if i.filename.lower().endswith("/sharedstrings.xml")), None)
            count = _count_strings(archive, strings) if strings is not None else 0
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
        raise FormatError(N_("{file}: not a readable XLSX workbook (truncated or damaged: {problem})"),
                          file=file.label, problem=exc) from None
    if count > MAX_XLSX_SHARED_STRINGS:
        raise InputTooLargeError(
            N_("{file}: its part {part} holds more than {max:,} "
               "strings (openpyxl reads every one before the first row); that is not a chat, call or order "
               "export, or one to split into shorter periods"),
            file=file.label, part=quote(strings.filename), max=MAX_XLSX_SHARED_STRINGS)


def _count_strings(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """The ``<si>`` elements of the shared-strings part, counted while it is inflated in
    1 MB chunks (stopping past the bound), so the count costs no memory."""
    count, carry = 0, b""
    with archive.open(info) as part:
        while count <= MAX_XLSX_SHARED_STRINGS:
            chunk = part.read(1 << 20)
            if not chunk:
                break
            # The last bytes of the chunk before are carried, so that a tag cut by the
            # boundary is seen; one wholly in them was counted already.
            data = carry + chunk
            count += _elements(data) - _elements(carry)
            carry = data[-4:]
    return count


def _elements(data: bytes) -> int:
    return data.count(b"<si>") + data.count(b"<si ") + data.count(b"<si/>")


def _check_parts(file: InputFile, parts: list[zipfile.ZipInfo]) -> None:
    expanded = sum(info.file_size for info in parts)
    if expanded > MAX_XLSX_EXPANDED:
        raise InputTooLargeError(N_("{file}: the workbook expands to {mb} MB; "
                                    "that is not a chat, call or order export (a zip bomb?)"),
                                 file=file.label, mb=expanded // 2**20)
    for info in parts:
        name = info.filename.lower()
        bound = (MAX_XLSX_STYLES_BYTES if name.endswith("/styles.xml") else
                 MAX_XLSX_SHARED_STRINGS_BYTES if name.endswith("/sharedstrings.xml") else None)
        if bound is not None and info.file_size > bound:
            raise InputTooLargeError(
                N_("{file}: its part {part} expands to {mb} MB "
                   "(at most {max} MB is read); that is not a chat, call or order export"),
                file=file.label, part=quote(info.filename), mb=info.file_size // 2**20, max=bound // 2**20)
        if info.file_size > XLSX_RATIO_FLOOR and info.file_size > MAX_XLSX_RATIO * max(info.compress_size, 1):
            raise InputTooLargeError(
                N_("{file}: its part {part} inflates {ratio} times ({packed} bytes to "
                   "{mb} MB; a real sheet inflates 5 to 20 times, at most "
                   "{max} is read): a zip bomb, not an export"),
                file=file.label, part=quote(info.filename), ratio=info.file_size // max(info.compress_size, 1),
                packed=info.compress_size, mb=info.file_size // 2**20, max=MAX_XLSX_RATIO)


class SheetDamaged(Exception):
    """A sheet's XML broke off or held a value openpyxl cannot read, mid-way."""


def sheet_rows(sheet, on_stop: Callable[[int, int], None]) -> Iterator[tuple]:
    """A read-only sheet's rows as value tuples (row 1 first), at most MAX_SHEET_COLUMNS
    wide, ending in a long run of empty rows as :func:`capped_rows` says.  An error of
    openpyxl mid-sheet comes out as :class:`SheetDamaged`, so that callers can tell a
    damaged sheet from a bug of their own."""
    width = min(sheet.max_column or MAX_SHEET_COLUMNS, MAX_SHEET_COLUMNS)
    source = iter(sheet.iter_rows(values_only=True, max_col=width))

    def values() -> Iterator[tuple]:
        while True:
            try:
                row = next(source)
            except StopIteration:
                return
            except Exception as exc:  # zip, XML and value errors of a damaged sheet
                raise SheetDamaged(f"{type(exc).__name__}: {exc}") from exc
            yield row

    return capped_rows(values(), on_stop)


def _is_empty(values: tuple) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def capped_rows(rows: Iterable[tuple], on_stop: Callable[[int, int], None]) -> Iterator[tuple]:
    """The rows as given (numbered from 1 by the caller), until MAX_EMPTY_ROW_RUN empty
    rows in a row: then ``on_stop(first empty row, row where reading stopped)`` and the
    end.  A sheet that simply ends after some empty rows calls nothing."""
    run_start: int | None = None
    for number, values in enumerate(rows, start=1):
        if _is_empty(values):
            if run_start is None:
                run_start = number
            if number - run_start + 1 >= MAX_EMPTY_ROW_RUN:
                on_stop(run_start, number)
                return
        else:
            run_start = None
        yield values


def stop_reason(sheet: str, first_empty: int, stopped: int) -> str:
    """The warning for a sheet whose reading stopped in a run of empty rows."""
    return (f"sheet {sheet!r}: rows {first_empty}–{stopped} are all empty; reading stopped at row "
            f"{stopped} (a sheet is taken to end after {MAX_EMPTY_ROW_RUN} empty rows in a row); "
            "any rows further down are not read")


# -- CSV ------------------------------------------------------------------------------

def csv_reader(text: str, **options: Any):
    """``csv.reader`` over a whole decoded file, with the field limit raised to the
    file's length (the limit is process-wide and only ever raised here)."""
    if csv.field_size_limit() < len(text) + 1:
        csv.field_size_limit(len(text) + 1)
    return csv.reader(io.StringIO(text, newline=""), **options)
