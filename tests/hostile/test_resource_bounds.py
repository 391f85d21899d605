"""Inputs built to cost far more than they weigh (issue 13): each is bounded by a limit of
extractor/limits.py, asserted by what the tool says and does past it (warning text,
error code, what is left out), never by a timing.  Where the real bound needs a big
file, the limit is scaled down with monkeypatch and the same code path is exercised;
test_the_default_limits_are_the_documented_ones pins the real values to the docs."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from pdfminer.psparser import LIT
from pdfminer.pdftypes import PDFStream

from extractor import limits
from extractor.cases import build_case
from extractor.render import Renderer
from extractor.render import view
from extractor.sources import ParseOptions, base, containers, pdf_bounds
from extractor.sources.base import bounded, quote
from extractor.timeline import parse_file
from hostile_files import make_pdf
from report_fixtures import FIXED_NOW
from hostile_shapes import (WEB_PAGE, call_log_with_durations, flate_bomb_pdf, huge_attribute_calls,
                            many_strings_pdf, pdf_with_trailing_bytes, xlsx_huge_cell,
                            xlsx_shared_strings_bomb, xlsx_styles_bomb)

ROOT = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, name: str, data: bytes, fmt: str | None = None):
    path = tmp_path / name
    path.write_bytes(data)
    events, report, _ = parse_file(str(path), ParseOptions(), fmt)
    assert report.error is None or not report.error.startswith("[E199]"), report.error
    return events, report


def reasons(report) -> list[str]:
    return [w.reason for w in report.warnings]


# -- the limits are where the docs say ---------------------------------------------------

def _documented() -> dict[str, str]:
    """``NAME`` → value as written in the limits table of docs/formats.md."""
    text = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    section = text[text.index("## Limits"):]
    return dict(re.findall(r"^\| `([A-Z_]+)` \| ([^|]+?) \|", section, flags=re.M))


def _as_written(value: int) -> str:
    return f"{value // 2**20} MB" if value >= 2**20 and value % 2**20 == 0 else f"{value:,}"


def test_the_default_limits_are_the_documented_ones():
    constants = {k: v for k, v in vars(limits).items() if k.isupper()}
    documented = _documented()
    assert set(documented) == set(constants)
    for name, value in constants.items():
        assert documented[name] == _as_written(value), name
    # Re-exported where the readers use them: the same objects, not copies that could drift.
    for name in ("MAX_PDF_PAGES", "MAX_XLSX_EXPANDED", "MAX_SHEET_COLUMNS", "MAX_EMPTY_ROW_RUN"):
        assert getattr(containers, name) == constants[name]


def test_security_md_names_every_bound():
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    for name in ("MAX_PDF_PAGE_OBJECTS", "MAX_PDF_PAGE_STREAM_BYTES", "MAX_XLSX_RATIO",
                 "MAX_SHOWN_MESSAGE_CHARS", "MAX_CALL_SECONDS", "EXCERPT_CHARS"):
        assert name in text, name


# -- PDF: bytes after the document ---------------------------------------------------------

@pytest.mark.parametrize("byte", [b"A", b"\0", b" "])
def test_bytes_after_the_pdf_are_not_given_to_the_reader_and_are_named(tmp_path, byte):
    n = 20 * limits.MAX_PDF_TRAILING_BYTES
    data = pdf_with_trailing_bytes(n, byte)
    body, left_out = pdf_bounds.pdf_body(data)
    assert left_out == n and body.endswith(b"%%EOF\n")
    events, report = run(tmp_path, "聊天记录.pdf", data)
    assert report.format == "qianniu-web-pdf" and len(events) == 2
    assert reasons(report) == [f"{n} bytes after the end of the PDF document (its last %%EOF marker) are "
                               "not part of it and were not read"]


@pytest.mark.parametrize("extra", [
    b"A" * 20_000 + b"%%EOF",                       # an end marker after the junk, no trailer
    b"A" * 20_000 + b"\n%%EOF\n",
    (b"A" * 2_000 + b"%%EOF") * 10,                  # many markers: each looked at once
    b"startxref\n" + b"A" * 20_000 + b"\n%%EOF\n",  # a trailer with no offset is none
])
def test_junk_ending_in_an_end_marker_is_left_out_too(tmp_path, extra):
    data = make_pdf([WEB_PAGE]) + extra
    body, left_out = pdf_bounds.pdf_body(data)
    assert body == make_pdf([WEB_PAGE]) and left_out == len(extra)
    events, report = run(tmp_path, "聊天记录.pdf", data)
    assert len(events) == 2 and reasons(report) == [
        f"{len(extra)} bytes after the end of the PDF document (its last %%EOF marker) are not part of it "
        "and were not read"]


@pytest.mark.parametrize("tail", [b"", b"\n", b"\r\n\0\0\0 \n"])
def test_the_line_break_and_padding_writers_add_are_no_warning(tmp_path, tail):
    events, report = run(tmp_path, "聊天记录.pdf", make_pdf([WEB_PAGE]) + tail)
    assert len(events) == 2 and report.warnings == ()


def test_a_truncated_pdf_ending_in_a_long_line_is_cut_at_its_last_line_break():
    doc = make_pdf([WEB_PAGE])
    cut = doc[:doc.rindex(b"trailer")]
    junk = b"A" * (limits.MAX_PDF_TRAILING_BYTES + 1)
    body, left_out = pdf_bounds.pdf_body(cut + junk)
    assert body == cut and left_out == len(junk)
    # Short enough to be a real last line: kept.
    assert pdf_bounds.pdf_body(cut + b"A" * 10) == (cut + b"A" * 10, 0)


# -- PDF: what a page draws ------------------------------------------------------------------

@pytest.mark.parametrize("strings, refused", [(150, True), (90, False)])
def test_a_page_drawing_more_objects_than_the_bound_is_a_page_warning(tmp_path, monkeypatch, strings, refused):
    monkeypatch.setattr(limits, "MAX_PDF_PAGE_OBJECTS", 120)  # page 1 draws 88 characters
    events, report = run(tmp_path, "聊天记录.pdf", many_strings_pdf(strings))
    # Page 1 is read either way.
    assert [e.text for e in events][:1] == ["亲，您好，过敏好些了吗"]
    page_warnings = [w for w in report.warnings if w.reason.startswith("page not read")]
    if refused:
        assert [(w.page, w.reason) for w in page_warnings] == [(2, (
            "page not read: it draws more than 120 characters and shapes (a page is read up to that "
            "many); what it shows is missing from the result"))]
    else:
        assert page_warnings == []


def test_a_first_page_past_the_bound_refuses_the_file_with_e106(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_PDF_PAGE_OBJECTS", 100)
    stacked = b"BT /F1 1 Tf\n" + b"1 0 0 1 50 50 Tm <0001> Tj\n" * 150 + b"ET"
    events, report = run(tmp_path, "账单.pdf", make_pdf([stacked, WEB_PAGE]))
    assert events == []
    assert report.error.startswith("[E106] ") and "page 1 of the PDF is not read: it draws more than 100" in report.error


@pytest.mark.parametrize("inflated, refused", [(3 * 2**20, True), (2**20 // 2, False)])
def test_a_page_whose_content_inflates_past_the_bound_is_a_page_warning(tmp_path, monkeypatch, inflated, refused):
    monkeypatch.setattr(limits, "MAX_PDF_PAGE_STREAM_BYTES", 2**20)
    events, report = run(tmp_path, "聊天记录.pdf", flate_bomb_pdf(inflated))
    assert len(events) == 2
    expected = [(2, "page not read: its content inflates to more than 1 MB (a page is read up to 1 MB); "
                    "what it shows is missing from the result")]
    assert [(w.page, w.reason) for w in report.warnings] == (expected if refused else [])


def test_the_document_budget_counts_each_page_and_a_shared_stream_once(tmp_path, monkeypatch):
    # Five pages of 300 KB of blanks each, under a 1 MB document budget: three fit, the
    # fourth would pass it and is left out, and so is the fifth.
    monkeypatch.setattr(limits, "MAX_PDF_DOCUMENT_STREAM_BYTES", 2**20)
    blank = [b"% " + bytes([65 + i]) + b" " * (300 * 1024) for i in range(5)]  # five distinct streams
    events, report = run(tmp_path, "聊天记录.pdf", make_pdf([WEB_PAGE] + blank))
    assert len(events) == 2
    assert [(w.page, w.reason) for w in report.warnings] == [
        (page, "page not read: with it the PDF's content would inflate to more than 1 MB (a PDF is read up to "
               "1 MB); what it shows is missing from the result") for page in (5, 6)]
    # The same stream on every page counts once.
    events, report = run(tmp_path, "聊天记录.pdf", make_pdf([WEB_PAGE] + [blank[0]] * 5))
    assert len(events) == 2 and report.warnings == ()


@pytest.mark.parametrize("stages", [1, 2, 3])
def test_inflating_stops_past_the_budget_whatever_the_filter_chain(stages):
    data = b" " * (8 * 2**20)
    for _ in range(stages):
        data = zlib.compress(data, 9)
    stream = PDFStream({"Filter": [LIT("FlateDecode")] * stages}, data)
    budget = 2**20
    counted = pdf_bounds._inflated_size(stream, budget)
    assert budget < counted <= budget + 2**17
    assert pdf_bounds._inflated_size(stream, 16 * 2**20) == 8 * 2**20


# -- XLSX -------------------------------------------------------------------------------------

def test_a_sheet_that_inflates_like_a_bomb_is_refused(tmp_path):
    # 3 MB of one repeated message: over XLSX_RATIO_FLOOR, inflating several hundred times.
    events, report = run(tmp_path, "聊天记录.xlsx", xlsx_huge_cell(limits.XLSX_RATIO_FLOOR))
    assert events == []
    assert re.fullmatch(r"\[E106\] .*: its part 'xl/worksheets/sheet1.xml' inflates \d+ times \(\d+ bytes to "
                        r"\d+ MB; a real sheet inflates 5 to 20 times, at most 100 is read\): a zip bomb, not "
                        r"an export", report.error), report.error


@pytest.mark.parametrize("build, n, constant, part", [
    (xlsx_styles_bomb, 40_000, "MAX_XLSX_STYLES_BYTES", "xl/styles.xml"),
    (xlsx_shared_strings_bomb, 60_000, "MAX_XLSX_SHARED_STRINGS_BYTES", "xl/sharedStrings.xml"),
])
def test_styles_and_shared_strings_past_their_bound_are_refused(tmp_path, monkeypatch, build, n, constant, part):
    monkeypatch.setattr(containers, "MAX_XLSX_RATIO", 10**6)  # these parts repeat: the ratio bound would refuse first
    monkeypatch.setattr(containers, constant, 2**20)
    events, report = run(tmp_path, "聊天记录.xlsx", build(n))
    assert events == [] and report.error.startswith("[E106] ")
    assert f"its part '{part}' expands to " in report.error and "(at most 1 MB is read)" in report.error
    # Under the bound the same workbook is read.
    monkeypatch.setattr(containers, constant, 64 * 2**20)
    events, report = run(tmp_path, "聊天记录.xlsx", build(n))
    assert report.error is None and [e.text for e in events] == ["没效果还过敏，我要退货退款"]


@pytest.mark.parametrize("strings, refused", [(1001, True), (1000, False)])
def test_more_shared_strings_than_the_bound_are_refused_before_openpyxl_reads_them(
        tmp_path, monkeypatch, strings, refused):
    monkeypatch.setattr(containers, "MAX_XLSX_SHARED_STRINGS", 1000)
    monkeypatch.setattr(containers, "MAX_XLSX_RATIO", 10**6)
    events, report = run(tmp_path, "聊天记录.xlsx", xlsx_shared_strings_bomb(strings))
    if refused:
        assert events == [] and report.error.startswith("[E106] ")
        assert "its part 'xl/sharedStrings.xml' holds more than 1,000 strings" in report.error
    else:
        assert report.error is None and len(events) == 1


@pytest.mark.parametrize("chunk", [3, 4, 5, 7, 1 << 20])
def test_shared_strings_are_counted_exactly_across_chunk_boundaries(monkeypatch, chunk):
    data = xlsx_shared_strings_bomb(777)
    real_open = zipfile.ZipFile.open

    class Small:
        def __init__(self, part):
            self.part = part

        def read(self, _n):
            return self.part.read(chunk)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.part.close()

    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, info: Small(real_open(self, info)))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("xl/sharedStrings.xml")
        assert containers._count_strings(archive, info) == 777


def test_a_refused_workbook_fails_alone_and_the_run_goes_on(tmp_path):
    bomb = tmp_path / "聊天记录.xlsx"
    bomb.write_bytes(xlsx_huge_cell(limits.XLSX_RATIO_FLOOR))
    good = tmp_path / "calls-2022.xml"
    good.write_bytes(call_log_with_durations(["72"]))
    done = subprocess.run([sys.executable, "-m", "extractor", "parse", str(bomb), str(good)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 6
    assert f"error [E106] {bomb}: its part 'xl/worksheets/sheet1.xml' inflates" in done.stderr
    assert "Traceback" not in done.stderr
    assert [line for line in done.stdout.splitlines() if line.strip()] and "13812345678" in done.stdout


# -- warnings quote a bounded excerpt ---------------------------------------------------------

def test_a_huge_attribute_is_quoted_as_an_excerpt_with_its_length(tmp_path):
    n = 50_000
    events, report = run(tmp_path, "calls-2022.xml", huge_attribute_calls(n))
    assert len(events) == 1
    (reason,) = reasons(report)
    assert reason == (f"call without a readable date/duration (date={'9' * limits.EXCERPT_CHARS!r}…"
                      f"({n + 1} 字符), duration='5'): left out")


@pytest.mark.parametrize("value, shown", [
    ("短", "'短'"),
    ("x" * 81, f"{'x' * 80!r}…(81 字符)"),
    (10 ** 100, f"{str(10 ** 100)[:80]}…(101 字符)"),
])
def test_quote(value, shown):
    assert quote(value) == shown


def test_a_whole_warning_is_cut_to_its_bound():
    reason = "row: " + "甲" * 5000
    assert bounded(reason) == reason[:limits.MAX_WARNING_CHARS] + f"…({len(reason)} 字符)"
    assert bounded("short") == "short"


def test_a_file_keeps_its_first_warnings_and_says_how_many_more(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_WARNINGS_PER_FILE", 5)
    calls = "".join(f'<call number="1381234567{i}" duration="1" date="1656037211000" type="9" />\n'
                    for i in range(8))
    data = f"<?xml version='1.0' encoding='UTF-8'?>\n<calls count=\"8\">\n{calls}</calls>\n".encode()
    _, report = run(tmp_path, "calls-2022.xml", data)
    assert len(report.warnings) == 6
    assert all("type 9" in r for r in reasons(report)[:5])
    assert reasons(report)[5] == ("3 more warnings of this file are not listed (a file keeps at most 5); "
                                  f"the last listed is at {tmp_path / 'calls-2022.xml'}:7")


# -- impossible call durations ----------------------------------------------------------------

@pytest.mark.parametrize("duration, warning", [
    ("-5", "negative call duration '-5'"),
    ("1000000000000000000", "call duration '1000000000000000000' is 1000000000000000000 s, longer than 24 hours"),
    (str(limits.MAX_CALL_SECONDS + 1), f"call duration '{limits.MAX_CALL_SECONDS + 1}' is "
                                       f"{limits.MAX_CALL_SECONDS + 1} s, longer than 24 hours"),
])
def test_an_impossible_duration_in_a_call_log_keeps_the_call_without_it(tmp_path, duration, warning):
    events, report = run(tmp_path, "calls-2022.xml", call_log_with_durations(["72", duration]))
    assert [(e.call.duration_s, e.call.answered) for e in events] == [(72, True), (None, False)]
    assert [(w.line, w.reason) for w in report.warnings] == [
        (4, f"{warning}: not a real call duration; the call is kept, its duration unknown")]


def test_a_call_of_exactly_the_bound_is_taken_as_written(tmp_path):
    events, report = run(tmp_path, "calls-2022.xml", call_log_with_durations([str(limits.MAX_CALL_SECONDS)]))
    assert events[0].call.duration_s == limits.MAX_CALL_SECONDS and report.warnings == ()


BILL_HEADER = ["起始时间", "通信地点", "通信方式", "对方号码", "通信时长", "通信类型", "套餐优惠", "实收通信费(元)"]


@pytest.mark.parametrize("duration, warning", [("25小时0分0秒", "call duration '25小时0分0秒' is 90000 s"),
                                               ("-72", "negative call duration '-72'")])
def test_an_impossible_duration_on_a_bill_row_keeps_the_call_without_it(tmp_path, duration, warning):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(BILL_HEADER)
    writer.writerow(["2025-06-24 10:20:11", "杭州", "主叫", "13812345678", "1分12秒", "本地", "--", "0.00"])
    writer.writerow(["2025-06-24 11:20:11", "杭州", "主叫", "13812345678", duration, "本地", "--", "0.00"])
    events, report = run(tmp_path, "通话详单.csv", out.getvalue().encode("utf-8"))
    assert report.format == "cmcc-bill-csv"
    assert [e.call.duration_s for e in events] == [72, None]
    (w,) = report.warnings
    assert w.row == 3 and w.reason.startswith(warning) and w.reason.endswith("the call is kept, its duration unknown")


# -- one huge message in the reports ----------------------------------------------------------

def test_a_huge_message_is_shown_cut_in_html_and_whole_in_json(tmp_path, monkeypatch):
    monkeypatch.setattr(view, "MAX_SHOWN_MESSAGE_CHARS", 100)
    text = "".join(f"第{i:04d}句。" for i in range(300))  # 2,100 characters, every slice distinct
    path = tmp_path / "聊天记录.txt"
    path.write_text("\n".join(["=" * 64, "消息对象:tb_9527xiaoyu", "=" * 64,
                               f"tb_9527xiaoyu(2022-07-06 18:44:09): {text}",
                               "悦颜美妆旗舰店:小雅(2022-07-06 18:45:30): 亲，麻烦拍一下过敏的照片"]) + "\n",
                    encoding="utf-8")
    events, report, _ = parse_file(str(path), ParseOptions())
    assert events[0].text == text  # the timeline keeps it whole
    case = build_case("tb_9527xiaoyu", events, [report])
    renderer = Renderer(generated_at=FIXED_NOW)
    html = renderer.render("html", case, "x").decode("utf-8")
    assert text[:100] in html and text[100:110] not in html
    assert f"…（此消息共 {len(text)} 字符，此处只显示前 100 字符；全文见本案的 JSON 报告）" in html
    assert text in renderer.render("json", case, "x").decode("utf-8")


def test_a_call_log_reaches_expat_in_one_piece(tmp_path, monkeypatch):
    # Fed in 64 KB pieces, expat scans an unfinished token again at every piece: a 16 MB
    # attribute was 250 scans of up to 16 MB.  One feed is one scan.
    from xml.sax.expatreader import ExpatParser

    feeds: list[int] = []
    real_feed = ExpatParser.feed
    monkeypatch.setattr(ExpatParser, "feed", lambda self, data, isFinal=False: (
        feeds.append(len(data)), real_feed(self, data, isFinal))[1])
    data = huge_attribute_calls(1_000_000)
    events, _ = run(tmp_path, "calls-2022.xml", data)
    assert len(events) == 1 and [n for n in feeds if n] == [len(data)]  # close() feeds b""
