"""Call records and call notes: China Mobile / China Unicom bills, Android call logs,
staff call notes."""

from __future__ import annotations

import codecs
import csv
import importlib.util
import io
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractor.errors import FormatError, UnsafeInputError
from extractor.sources import InputFile, ParseContext, ParseOptions, detect, get_format
from extractor.sources.base import BEIJING
from extractor.sources.call_notes import read_head
from extractor.sources.call_records import format_duration, parse_duration
from extractor.timeline import parse_file

DATA = Path(__file__).resolve().parent / "data"
CALLS = DATA / "calls"
SPECIMENS = Path("/work/shared/specimens")
MY_FORMATS = ("cmcc-bill-csv", "cmcc-bill-xlsx", "cmcc-bill-pdf", "unicom-bill-csv", "unicom-bill-xlsx",
              "android-calls-xml", "call-notes", "taobao-orders")


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


def parse(path: Path | str, data: bytes | None = None, fmt: str | None = None, **options):
    file = InputFile(path, data) if data is not None else InputFile.read(path)
    source_format = get_format(fmt) if fmt else detect(file)
    ctx = ParseContext(file, source_format.NAME, ParseOptions(**options))
    return list(source_format.parse(file, ctx)), ctx


def brief(events):
    return [(e.time, e.role, e.call.direction, e.call.duration_s, e.call.number, e.call.answered) for e in events]


# -- detection -------------------------------------------------------------------

FIXTURE_FORMATS = [
    ("cmcc-2025-06-utf8bom.csv", "cmcc-bill-csv"),
    ("cmcc-2025-06-gbk-yearless.csv", "cmcc-bill-csv"),
    ("cmcc-2024-12-mixed-years.csv", "cmcc-bill-csv"),
    ("cmcc-2025-06.xlsx", "cmcc-bill-xlsx"),
    ("cmcc-ebill-2025-06.pdf", "cmcc-bill-pdf"),
    ("cmcc-ebill-yearless.pdf", "cmcc-bill-pdf"),
    ("cmcc-ebill-unruled.pdf", "cmcc-bill-pdf"),
    ("unicom-2025-06-gbk.csv", "unicom-bill-csv"),
    ("unicom-2025-06.xlsx", "unicom-bill-xlsx"),
    ("calls-20250628.xml", "android-calls-xml"),
    ("calls-billion-laughs.xml", "android-calls-xml"),
    ("calls-external-entity.xml", "android-calls-xml"),
    ("notes-every-style.txt", "call-notes"),
    ("notes-gbk-crlf.txt", "call-notes"),
    ("notes-yearless.txt", "call-notes"),
]


@pytest.mark.parametrize("name, expected", FIXTURE_FORMATS)
def test_detected_by_content_and_claimed_by_no_other_call_format(name, expected, tmp_path):
    # Renamed to something meaningless: detection must not look at the name.
    renamed = tmp_path / "export.dat"
    renamed.write_bytes((CALLS / name).read_bytes())
    file = InputFile.read(renamed)
    assert detect(file).NAME == expected
    claimed = [f for f in MY_FORMATS if get_format(f).sniff(file)]
    assert claimed == [expected]


CHAT_SPECIMENS = ["wangwang-desktop-a.txt", "wangwang-desktop-b.txt", "qianniu-clipboard.txt",
                  "qianniu-web.txt", "qianniu-web.pdf", "qianniu-sheet.csv", "qianniu-sheet.xlsx"]


@pytest.mark.parametrize("name", CHAT_SPECIMENS)
def test_chat_exports_are_not_claimed_by_call_or_order_formats(name):
    path = SPECIMENS / name
    if not path.exists():
        pytest.skip("shared specimens not available")
    file = InputFile.read(path)
    assert [f for f in MY_FORMATS if get_format(f).sniff(file)] == []


