"""Dates no export can hold, numbers that are not finite, and JSON of the wrong shape.

Each case here used to escape as an internal error (E199) or crash the whole run
(OverflowError in the call join, TypeError when sorting events), found by fuzzing.
A line dated outside 1970–2099 is now a warning with its line; a JSON line of the
wrong shape is a warning naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.model import event_to_dict
from extractor.sources import InputFile, ParseContext, ParseOptions, get_format
from extractor.sources.call_records import parse_duration, parse_written_time
from extractor.timeline import parse_file, parse_paths

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def parse(fmt: str, text: str, name: str = "input.txt"):
    file = InputFile(name, text.encode("utf-8"))
    ctx = ParseContext(file, fmt, ParseOptions())
    return list(get_format(fmt).parse(file, ctx)), [(w.line or w.row, w.reason) for w in ctx.warnings]


def test_a_call_note_dated_year_one_no_longer_crashes_the_run(tmp_path):
    # The note parsed, and the call join's "note.time - 2 minutes" overflowed: the CLI
    # died with a traceback.
    notes = tmp_path / "电话记录.txt"
    notes.write_text("0001-01-01 00:00 打电话给买家tb_9527xiaoyu，无人接听\n"
                     "2025-06-25 09:35 再次致电买家，接通，买家说地址没问题\n", encoding="utf-8")
    result = runner.invoke(app, ["parse", str(notes)])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["time"] for line in result.stdout.splitlines()] == ["2025-06-25T09:35:00+08:00"]
    assert f"  warning {notes}:1: not a call note: 1 is not the year of a call note" in result.stderr


def test_a_call_note_on_the_last_evening_of_9999():
    # 晚上12点 is midnight, the next day: 9999-12-31 + 1 day overflowed in the parser.
    events, warnings = parse("call-notes", "9999-12-31 晚上12点 打电话给买家，无人接听\n"
                                           "2025-06-24 晚上12点 打电话给买家，无人接听\n")
    assert [e.time.isoformat() for e in events] == ["2025-06-25T00:00:00+08:00"]
    assert warnings[0] == (1, "not a call note: 9999 is not the year of a call note")


@pytest.mark.parametrize("fmt, text, line", [
    ("wangwang-a", "消息对象:tb_9527xiaoyu\ntb_9527xiaoyu(0001-01-01 00:00:01): 在吗\n"
                   "tb_9527xiaoyu(2022-06-24 10:02:13): 在吗", 2),
    ("wangwang-b", "消息记录\n对象: tb_9527xiaoyu\n即时消息\n9999-12-31 23:59:59 tb_9527xiaoyu: 在吗\n"
                   "2022-06-24 10:02:13 tb_9527xiaoyu: 在吗", 4),
    ("qianniu-clipboard", "tb_9527xiaoyu 1900-7-2 20:57:11\n在吗\ntb_9527xiaoyu 2022-7-2 20:57:11\n在吗", 1),
])
def test_chat_lines_dated_outside_the_export_years_are_warned(fmt, text, line):
    events, warnings = parse(fmt, text)
    assert [e.time.year for e in events] == [2022]
    assert warnings[0][0] == line and "impossible date or time" in warnings[0][1]


def test_a_web_day_in_year_9999_leaves_its_messages_out_with_warnings():
    text = "客户：tb_9527xiaoyu\n9999-12-31\n23:59:59\n在吗\ntb_9527xiaoyu\n2025-07-05\n10:02:13\n在吗\ntb_9527xiaoyu"
    events, warnings = parse("qianniu-web", text)
    assert [e.time.isoformat() for e in events] == ["2025-07-05T10:02:13+08:00"]
    assert warnings[0] == (2, "impossible date: '9999-12-31'; messages up to the next date line are left out")


def test_android_calls_dated_far_in_the_future_or_before_1970_are_warned():
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<calls count="3">\n'
           '<call number="13812345678" duration="12" date="253402214400000" type="2" />\n'
           '<call number="13812345678" duration="5" date="-62135596800000" type="2" />\n'
           '<call number="13812345678" duration="72" date="1750731611000" type="1" />\n</calls>')
    events, warnings = parse("android-calls-xml", xml, "calls-20250628.xml")
    assert [e.time.isoformat() for e in events] == ["2025-06-24T10:20:11+08:00"]
    assert warnings == [
        (3, "call dated 9999-12-31 (date='253402214400000') is not a real call time: left out"),
        (4, "call dated 1-01-01 (date='-62135596800000') is not a real call time: left out"),
    ]


def test_an_order_paid_in_year_one_is_a_row_warning():
    header = "订单编号,买家会员名,订单付款时间,订单状态"
    csv = f"{header}\n2765432109876543210,tb_9527xiaoyu,0001-01-01 00:00:00,交易成功\n" \
          "2765432109876549999,tb_lin8866,2022-06-25 08:00:00,交易成功\n"
    events, warnings = parse("taobao-orders", csv, "ExportOrderList.csv")
    assert [e.buyer for e in events] == ["tb_lin8866"]
    assert warnings == [(2, "order 2765432109876543210: payment time '0001-01-01 00:00:00' is not a date "
                            "and time: no event")]


@pytest.mark.parametrize("value", [10**10, 2958466.0, float("nan"), float("inf"), -1e300])
def test_excel_serial_times_out_of_range_are_value_errors(value):
    with pytest.raises(ValueError):
        parse_written_time(value)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_durations_that_are_not_finite_are_value_errors(value):
    with pytest.raises(ValueError):
        parse_duration(value)


def test_a_duration_with_blanks_of_any_kind_inside():
    assert parse_duration("1 分\t12\u3000秒") == 72


# -- the project's own JSON Lines, written by someone else ---------------------------

@pytest.fixture(scope="module")
def demo_lines() -> list[str]:
    result = parse_paths([str(ROOT / "corpora" / "demo")])
    return [json.dumps(event_to_dict(e, with_tags=True), ensure_ascii=False) for e in result.events]


def reshaped(line: str, path: tuple, value) -> str:
    data = json.loads(line)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize("path, value, field", [
    (("source", "line"), "12", "source.line"),
    (("source", "line"), True, "source.line"),
    (("sender",), {"nick": "tb_9527xiaoyu"}, "sender"),
    (("buyer",), ["tb_9527xiaoyu"], "buyer"),
    (("time",), "0001-01-01T00:00:00+08:00", "time"),
    (("source",), "聊天记录.txt", None),
    (("call",), {"direction": "sideways", "duration_s": 5, "number": None, "answered": True}, "call.direction"),
])
def test_jsonl_fields_of_the_wrong_type_are_warnings(tmp_path, demo_lines, path, value, field):
    # A line number written as "12" sorted against integers, a sender of {} as a dict
    # key in the merge: both crashed parse_paths after the file had parsed.
    first = demo_lines[0]
    timeline = tmp_path / "timeline.jsonl"
    timeline.write_text("\n".join([reshaped(first, path, value), *demo_lines[1:]]) + "\n", encoding="utf-8")
    result = parse_paths([str(timeline)])
    assert len(result.events) == len(demo_lines) - 1
    (warning,) = result.warnings
    assert warning.line == 1 and warning.reason.startswith("not a timeline event: ")
    if field is not None:
        assert warning.reason == f"not a timeline event: {field}: wrong type or out of range"


def test_jsonl_nested_a_hundred_thousand_deep_is_a_warning(demo_lines):
    file = InputFile("timeline.jsonl", "\n".join([demo_lines[0], "[" * 100_000]).encode("utf-8"))
    _, report, _ = parse_file("timeline.jsonl", ParseOptions(), data=file.data)
    assert report.error is None and report.events == 1
    assert [(w.line, w.reason) for w in report.warnings] == [
        (2, "not a timeline event: maximum recursion depth exceeded while decoding a JSON array from a "
            "unicode string")]
