"""Chat-export parsers: Wangwang layouts A/B, Qianniu clipboard, web page (text, PDF),
chat sheets (CSV, XLSX).  Fixtures live in tests/data/chat (their generators beside them)."""

from __future__ import annotations

from dataclasses import replace

import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from extractor.cli import app
from extractor.errors import EncodingError, FormatError, UnknownFormatError
from extractor.model import event_to_dict
from extractor.sources import InputFile, ParseContext, ParseOptions, detect, formats, get_format
from extractor.timeline import parse_paths

CHAT = Path(__file__).resolve().parent / "data" / "chat"
SPECIMENS = Path("/work/shared/specimens")
DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"
SHOP = "悦颜美妆旗舰店"
XIAOYA, AJIE, AMIN = f"{SHOP}:小雅", f"{SHOP}:阿杰", f"{SHOP}:售后阿明"


def run(path: Path | str, format_name: str | None = None, options: ParseOptions | None = None,
        data: bytes | None = None):
    file = InputFile(path, data) if data is not None else InputFile.read(path)
    fmt = get_format(format_name) if format_name else detect(file)
    ctx = ParseContext(file, fmt.NAME, options or ParseOptions())
    return list(fmt.parse(file, ctx)), ctx.warnings


def rows(events):
    """(position, time, role, kind, sender, buyer, text) of each event, for exact asserts."""
    out = []
    for e in events:
        s = e.source
        pos = s.line if s.line is not None else s.row if s.row is not None else s.page
        out.append((pos, e.time.strftime("%m-%d %H:%M:%S"), e.role, e.kind, e.sender, e.buyer, e.text))
    return out


def warned(warnings):
    return [(w.line if w.line is not None else w.row if w.row is not None else w.page, w.reason)
            for w in warnings]


# ---------------------------------------------------------------------------
# detection

FIXTURE_FORMATS = {
    "wangwang_a_gbk_crlf.txt": "wangwang-a",
    "wangwang_a_utf8_masked.txt": "wangwang-a",
    "wangwang_a_group_bom.txt": "wangwang-a",
    "wangwang_a_garbage.txt": "wangwang-a",
    "wangwang_a_export_all_bom.txt": "wangwang-a",
    "wangwang_b_utf8.txt": "wangwang-b",
    "wangwang_b_gbk_fullwidth.txt": "wangwang-b",
    "qianniu_clipboard_utf16.txt": "qianniu-clipboard",
    "qianniu_clipboard_utf8_masked.txt": "qianniu-clipboard",
    "qianniu_clipboard_two_buyers_bom.txt": "qianniu-clipboard",
    "qianniu_web.txt": "qianniu-web",
    "qianniu_web_bom_crlf.txt": "qianniu-web",
    "qianniu_web_2pages.pdf": "qianniu-web-pdf",
    "chat_sheet_utf8bom.csv": "chat-sheet-csv",
    "chat_sheet_gbk.csv": "chat-sheet-csv",
    "chat_sheet.xlsx": "chat-sheet-xlsx",
}


def test_every_chat_fixture_has_an_expected_format():
    on_disk = {p.name for p in CHAT.iterdir() if not p.name.startswith(("make_", "no_"))}
    assert on_disk == set(FIXTURE_FORMATS)


@pytest.mark.parametrize("name, expected", sorted(FIXTURE_FORMATS.items()))
def test_fixture_is_detected_as_its_format(name, expected):
    assert detect(InputFile.read(CHAT / name)).NAME == expected


SPECIMEN_FORMATS = {
    "wangwang-desktop-a.txt": ("wangwang-a", 8),
    "wangwang-desktop-b.txt": ("wangwang-b", 3),
    "qianniu-clipboard.txt": ("qianniu-clipboard", 8),
    "qianniu-web.txt": ("qianniu-web", 3),
    "qianniu-web.pdf": ("qianniu-web-pdf", 3),
    "qianniu-sheet.csv": ("chat-sheet-csv", 3),
    "qianniu-sheet.xlsx": ("chat-sheet-xlsx", 3),
}
NOT_CHAT_SPECIMENS = ["android-calls.xml", "call-notes.txt", "cmcc-bill.csv", "cmcc-bill.pdf",
                      "taobao-orders.csv"]
needs_specimens = pytest.mark.skipif(not SPECIMENS.is_dir(), reason="shared specimens not present")


@needs_specimens
@pytest.mark.parametrize("name, expected", sorted(SPECIMEN_FORMATS.items()))
def test_specimen_is_detected_and_parses_cleanly(name, expected):
    fmt, count = expected
    events, warnings = run(SPECIMENS / name)
    assert events[0].source.format == fmt
    assert len(events) == count
    # a clipboard copy's read receipts are left out of the text, and counted
    # a clipboard copy's read receipts and a web print's page headers and footers are left
    # out of the text, and counted
    assert [w for w in warnings if not (fmt == "qianniu-clipboard" and STATUS_WARNING.match(w.reason)
                                        or fmt == "qianniu-web-pdf" and FURNITURE_WARNING.match(w.reason))] == []
    assert all(e.buyer == "tb_9527xiaoyu" for e in events)


@needs_specimens
@pytest.mark.parametrize("name", NOT_CHAT_SPECIMENS)
def test_chat_sniffs_leave_call_and_order_specimens_alone(name):
    file = InputFile.read(SPECIMENS / name)
    chat = [f for f in formats() if f.NAME.startswith(("wangwang", "qianniu", "chat-sheet"))]
    assert [f.NAME for f in chat if f.sniff(file)] == []