CHAT_LOOKALIKES = {
    "layout B with a call in a message": (
        "消息记录\n对象: tb_lin8866\n即时消息\n"
        "2025-06-24 10:20:11 悦颜美妆旗舰店:售后阿明: 亲，刚才给您打电话无人接听\n"
        "2025-06-24 10:21:02 tb_lin8866: 在开会，别打电话\n2025-06-24\n"),
    "layout A": (
        "================================================================\n消息记录\n"
        "================================================================\n消息对象:tb_lin8866\n"
        "悦颜美妆旗舰店:售后阿明(2025-06-24 10:20:11): 刚才给您打电话没接通\n"),
    "web page copy": "客户：tb_lin8866\n2025-06-27\n21:14:03\n你们是不是缺货了？说好的发货呢\ntb_lin8866\n",
    "chat sheet": "客户名,消息序号,发送时间,发送内容,发送账号,账号类型\n"
                  "tb_lin8866,1,2025-06-24 10:20:11,电话打不通,tb_lin8866,客户\n",
}


@pytest.mark.parametrize("label", sorted(CHAT_LOOKALIKES))
def test_chat_lines_that_mention_calls_are_not_call_notes(label):
    file = InputFile("chat.txt", CHAT_LOOKALIKES[label].encode("utf-8"))
    assert not get_format("call-notes").sniff(file)


# -- durations ---------------------------------------------------------------------

@pytest.mark.parametrize("written, seconds", [
    ("0秒", 0), ("1分12秒", 72), ("1小时2分3秒", 3723), ("2分", 120), ("1分钟12秒", 72),
    ("00:01:12", 72), ("01:12", 72), ("1:02:03", 3723), ("72", 72), (" 1分 12秒 ", 72),
    ("--", None), ("", None), (None, None),
    (time(0, 1, 12), 72), (timedelta(seconds=95), 95), (72, 72), (0.05, 4320),
])
def test_every_duration_form(written, seconds):
    assert parse_duration(written) == seconds


@pytest.mark.parametrize("written", ["十秒", "1分70", "abc", "秒", "1:2:3:4", -5, -0.5, timedelta(seconds=-3)])
def test_unreadable_durations_are_errors(written):
    with pytest.raises(ValueError):
        parse_duration(written)


@given(st.integers(min_value=0, max_value=10 * 3600))
@settings(max_examples=60, deadline=None)
def test_formatted_durations_read_back(seconds):
    assert parse_duration(format_duration(seconds)) == seconds


# -- China Mobile ------------------------------------------------------------------

def test_cmcc_csv_every_duration_form_numbers_as_written_and_bad_rows_warned():
    events, ctx = parse(CALLS / "cmcc-2025-06-utf8bom.csv")
    assert brief(events) == [
        (bj(2025, 6, 24, 10, 20, 11), "seller", "out", 0, "13812345678", False),
        (bj(2025, 6, 25, 9, 35, 40), "seller", "out", 72, "+86 138 1234 5678", True),
        (bj(2025, 6, 26, 15, 1, 2), "buyer", "in", 123, "13999990000", True),
        (bj(2025, 6, 27, 10, 10, 5), "seller", "out", 95, "139-0000-1111", True),
        (bj(2025, 6, 28, 20, 0, 0), "seller", "out", 3723, "0571-88886666", True),
        (bj(2025, 6, 30, 9, 5, 0), "buyer", "in", 0, None, False),
    ]
    assert [e.source.row for e in events] == [2, 3, 4, 5, 6, 9]
    assert events[0].text == "呼出 13812345678 0秒"
    assert events[2].text == "呼入 13999990000 2分3秒"
    assert all(e.kind == "call" and e.sender is None and e.buyer is None for e in events)
    assert all(e.source.format == "cmcc-bill-csv" and len(e.source.sha256) == 64 for e in events)
    assert [(w.row, w.reason.split(":")[0]) for w in ctx.warnings] == [
        (7, "not a call record (call type '呼转' is neither 主叫 nor 被叫)"),
        (8, "not a call record (not a duration"),
    ]


