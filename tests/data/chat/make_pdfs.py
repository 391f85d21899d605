"""Write the PDF fixtures: the Qianniu web chat-record page "printed" with WeasyPrint.

The page is laid out the way the seller centre shows it (客户 line, a date line per day,
then time / text / sender for each message) and each page carries a browser-style header
(print time, page title) and footer (page URL, page counter), so the parser meets what a
browser print gives it.  The committed PDFs are the fixtures; run this only to change them:

    .venv/bin/python tests/data/chat/make_pdfs.py

It writes tests/data/chat/qianniu_web_2pages.pdf, no_chat_text.pdf (a printed shop notice),
no_text_layer.pdf (a page with a grey box and no text, like a scan) and the demo corpus's
web print, corpora/demo/聊天记录_tb_lin8866_网页打印.pdf.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment
from weasyprint import HTML

HERE = Path(__file__).resolve().parent
DEMO = HERE.parents[2] / "corpora" / "demo"

PAGE_URL = "https://zizhanghao.taobao.com/subaccount/monitor/chatRecord.htm"

TEMPLATE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>千牛工作台 - 聊天记录</title>
<style>
@page {
  size: A4; margin: 20mm 17mm;
  @top-left { content: "{{ printed }}"; font-size: 8pt; }
  @top-center { content: "千牛工作台 - 聊天记录"; font-size: 8pt; }
  @bottom-left { content: "{{ url }}"; font-size: 8pt; }
  @bottom-right { content: counter(page) "/" counter(pages); font-size: 8pt; }
}
body { font-family: "Noto Sans CJK SC", sans-serif; font-size: 10pt; line-height: 1.6; }
p { margin: 0; }
.msg { margin: 0 0 1em 0; }
.day { margin: 0.4em 0; color: #666; }
.time, .who { color: #999; }
.break { break-before: page; }
</style></head><body>
{% if customer %}<p>客户：{{ customer }}</p>{% endif %}
{% for day, messages in days %}
<p class="day">{{ day }}</p>
{% for m in messages %}<div class="msg">
<p class="time">{{ m.time }}</p>
{% for line in m.lines %}<p{% if loop.index0 == m.break_at %} class="break"{% endif %}>{{ line }}</p>{% endfor %}
<p class="who">{{ m.sender }}</p>
</div>{% endfor %}
{% endfor %}
{% for line in plain %}<p>{{ line }}</p>{% endfor %}
</body></html>
"""

SHOP = "悦颜美妆旗舰店"


def message(time: str, sender: str, *lines: str, break_at: int | None = None) -> dict:
    return {"time": time, "sender": sender, "lines": lines, "break_at": break_at}


def fixture_two_pages() -> dict:
    """tb_9527xiaoyu's after-sales talk: long enough for two pages, one message broken
    across the page boundary, one long line that wraps, a link and a placeholder."""
    buyer, amin, xiaoya = "tb_9527xiaoyu", f"{SHOP}:售后阿明", f"{SHOP}:小雅"
    day1 = [
        message("09:58:02", xiaoya, "[自动回复]亲，欢迎光临悦颜美妆旗舰店，客服小雅稍后为您服务~"),
        message("10:02:13", amin, "亲，您好，7月2日反馈的过敏问题您这边处理得怎么样了"),
        message("10:02:20", amin, "请在客户端查看原始聊天记录，网页版无法展示"),
        message("10:05:41", buyer, "还是红，涂了药也没好"),
        message("10:06:30", amin, "亲，麻烦您把过敏部位的照片发一下，我们这边登记一下"),
        message("10:07:02", buyer, "请在客户端查看原始聊天记录，网页版无法展示"),
        message("10:09:15", amin, "收到了亲，我们这边帮您申请一下售后，请稍等"),
        message("10:15:40", amin,
                "亲，核实了一下，您这一单是6月24日付款、6月25日下午发出的中通快递，"
                "签收后第8天反馈的过敏问题，麻烦您再提供一下医院的诊断证明，"
                "我们收到后会第一时间为您处理，给您带来不便非常抱歉"),
        message("10:16:03", buyer, "https://item.taobao.com/item.htm?id=652301234567"),
        message("10:16:20", buyer, "就是这个精华"),
    ]
    day2 = [
        message("18:44:09", buyer, "没效果还过敏，我要退货退款，不然就给差评"),
        message("18:50:31", amin, "亲，理解您的心情，", "我们这边已经登记了，",
                "麻烦提供一下医院的检测报告，收到后第一时间为您处理", break_at=2),
        message("18:52:10", buyer, "我不去医院，你们直接退款"),
        message("18:53:45", amin, "亲，没有凭证的话我们这边没法直接退款哦，", "您可以申请七天无理由退货"),
        message("18:55:00", buyer, "用过了还能七天无理由吗"),
        message("18:56:12", amin, "开封使用过的不支持七天无理由哦，亲"),
        message("19:01:33", buyer, "那我就投诉你们"),
    ]
    return {"customer": buyer, "days": [("2025-07-05", day1), ("2025-07-06", day2)],
            "printed": "2025/7/7 10:15"}


def demo_web_print() -> dict:
    """The demo story's 07-05/07-06 web page (same messages as the demo's text copy)."""
    buyer, amin = "tb_lin8866", f"{SHOP}:售后阿明"
    day1 = [
        message("10:02:13", amin, "亲，您好，7月2日反馈的过敏问题您这边处理得怎么样了"),
        message("10:02:20", amin, "请在客户端查看原始聊天记录，网页版无法展示"),
        message("10:30:51", buyer, "还没好"),
    ]
    day2 = [
        message("18:44:09", buyer, "没效果还过敏，我要退货退款，不然就给差评"),
        message("18:50:31", amin, "亲，理解您的心情，麻烦提供一下过敏部位照片", "和医院检测报告，我们核实后第一时间为您处理"),
    ]
    return {"customer": buyer, "days": [("2025-07-05", day1), ("2025-07-06", day2)],
            "printed": "2025/7/6 19:02"}


def no_chat_text() -> dict:
    """A shop notice printed to PDF: text, but no chat record in it."""
    return {"customer": None, "days": [], "printed": "2025/7/1 09:00",
            "plain": ["悦颜美妆旗舰店 售后服务说明",
                      "一、签收后7天内，未拆封商品支持七天无理由退货。",
                      "二、如有过敏等不适，请立即停用并联系客服。"]}


def render(page: dict, target: Path) -> None:
    html = Environment(autoescape=True).from_string(TEMPLATE).render(
        url=PAGE_URL, plain=page.get("plain", ()), **{k: v for k, v in page.items() if k != "plain"})
    target.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html).write_pdf(target)
    print("wrote", target)


def main() -> None:
    render(fixture_two_pages(), HERE / "qianniu_web_2pages.pdf")
    render(no_chat_text(), HERE / "no_chat_text.pdf")
    render(demo_web_print(), DEMO / "聊天记录_tb_lin8866_网页打印.pdf")
    HTML(string='<div style="width:120mm;height:80mm;background:#ccc"></div>').write_pdf(
        HERE / "no_text_layer.pdf")


if __name__ == "__main__":
    main()
