"""Enormous lines and hostile line counts: every case here took minutes (a regex that
backtracks over a run of blanks, a sender lookup that grows with the file) before the
fix it guards, and now takes milliseconds.  The time limits are generous guards that
only a quadratic path can break; the assertions that matter are the exact results."""

from __future__ import annotations

import time

import pytest

from extractor.sources import InputFile, ParseContext, ParseOptions, detect, get_format
from extractor.sources.call_records import parse_duration, parse_written_time
from extractor.sources.qianniu_web import _is_page_noise

# Seconds; a fixed parser needs well under one for each case.
GUARD = 20.0
BLANKS = " " * 200_000


def parse(name: str, text: str, fmt: str | None = None):
    file = InputFile(name, text.encode("utf-8"))
    chosen = get_format(fmt) if fmt else detect(file)
    ctx = ParseContext(file, chosen.NAME, ParseOptions())
    started = time.monotonic()
    events = list(chosen.parse(file, ctx))
    return chosen.NAME, events, ctx.warnings, time.monotonic() - started


def test_web_message_with_a_customer_line_and_a_long_run_of_blanks_is_text():
    # Every line of a web copy is tried as a 客户 line; a buyer's line that starts like
    # one and carries 200,000 blanks used to make that regex quadratic.
    hostile = "客户：tb_9527xiaoyu" + BLANKS + "我要投诉"
    text = "\n".join(["客户：tb_9527xiaoyu", "2025-07-05", "10:02:13", "在吗", "tb_9527xiaoyu",
                      "10:05:41", hostile, "tb_9527xiaoyu"])
    fmt, events, warnings, took = parse("聊天记录_tb_9527xiaoyu.txt", text)
    assert took < GUARD
    assert fmt == "qianniu-web" and warnings == []
    assert [e.text for e in events] == ["在吗", hostile]


def test_wangwang_header_nick_with_a_long_run_of_blanks():
    nick_line = "消息对象:tb_9527xiaoyu" + BLANKS + "x"
    text = "\n".join(["=" * 64, "消息记录（此消息记录为文本格式，不支持重新导入）", "=" * 64, "单聊", "=" * 64,
                      nick_line, "=" * 64, "tb_9527xiaoyu(2022-06-24 10:02:13): 在吗"])
    # (forced: the message line lies beyond the 8 KB head that detection looks at)
    _, events, warnings, took = parse("tb_9527xiaoyu.txt", text, "wangwang-a")
    assert took < GUARD
    assert warnings == []
    assert [e.buyer for e in events] == ["tb_9527xiaoyu" + BLANKS + "x"]


def test_layout_b_with_thirty_thousand_distinct_senders_is_linear():
    # Each new sender used to join a list that every later line was checked against.
    lines = ["消息记录", "对象: tb_9527xiaoyu", "即时消息"]
    lines += [f"2022-06-24 10:02:13 tb_{i:05d}: 在吗" for i in range(30_000)]
    fmt, events, warnings, took = parse("group.txt", "\n".join(lines))
    assert took < GUARD
    assert fmt == "wangwang-b" and warnings == []
    assert len(events) == 30_000
    assert (events[12345].sender, events[12345].text) == ("tb_12345", "在吗")


def test_layout_b_known_sender_lookup_still_prefers_the_longest_name():
    text = "\n".join(["消息记录", "对象: tb_9527xiaoyu", "即时消息",
                      "2022-06-24 10:02:13 悦颜美妆旗舰店:小雅: 亲，在的",
                      "2022-06-24 10:02:20 悦颜美妆旗舰店:小雅:请问:什么问题",
                      "2022-06-24 10:03:01 tb_9527xiaoyu:过敏了: 怎么办"])
    _, events, _, _ = parse("b.txt", text, "wangwang-b")
    assert [(e.sender, e.text) for e in events] == [
        ("悦颜美妆旗舰店:小雅", "亲，在的"),
        ("悦颜美妆旗舰店:小雅", "请问:什么问题"),
        ("tb_9527xiaoyu", "过敏了: 怎么办"),
    ]


def test_layout_b_header_nick_of_a_megabyte_does_not_slow_every_line():
    nick = "tb_" + "x" * 1_000_000
    lines = ["消息记录", f"对象: {nick}", "即时消息"]
    lines += ["2022-06-24 10:02:13 tb_9527xiaoyu: " + ":" * 2000 for _ in range(500)]
    fmt, events, _, took = parse("b.txt", "\n".join(lines), "wangwang-b")
    assert took < GUARD
    assert len(events) == 500 and events[0].buyer == nick and events[0].sender == "tb_9527xiaoyu"


@pytest.mark.parametrize("line, noise", [
    ("https://" + "a" * 200_000 + " 下一页", False),
    ("https://zizhanghao.taobao.com/" + "a" * 200_000 + "  1/2", True),
    ("2025/7/7" + "\t" * 200_000 + "x", False),
    ("2025/7/7 下午3:05  千牛工作台 - 聊天记录", True),
    ("第1页" + " " * 200_000 + "x", False),
    ("第1页，共2页", True),
])
def test_print_header_and_footer_patterns_are_linear(line, noise):
    started = time.monotonic()
    assert _is_page_noise(line) is noise
    assert time.monotonic() - started < GUARD


@pytest.mark.parametrize("reader, cell", [
    (parse_written_time, "2025/7/7" + BLANKS + "x"),
    (parse_written_time, "06-24" + "\t" * 200_000 + "日"),
    (parse_duration, "\t" * 200_000 + "\x01"),
    (parse_duration, "1" + "\u3000" * 200_000 + "分x"),
])
def test_bill_cells_of_blanks_are_rejected_in_linear_time(reader, cell):
    started = time.monotonic()
    with pytest.raises(ValueError):
        reader(cell)
    assert time.monotonic() - started < GUARD


def test_a_bill_row_whose_time_cell_is_a_run_of_blanks_is_a_row_warning():
    header = "起始时间,通信地点,通信方式,对方号码,通信时长,通信类型,套餐优惠,实收通信费(元)"
    rows = [header, "2025-06-24 10:20:11,杭州,主叫,13812345678,0秒,本地,--,0.00",
            "2025-06-25" + BLANKS + "x,杭州,主叫,13812345678,1分12秒,本地,--,0.00"]
    fmt, events, warnings, took = parse("cmcc-bill-202506.csv", "\n".join(rows))
    assert took < GUARD
    assert fmt == "cmcc-bill-csv" and len(events) == 1
    (warning,) = warnings
    assert warning.row == 3 and len(warning.reason) < 500
    assert warning.reason.startswith("not a call record (not a date and time: '2025-06-25   ")


def test_a_chat_sheet_message_longer_than_csv_field_limit_is_kept_verbatim():
    # csv refuses fields over 128 KB by default: one long message refused the whole file.
    long_text = "我要投诉，" * 60_000 + "\n还有这一行"
    quoted = '"' + long_text + '"'
    rows = ["客户名,消息序号,发送时间,发送内容,发送账号,账号类型",
            f"tb_9527xiaoyu,1,2022-07-06 18:44:09,{quoted},tb_9527xiaoyu,客户",
            "tb_9527xiaoyu,2,2022-07-06 18:45:30,亲，麻烦拍一下照片,悦颜美妆旗舰店:小雅,客服"]
    fmt, events, warnings, took = parse("小鹿爱买买_聊天记录.csv", "\n".join(rows))
    assert took < GUARD
    assert fmt == "chat-sheet-csv" and warnings == []
    assert [e.text for e in events] == [long_text, "亲，麻烦拍一下照片"]
    assert [e.source.row for e in events] == [2, 3]