def test_cmcc_gbk_bill_without_years_takes_the_year_of_its_query_period():
    data = (CALLS / "cmcc-2025-06-gbk-yearless.csv").read_bytes()
    assert data.count(b"\r\n") == 6 and not data.startswith(codecs.BOM_UTF8)
    events, ctx = parse(CALLS / "cmcc-2025-06-gbk-yearless.csv")
    assert [e.time for e in events] == [bj(2025, 6, 24, 10, 20, 11), bj(2025, 6, 25, 9, 35, 40),
                                        bj(2025, 6, 27, 21, 30, 26)]
    assert [e.source.row for e in events] == [4, 5, 6]
    assert [w.reason for w in ctx.warnings] == [
        "3 call(s) written without a year were given the year of the bill's other records or its query period"]


def test_year_less_rows_take_the_nearest_dated_neighbour_across_new_year():
    events, _ = parse(CALLS / "cmcc-2024-12-mixed-years.csv")
    assert [e.time.date().isoformat() for e in events] == ["2024-12-28", "2024-12-30", "2024-12-31", "2025-01-02"]


def test_bill_with_no_year_anywhere_waits_for_the_run_year():
    bill = "起始时间,通信地点,通信方式,对方号码,通信时长,通信类型\n06-24 10:20:11,杭州,主叫,13812345678,0秒,本地\n"
    events, ctx = parse("bill.csv", bill.encode("utf-8"))
    assert events == [] and ctx.missing_year
    assert [(w.row, w.reason) for w in ctx.warnings] == [
        (2, "06-24 is written without a year and nothing in this bill gives one: row left out")]
    events, ctx = parse("bill.csv", bill.encode("utf-8"), year_hint=2025)
    assert [e.time for e in events] == [bj(2025, 6, 24, 10, 20, 11)] and not ctx.missing_year


def test_cmcc_xlsx_dates_as_excel_dates_and_as_text_on_several_sheets():
    events, ctx = parse(CALLS / "cmcc-2025-06.xlsx")
    assert [(e.source.sheet, e.source.row) for e in events] == [
        ("通话详单", 5), ("通话详单", 6), ("通话详单", 7), ("6月下旬", 2), ("6月下旬", 3)]
    assert brief(events) == [
        (bj(2025, 6, 24, 10, 20, 11), "seller", "out", 0, "13812345678", False),
        (bj(2025, 6, 25, 9, 35, 40), "seller", "out", 72, "13812345678", True),
        (bj(2025, 6, 26, 15, 1, 2), "buyer", "in", 123, "+86 139 9999 0000", True),
        (bj(2025, 6, 27, 10, 10, 5), "seller", "out", 95, "139-0000-1111", True),
        (bj(2025, 6, 28, 20, 0, 0), "seller", "out", 3723, "0571-88886666", True),
    ]
    assert [(w.row, w.reason.split(" (")[0]) for w in ctx.warnings] == [
        (4, "sheet 6月下旬: not a call record"),
        (None, "1 call(s) written without a year were given the year of the bill's other records or its query period"),
    ]


