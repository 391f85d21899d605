"""Builders for hostile containers the tests write into a tmp dir (never committed):
hand-made PDFs (CJK text through a ToUnicode map, many pages, RC4 password protection)
and XLSX workbooks written part by part with zipfile (a million empty rows, odd
dimensions), so that the size of a case costs the test almost nothing to produce.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Iterable, Sequence
from xml.sax.saxutils import escape

# -- PDF ----------------------------------------------------------------------------

# The padding string of the PDF standard security handler (PDF 1.7, 7.6.3.3).
_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")
_PERMISSIONS = -44  # print and copy allowed; what an e-bill mailer typically sets


def _rc4(key: bytes, data: bytes) -> bytes:
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(out)


class _Rc4Security:
    """Revision 2, 40-bit RC4: the oldest handler, still what some bill mailers write."""

    def __init__(self, user_password: str, owner_password: str, file_id: bytes) -> None:
        def padded(password: str) -> bytes:
            return (password.encode("latin-1") + _PAD)[:32]

        owner_key = hashlib.md5(padded(owner_password)).digest()[:5]
        self.o = _rc4(owner_key, padded(user_password))
        self.key = hashlib.md5(padded(user_password) + self.o
                               + _PERMISSIONS.to_bytes(4, "little", signed=True) + file_id).digest()[:5]
        self.u = _rc4(self.key, _PAD)

    def encrypt(self, objnum: int, data: bytes) -> bytes:
        object_key = hashlib.md5(self.key + objnum.to_bytes(3, "little") + b"\0\0").digest()[:10]
        return _rc4(object_key, data)

    def dictionary(self) -> bytes:
        return (b"<< /Filter /Standard /V 1 /R 2 /O <" + self.o.hex().encode() + b"> /U <"
                + self.u.hex().encode() + b"> /P " + str(_PERMISSIONS).encode() + b" >>")


def make_pdf(pages: Sequence[Sequence[str] | bytes], *, user_password: str | None = None,
             owner_password: str = "owner-9527") -> bytes:
    """A PDF whose pages show the given lines of text (any Unicode: the font is a CID
    font mapped through a ToUnicode CMap, so text extraction gives the lines back); a
    page given as bytes is that content stream as is (for broken operators).  Every
    page is its own page object, as a real 10,000-page document has."""
    chars = sorted({ch for page in pages if not isinstance(page, bytes) for line in page for ch in line})
    cid = {ch: i + 1 for i, ch in enumerate(chars)}
    file_id = hashlib.md5(repr(pages).encode("utf-8")).digest()
    security = _Rc4Security(user_password, owner_password, file_id) if user_password is not None else None

    objects: list[bytes] = []  # object n is objects[n - 1]

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(objnum: int, data: bytes) -> bytes:
        if security is not None:
            data = security.encrypt(objnum, data)
        return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"

    catalog = add(b"")
    tree = add(b"")
    cmap_lines = [b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
                  b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
                  b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
                  b"1 begincodespacerange <0000> <FFFF> endcodespacerange"]
    pairs = list(cid.items())
    for start in range(0, len(pairs), 100):
        chunk = pairs[start:start + 100]
        cmap_lines.append(b"%d beginbfchar" % len(chunk))
        for ch, code in chunk:
            cmap_lines.append(b"<%04X> <%s>" % (code, ch.encode("utf-16-be").hex().upper().encode()))
        cmap_lines.append(b"endbfchar")
    cmap_lines.append(b"endcmap CMapName currentdict /CMap defineresource pop end end")
    to_unicode = add(b"")
    objects[to_unicode - 1] = stream(to_unicode, b"\n".join(cmap_lines))
    descriptor = add(b"<< /Type /FontDescriptor /FontName /NotoSansCJKsc /Flags 4 /FontBBox [0 -120 1000 880] "
                     b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>")
    font = add(b"<< /Type /Font /Subtype /Type0 /BaseFont /NotoSansCJKsc /Encoding /Identity-H "
               b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType2 /BaseFont /NotoSansCJKsc "
               b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 "
               b"/FontDescriptor %d 0 R >>] /ToUnicode %d 0 R >>" % (descriptor, to_unicode))
    contents: dict[tuple[str, ...] | bytes, int] = {}
    kids: list[int] = []
    for page in pages:
        key = page if isinstance(page, bytes) else tuple(page)
        if key not in contents:
            if isinstance(page, bytes):
                ops = [page]
            else:
                ops = [b"BT /F1 10 Tf"]
                y = 800
                for line in page:
                    glyphs = "".join(f"{cid[ch]:04X}" for ch in line).encode()
                    ops.append(b"1 0 0 1 50 %d Tm <%s> Tj" % (y, glyphs))
                    y -= 14
                ops.append(b"ET")
            number = add(b"")
            objects[number - 1] = stream(number, b"\n".join(ops))
            contents[key] = number
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                        b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (tree, contents[key], font)))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    objects[tree - 1] = (b"<< /Type /Pages /Count %d /Kids [" % len(kids)
                         + b" ".join(b"%d 0 R" % k for k in kids) + b"] >>")
    encrypt = add(security.dictionary()) if security is not None else None

    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    trailer = b"<< /Size %d /Root %d 0 R /ID [<%s> <%s>]" % (
        len(objects) + 1, catalog, file_id.hex().encode(), file_id.hex().encode())
    if encrypt is not None:
        trailer += b" /Encrypt %d 0 R" % encrypt
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


# -- XLSX ---------------------------------------------------------------------------

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
</Relationships>"""


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def sheet_row(number: int, cells: Sequence[str]) -> str:
    """One ``<row>`` of inline-string cells."""
    out = [f'<row r="{number}">']
    for i, value in enumerate(cells):
        out.append(f'<c r="{_column(i)}{number}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
    out.append("</row>")
    return "".join(out)


def write_xlsx(path: Path, rows: Iterable[str], *, sheet: str = "Sheet1",
               dimension: str | None = None) -> Path:
    """A one-sheet workbook whose sheet XML is ``rows`` (``<row>`` elements as text),
    streamed into the zip so a million rows never sit in memory."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK.format(name=escape(sheet, {'"': "&quot;"})))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            part.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                       b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            if dimension:
                part.write(f'<dimension ref="{dimension}"/>'.encode())
            part.write(b"<sheetData>")
            batch: list[str] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= 10000:
                    part.write("".join(batch).encode("utf-8"))
                    batch.clear()
            part.write("".join(batch).encode("utf-8"))
            part.write(b"</sheetData></worksheet>")
    return path
