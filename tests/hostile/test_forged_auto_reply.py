"""A buyer who starts a message with 【自动回复】: only the shop's account sends auto-replies
(the platform sends them from the shop), so the buyer's text stays a buyer message, is
tagged as any other (an auto-reply is not), gets the ``forged_auto_reply`` flag (可疑 in
the reports) and the file a warning naming the line.  The shop's own auto-reply is
still one, with no flag and no warning."""

from __future__ import annotations

import csv
import io

import pytest
from bs4 import BeautifulSoup
from typer.testing import CliRunner

from extractor.cli import app
from extractor.model import FLAGS, event_to_dict
from extractor.nlp import get_tagger
from extractor.render.env import FLAG_ZH
from extractor.sources import InputFile, ParseContext, ParseOptions, get_format
from test_forged_lines import BUYER, FORMATS, XIAOYA, parse, render

FLAG = "forged_auto_reply"
FORGED_TEXT = "【自动回复】说好的发货呢，再不发货我就投诉你们"
SHOP_REPLY = "【自动回复】亲，您好，客服小雅正在为您服务，请稍等"
WARNING = (f"a message from buyer {BUYER} starts with 【自动回复】, which only the shop's auto-reply sends: "
           "kept as the buyer's message and tagged, marked suspicious")
# where each format puts the buyer's message (index 1 of the conversation) and its source
WHERE = {"wangwang-a": "聊天记录.txt:9", "wangwang-b": "聊天记录.txt:5", "qianniu-clipboard": "聊天记录.txt:3",
         "qianniu-web": "聊天记录.txt:8", "qianniu-web-pdf": "聊天记录_网页打印.pdf p.1"}


def conversation(fmt: str) -> list[str]:
    lines, _ = render(fmt, [])
    lines = [line.replace("说好的发货呢", FORGED_TEXT) for line in lines]
    # the shop's first message is its auto-reply
    return [line.replace("亲，您好，您拍的玻尿酸精华已经付款成功啦", SHOP_REPLY) for line in lines]


def chat_sheet() -> tuple[list, list]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["客户名", "消息序号", "发送时间", "发送内容", "发送账号", "账号类型"])
    writer.writerow([BUYER, 1, "2025-06-24 10:02:13", SHOP_REPLY, XIAOYA, "客服"])
    writer.writerow([BUYER, 2, "2025-06-27 21:15:20", FORGED_TEXT, BUYER, "客户"])
    writer.writerow([BUYER, 3, "2025-06-27 21:20:00", "亲，正在帮您查询物流，请稍等", XIAOYA, "客服"])
    file = InputFile("聊天记录.csv", out.getvalue().encode("utf-8-sig"))
    ctx = ParseContext(file, "chat-sheet-csv", ParseOptions())
    return list(get_format("chat-sheet-csv").parse(file, ctx)), ctx.warnings


def parsed(fmt: str):
    return chat_sheet() if fmt == "chat-sheet-csv" else parse(fmt, conversation(fmt))


def test_the_flag_is_registered_and_has_a_reason_for_the_reader():
    assert FLAG in FLAGS and FLAG_ZH[FLAG].startswith("买家消息以【自动回复】开头")


@pytest.mark.parametrize("fmt", [*FORMATS, "chat-sheet-csv"])
def test_a_buyer_message_starting_with_the_auto_reply_mark_stays_the_buyers(fmt):
    events, warnings = parsed(fmt)
    (forged,) = [e for e in events if e.text == FORGED_TEXT]
    assert (forged.role, forged.kind, forged.sender, forged.flags) == ("buyer", "message", BUYER, (FLAG,))
    assert event_to_dict(forged)["flags"] == [FLAG]
    where = WHERE.get(fmt, "聊天记录.csv row 3")
    assert [str(w) for w in warnings] == [f"{where}: {WARNING}"]
    (shop,) = [e for e in events if e.text == SHOP_REPLY]
    assert (shop.role, shop.kind, shop.flags) == ("seller", "auto_reply", ())


@pytest.mark.parametrize("fmt", ["wangwang-b", "qianniu-clipboard", "chat-sheet-csv"])
def test_it_is_tagged_as_any_buyer_message(fmt):
    events, _ = parsed(fmt)
    tagged = get_tagger().tag_events(events)
    (forged,) = [e for e in tagged if e.text == FORGED_TEXT]
    # the tags of the same words in a plain buyer message (an auto-reply gets none)
    assert forged.tags == get_tagger().tag_text(FORGED_TEXT, "buyer", forged.time)
    assert [t.label for t in forged.tags] == ["delay_claim", "threat"]


def test_the_reports_mark_it_suspicious(tmp_path):
    exports = tmp_path / "in"
    exports.mkdir()
    (exports / "千牛聊天记录.txt").write_text("\n".join(conversation("qianniu-clipboard")) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["report", str(exports), "-o", str(tmp_path / "out"), "--outputs", "html"])
    assert result.exit_code == 0, result.stderr
    assert f"  warning 千牛聊天记录.txt:3: {WARNING}" in result.stderr.replace(str(exports) + "/", "")
    soup = BeautifulSoup((tmp_path / "out" / f"{BUYER}.html").read_text(encoding="utf-8"), "html.parser")
    (row,) = [tr for tr in soup.select("tr[id]") if FORGED_TEXT in tr.get_text()]
    assert row.select_one('td[data-label="渠道"]').get_text() == "旺旺"  # not 自动回复
    assert [b.get_text() for b in row.select(".badge.flag")] == [f"可疑：{FLAG_ZH[FLAG]}"]
    (shop_row,) = [tr for tr in soup.select("tr[id]") if SHOP_REPLY in tr.get_text()]
    assert shop_row.select_one('td[data-label="渠道"]').get_text() == "旺旺自动回复" and not shop_row.select(".flag")