def _make_pdfs_module():
    spec = importlib.util.spec_from_file_location("make_pdfs", CALLS / "make_pdfs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cmcc_pdf_table_over_five_pages_is_one_table():
    rows = _make_pdfs_module().ebill_rows()
    events, ctx = parse(CALLS / "cmcc-ebill-2025-06.pdf")
    assert ctx.warnings == []
    assert len(events) == len(rows) == 75
    assert [e.time.strftime("%Y-%m-%d %H:%M:%S") for e in events] == [r[0] for r in rows]
    assert [e.call.number for e in events] == [r[3] for r in rows]
    assert [e.call.direction for e in events] == ["out" if r[2] == "主叫" else "in" for r in rows]
    assert [e.call.duration_s for e in events] == [parse_duration(r[4]) for r in rows]
    pages = [e.source.page for e in events]
    assert pages == sorted(pages) and set(pages) == {1, 2, 3, 4, 5}
    # Page 5 carries the last 7 rows in a table printed without a header.
    assert pages.count(5) == 7 and events[-1].text == "呼入 +86 137 0000 2222 1小时2分3秒"


def test_cmcc_pdf_without_years_uses_the_query_period():
    events, ctx = parse(CALLS / "cmcc-ebill-yearless.pdf")
    assert len(events) == 12 and {e.time.year for e in events} == {2025}
    assert events[0].time == bj(2025, 6, 1, 9, 5, 12)
    assert [w.reason for w in ctx.warnings] == [
        "12 call(s) written without a year were given the year of the bill's other records or its query period"]


def test_cmcc_pdf_printed_without_rules_is_read_from_its_text_lines():
    rows = _make_pdfs_module().ebill_rows(8)
    events, ctx = parse(CALLS / "cmcc-ebill-unruled.pdf")
    assert ctx.warnings == []
    assert [(e.time.strftime("%Y-%m-%d %H:%M:%S"), e.call.number, e.call.duration_s) for e in events] == [
        (r[0], r[3], parse_duration(r[4])) for r in rows]
    assert events[2].call.number == "+86 137 0000 2222"


class _TextOnlyPage:
    """A PDF page as pdfplumber shows it when the table has no rules."""

    def __init__(self, text: str) -> None:
        self.text = text

    def extract_text(self) -> str:
        return self.text

    def extract_tables(self) -> list:
        return []


def test_text_rows_whose_columns_shift_are_warned_not_misread():
    from extractor.sources.call_records import BillReader
    from extractor.sources.cmcc_bill import CMCC, CmccBillPdf

    file = InputFile("bill.pdf", b"%PDF-1.7")
    ctx = ParseContext(file, "cmcc-bill-pdf", ParseOptions())
    reader = BillReader(CMCC, ctx)
    CmccBillPdf._read_page(_TextOnlyPage(
        "中国移动 通话详单\n起始时间 通信地点 通信方式 对方号码 通信时长 通信类型 套餐优惠 实收通信费(元)\n"
        "2025-06-24 10:20:11 杭州 主叫 13812345678 0秒 本地(非漫游、主叫) -- 0.00\n"
        "2025-06-25 09:35:40 主叫 13812345678 1分12秒 本地(非漫游、主叫) -- 0.00\n第1页/共1页"), 1, reader)
    events = list(reader.events(lambda where: ctx.source(page=where["page"])))
    assert [e.time for e in events] == [bj(2025, 6, 24, 10, 20, 11)]
    assert [(w.page, w.reason) for w in ctx.warnings] == [(1, (
        "call row outside a ruled table whose columns cannot be told apart (7 words for 8 columns): "
        "2025-06-25 09:35:40 主叫 13812345678 1分12秒 本地(非漫游、主叫) -- 0.00"))]


def test_a_pdf_that_is_not_a_bill_is_a_format_error():
    with pytest.raises(FormatError):
        parse("broken.pdf", b"%PDF-1.7\n%garbage\n", fmt="cmcc-bill-pdf")


# -- China Unicom -------------------------------------------------------------------

UNICOM_EXPECTED = [
    (bj(2025, 6, 24, 10, 20, 11), "seller", "out", 0, "13812345678", False),
    (bj(2025, 6, 25, 9, 35, 40), "seller", "out", 72, "+86-138-1234-5678", True),
    (bj(2025, 6, 26, 15, 1, 2), "buyer", "in", 123, "13999990000", True),
    (bj(2025, 6, 28, 20, 0, 0), "seller", "out", 3723, "057188886666", True),
]


def test_unicom_csv_gbk():
    events, ctx = parse(CALLS / "unicom-2025-06-gbk.csv")
    assert brief(events) == UNICOM_EXPECTED
    assert [e.source.row for e in events] == [2, 3, 4, 5]
    assert [(w.row, w.reason.split(" (")[0]) for w in ctx.warnings] == [(6, "not a call record")]


def test_unicom_xlsx_durations_as_text_and_as_seconds():
    events, ctx = parse(CALLS / "unicom-2025-06.xlsx")
    assert [e[:4] for e in brief(events)] == [e[:4] for e in UNICOM_EXPECTED[:3]]
    assert [(e.source.sheet, e.source.row) for e in events] == [("通话详单", 2), ("通话详单", 3), ("通话详单", 4)]
    assert ctx.warnings == []


# -- hypothesis: the CSV bill parsers -------------------------------------------------

CMCC_HEADER = ["起始时间", "通信地点", "通信方式", "对方号码", "通信时长", "通信类型", "套餐优惠", "实收通信费(元)"]
UNICOM_HEADER = ["序号", "业务类型", "通话起始时间", "通话时长", "呼叫类型", "对方号码", "本机通话地", "对方归属地",
                 "通话类型", "通话费", "其他费", "小计"]

call_rows = st.lists(st.tuples(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)).map(lambda d: d.replace(microsecond=0)),
    st.booleans(),
    st.from_regex(r"(\+86 )?1[3-9][0-9]{9}", fullmatch=True),
    st.integers(min_value=0, max_value=5 * 3600),
    st.sampled_from(["cn", "clock", "seconds"]),
), min_size=1, max_size=12)