OTHER_ENGINEERS_TEXTS = {
    "cmcc.csv": "起始时间,通信地点,通信方式,对方号码,通信时长,通信类型,套餐优惠,实收通信费(元)\n"
                "2025-06-24 10:20:11,杭州,主叫,13812345678,0秒,本地(非漫游、主叫),--,0.00\n",
    "unicom.csv": "序号,业务类型,通话起始时间,通话时长,呼叫类型,对方号码,本机通话地,对方归属地,通话类型,通话费,其他费,小计\n"
                  "1,语音,2025-06-24 10:20:11,00:00:00,主叫,13812345678,杭州,杭州,本地,0.00,0.00,0.00\n",
    "orders.csv": "订单编号,买家会员名,买家支付宝账号,买家应付货款\n=\"3021456789012345678\",tb_lin8866,lin***@163.com,59.00\n",
    "notes.txt": "6月24日 10:20 打电话给买家tb_lin8866（138****5678），无人接听\n"
                 "2025-06-25 09:35 再次致电买家，未接通\n2025/06/27 21:30 电话联系买家，对方直接挂断\n",
    "calls.xml": "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<calls count=\"1\">\n"
                 "  <call number=\"13812345678\" duration=\"0\" date=\"1750731611000\" type=\"2\" />\n</calls>\n",
}


@pytest.mark.parametrize("name", sorted(OTHER_ENGINEERS_TEXTS))
def test_chat_sniffs_do_not_claim_bills_orders_or_notes(name):
    file = InputFile(name, OTHER_ENGINEERS_TEXTS[name].encode("utf-8"))
    chat = [f for f in formats() if f.NAME.startswith(("wangwang", "qianniu", "chat-sheet"))]
    assert [f.NAME for f in chat if f.sniff(file)] == []


@pytest.mark.parametrize("name, other", [
    (name, other) for name, fmt in sorted(FIXTURE_FORMATS.items())
    for other in ("wangwang-a", "wangwang-b", "qianniu-clipboard", "qianniu-web", "qianniu-web-pdf",
                  "chat-sheet-csv", "chat-sheet-xlsx") if other != fmt
])
def test_no_chat_sniff_claims_another_chat_format(name, other):
    assert get_format(other).sniff(InputFile.read(CHAT / name)) is False


# ---------------------------------------------------------------------------
# layout A

def test_layout_a_gbk_crlf_keeps_text_verbatim_with_line_numbers():
    events, warnings = run(CHAT / "wangwang_a_gbk_crlf.txt")
    assert warnings == []
    assert rows(events) == [
        (8, "03-08 20:11:04", "buyer", "message", "tb_9527xiaoyu", "tb_9527xiaoyu", "在吗？玫瑰面霜还有货吗"),
        (9, "03-08 20:11:05", "seller", "auto_reply", XIAOYA, "tb_9527xiaoyu",
         "[自动回复]亲，欢迎光临悦颜美妆旗舰店，客服小雅稍后为您服务~"),
        (10, "03-08 20:12:30", "seller", "message", XIAOYA, "tb_9527xiaoyu", "亲，有货的哦，今天16点前付款当天发出"),
        (11, "03-08 20:13:02", "buyer", "message", "tb_9527xiaoyu", "tb_9527xiaoyu",
         "好的，我拍了，地址改一下\n浙江省杭州市西湖区文三路XX号\n张**  138****5678"),
        (14, "03-08 20:15:47", "seller", "message", f"{SHOP}：阿杰", "tb_9527xiaoyu", "好的亲，已经帮您备注修改地址了"),
        (16, "03-09 09:00:00", "system", "system", "系统提示", "tb_9527xiaoyu", "当前用户来自 手机淘宝"),
        (17, "03-09 16:20:11", "seller", "message", AJIE, "tb_9527xiaoyu",
         "亲，已发货，中通快递单号75312345678902\n\n请注意查收哦"),
    ]
    assert all(e.time.utcoffset() == timedelta(hours=8) for e in events)
    src = events[0].source
    assert (src.file, src.format, len(src.sha256)) == (str(CHAT / "wangwang_a_gbk_crlf.txt"), "wangwang-a", 64)


def test_layout_a_masked_nick_is_the_buyer_as_written():
    events, warnings = run(CHAT / "wangwang_a_utf8_masked.txt")
    assert warnings == []
    assert {e.buyer for e in events} == {"t**9"}
    assert [e.role for e in events] == ["buyer", "seller", "buyer"]


def test_layout_a_group_chat_keys_each_message_by_its_buyer():
    events, warnings = run(CHAT / "wangwang_a_group_bom.txt")
    assert [(e.sender, e.buyer) for e in events] == [
        (XIAOYA, None), (XIAOYA, None), ("小鹿爱买买", "小鹿爱买买"), (AJIE, "小鹿爱买买"),
        ("tb_88happy", "tb_88happy"), (AJIE, "tb_88happy"),
    ]
    reason = ("cannot tell which buyer this message is for: it comes before any buyer message "
              "and the file has several buyers (小鹿爱买买, tb_88happy)")
    assert warned(warnings) == [(8, reason), (9, reason)]


