"""What one PDF page may cost, checked before and while pdfminer lays it out.

pdfminer.six has no limit of its own on what a page draws or on what a stream inflates
to; its maintainers' answer to "limit the objects per page" (pdfminer.six issue #646) is
to run one's own interpreter or device.  So:

* :func:`pdf_body` gives the reader the document up to its last ``%%EOF`` (pdfminer looks
  for ``startxref`` by reading lines backwards from the end of the file, quadratic in
  the length of the last line: 16 MB of junk without a line break took 21 s per open);
* :func:`check_page_streams` inflates every Flate stream a page draws from in bounded
  chunks, counting and discarding, before pdfminer decodes any of it whole;
* :class:`BoundedPage` lays the page out with a device that stops at
  ``MAX_PDF_PAGE_OBJECTS`` characters, lines, rectangles, curves and images.

A page past a bound raises :class:`PageTooLarge`; the callers turn it into a page
warning, or an E106 error for the first page (the one a format is recognised by).
"""

from __future__ import annotations

import re
import zlib
from typing import Any, Iterator
from weakref import WeakKeyDictionary

from pdfminer.pdftypes import LITERALS_FLATE_DECODE, PDFStream, resolve1
from pdfminer.pdfinterp import PDFPageInterpreter
from pdfplumber.page import Page, PDFPageAggregatorWithMarkedContent
from pdfplumber.utils.exceptions import PdfminerException

from .. import limits

_EOF = b"%%EOF"
_CHUNK = 1 << 16


class PageTooLarge(Exception):
    """A page that draws more than a bound allows; the message says which bound."""


# The end of a PDF: "startxref", the offset of the cross-reference table and "%%EOF",
# each on its own line (PDF 1.7, 7.5.5).
_TRAILER_END_RE = re.compile(rb"[\r\n]startxref[\r\n]+\s*\d+\s*[\r\n]+\Z")


def _trailer_end(data: bytes) -> int | None:
    """Where the last well-formed trailer ends (just after its %%EOF), or None.  Each
    %%EOF from the end is looked at once, with the 64 bytes before it: linear however
    many an attacker appends."""
    pos = len(data)
    while True:
        at = data.rfind(_EOF, 0, pos)
        if at < 0:
            return None
        if _TRAILER_END_RE.search(data, max(0, at - 64), at):
            return at + len(_EOF)
        pos = at


def pdf_body(data: bytes) -> tuple[bytes, int]:
    """The bytes a PDF reader is given, and how many bytes after them were left out:
    the file up to its last well-formed trailer (``startxref``, offset, ``%%EOF``) and
    the line break after it.  Without one (a truncated or damaged file) the reader
    searches backwards line by line and then scans the file, so it is given no last
    line longer than MAX_PDF_TRAILING_BYTES (no trailer line is that long)."""
    end = _trailer_end(data)
    if end is not None:
        while end < len(data) and data[end:end + 1] in (b"\r", b"\n"):
            end += 1
    else:
        end = len(data)
        line_start = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
        if end - line_start > limits.MAX_PDF_TRAILING_BYTES:
            end = line_start
    if end == len(data):
        return data, 0
    return data[:end], len(data) - end


def trailing_junk(left_out: int, tail: bytes) -> bool:
    """Whether bytes after the document deserve a warning (not a few blanks or NULs)."""
    return left_out > limits.MAX_PDF_TRAILING_BYTES or bool(tail.strip(b" \t\r\n\0"))


# -- streams -----------------------------------------------------------------------------

def _inflated_size(stream: PDFStream, budget: int) -> int:
    """What a stream's Flate filters inflate it to, counted in bounded chunks and
    stopped once past ``budget``.  A stream with another filter in its chain is counted
    at its raw size (ASCII85 and hex shrink; LZW and RunLength are rare in the exports
    read and are left to pdfminer); an encrypted stream likewise (it is deciphered
    before it is inflated)."""
    raw = stream.rawdata if stream.rawdata is not None else stream.data
    if raw is None:
        return 0
    filters = [f for f, _ in stream.get_filters()]
    if stream.decipher is not None or not filters or any(f not in LITERALS_FLATE_DECODE for f in filters):
        return len(raw)
    chunks: Iterator[bytes] = iter([raw])
    for _ in filters:
        chunks = _inflate(chunks, budget)
    total = 0
    for piece in chunks:
        total += len(piece)
        if total > budget:
            break
    return total


def _inflate(chunks: Iterator[bytes], budget: int) -> Iterator[bytes]:
    inflater = zlib.decompressobj()
    produced = 0
    try:
        for chunk in chunks:
            data = chunk
            while data and produced <= budget:
                piece = inflater.decompress(data, _CHUNK)
                produced += len(piece)
                yield piece
                data = inflater.unconsumed_tail
            if produced > budget or inflater.eof:
                return
    except zlib.error:
        return  # damaged: pdfminer decides what to do with it (it recovers or drops it)