def _written_duration(seconds: int, style: str) -> str:
    if style == "clock":
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(seconds) if style == "seconds" else format_duration(seconds)


@given(call_rows, st.booleans(), st.sampled_from(["utf-8-sig", "gbk"]))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_bills_read_back(rows, unicom, encoding):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(UNICOM_HEADER if unicom else CMCC_HEADER)
    for i, (when, out, number, seconds, style) in enumerate(rows, start=1):
        kind, duration = ("主叫" if out else "被叫"), _written_duration(seconds, style)
        if unicom:
            writer.writerow([i, "语音通话", f"{when:%Y-%m-%d %H:%M:%S}", duration, kind, number, "杭州", "杭州",
                             "本地通话", "0.00", "0.00", "0.00"])
        else:
            writer.writerow([f"{when:%Y-%m-%d %H:%M:%S}", "杭州", kind, number, duration, "本地", "--", "0.00"])
    events, ctx = parse("bill.csv", buf.getvalue().encode(encoding))
    assert ctx.warnings == []
    assert brief(events) == [
        (when.replace(tzinfo=BEIJING), "seller" if out else "buyer", "out" if out else "in", seconds, number, seconds > 0)
        for when, out, number, seconds, _ in rows]
    assert [e.source.row for e in events] == list(range(2, len(rows) + 2))


@given(st.lists(st.lists(st.text(max_size=12), min_size=0, max_size=10), max_size=8))
@settings(max_examples=60, deadline=None)
def test_any_cells_under_a_bill_header_give_events_or_row_warnings(rows):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CMCC_HEADER)
    writer.writerows(rows)
    events, ctx = parse("bill.csv", buf.getvalue().encode("utf-8"), fmt="cmcc-bill-csv", year_hint=2025)
    assert all(e.kind == "call" and e.time.tzinfo is not None for e in events)
    assert all(w.row is not None or "without a year" in w.reason for w in ctx.warnings)


# -- Android call log -------------------------------------------------------------------

