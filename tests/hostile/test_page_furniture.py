"""What the chat window and the browser add around messages: the Qianniu window's read
status under a message (已读, 未读, 发送中) and the browser's header and footer on each
page of a printed chat-record page.  Nothing is dropped silently: such a line is left out
of the text only where and as the window or the browser puts it, and counted in one
warning per file naming its lines (pages); a line with the form but not the fit is a
line of the chat, kept, with a warning naming it."""

from __future__ import annotations

import pytest

from extractor.sources import InputFile, ParseContext, ParseOptions, get_format
from hostile_files import make_pdf

SHOP = "悦颜美妆旗舰店"
XIAOYA = f"{SHOP}:小雅"
BUYER = "tb_9527xiaoyu"


def parse(fmt: str, label: str, data: bytes):
    file = InputFile(label, data)
    ctx = ParseContext(file, fmt, ParseOptions())
    return list(get_format(fmt).parse(file, ctx)), [str(w) for w in ctx.warnings]


def clipboard(*messages: tuple[str, str, list[str]]):
    lines = []
    for sender, clock, text in messages:
        gap = "" if sender.startswith(SHOP) else " "
        lines += [f"{sender}{gap}2025-6-25 {clock}", *text]
    return parse("qianniu-clipboard", "千牛聊天记录.txt", ("\n".join(lines) + "\n").encode("utf-8"))


def status_warning(counts: str, lines: str, n: int, first: int) -> str:
    return (f"千牛聊天记录.txt:{first}: {n} read/sending status line(s) of the chat window ({counts}) left out "
            f"of the messages' text: line(s) {lines}")


def test_status_lines_under_messages_are_left_out_and_counted():
    events, warnings = clipboard((XIAOYA, "10:00:02", ["亲，今天发货", "已读"]),
                                 (BUYER, "10:01:11", ["好的", "", "未读", ""]),
                                 (XIAOYA, "10:02:40", ["亲，已经发出了", "发送中"]))
    assert [e.text for e in events] == ["亲，今天发货", "好的", "亲，已经发出了"]
    assert warnings == [status_warning("已读 ×1, 未读 ×1, 发送中 ×1", "3, 7, 11", 3, 3)]


@pytest.mark.parametrize("word", ["已读", "未读", "发送中"])
def test_the_same_word_written_by_a_party_is_text(word):
    # a message that is the word itself, and one where more text follows it
    events, warnings = clipboard((BUYER, "10:00:11", [word]), (XIAOYA, "10:00:40", ["亲，看到了", word, "马上处理"]))
    assert [e.text for e in events] == [word, f"亲，看到了\n{word}\n马上处理"]
    assert warnings == []


def test_a_failed_send_is_kept_as_text_with_a_warning():
    events, warnings = clipboard((XIAOYA, "10:00:02", ["亲，今天发货", "发送失败"]), (BUYER, "10:01:11", ["在吗"]))
    assert [e.text for e in events] == ["亲，今天发货\n发送失败", "在吗"]
    assert warnings == [f"千牛聊天记录.txt:3: '发送失败' is the chat window's send status: the message from {XIAOYA} "
                        "above it may not have reached the buyer; kept as its last line"]


def test_many_status_lines_are_one_bounded_warning():
    messages = [(XIAOYA if i % 2 else BUYER, f"10:{i:02d}:00", [f"第{i}条", "已读"]) for i in range(30)]
    events, warnings = clipboard(*messages)
    assert len(events) == 30 and all("已读" not in e.text for e in events)
    listed = ", ".join(str(3 + 3 * i) for i in range(20))
    assert warnings == [status_warning("已读 ×30", f"{listed} and 10 more", 30, 3)]


# -- the web chat-record page printed to PDF ------------------------------------------

TITLE = "2025/7/7 10:15 千牛工作台 - 聊天记录"
URL = "https://zizhanghao.taobao.com/subaccount/monitor/chatRecord.htm"
PAGE_1 = ["客户：tb_9527xiaoyu", "2025-07-05", "10:02:13", "亲，您好，您拍的玻尿酸精华已经付款成功啦", XIAOYA,
          "18:45:02", "说好的今天发货呢"]
PAGE_2 = ["什么时候到", BUYER, "18:50:31", "亲，已经在催快递了", XIAOYA]


def web_pdf(pages):
    return parse("qianniu-web-pdf", "聊天记录_网页打印.pdf", make_pdf(pages))


def printed(body: list[str], page: int, pages: int) -> list[str]:
    return [TITLE, *body, f"{URL} {page}/{pages}"]


def test_the_browsers_header_and_footer_are_left_out_and_counted():
    events, warnings = web_pdf([printed(PAGE_1, 1, 2), printed(PAGE_2, 2, 2)])
    assert [(e.sender, e.text) for e in events] == [
        (XIAOYA, "亲，您好，您拍的玻尿酸精华已经付款成功啦"), (BUYER, "说好的今天发货呢\n什么时候到"), (XIAOYA, "亲，已经在催快递了")]
    assert warnings == [
        "聊天记录_网页打印.pdf p.1: 4 header/footer line(s) the browser printed at the page edges (page title, print "
        "time, URL, page counter) left out of the messages' text, on page(s) 1–2: e.g. "
        "'2025/7/7 10:15 千牛工作台 - 聊天记录', 'https://zizhanghao.taobao.com/subaccount…'"]


@pytest.mark.parametrize("line, where, why", [
    # a buyer's line at the top of page 2 in the form of the print time
    ("2025/7/8 09:00 到货了吗", "top", "it is not at the edge of every page (1 of 2)"),
    # a line of the message that is a page counter of another page
    ("5/9", "top", "its page counter names another page than 2"),
])
def test_a_line_at_a_page_edge_that_does_not_fit_the_print_is_kept(line, where, why):
    page_2 = [TITLE, line, *PAGE_2, f"{URL} 2/2"]
    events, warnings = web_pdf([printed(PAGE_1, 1, 2), page_2])
    (buyer,) = [e for e in events if e.sender == BUYER]
    assert buyer.text == f"说好的今天发货呢\n{line}\n什么时候到"
    assert warnings[0] == (f"聊天记录_网页打印.pdf p.2: '{line}' at the {where} of the page has the form of the "
                           f"browser's header or footer but {why}: kept as a line of the chat")
    assert len(warnings) == 2 and warnings[1].startswith("聊天记录_网页打印.pdf p.1: 4 header/footer line(s)")


def test_a_footer_counter_naming_another_page_is_kept():
    page_1 = [TITLE, *PAGE_1, f"{URL} 2/2"]
    events, warnings = web_pdf([page_1, printed(PAGE_2, 2, 2)])
    assert "聊天记录_网页打印.pdf p.1: 'https://zizhanghao.taobao.com/subaccount…' at the bottom of the page has " \
           "the form of the browser's header or footer but its page counter names another page than 1: kept as a " \
           "line of the chat" in warnings
    (buyer,) = [e for e in events if e.sender == BUYER]
    assert f"{URL} 2/2" in buyer.text