def test_layout_a_export_of_several_contacts_keys_each_block_by_its_header():
    events, warnings = run(CHAT / "wangwang_a_export_all_bom.txt")
    assert warnings == []
    assert [(line, who, buyer) for line, _, _, _, who, buyer, _ in rows(events)] == [
        (8, "tb_9527xiaoyu", "tb_9527xiaoyu"), (9, XIAOYA, "tb_9527xiaoyu"),
        (10, None, "tb_9527xiaoyu"), (11, AJIE, "tb_9527xiaoyu"),
        (19, "小鹿爱买买", "小鹿爱买买"), (20, AJIE, "小鹿爱买买"),
    ]
    transfer = events[2]
    assert (transfer.role, transfer.kind, transfer.time) == ("system", "system", events[1].time)
    assert transfer.text == f"由 {XIAOYA} 转交给 {AJIE}"


def test_layout_a_garbage_and_broken_header_are_warnings_with_line_numbers():
    events, warnings = run(CHAT / "wangwang_a_garbage.txt")
    assert [e.source.line for e in events] == [10, 11, 15]
    assert {e.buyer for e in events} == {"tb_lucky_77"}  # the single non-seller party
    assert warned(warnings) == [
        (1, "not a message line and no message to continue (before the first message): '锟斤拷烫烫烫 @@#￥%'"),
        (7, "broken header: 消息对象 line without a colon: '消息对象tb_lucky_77'"),
        (9, "unrecognised line in the export header: '★☆ 此处原为图片 ☆★'"),
        (12, "message header with an impossible date or time: 'tb_lucky_77(2025-02-30 13:21:00): 这一行的日期…'"),
        (14, "not a message line and no message to continue (after a session rule): '多出来的一行，不属于任何消息'"),
    ]


def test_shop_and_staff_options_override_the_colon_convention(tmp_path):
    path = tmp_path / "export.txt"
    path.write_text("消息对象:tb_lin8866\n"
                    "悦颜美妆旗舰店(2025-06-24 10:02:13): 亲，您的订单已付款\n"
                    "小雅(2025-06-24 10:02:40): 麻烦核对一下地址\n"
                    "tb_lin8866(2025-06-24 10:05:00): 没问题\n", encoding="utf-8")
    plain, _ = run(path)
    assert [e.role for e in plain] == ["buyer", "buyer", "buyer"]
    given_roles, _ = run(path, options=ParseOptions(shop=(SHOP,), staff=("小雅",)))
    assert [e.role for e in given_roles] == ["seller", "seller", "buyer"]
    assert {e.buyer for e in given_roles} == {"tb_lin8866"}


def test_time_zone_option_applies_to_written_times(tmp_path):
    events, _ = run(CHAT / "wangwang_a_utf8_masked.txt", options=ParseOptions(tz=ZoneInfo("Asia/Tokyo")))
    assert events[0].time.isoformat() == "2024-11-11T00:03:27+09:00"


# ---------------------------------------------------------------------------
# layout B

def test_layout_b_blocks_continuations_and_closing_dates():
    events, warnings = run(CHAT / "wangwang_b_utf8.txt")
    assert warnings == []
    assert [(line, who, text) for line, _, _, _, who, _, text in rows(events)] == [
        (4, "tb_9527xiaoyu", "在吗？玫瑰面霜还有货吗"),
        (5, XIAOYA, "亲，有货的哦，今天16点前付款当天发出"),
        (6, "tb_9527xiaoyu", "好的，我拍了，地址改一下\n浙江省杭州市西湖区文三路XX号\n张**  138****5678"),
        (11, AJIE, "亲，已发货，中通快递单号75312345678902"),
    ]


def test_layout_b_full_width_colons_split_after_the_sub_account():
    events, warnings = run(CHAT / "wangwang_b_gbk_fullwidth.txt")
    assert warnings == []
    assert [(e.sender, e.role, e.text) for e in events] == [
        ("小鹿爱买买", "buyer", "亲，什么时候能发货呀？"),
        (f"{SHOP}：小雅", "seller", "亲，明天上午给您发出哦"),
        ("小鹿爱买买", "buyer", "好的谢谢"),
    ]


def test_the_same_message_in_layouts_a_and_b_becomes_one_event_with_two_sources():
    a, b = CHAT / "wangwang_a_gbk_crlf.txt", CHAT / "wangwang_b_utf8.txt"
    result = parse_paths([str(a), str(b)])
    merged = [e for e in result.events if len(e.sources) == 2]
    assert [e.time.strftime("%H:%M:%S") for e in merged] == ["20:11:04", "20:12:30", "20:13:02"]
    assert [(s.format, s.line) for s in merged[2].sources] == [("wangwang-a", 11), ("wangwang-b", 6)]
    # 16:20:11 differs (layout A has a second paragraph), so both versions are kept.
    assert len([e for e in result.events if e.time.strftime("%H:%M:%S") == "16:20:11"]) == 2


# ---------------------------------------------------------------------------
# Qianniu clipboard

STATUS_WARNING = re.compile(r"^\d+ read/sending status line\(s\) of the chat window \(.*\) left out of the "
                            r"messages' text: line\(s\) \d+(, \d+)*$")


FURNITURE_WARNING = re.compile(r"^\d+ header/footer line\(s\) the browser printed at the page edges \(page title, "
                               r"print time, URL, page counter\) left out of the messages' text, on page\(s\) ")