def test_android_call_types_numbers_and_lines():
    events, ctx = parse(CALLS / "calls-20250628.xml")
    assert brief(events) == [
        (bj(2025, 6, 24, 10, 20, 10), "seller", "out", 0, "13812345678", False),
        (bj(2025, 6, 25, 9, 35, 39), "seller", "out", 72, "+86 138 1234 5678", True),
        (bj(2025, 6, 26, 15, 1, 1), "buyer", "in", 123, "13999990000", True),
        (bj(2025, 6, 26, 20, 15, 0), "buyer", "in", 0, "13812345678", False),
        (bj(2025, 6, 26, 20, 16, 30), "buyer", "in", 4, "13812345678", False),  # rejected: never answered
        (bj(2025, 6, 27, 8, 0, 0), "buyer", "in", 0, None, False),
        (bj(2025, 6, 27, 10, 10, 4), "seller", "out", 95, "13900001111", True),
        (bj(2025, 6, 28, 12, 0, 0), "buyer", "in", 61, "15800003333", True),
    ]
    assert [e.text for e in events[3:5]] == ["未接来电 13812345678", "拒接来电 13812345678"]
    assert [e.source.line for e in events] == [4, 5, 6, 7, 8, 9, 11, 12]
    assert [(w.line, w.reason) for w in ctx.warnings] == [
        (10, "call of type 4 (voicemail) is not an incoming, outgoing, missed or rejected call: left out")]


def test_android_times_follow_the_chosen_zone():
    from zoneinfo import ZoneInfo

    events, _ = parse(CALLS / "calls-20250628.xml", tz=ZoneInfo("Europe/Berlin"))
    assert events[0].time.isoformat() == "2025-06-24T04:20:10+02:00"


@pytest.mark.parametrize("name", ["calls-billion-laughs.xml", "calls-external-entity.xml"])
def test_entity_expansion_and_external_entities_are_refused(name):
    with pytest.raises(UnsafeInputError) as info:
        parse(CALLS / name)
    message = str(info.value)
    assert message.startswith(f"[E105] {CALLS / name}: refused to read this XML: it declares a DTD, "
                              "entities or an external reference")
    assert "Export the call log again from the phone." in message
    _, report, _ = parse_file(str(CALLS / name), ParseOptions())
    assert report.error is not None and report.error.startswith("[E105]") and report.events == 0


def test_xml_that_is_not_a_call_log():
    with pytest.raises(FormatError, match="not well-formed XML"):
        parse("calls.xml", b"<calls><call number='1' ", fmt="android-calls-xml")
    sms = b"<?xml version='1.0'?><smses count='1'><sms address='10086' body='hi' /></smses>"
    assert not get_format("android-calls-xml").sniff(InputFile("sms.xml", sms))


# -- call notes ----------------------------------------------------------------------

def notes_brief(events):
    return [(e.time, e.call.direction, e.call.answered, e.call.number, e.sender, e.source.line) for e in events]


def test_notes_in_every_date_and_time_style():
    events, ctx = parse(CALLS / "notes-every-style.txt")
    assert notes_brief(events) == [
        (bj(2025, 6, 24, 10, 20), "out", False, "138****5678", None, 2),
        (bj(2025, 6, 25, 9, 35), "out", True, None, None, 3),
        (bj(2025, 6, 27, 21, 30), "out", False, None, None, 4),
        (bj(2025, 7, 3, 9, 15), "out", False, None, "售后阿明", 5),
        (bj(2025, 7, 3, 15, 0), "out", False, None, "客服小雅", 6),
        (bj(2025, 7, 3, 21, 30), "in", True, None, None, 7),
        (bj(2025, 7, 4, 12, 5), "out", True, "13900001111", None, 8),
        (bj(2025, 7, 6, 11, 20), "out", False, "尾号5678", None, 11),
        (bj(2025, 7, 6, 14, 0), "out", False, "+86 138-1234-5678", None, 13),
        (bj(2025, 7, 7, 9, 0), "out", True, None, None, 14),
        (bj(2025, 7, 8, 16, 45), "in", True, None, "阿杰", 15),
    ]
    lines = (CALLS / "notes-every-style.txt").read_text(encoding="utf-8").split("\n")
    assert [e.text for e in events] == [lines[e.source.line - 1] for e in events]
    assert all(e.kind == "note" and e.role == "seller" and e.call.duration_s is None for e in events)
    not_notes = [(w.line, w.reason) for w in ctx.warnings if "year" not in w.reason]
    assert not_notes == [
        (1, "not a call note (no date at the start of the line)"),
        (9, "not a call note (nothing in it about a phone call)"),
        (10, "call note without a time of day: not placed on the timeline"),
        (12, "not a call note (no date at the start of the line)"),
    ]
    assert [w.line for w in ctx.warnings if "year" in w.reason] == [2, 5, 6, 7, 15]
    assert ctx.warnings[4].reason == "6月24日 has no year: took 2025 from the neighbouring notes of this file"


