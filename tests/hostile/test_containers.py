"""Spreadsheets and PDFs that cost more than they weigh, or cannot be opened: each ends
in a clear error or a bounded-time result with a warning.  The files are built in a tmp
dir by the test (see hostile_files.py), never committed.  The time limits are generous
guards that only an unbounded path breaks."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pdfplumber
import pytest
from openpyxl import Workbook, load_workbook

from extractor.sources import ParseOptions, containers
from extractor.sources.call_records import xlsx_rows
from extractor.sources.containers import sheet_rows
from extractor.timeline import parse_file
from hostile_files import make_pdf, sheet_row, write_xlsx

DATA = Path(__file__).resolve().parents[1] / "data"
GUARD = 30.0

WEB_PAGE = ["客户：tb_9527xiaoyu", "2025-07-05", "10:02:13", "亲，您好，过敏好些了吗", "悦颜美妆旗舰店:售后阿明",
            "10:05:41", "还是红，涂了药也没好", "tb_9527xiaoyu"]
BILL_PAGE = ["中国移动 通话详单", "起始时间 通信地点 通信方式 对方号码 通信时长 通信类型 套餐优惠 实收通信费(元)",
             "2025-06-24 10:20:11 杭州 主叫 13812345678 0秒 本地(非漫游、主叫) -- 0.00"]
CHAT_HEADER = ["客户名", "消息序号", "发送时间", "发送内容", "发送账号", "账号类型"]
CHAT_ROWS = [
    ["tb_9527xiaoyu", "1", "2022-07-06 18:44:09", "没效果还过敏，我要退货退款", "tb_9527xiaoyu", "客户"],
    ["tb_9527xiaoyu", "2", "2022-07-06 18:45:30", "亲，麻烦拍一下过敏的照片", "悦颜美妆旗舰店:小雅", "客服"],
    ["tb_9527xiaoyu", "3", "2022-07-06 18:47:02", "不拍，不退就差评", "tb_9527xiaoyu", "客户"],
]
BILL_HEADER = ["起始时间", "通信地点", "通信方式", "对方号码", "通信时长", "通信类型", "套餐优惠", "实收通信费(元)"]
BILL_ROWS = [["2025-06-24 10:20:11", "杭州", "主叫", "13812345678", "0秒", "本地(非漫游、主叫)", "--", "0.00"],
             ["2025-06-25 09:35:40", "杭州", "被叫", "13812345678", "1分12秒", "本地(非漫游、被叫)", "--", "0.00"]]


def run(path: Path, fmt: str | None = None):
    started = time.monotonic()
    events, report, _ = parse_file(str(path), ParseOptions(), fmt)
    took = time.monotonic() - started
    assert took < GUARD, f"{path.name} took {took:.1f} s"
    assert report.error is None or not report.error.startswith("[E199]"), report.error
    return events, report


# -- PDF --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ten_thousand_pages(tmp_path_factory) -> Path:
    """A printed web chat whose first page is real and 9,999 more pages follow."""
    path = tmp_path_factory.mktemp("pdf") / "聊天记录_tb_9527xiaoyu_网页打印.pdf"
    path.write_bytes(make_pdf([WEB_PAGE] + [[f"第{n}页"] for n in range(2, 10_001)]))
    return path


def test_a_ten_thousand_page_pdf_is_refused_before_any_page_is_read(ten_thousand_pages):
    events, report = run(ten_thousand_pages)
    assert report.format == "qianniu-web-pdf" and events == []
    assert report.error == (
        f"[E106] {ten_thousand_pages}: the PDF has 10000 pages; evidence reads at most 2000 pages of a "
        "PDF export; split it into smaller PDFs (print or export a shorter period at a time)")


def test_a_ten_thousand_page_pdf_forced_as_a_bill_is_refused_too(ten_thousand_pages):
    _, report = run(ten_thousand_pages, "cmcc-bill-pdf")
    assert report.error.startswith(f"[E106] {ten_thousand_pages}: the PDF has 10000 pages;")


@pytest.mark.parametrize("pages, error", [(3, None), (4, "[E106]")])
def test_the_page_limit_is_exact(tmp_path, monkeypatch, pages, error):
    monkeypatch.setattr(containers, "MAX_PDF_PAGES", 3)
    path = tmp_path / "web.pdf"
    path.write_bytes(make_pdf([WEB_PAGE] * pages))
    events, report = run(path)
    if error is None:
        assert report.error is None and len(events) == 2 * pages
    else:
        assert report.error.startswith(f"[E106] {path}: the PDF has 4 pages; evidence reads at most 3 pages")


@pytest.fixture
def locked_pdf(tmp_path) -> Path:
    path = tmp_path / "cmcc-ebill-202506.pdf"
    path.write_bytes(make_pdf([BILL_PAGE], user_password="139000"))
    return path


def test_the_locked_fixture_is_a_real_encrypted_pdf(locked_pdf):
    # The same file opens with its password and shows the bill: what the parser meets
    # is encryption, not garbage.
    with pdfplumber.open(io.BytesIO(locked_pdf.read_bytes()), password="139000") as pdf:
        assert "对方号码" in pdf.pages[0].extract_text()


def test_a_password_protected_pdf_is_named_as_such(locked_pdf):
    events, report = run(locked_pdf)
    assert events == [] and report.format is None
    assert report.error.startswith(f"[E103] {locked_pdf}: not a known export (tried: ")
    assert report.error.endswith("; it is a password-protected PDF: open it with its password and save or "
                                 "print it to a new PDF without one")


@pytest.mark.parametrize("fmt", ["cmcc-bill-pdf", "qianniu-web-pdf"])
def test_a_password_protected_pdf_forced_to_a_pdf_format(locked_pdf, fmt):
    _, report = run(locked_pdf, fmt)
    assert report.error == (f"[E104] {locked_pdf}: the PDF is password-protected; open it with its "
                            "password and save or print it to a new PDF without one, then read that copy")


@pytest.fixture
def garbage_pdf(tmp_path) -> Path:
    path = tmp_path / "聊天记录.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes((i * 131 + 7) % 256 for i in range(20_000)))
    return path


def test_a_malformed_pdf_is_named_as_such(garbage_pdf):
    _, report = run(garbage_pdf)
    assert report.error.startswith(f"[E103] {garbage_pdf}: not a known export (tried: ")
    assert report.error.endswith("; it is a PDF that cannot be read (damaged or truncated)")


@pytest.mark.parametrize("fmt", ["cmcc-bill-pdf", "qianniu-web-pdf"])
def test_a_malformed_pdf_forced_to_a_pdf_format(garbage_pdf, fmt):
    _, report = run(garbage_pdf, fmt)
    assert report.error.startswith(f"[E104] {garbage_pdf}: not a readable PDF (PdfminerException: ")


def test_a_bill_page_whose_content_breaks_pdfminer_is_a_page_warning(tmp_path):
    # Found by fuzzing: an operator with the wrong operand (TJ on a number) raised out of
    # the bill parser as an internal error.
    path = tmp_path / "cmcc-ebill-202506.pdf"
    path.write_bytes(make_pdf([BILL_PAGE, b"BT /F1 10 Tf 5 TJ ET"]))
    events, report = run(path)
    assert report.format == "cmcc-bill-pdf" and len(events) == 1
    assert [(w.page, w.reason) for w in report.warnings] == [
        (2, "page could not be read (PdfminerException); its calls are missing")]


def test_a_web_page_whose_content_breaks_pdfminer_is_a_page_warning(tmp_path):
    path = tmp_path / "聊天记录_网页打印.pdf"
    path.write_bytes(make_pdf([WEB_PAGE, b"BT /F1 10 Tf 5 TJ ET"]))
    events, report = run(path)
    assert report.format == "qianniu-web-pdf" and len(events) == 2
    assert [(w.page, w.reason) for w in report.warnings] == [
        (2, "page could not be read (PdfminerException); its messages are missing")]


# -- XLSX -------------------------------------------------------------------------------

def test_a_chat_sheet_with_a_million_empty_rows_stops_with_a_warning(tmp_path):
    rows = [sheet_row(1, CHAT_HEADER)] + [sheet_row(n, r) for n, r in enumerate(CHAT_ROWS, start=2)]
    empty = (f'<row r="{n}"/>' for n in range(5, 1_000_005))
    late = [sheet_row(1_000_005, ["tb_9527xiaoyu", "4", "2022-07-07 09:00:00", "还在吗", "tb_9527xiaoyu", "客户"])]
    path = write_xlsx(tmp_path / "聊天记录.xlsx", [*rows, *empty, *late], sheet="tb_9527xiaoyu",
                      dimension="A1:F1000005")
    events, report = run(path)
    assert report.format == "chat-sheet-xlsx" and report.error is None
    assert [e.text for e in events] == [r[3] for r in CHAT_ROWS]
    assert [(w.row, w.reason) for w in report.warnings] == [(10_004, (
        "sheet 'tb_9527xiaoyu': rows 5–10004 are all empty; reading stopped at row 10004 (a sheet is "
        "taken to end after 10000 empty rows in a row); any rows further down are not read"))]


def test_a_bill_sheet_with_a_million_empty_rows_stops_with_a_warning(tmp_path):
    rows = [sheet_row(1, BILL_HEADER)] + [sheet_row(n, r) for n, r in enumerate(BILL_ROWS, start=2)]
    rows += [f'<row r="{n}" spans="1:8"/>' for n in range(4, 1_048_577)]
    path = write_xlsx(tmp_path / "cmcc-2025-06.xlsx", rows, sheet="通话详单", dimension="A1:H1048576")
    events, report = run(path)
    assert report.format == "cmcc-bill-xlsx" and len(events) == 2
    assert [(w.row, w.reason) for w in report.warnings] == [(10_003, (
        "sheet '通话详单': rows 4–10003 are all empty; reading stopped at row 10003 (a sheet is taken to "
        "end after 10000 empty rows in a row); any rows further down are not read"))]


def test_a_row_numbered_past_a_million_does_not_make_a_million_rows(tmp_path):
    rows = [sheet_row(1, CHAT_HEADER), sheet_row(2, CHAT_ROWS[0]),
            sheet_row(1_048_576, CHAT_ROWS[1])]
    path = write_xlsx(tmp_path / "聊天记录.xlsx", rows)
    events, report = run(path)
    assert len(events) == 1
    assert [w.row for w in report.warnings] == [10_002]


@pytest.mark.parametrize("fmt, header, data", [
    ("chat-sheet-xlsx", CHAT_HEADER, CHAT_ROWS[0]),
    ("cmcc-bill-xlsx", BILL_HEADER, BILL_ROWS[0]),
])
def test_rows_with_a_cell_in_column_xfd_stay_narrow(tmp_path, fmt, header, data):
    # One cell in the last column made openpyxl build every row 16,384 values wide.
    far = '<c r="XFD{n}" t="inlineStr"><is><t>x</t></is></c>'
    rows = [sheet_row(1, header)]
    rows += [sheet_row(n, data)[:-len("</row>")] + far.format(n=n) + "</row>" for n in range(2, 10_002)]
    path = write_xlsx(tmp_path / "wide.xlsx", rows, dimension="A1:XFD10001")
    events, report = run(path)
    assert report.format == fmt and len(events) == 10_000
    # what the sheet readers hand to the parsers (the chat sheet forgets the dimension)
    book = load_workbook(path, read_only=True)
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()
        chat_widths = {len(values) for values in sheet_rows(sheet, lambda *_: None)}
    finally:
        book.close()
    bill_widths = {len(values) for _, _, values in xlsx_rows(path.read_bytes())}
    assert chat_widths == bill_widths == {containers.MAX_SHEET_COLUMNS}


def test_a_workbook_that_expands_past_256_mb_is_refused(tmp_path):
    path = tmp_path / "聊天记录.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/media/image1.png", "w") as part:
            zeros = b"\0" * (1 << 20)
            for _ in range(260):
                part.write(zeros)
    assert path.stat().st_size < 1 << 20
    events, report = run(path)
    assert report.error == (f"[E106] {path}: the workbook expands to 260 MB; that is not a chat, call or "
                            "order export (a zip bomb?)")


@pytest.mark.parametrize("name", ["chat/chat_sheet.xlsx", "calls/cmcc-2025-06.xlsx", "calls/unicom-2025-06.xlsx"])
def test_a_truncated_workbook(tmp_path, name):
    data = (DATA / name).read_bytes()
    path = tmp_path / Path(name).name
    path.write_bytes(data[: len(data) // 2])
    _, report = run(path)
    assert report.error.startswith(f"[E103] {path}: not a known export (tried: ")
    assert report.error.endswith("; it is a ZIP/XLSX container that no sheet format could read (damaged, "
                                 "truncated or another kind of workbook)")


@pytest.mark.parametrize("fmt", ["chat-sheet-xlsx", "cmcc-bill-xlsx", "unicom-bill-xlsx"])
def test_a_truncated_workbook_forced_to_a_sheet_format(tmp_path, fmt):
    data = (DATA / "chat" / "chat_sheet.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    _, report = run(path, fmt)
    assert report.error.startswith(f"[E104] {path}: not a readable XLSX workbook (truncated or damaged: ")


def test_excel_dates_beyond_year_9999_are_row_warnings(tmp_path):
    # An Excel serial past 2958465 has no date; openpyxl's conversion overflowed inside
    # the bill parser.
    book = Workbook()
    sheet = book.active
    sheet.title = "通话详单"
    sheet.append(BILL_HEADER)
    sheet.append([10_000_000_000, "杭州", "主叫", "13812345678", "0秒", "本地", "--", "0.00"])
    sheet.append(BILL_ROWS[1])
    path = tmp_path / "cmcc.xlsx"
    book.save(path)
    events, report = run(path)
    assert report.format == "cmcc-bill-xlsx" and len(events) == 1
    assert [(w.row, w.reason) for w in report.warnings] == [(2, (
        "sheet 通话详单: not a call record (not a date and time: 10000000000): "
        "10000000000, 杭州, 主叫, 13812345678, 0秒, 本地, --, 0.00"))]


def test_a_sheet_whose_xml_breaks_off_keeps_the_rows_before_with_a_warning(tmp_path):
    # Found by fuzzing: the XML parser's error mid-sheet escaped as an internal error.
    source = DATA / "chat" / "chat_sheet.xlsx"
    with zipfile.ZipFile(source) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet[: sheet.index(b'<row r="4"')]
    path = tmp_path / "chat_sheet.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    events, report = run(path)
    assert report.format == "chat-sheet-xlsx" and [e.source.row for e in events][:2] == [2, 3]
    assert report.warnings[0].reason.startswith(
        "sheet 'tb_9527xiaoyu' could not be read to the end (ParseError: no element found: ")
    assert report.warnings[0].reason.endswith("; its later rows are missing")