def test_clipboard_utf16_status_lines_recalls_transfers_and_cards():
    events, warnings = run(CHAT / "qianniu_clipboard_utf16.txt")
    assert [(w.line, w.reason) for w in warnings] == [
        (7, "3 read/sending status line(s) of the chat window (已读 ×1, 未读 ×1, 发送中 ×1) left out of the "
            "messages' text: line(s) 7, 18, 22")]
    assert rows(events) == [
        (1, "07-02 20:57:11", "buyer", "message", "tb_9527xiaoyu", "tb_9527xiaoyu", "在吗"),
        (3, "07-02 20:57:12", "seller", "auto_reply", XIAOYA, "tb_9527xiaoyu",
         "[自动回复]亲，欢迎光临悦颜美妆旗舰店，客服小雅稍后为您服务~"),
        (5, "07-02 20:58:02", "seller", "message", XIAOYA, "tb_9527xiaoyu", "亲 在的呢，请问有什么可以帮您"),
        (8, "07-02 21:00:40", "buyer", "message", "tb_9527xiaoyu", "tb_9527xiaoyu", "用了你们的精华脸上过敏了，又红又痒"),
        (10, "07-02 21:00:52", "buyer", "message", "tb_9527xiaoyu", "tb_9527xiaoyu",
         "【宝贝】悦颜玻尿酸精华液30ml 补水保湿\n¥59.00\nhttps://item.taobao.com/item.htm?id=652301234567"),
        (14, "07-02 21:00:52", "system", "system", None, "tb_9527xiaoyu", "tb_9527xiaoyu 撤回了一条消息"),
        (15, "07-02 21:02:30", "seller", "message", XIAOYA, "tb_9527xiaoyu",
         "非常抱歉亲，麻烦您拍一下照片，\n并提供一下医院的诊断证明哦"),
        (19, "07-02 21:02:30", "system", "system", None, "tb_9527xiaoyu",
         f"由 {XIAOYA} 转交给 {AMIN}"),
        (20, "07-03 09:10:00", "seller", "message", AMIN, "tb_9527xiaoyu",
         "亲，您好，我是售后客服阿明，您方便的时候回复一下哦"),
    ]


def test_clipboard_blank_lines_and_masked_nick():
    events, warnings = run(CHAT / "qianniu_clipboard_utf8_masked.txt")
    assert [(w.line, w.reason) for w in warnings] == [
        (8, "1 read/sending status line(s) of the chat window (已读 ×1) left out of the messages' text: line(s) 8")]
    assert [(e.source.line, e.sender, e.buyer, e.text) for e in events] == [
        (1, "t**9", "t**9", "快递怎么还没动"),
        (5, f"{SHOP}:阿杰", "t**9", "亲，已经催促快递了，今天会有物流更新的"),
        (10, "t**9", "t**9", "好吧"),
    ]


def test_clipboard_with_two_buyers_keys_seller_lines_by_the_preceding_buyer():
    events, warnings = run(CHAT / "qianniu_clipboard_two_buyers_bom.txt")
    assert [(e.sender, e.buyer) for e in events] == [
        (XIAOYA, None), ("tb_88happy", "tb_88happy"), (XIAOYA, "tb_88happy"),
        ("小鹿爱买买", "小鹿爱买买"), (AJIE, "小鹿爱买买"),
    ]
    assert warned(warnings) == [(1, "cannot tell which buyer this message is for: it comes before any "
                                    "buyer message and the file has several buyers (tb_88happy, 小鹿爱买买)")]


def test_clipboard_notice_before_any_message_and_text_after_it_are_warnings(tmp_path):
    path = tmp_path / "clip.txt"
    path.write_text("tb_lin8866 撤回了一条消息\ntb_lin8866 2025-7-2 20:57:11\n在吗\n"
                    "由 小雅 转交给 阿明\n这一行没有消息头\n", encoding="utf-8")
    events, warnings = run(path, "qianniu-clipboard")
    assert [(e.source.line, e.kind) for e in events] == [(2, "message"), (4, "system")]
    assert warned(warnings) == [
        (1, "system notice before any message, so it has no time: 'tb_lin8866 撤回了一条消息'"),
        (5, "text with no message header above it (after a system notice): '这一行没有消息头'"),
    ]


# ---------------------------------------------------------------------------
# web page: text and PDF

def test_web_text_reads_the_sender_from_the_last_line():
    events, warnings = run(CHAT / "qianniu_web.txt")
    assert warnings == []
    assert rows(events) == [
        (3, "07-05 10:02:13", "seller", "message", AMIN, "tb_9527xiaoyu", "亲，您好，7月2日反馈的过敏问题您这边处理得怎么样了"),
        (7, "07-05 10:02:20", "seller", "message", AMIN, "tb_9527xiaoyu", "请在客户端查看原始聊天记录，网页版无法展示"),
        (11, "07-05 10:05:41", "buyer", "message", "tb_9527xiaoyu", "tb_9527xiaoyu", "还是红，\n涂了药也没好"),
        (17, "07-06 18:44:09", "buyer", "message", "tb_9527xiaoyu", "tb_9527xiaoyu", "没效果还过敏，我要退货退款，不然就给差评"),
    ]


def test_web_text_without_customer_line_and_a_message_that_reads_like_a_time():
    events, warnings = run(CHAT / "qianniu_web_bom_crlf.txt")
    assert [(e.source.line, e.sender, e.buyer, e.text) for e in events] == [
        (3, "t**9", "t**9", "10:30:00"),
        (7, XIAOYA, "t**9", "亲，是上午10:30到货吗？"),
        (11, "t**9", "t**9", "对"),
    ]
    assert warned(warnings) == [(1, "not part of a message (no time line above it): '聊天记录'")]