def test_notes_gbk_crlf():
    events, ctx = parse(CALLS / "notes-gbk-crlf.txt")
    assert notes_brief(events) == [
        (bj(2025, 6, 26, 14, 40), "out", True, "139****1111", "客服小雅", 1),
        (bj(2025, 6, 27, 10, 10), "out", False, "13900001111", None, 2),
        (bj(2025, 6, 27, 21, 30), "out", False, None, "售后阿明", 3),
    ]
    assert events[2].text == "6月27日 晚上9点半 售后阿明电话联系买家tb_lin8866，对方直接挂断"


def test_notes_without_any_year_wait_for_the_run_year():
    events, ctx = parse(CALLS / "notes-yearless.txt")
    assert events == [] and ctx.missing_year
    assert [w.line for w in ctx.warnings] == [1, 2]
    events, ctx = parse(CALLS / "notes-yearless.txt", year_hint=2025)
    assert [e.time for e in events] == [bj(2025, 6, 24, 10, 21), bj(2025, 6, 25, 9, 36)]
    assert ctx.warnings == [] and not ctx.missing_year


def test_staff_names_from_the_staff_option():
    note = "2025-06-24 10:20 小雅打电话给买家，无人接听\n".encode("utf-8")
    events, _ = parse("notes.txt", note, fmt="call-notes", staff=("悦颜美妆旗舰店:小雅",))
    assert events[0].sender == "小雅"


@pytest.mark.parametrize("line, clock", [
    ("6月24日 10:20 去电", time(10, 20)),
    ("6月24日 10：20：05 去电", time(10, 20, 5)),
    ("6月24日上午9点15分 去电", time(9, 15)),
    ("6月24日 下午3点 去电", time(15, 0)),
    ("6月24日 晚上9点半 去电", time(21, 30)),
    ("6月24日 中午12点05分 去电", time(12, 5)),
    ("6月24日 中午1点 去电", time(13, 0)),
    ("6月24日 凌晨2点 去电", time(2, 0)),
    ("6月24日 九点一刻 去电", time(9, 15)),
    ("6月24日 下午两点三十分 去电", time(14, 30)),
    ("6月24日 下午2:05 去电", time(14, 5)),
])
def test_note_times(line, clock):
    head = read_head(line)
    assert head is not None and head.clock == clock and head.body.strip() == "去电"


def test_late_evening_midnight_is_the_next_day():
    events, _ = parse("n.txt", "2025-06-24 晚上12点 致电买家，关机\n".encode("utf-8"), fmt="call-notes")
    assert events[0].time == bj(2025, 6, 25, 0, 0)


@pytest.mark.parametrize("body, answered", [
    ("接通，买家说地址没问题", True), ("无人接听", False), ("未接通", False), ("对方直接挂断", False),
    ("拒接", False), ("关机", False), ("接通后买家挂断", True), ("无法接通", False), ("占线", False),
    ("通话3分钟，买家同意发货", True), ("通话约两分钟", True), ("通话了半分钟", True),
    ("通话时长：5分钟", True), ("通话大概十几分钟", True),
])
def test_note_outcomes(body, answered):
    events, ctx = parse("n.txt", f"2025-06-24 10:20 致电买家，{body}\n".encode("utf-8"), fmt="call-notes")
    assert events[0].call.answered is answered and ctx.warnings == []