def _dict(value: Any) -> dict:
    value = resolve1(value)
    return value if isinstance(value, dict) else {}


def _streams(resources: Any, seen: set[int], depth: int = 0) -> Iterator[PDFStream]:
    """Streams drawn from by a page's resources: form XObjects (and theirs), fonts'
    ToUnicode maps and embedded font files."""
    resources = _dict(resources)
    if depth > 8:
        return
    for xobject in map(resolve1, _dict(resources.get("XObject")).values()):
        if not isinstance(xobject, PDFStream) or id(xobject) in seen:
            continue
        seen.add(id(xobject))
        if getattr(resolve1(xobject.get("Subtype")), "name", None) == "Form":
            yield xobject
            yield from _streams(xobject.get("Resources"), seen, depth + 1)
    for font in map(_dict, _dict(resources.get("Font")).values()):
        descendants = resolve1(font.get("DescendantFonts"))
        for part in [font] + [_dict(d) for d in (descendants if isinstance(descendants, list) else [])]:
            descriptor = _dict(part.get("FontDescriptor"))
            candidates = [part.get("ToUnicode")] + [descriptor.get(k) for k in ("FontFile", "FontFile2", "FontFile3")]
            for candidate in map(resolve1, candidates):
                if isinstance(candidate, PDFStream) and id(candidate) not in seen:
                    seen.add(id(candidate))
                    yield candidate


# Per document (pdfminer keeps every object it resolved, a decoded stream included, for
# the life of the document): the streams already counted and the running total.
_COUNTED: "WeakKeyDictionary[Any, list]" = WeakKeyDictionary()


def check_page_streams(doc: Any, page_obj: Any) -> None:
    """PageTooLarge when the streams a page draws from inflate past
    MAX_PDF_PAGE_STREAM_BYTES, or take the document's total past
    MAX_PDF_DOCUMENT_STREAM_BYTES.  A stream counted for an earlier page (a font, a
    form used on every page) is decoded once and kept by pdfminer, so it counts once."""
    seen, total = _COUNTED.setdefault(doc, [set(), 0])
    page_budget = limits.MAX_PDF_PAGE_STREAM_BYTES
    doc_budget = limits.MAX_PDF_DOCUMENT_STREAM_BYTES
    streams = [resolve1(s) for s in page_obj.contents]
    page_seen: set[int] = set()
    streams += list(_streams(page_obj.resources, page_seen))
    page_total = 0
    for stream in streams:
        if not isinstance(stream, PDFStream):
            continue
        key = stream.objid if stream.objid is not None else id(stream)
        if key in seen:
            continue
        size = _inflated_size(stream, min(page_budget - page_total, doc_budget - total))
        page_total += size
        total += size
        if page_total > page_budget:
            raise PageTooLarge(f"its content inflates to more than {page_budget // 2**20} MB "
                               f"(a page is read up to {page_budget // 2**20} MB)")
        if total > doc_budget:
            raise PageTooLarge(f"with it the PDF's content would inflate to more than {doc_budget // 2**20} "
                               f"MB (a PDF is read up to {doc_budget // 2**20} MB)")
        seen.add(key)
    _COUNTED[doc][1] = total


# -- layout ------------------------------------------------------------------------------

class _CountingDevice(PDFPageAggregatorWithMarkedContent):
    """pdfplumber's own device, stopping once the page has drawn MAX_PDF_PAGE_OBJECTS."""

    drawn = 0

    def _count(self) -> None:
        self.drawn += 1
        if self.drawn > limits.MAX_PDF_PAGE_OBJECTS:
            raise PageTooLarge(f"it draws more than {limits.MAX_PDF_PAGE_OBJECTS} characters and "
                               "shapes (a page is read up to that many)")

    def render_char(self, *args: Any, **kwargs: Any) -> float:
        self._count()
        return super().render_char(*args, **kwargs)

    def paint_path(self, *args: Any, **kwargs: Any) -> None:
        self._count()
        super().paint_path(*args, **kwargs)

    def render_image(self, *args: Any, **kwargs: Any) -> None:
        self._count()
        super().render_image(*args, **kwargs)


class BoundedPage(Page):
    """A pdfplumber page whose layout is made within the bounds above: its streams are
    checked first, then it is laid out by the counting device.  PageTooLarge comes out
    of the first use of the layout (``extract_text``, ``chars``, …)."""

    @property
    def layout(self):  # same as pdfplumber's Page.layout, with the bounded device
        if hasattr(self, "_layout"):
            return self._layout
        check_page_streams(self.pdf.doc, self.page_obj)
        device = _CountingDevice(self.pdf.rsrcmgr, pageno=self.page_number, laparams=self.pdf.laparams)
        interpreter = PDFPageInterpreter(self.pdf.rsrcmgr, device)
        try:
            interpreter.process_page(self.page_obj)
        except PageTooLarge:
            raise
        except Exception as exc:  # as pdfplumber does, so callers see one type
            raise PdfminerException(exc) from exc
        self._layout = device.get_result()
        return self._layout