def test_web_text_dates_and_customer_lines_typed_inside_a_message_stay_text(tmp_path):
    path = tmp_path / "web.txt"
    path.write_text("客户：tb_lin8866\n2025-07-05\n10:00:00\n哪天到？\n2025-07-08\ntb_lin8866\n"
                    "10:01:00\n2025-07-08\n悦颜美妆旗舰店:小雅\n10:02:00\n客户：您好\n备注已改\n悦颜美妆旗舰店:小雅\n"
                    "2025-07-06\n09:00:00\n好\ntb_lin8866\n", encoding="utf-8")
    events, warnings = run(path, "qianniu-web")
    assert warnings == []
    assert [(e.time.strftime("%m-%d %H:%M:%S"), e.sender, e.text) for e in events] == [
        ("07-05 10:00:00", "tb_lin8866", "哪天到？\n2025-07-08"),
        ("07-05 10:01:00", XIAOYA, "2025-07-08"),
        ("07-05 10:02:00", XIAOYA, "客户：您好\n备注已改"),
        ("07-06 09:00:00", "tb_lin8866", "好"),
    ]


def test_web_text_block_without_sender_or_date_is_reported_line_by_line(tmp_path):
    path = tmp_path / "web.txt"
    path.write_text("客户：tb_lin8866\n09:00:00\n没有日期\ntb_lin8866\n2025-07-05\n10:00:00\n只有一行\n"
                    "10:01:00\n句子结尾不是账号。\n也不是账号。\n10:02:00\n好的\ntb_lin8866\n", encoding="utf-8")
    events, warnings = run(path, "qianniu-web")
    assert [(e.source.line, e.text) for e in events] == [(11, "好的")]
    assert warned(warnings) == [
        (2, "message at 09:00:00 comes before any date line; left out"),
        (3, "part of the message at 09:00:00 left out: '没有日期'"),
        (4, "part of the message at 09:00:00 left out: 'tb_lin8866'"),
        (6, "message at 10:00:00 needs a text line and a sender line after its time; left out"),
        (7, "part of the message at 10:00:00 left out: '只有一行'"),
        (8, "message at 10:01:00: its last line '也不是账号。' is not an account name, so the sender "
            "is unknown; left out"),
        (9, "part of the message at 10:01:00 left out: '句子结尾不是账号。'"),
        (10, "part of the message at 10:01:00 left out: '也不是账号。'"),
    ]


def test_web_pdf_pages_wraps_and_a_message_broken_across_pages():
    events, warnings = run(CHAT / "qianniu_web_2pages.pdf")
    assert [(w.page, w.reason) for w in warnings] == [
        (1, "6 header/footer line(s) the browser printed at the page edges (page title, print time, URL, page "
            "counter) left out of the messages' text, on page(s) 1–3: e.g. '2025/7/7 10:15 千牛工作台 - 聊天记录', "
            "'https://zizhanghao.taobao.com/subaccount…'")]
    assert len(events) == 17
    assert {e.buyer for e in events} == {"tb_9527xiaoyu"}
    assert all(e.source.page is not None and e.source.line is None for e in events)
    assert [e.source.page for e in events].count(1) == 11
    first = events[0]
    assert (first.kind, first.sender, first.source.page) == ("auto_reply", XIAOYA, 1)
    # A long line wrapped by the printer is one line again; no browser header/footer leaks in.
    wrapped = next(e for e in events if e.time.strftime("%H:%M:%S") == "10:15:40")
    assert wrapped.text == ("亲，核实了一下，您这一单是6月24日付款、6月25日下午发出的中通快递，签收后第8天反馈的过敏问题，"
                            "麻烦您再提供一下医院的诊断证明，我们收到后会第一时间为您处理，给您带来不便非常抱歉")
    # Its text runs over pages 2 and 3 (the page broke inside it); it starts on page 2.
    broken = next(e for e in events if e.time.strftime("%H:%M:%S") == "18:50:31")
    assert (broken.source.page, broken.sender) == (2, AMIN)
    assert broken.text == "亲，理解您的心情，\n我们这边已经登记了，\n麻烦提供一下医院的检测报告，收到后第一时间为您处理"
    assert [e.text for e in events if e.role == "buyer"][:3] == [
        "还是红，涂了药也没好", "请在客户端查看原始聊天记录，网页版无法展示",
        "https://item.taobao.com/item.htm?id=652301234567"]
    assert not any("taobao.com/subaccount" in e.text or "千牛工作台" in e.text for e in events)


def test_pdf_without_chat_text_is_unknown_or_a_format_error_when_forced():
    path = CHAT / "no_chat_text.pdf"
    with pytest.raises(UnknownFormatError):
        detect(InputFile.read(path))
    with pytest.raises(FormatError) as info:
        run(path, "qianniu-web-pdf")
    assert str(info.value) == f"[E104] {path}: no chat message found in this web chat-record PDF"


def test_pdf_without_a_text_layer_says_so():
    path = CHAT / "no_text_layer.pdf"
    with pytest.raises(FormatError) as info:
        run(path, "qianniu-web-pdf")
    assert str(info.value) == (f"[E104] {path}: the PDF has no text layer (a scan or an image?); print the "
                               "chat-record page from the browser again, or copy its text")


# ---------------------------------------------------------------------------
# chat sheets

def test_csv_utf8_bom_rows_count_records_not_physical_lines():
    events, warnings = run(CHAT / "chat_sheet_utf8bom.csv")
    assert warnings == []
    assert [(e.source.row, e.role, e.kind, e.buyer, e.text) for e in events] == [
        (2, "buyer", "message", "小鹿爱买买", "亲，什么时候能发货呀？"),
        (3, "seller", "auto_reply", "小鹿爱买买", "[自动回复]亲，欢迎光临悦颜美妆旗舰店~"),
        (4, "seller", "message", "小鹿爱买买", "亲，明天上午给您发出哦\n顺丰包邮，放心"),
        (5, "buyer", "message", "小鹿爱买买", "好的谢谢"),
    ]