def test_a_note_without_an_outcome_is_recorded_unanswered_with_a_warning():
    events, ctx = parse("n.txt", "2025-06-24 10:20 给买家打电话\n".encode("utf-8"), fmt="call-notes")
    assert events[0].call.answered is False
    assert [(w.line, w.reason) for w in ctx.warnings] == [
        (1, "the note does not say whether the call was answered (接通, 无人接听, 挂断…): recorded as not answered")]


@pytest.mark.parametrize("body, direction", [
    ("买家来电，接通", "in"), ("对方来电，未接通", "in"), ("客户打来电话，接通", "in"),
    ("给买家回电，接通", "out"), ("售后阿明去电，关机", "out"), ("买家回电，接通", "in"),
])
def test_note_direction(body, direction):
    events, _ = parse("n.txt", f"2025-06-24 10:20 {body}\n".encode("utf-8"), fmt="call-notes")
    assert events[0].call.direction == direction


outcomes = st.sampled_from([("接通", True), ("无人接听", False), ("未接通", False), ("挂断", False),
                            ("拒接", False), ("关机", False)])
note_dates = st.dates(min_value=datetime(2021, 1, 1).date(), max_value=datetime(2029, 12, 31).date())


def _written_clock(hour: int, minute: int, style: str) -> str:
    if style == "digits":
        return f"{hour:02d}:{minute:02d}"
    period = "上午" if hour < 12 else "下午"
    shown = hour if hour <= 12 else hour - 12
    return f"{period}{shown}点{minute}分" if minute else f"{period}{shown}点"


@given(st.lists(st.tuples(note_dates, st.integers(1, 23), st.integers(0, 59), st.sampled_from(["digits", "cn"]),
                          st.sampled_from(["iso", "slash", "cn"]), outcomes, st.booleans()),
                min_size=1, max_size=8))
@settings(max_examples=50, deadline=None)
def test_generated_notes_read_back(notes):
    lines = []
    for day, hour, minute, clock_style, date_style, (word, _), incoming in notes:
        written_date = {"iso": f"{day:%Y-%m-%d}", "slash": f"{day:%Y/%m/%d}", "cn": f"{day.year}年{day.month}月{day.day}日"}[date_style]
        who = "买家来电" if incoming else "致电买家"
        lines.append(f"{written_date} {_written_clock(hour, minute, clock_style)} {who}，{word}")
    events, ctx = parse("n.txt", "\n".join(lines).encode("utf-8"), fmt="call-notes")
    assert ctx.warnings == []
    assert [(e.time, e.call.answered, e.call.direction, e.text) for e in events] == [
        (datetime(d.year, d.month, d.day, h, m, tzinfo=BEIJING), answered, "in" if incoming else "out", line)
        for (d, h, m, _, _, (_, answered), incoming), line in zip(notes, lines)]


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
                        max_size=40), max_size=10))
@settings(max_examples=80, deadline=None)
def test_any_text_gives_notes_or_line_warnings_never_an_exception(lines):
    events, ctx = parse("n.txt", "\n".join(lines).encode("utf-8"), fmt="call-notes", year_hint=2025)
    assert all(e.kind == "note" and e.text in lines for e in events)
    warned = {w.line for w in ctx.warnings}
    non_blank = {i for i, line in enumerate(lines, start=1) if line.strip()}
    assert {e.source.line for e in events} | warned >= non_blank


# -- the shared specimens ------------------------------------------------------------

@pytest.mark.parametrize("name, expected, count", [
    ("cmcc-bill.csv", "cmcc-bill-csv", 3), ("cmcc-bill.pdf", "cmcc-bill-pdf", 4),
    ("android-calls.xml", "android-calls-xml", 2), ("call-notes.txt", "call-notes", 4),
])
def test_specimens_parse(name, expected, count):
    path = SPECIMENS / name
    if not path.exists():
        pytest.skip("shared specimens not available")
    events, ctx = parse(path)
    assert events[0].source.format == expected and len(events) == count
    assert all(e.time.year == 2022 for e in events)
    assert [w for w in ctx.warnings if "year" not in w.reason] == []
