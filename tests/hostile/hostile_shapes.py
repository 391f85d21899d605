"""Inputs that cost far more than they weigh, each scaled by ``n``: what
tests/hostile/test_resource_bounds.py asserts limits on and bench/bench_hostile.py times
at 1×, 4× and 16×.  Built from scratch in a tmp dir, never committed.

Every builder returns the bytes of one file; ``n`` is the size of the hostile part (bytes
of trailing junk, strings drawn, bytes a stream inflates to, shared strings, characters
of one message or one attribute).
"""

from __future__ import annotations

import io
import zlib
import zipfile
from xml.sax.saxutils import quoteattr

from hostile_files import _CONTENT_TYPES, _ROOT_RELS, _WORKBOOK, _WORKBOOK_RELS, make_pdf, sheet_row

WEB_PAGE = ["客户：tb_9527xiaoyu", "2025-07-05", "10:02:13", "亲，您好，过敏好些了吗", "悦颜美妆旗舰店:售后阿明",
            "10:05:41", "还是红，涂了药也没好", "tb_9527xiaoyu"]
CHAT_HEADER = ["客户名", "消息序号", "发送时间", "发送内容", "发送账号", "账号类型"]


def pdf_with_trailing_bytes(n: int, byte: bytes = b"A") -> bytes:
    """A real one-page web chat PDF, then ``n`` bytes with no line break: pdfminer looks
    for ``startxref`` by reading lines backwards from the end."""
    return make_pdf([WEB_PAGE]) + byte * n


def _flate_pdf(first: list[str], content: bytes) -> bytes:
    """A PDF whose first page is the web page ``first`` and whose second page's content
    is ``content``, Flate-compressed (make_pdf writes streams uncompressed, so the second
    page is spliced in as a compressed stream object)."""
    marker = b"%%HOSTILE-CONTENT%%"
    pdf = make_pdf([first, marker])
    packed = zlib.compress(content, 9)
    old = b"<< /Length %d >>\nstream\n" % len(marker) + marker + b"\nendstream"
    new = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream"
    assert pdf.count(old) == 1
    at = pdf.index(old)
    shift = len(new) - len(old)
    body = pdf.replace(old, new)
    # Objects after the spliced one moved: rewrite their xref offsets.
    head, _, rest = body.partition(b"\nxref\n")
    lines = rest.split(b"\n")
    out = []
    for line in lines:
        if len(line) == 19 and line.endswith(b" n ") and int(line[:10]) > at:
            line = b"%010d 00000 n " % (int(line[:10]) + shift)
        out.append(line)
    tail = b"\n".join(out)
    start = tail.rindex(b"startxref\n") + len(b"startxref\n")
    end = tail.index(b"\n", start)
    tail = tail[:start] + b"%d" % (len(head) + 1) + tail[end:]
    return head + b"\nxref\n" + tail


def many_strings_pdf(n: int) -> bytes:
    """A web chat PDF whose second page draws ``n`` one-character strings (a few bytes
    each once compressed): pdfplumber keeps a dict of attributes per character."""
    ops = b"BT /F1 1 Tf\n" + b"1 0 0 1 50 50 Tm <0001> Tj\n" * n + b"ET"
    return _flate_pdf(WEB_PAGE, ops)


def flate_bomb_pdf(n: int) -> bytes:
    """A web chat PDF whose second page's content stream inflates to ``n`` bytes of
    blanks (zlib packs about 1,000 to 1)."""
    return _flate_pdf(WEB_PAGE, b" " * n)


_SST_TYPE = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
             'officedocument.spreadsheetml.sharedStrings+xml"/>')


def _workbook(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # openpyxl finds the shared strings by their content type, so a bomb must declare it.
        types = _SST_TYPE if "xl/sharedStrings.xml" in parts else ""
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES.replace("</Types>", types + "</Types>"))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK.format(name="Sheet1"))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


_SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = b"</sheetData></worksheet>"


def _chat_rows(message: str) -> bytes:
    rows = [sheet_row(1, CHAT_HEADER),
            sheet_row(2, ["tb_9527xiaoyu", "1", "2022-07-06 18:44:09", message, "tb_9527xiaoyu", "客户"])]
    return _SHEET_HEAD + "".join(rows).encode("utf-8") + _SHEET_TAIL


def xlsx_shared_strings_bomb(n: int) -> bytes:
    """A chat sheet of one message whose workbook also declares ``n`` shared strings
    that no cell uses (openpyxl reads them all before the first row)."""
    strings = b"".join(b"<si><t>%d</t></si>" % i for i in range(n))
    sst = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.'
           b'openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">' % (n, n)
           + strings + b"</sst>")
    return _workbook({"xl/worksheets/sheet1.xml": _chat_rows("没效果还过敏，我要退货退款"),
                      "xl/sharedStrings.xml": sst})


def xlsx_styles_bomb(n: int) -> bytes:
    """A chat sheet whose styles part declares ``n`` cell formats."""
    xfs = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>' * n
    styles = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="http://schemas.'
              b'openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="%d">' % n + xfs
              + b"</cellXfs></styleSheet>")
    return _workbook({"xl/worksheets/sheet1.xml": _chat_rows("没效果还过敏，我要退货退款"), "xl/styles.xml": styles})


def xlsx_huge_cell(n: int) -> bytes:
    """A chat sheet whose one message is an inline string of ``n`` characters."""
    return _workbook({"xl/worksheets/sheet1.xml": _chat_rows("过敏" * (n // 2))})


def huge_message_chat(n: int) -> bytes:
    """A Wangwang layout-A export whose buyer message is ``n`` characters long."""
    text = ("没效果还过敏，我要退货退款" * (n // 13 + 1))[:n]
    lines = ["================================================================",
             "消息对象:tb_9527xiaoyu",
             "================================================================",
             "tb_9527xiaoyu(2022-07-06 18:44:09): " + text,
             "悦颜美妆旗舰店:小雅(2022-07-06 18:45:30): 亲，麻烦拍一下过敏的照片"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def huge_attribute_calls(n: int) -> bytes:
    """An Android call log whose one call has a ``date`` attribute ``n`` characters long."""
    calls = ['<call number="13812345678" duration="72" date="1656037211000" type="2" />',
             f'<call number="13812345678" duration="5" date={quoteattr("9" * n + "x")} type="2" />']
    return ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
            f'<calls count="{len(calls)}">\n' + "\n".join(calls) + "\n</calls>\n").encode("utf-8")


def call_log_with_durations(durations: list[str]) -> bytes:
    """An Android call log with one outgoing call per duration attribute, a minute apart."""
    calls = [f'<call number="13812345678" duration={quoteattr(d)} date="{1656037211000 + 60000 * i}" type="2" />'
             for i, d in enumerate(durations)]
    return ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
            f'<calls count="{len(calls)}">\n' + "\n".join(calls) + "\n</calls>\n").encode("utf-8")