def test_csv_gbk_account_type_and_bad_rows():
    events, warnings = run(CHAT / "chat_sheet_gbk.csv")
    assert [(e.source.row, e.time.strftime("%H:%M:%S"), e.sender, e.role) for e in events] == [
        (2, "21:14:55", "tb_lin8866", "buyer"),
        (3, "21:16:00", SHOP, "seller"),  # the shop's main account: 账号类型 客服 decides
        (6, "21:23:10", AJIE, "seller"),  # the colon beats a contradicting 账号类型
    ]
    assert warned(warnings) == [
        (4, "发送时间 '昨天 21:20' is not a date and time; row left out (text '这一行的时间写坏了')"),
        (5, "no 发送账号; row left out (text '这一行没有发送账号')"),
        (6, f"账号类型 客户 but the account '{AJIE}' is written as a shop sub-account; taken as seller"),
    ]


def test_xlsx_sheets_text_times_excel_dates_and_serial_numbers():
    events, warnings = run(CHAT / "chat_sheet.xlsx")
    assert [(e.source.sheet, e.source.row, e.time.isoformat(), e.buyer) for e in events] == [
        ("tb_9527xiaoyu", 2, "2025-07-06T18:44:09+08:00", "tb_9527xiaoyu"),
        ("tb_9527xiaoyu", 3, "2025-07-06T18:50:31+08:00", "tb_9527xiaoyu"),
        ("tb_9527xiaoyu", 4, "2025-07-07T10:00:00+08:00", "tb_9527xiaoyu"),
        ("小鹿爱买买", 2, "2025-06-26T14:25:03+08:00", "小鹿爱买买"),
        ("小鹿爱买买", 3, "2025-06-26T14:26:10+08:00", "小鹿爱买买"),
        ("小鹿爱买买", 5, "2025-06-26T14:26:45+08:00", "小鹿爱买买"),
        ("小鹿爱买买", 6, "2025-06-27T11:06:00+08:00", "小鹿爱买买"),
    ]
    assert events[1].text == "亲，理解您的心情，麻烦提供一下过敏部位照片\n和医院检测报告，我们核实后第一时间为您处理"
    assert warned(warnings) == [
        (None, "sheet '说明' has no chat header (columns 发送时间, 发送内容, 发送账号); sheet left out")]


def test_truncated_xlsx_is_a_format_error():
    data = (CHAT / "chat_sheet.xlsx").read_bytes()
    with pytest.raises(FormatError) as info:
        run("cut.xlsx", "chat-sheet-xlsx", data=data[: len(data) // 2])
    assert str(info.value) == ("[E104] cut.xlsx: not a readable XLSX workbook "
                               "(truncated or damaged: File is not a zip file)")
    with pytest.raises(UnknownFormatError):
        detect(InputFile("cut.xlsx", data[: len(data) // 2]))


# ---------------------------------------------------------------------------
# bad inputs

TEXT_FORMATS_AND_EMPTY_ERRORS = {
    "wangwang-a": "no chat message found in this layout-A export",
    "wangwang-b": "no chat message found in this layout-B export",
    "qianniu-clipboard": "no chat message found in this Qianniu clipboard copy",
    "qianniu-web": "no chat message found in this web chat-record page",
    "chat-sheet-csv": "no chat-sheet header (columns 发送时间, 发送内容, 发送账号) in the first 5 rows",
    "chat-sheet-xlsx": "not a readable XLSX workbook (truncated or damaged: File is not a zip file)",
    "qianniu-web-pdf": "not a readable PDF (PdfminerException: No /Root object! - Is this really a PDF?)",
}


@pytest.mark.parametrize("name, message", sorted(TEXT_FORMATS_AND_EMPTY_ERRORS.items()))
def test_empty_file_forced_to_a_chat_format_is_a_format_error(name, message):
    with pytest.raises(FormatError) as info:
        run("empty.txt", name, data=b"")
    assert str(info.value) == f"[E104] empty.txt: {message}"


@pytest.mark.parametrize("data, hint", [
    (b"", "; the file is empty"),
    (b"\x00\x01\x02\xff\xfe\x00\x10garbage\x00" * 50, ""),
    (b"PK\x03\x04\x14\x00truncated", "; it is a ZIP/XLSX container that no sheet format could read "
                                       "(damaged, truncated or another kind of workbook)"),
])
def test_empty_binary_and_truncated_files_are_unknown_when_detected(data, hint):
    tried = ", ".join(f.NAME for f in formats())
    with pytest.raises(UnknownFormatError) as info:
        detect(InputFile("blob.bin", data))
    assert str(info.value) == f"[E103] blob.bin: not a known export (tried: {tried}){hint}"


@pytest.mark.parametrize("name", ["wangwang-a", "wangwang-b", "qianniu-clipboard", "qianniu-web", "chat-sheet-csv"])
def test_binary_garbage_forced_to_a_text_format_is_an_encoding_error(name):
    with pytest.raises(EncodingError) as info:
        run("blob.bin", name, data=b"\x00\x01\x02\xff\xfe\x00\x10garbage\x00" * 50)
    assert str(info.value) == "[E102] blob.bin: binary data (NUL bytes), not a text export"


HUGE = "锟斤拷" + "这是一行很长的乱码 " * 500_000  # about 5 MB


def test_huge_single_line_alone_is_not_a_chat_export():
    with pytest.raises(UnknownFormatError):
        detect(InputFile("huge.txt", HUGE.encode("utf-8")))


def test_huge_garbage_line_in_layout_a_is_one_short_warning():
    data = (CHAT / "wangwang_a_utf8_masked.txt").read_bytes() + ("-" * 64 + "\n" + HUGE + "\n").encode("utf-8")
    events, warnings = run("huge.txt", "wangwang-a", data=data)
    assert len(events) == 3
    assert warned(warnings) == [(12, "not a message line and no message to continue (after a session rule): "
                                     "'锟斤拷这是一行很长的乱码 这是一行很长的乱码 这是一行很长的乱码 这是一行很长的…'")]


def test_huge_message_in_a_clipboard_copy_is_kept_whole():
    data = ("tb_lin8866 2025-7-2 20:57:11\n" + HUGE + "\n").encode("utf-8")
    events, warnings = run("huge.txt", data=data)
    assert (len(events), warnings, events[0].text) == (1, [], HUGE)


# ---------------------------------------------------------------------------
# round trip through the JSON Lines contract

@pytest.mark.parametrize("name", sorted(FIXTURE_FORMATS))
def test_round_trip_through_json_lines_gives_equal_events(name, tmp_path):
    events, _ = run(CHAT / name)
    out = tmp_path / "timeline.jsonl"
    out.write_text("".join(json.dumps(event_to_dict(e), ensure_ascii=False) + "\n" for e in events),
                   encoding="utf-8")
    again, warnings = run(out)
    # Each event cites the file it was read from; what the file says is kept as recorded.
    assert [(e.source.file, e.source.format, e.source.line) for e in again] == \
        [(str(out), "jsonl", n) for n in range(1, len(events) + 1)]
    assert [e.recorded for e in again] == [e.all_sources() for e in events]
    assert [replace(e, source=o.source, sources=o.sources, recorded=()) for e, o in zip(again, events)] == events
    assert [e.time.isoformat() for e in again] == [e.time.isoformat() for e in events]
    assert warnings == []


# ---------------------------------------------------------------------------
# hypothesis: the line-based parsers never crash and never lose a line

LINE_FORMATS = {
    "wangwang-a": ["wangwang_a_gbk_crlf.txt", "wangwang_a_group_bom.txt", "wangwang_a_garbage.txt",
                   "wangwang_a_export_all_bom.txt"],
    "wangwang-b": ["wangwang_b_utf8.txt", "wangwang_b_gbk_fullwidth.txt"],
    "qianniu-clipboard": ["qianniu_clipboard_utf16.txt", "qianniu_clipboard_utf8_masked.txt",
                          "qianniu_clipboard_two_buyers_bom.txt"],
    "qianniu-web": ["qianniu_web.txt", "qianniu_web_bom_crlf.txt"],
}
# Lines a format consumes as structure (headers, rules, dates, read receipts).
STRUCTURE = {
    "wangwang-a": re.compile(r"^(={5,}|-{5,}|消息记录.*|单聊|群聊|(消息)?对象\s*[:：].*)$"),
    "wangwang-b": re.compile(r"^(消息记录.*|即时消息|(消息)?对象\s*[:：].*|\d{4}-\d{1,2}-\d{1,2})$"),
    "qianniu-clipboard": re.compile(r"^(已读|未读|发送中)$"),
    "qianniu-web": re.compile(r"^(客户\s*[:：].*|\d{4}[-/]\d{1,2}[-/]\d{1,2})$"),
}
FIXTURE_LINES = {fmt: [line for name in names for line in InputFile.read(CHAT / name).lines]
                 for fmt, names in LINE_FORMATS.items()}
ALPHABET = st.sampled_from(list("在吗亲好的发货过敏退款差评：:()（） -=0123456789年月日tb_*\t店旗舰小雅由转交给撤回了一条消息已读")
                           + ["\u2028", "\ufeff", "\u3000", "😀", "𠀀"])
RANDOM_LINE = st.one_of(st.text(ALPHABET, max_size=40),
                        st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
                                max_size=40))


def mutate(line: str, data) -> str:
    if not line:
        return line
    i = data.draw(st.integers(0, len(line) - 1))
    how = data.draw(st.sampled_from(["drop", "dup", "insert", "cut"]))
    if how == "drop":
        return line[:i] + line[i + 1:]
    if how == "dup":
        return line[:i] + line[i] * 2 + line[i:]
    if how == "insert":
        return line[:i] + data.draw(ALPHABET) + line[i:]
    return line[:i]


def lost_lines(file: InputFile, events, warnings, structure) -> list[tuple[int, str]]:
    """Non-blank lines that are neither structure nor inside an event nor warned about."""
    def norm(text: str) -> str:
        return text.strip().lstrip("\ufeff").strip()

    starts = {e.source.line for e in events}
    pieces = {norm(piece) for e in events for piece in e.text.split("\n")}
    pieces |= {norm(e.sender) for e in events if e.sender}
    warned_lines = {w.line for w in warnings}
    lost = []
    for number, line in enumerate(file.lines, start=1):
        text = norm(line)
        if (not text or number in starts or number in warned_lines or structure.match(text)
                or text in pieces):
            continue
        lost.append((number, line))
    return lost


@pytest.mark.parametrize("fmt", sorted(LINE_FORMATS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_line_parsers_never_crash_and_never_lose_a_line(fmt, data):
    source_lines = FIXTURE_LINES[fmt]
    if data.draw(st.booleans()):
        # a fixture with a few lines mutated, dropped, or inserted (random or from a sibling)
        name = data.draw(st.sampled_from(LINE_FORMATS[fmt]))
        picks = list(InputFile.read(CHAT / name).lines)
        for _ in range(data.draw(st.integers(1, 6))):
            i = data.draw(st.integers(0, len(picks)))
            how = data.draw(st.sampled_from(["mutate", "drop", "random", "sibling"]))
            if how == "mutate" and i < len(picks):
                picks[i] = mutate(picks[i], data)
            elif how == "drop" and i < len(picks):
                del picks[i]
            elif how == "random":
                picks.insert(i, data.draw(RANDOM_LINE))
            else:
                picks.insert(i, data.draw(st.sampled_from(source_lines)))
    else:
        picks = data.draw(st.lists(st.one_of(
            st.sampled_from(source_lines),
            st.sampled_from(source_lines).map(lambda line: mutate(line, data)),
            RANDOM_LINE,
        ), max_size=30))
    newline = data.draw(st.sampled_from(["\n", "\r\n", "\r"]))
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    blob = newline.join(picks).encode(encoding)
    file = InputFile("random.txt", blob)
    ctx = ParseContext(file, fmt, ParseOptions())
    try:
        events = list(get_format(fmt).parse(file, ctx))
    except (FormatError, EncodingError) as exc:
        event(f"rejected: {type(exc).__name__}")
        return
    event("parsed")
    assert lost_lines(file, events, ctx.warnings, STRUCTURE[fmt]) == []
    assert all(e.time.tzinfo is not None and e.source.line is not None for e in events)


@settings(max_examples=40, deadline=None)
@given(lines=st.lists(st.one_of(st.sampled_from(InputFile.read(CHAT / "chat_sheet_utf8bom.csv").lines),
                                RANDOM_LINE), max_size=12))
def test_csv_sheet_parser_only_raises_format_errors(lines):
    file = InputFile("random.csv", "\n".join(lines).encode("utf-8"))
    ctx = ParseContext(file, "chat-sheet-csv", ParseOptions())
    try:
        events = list(get_format("chat-sheet-csv").parse(file, ctx))
    except (FormatError, EncodingError):
        return
    assert all(e.source.row is not None for e in events)


# ---------------------------------------------------------------------------
# the demo corpus's chat part

def test_demo_chat_exports_merge_where_they_overlap():
    chat_files = sorted(str(p) for p in DEMO.iterdir()
                        if p.name.startswith(("tb_lin8866", "千牛", "聊天记录", "小鹿爱买买")))
    result = parse_paths(chat_files)
    assert result.failed == ()
    assert [(Path(w.file).name, w.line, w.reason) for w in result.warnings] == [
        ("千牛聊天记录_tb_lin8866_0702.txt", 7, "2 read/sending status line(s) of the chat window (已读 ×1, 未读 ×1) "
                                            "left out of the messages' text: line(s) 7, 17"),
        ("聊天记录_tb_lin8866_网页打印.pdf", None, "2 header/footer line(s) the browser printed at the page edges "
         "(page title, print time, URL, page counter) left out of the messages' text, on page(s) 1: e.g. "
         "'2025/7/6 19:02 千牛工作台 - 聊天记录', 'https://zizhanghao.taobao.com/subaccount…'")]
    formats_of = {e.time.strftime("%m-%d %H:%M:%S"): sorted(s.format for s in e.all_sources())
                  for e in result.events}
    assert formats_of["06-27 21:15:20"] == ["wangwang-a", "wangwang-b"]
    assert formats_of["07-06 18:44:09"] == ["qianniu-web", "qianniu-web-pdf"]
    assert formats_of["06-27 11:06:02"] == ["chat-sheet-csv"]
    assert {e.buyer for e in result.events} == {"tb_lin8866", "小鹿爱买买"}


# ---------------------------------------------------------------------------
# CLI

def test_cli_parse_folder_of_mixed_chat_exports(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    names = ["wangwang_a_gbk_crlf.txt", "wangwang_b_utf8.txt", "qianniu_clipboard_utf16.txt",
             "qianniu_web_2pages.pdf", "chat_sheet.xlsx"]
    for name in names:
        shutil.copy(CHAT / name, folder / name)
    unknown = folder / "购物清单.txt"
    unknown.write_text("牛奶 两盒\n鸡蛋 一打\n", encoding="utf-8")

    result = CliRunner().invoke(app, ["parse", str(folder)])

    assert result.exit_code == 6
    events = [json.loads(line) for line in result.stdout.splitlines()]
    times = [datetime.fromisoformat(e["time"]) for e in events]
    assert times == sorted(times)
    # Three messages are in both layout A and B, and 07-06 18:44:09 in both the PDF and
    # the workbook: each of those is one event listing two sources.
    assert len(events) == 7 + 4 + 9 + 17 + 7 - 4
    assert sum(len(e.get("sources", ())) == 2 for e in events) == 4
    assert all(e["source"]["file"].startswith(str(folder)) for e in events)
    tried = ", ".join(f.NAME for f in formats())
    stderr = result.stderr.splitlines()
    assert f"error [E103] {unknown}: not a known export (tried: {tried})" in stderr
    assert f"{folder / 'wangwang_a_gbk_crlf.txt'}: wangwang-a, 7 events, 0 warnings" in stderr
    assert f"{folder / 'qianniu_web_2pages.pdf'}: qianniu-web-pdf, 17 events, 1 warnings" in stderr
    assert f"{folder / 'chat_sheet.xlsx'}: chat-sheet-xlsx, 7 events, 1 warnings" in stderr
    assert stderr[-1] == "1 of 6 inputs failed"
