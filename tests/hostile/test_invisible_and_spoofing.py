"""Nicks and order ids that display as something they are not: a bidi override (U+202E)
that prints another name, tag characters, Hangul fillers and zero-width characters that
make two names look alike or a name look empty, a control character that rewrites the
terminal.  Every place a party's name or an order id is shown (the case HTML's title,
header and timeline, the PDF, the index, the register, the terminal lines of `report`
and `batch`) shows such a character as its code point, [U+202E], with the 可疑 marker
naming the code points; the JSON keeps the nick verbatim."""

from __future__ import annotations

import csv
import io
import json
import unicodedata

import pdfplumber
import pytest
from bs4 import BeautifulSoup
from typer.testing import CliRunner

from extractor import display
from extractor.cli import app
from extractor.errors import EXIT_PARTIAL
from extractor.nlp.normalize import normalize
from extractor.render.env import highlight
from extractor.render.filenames import unique_names

runner = CliRunner()
SHOP = "悦颜美妆旗舰店"
MARK = "可疑：含不可见或改变显示方向的字符"

# key: (nick, as shown, the code points the 可疑 marker names)
NICKS = {
    "override": ("tb_\u202e7259yx", "tb_[U+202E]7259yx", "U+202E"),
    "embedding": ("\u202bxiaolu\u202c", "[U+202B]xiaolu[U+202C]", "U+202B U+202C"),
    "isolates": ("\u2067yuyan\u2069_88", "[U+2067]yuyan[U+2069]_88", "U+2067 U+2069"),
    "marks": ("lin\u200f\u061c8866\u200e", "lin[U+200F][U+061C]8866[U+200E]", "U+200F U+061C U+200E"),
    "tag_characters": ("tb_9527\U000e0074\U000e0062", "tb_9527[U+E0074][U+E0062]", "U+E0074 U+E0062"),
    "hangul_filler": ("xiao\u3164yu", "xiao[U+3164]yu", "U+3164"),
    "only_fillers": ("\u115f\u1160", "[U+115F][U+1160]", "U+115F U+1160"),
    "zero_width": ("lu\u200bxiao\u200c\u200d", "lu[U+200B]xiao[U+200C][U+200D]", "U+200B U+200C U+200D"),
    "word_joiner_bom": ("mei\u2060mei\ufeff", "mei[U+2060]mei[U+FEFF]", "U+2060 U+FEFF"),
    "soft_hyphen": ("tao\u00adbao", "tao[U+00AD]bao", "U+00AD"),
    "lone_selector": ("tb_cat\ufe0f", "tb_cat[U+FE0F]", "U+FE0F"),
    "escape_sequence": ("tb_\x1b[2Jx", "tb_[U+001B][2Jx", "U+001B"),
}
ORDER_NICK = NICKS["override"][0]
ORDER_ID = "30214567890\u202e12345678"
ORDER_SHOWN = "30214567890[U+202E]12345678"


def clipboard_export(nick: str, minute: int) -> bytes:
    lines = [f"{SHOP}:小雅 2025-6-25 10:{minute:02d}:02", "亲，您好，您拍的玻尿酸精华已经付款成功啦",
             f"{nick} 2025-6-25 10:{minute:02d}:11", "说好的发货呢",
             f"{SHOP}:小雅 2025-6-25 10:{minute:02d}:40", "亲，已经在处理了"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def order_export() -> bytes:
    rows = ["订单编号,买家会员名,买家实际支付金额,订单状态,联系手机,订单付款时间 ,宝贝标题 ,物流单号 ,物流公司",
            f'="{ORDER_ID}",{ORDER_NICK},59.00,买家已付款，等待卖家发货,\'13812345670,2025-06-24 09:50:45,'
            "悦颜玻尿酸精华液30ml,,"]
    return ("\r\n".join(rows) + "\r\n").encode("gb18030")


def write_exports(folder, keys):
    folder.mkdir()
    for i, key in enumerate(keys):
        (folder / f"千牛聊天记录_{i}.txt").write_bytes(clipboard_export(NICKS[key][0], i))
    (folder / "ExportOrderList20250701.csv").write_bytes(order_export())


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("spoof")
    write_exports(root / "in", list(NICKS))
    out = root / "out"
    result = runner.invoke(app, ["report", str(root / "in"), "-o", str(out), "--outputs", "html,json"])
    assert result.exit_code == 0, result.stderr
    return out, result


def page(out, nick):
    name = unique_names([n for n, _, _ in NICKS.values()])[nick]
    return BeautifulSoup((out / f"{name}.html").read_text(encoding="utf-8"), "html.parser")


def label(key: str) -> str:
    _, shown, codes = NICKS[key]
    return f"{shown}（{MARK} {codes}）"


@pytest.mark.parametrize("key", sorted(NICKS))
def test_the_case_page_shows_the_nick_with_its_code_points_and_marks_it(run, key):
    out, _ = run
    nick, shown, codes = NICKS[key]
    soup = page(out, nick)
    assert soup.title.get_text() == f"纠纷证据报告 · {label(key)} · {SHOP}"
    assert soup.h1.get_text() == f"{shown} {MARK} {codes}"
    assert soup.select_one(".run-buyer").get_text() == shown  # what the PDF's running header copies
    buyer_rows = [td.get_text() for td in soup.select('td[data-label="发送方"]') if "买家" in td.get_text()]
    assert buyer_rows == [f"{shown} {MARK} {codes}买家"]
    hidden = [ch for ch in nick if ch not in shown]
    body = soup.get_text()
    assert hidden and not [ch for ch in hidden if ch in body]


@pytest.mark.parametrize("key", sorted(NICKS))
def test_the_json_keeps_the_verbatim_nick(run, key):
    out, _ = run
    nick = NICKS[key][0]
    name = unique_names([n for n, _, _ in NICKS.values()])[nick]
    report = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
    assert report["buyer"] == nick
    assert {e["sender"] for e in report["events"] if e["role"] == "buyer"} == {nick}


def test_the_order_id_is_shown_with_its_code_point_in_the_header_and_the_timeline(run):
    out, _ = run
    soup = page(out, ORDER_NICK)
    orders = soup.find("dt", string="订单编号").find_next_sibling("dd")
    assert orders.get_text() == f"{ORDER_SHOWN} {MARK} U+202E"
    lines = [s.get_text() for s in soup.select("span.order")]
    assert lines == [f"订单 {ORDER_SHOWN}（{MARK} U+202E） · 付款 2025-06-24 09:50:45 · 手机 138****5670"]


def test_the_index_and_the_register_show_every_nick_the_same_way(run):
    out, _ = run
    index = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")
    cells = {td.get_text() for td in index.select('td[data-label="买家"]')}
    assert cells == {f"{shown} {MARK} {codes}" for _, shown, codes in NICKS.values()}
    orders = {td.get_text() for td in index.select('td[data-label="订单"]')}
    assert f"{ORDER_SHOWN} {MARK} U+202E" in orders
    rows = list(csv.reader(io.StringIO((out / "register.csv").read_text(encoding="utf-8-sig"))))
    assert {row[1] for row in rows[1:]} == {label(key) for key in NICKS}
    assert [row[0] for row in rows[1:] if row[0]] == [f"{ORDER_SHOWN}（{MARK} U+202E）"]


def test_report_prints_each_nick_escaped_on_the_terminal(run):
    out, result = run
    names = unique_names([n for n, _, _ in NICKS.values()])
    lines = result.stdout.splitlines()
    for key, (nick, _, _) in NICKS.items():
        risk = "卖家风险：未见发货记录" if nick == ORDER_NICK else "无"
        assert [line for line in lines if line.startswith(f"{label(key)}: ")] == [
            f"{label(key)}: {out / names[nick]}.html, {out / names[nick]}.json  [{risk}]"]
    hidden = {ch for nick, shown, _ in NICKS.values() for ch in nick if ch not in shown}
    assert not [ch for ch in hidden if ch in result.stdout + result.stderr]


def test_batch_prints_a_file_name_with_control_and_bidi_characters_escaped(tmp_path):
    folder = tmp_path / "in"
    write_exports(folder, ["override"])
    # text no format recognises: an error line naming the file (a picture would be a skip line)
    (folder / "截图\u202egpj.exe\x1b]0;已退款\x07.txt").write_text("这不是聊天记录，只是一段说明文字。\n", encoding="utf-8")
    result = runner.invoke(app, ["batch", str(folder), "-o", str(tmp_path / "out"), "--workers", "1",
                                 "--outputs", "json"])
    assert result.exit_code == EXIT_PARTIAL, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error ")]
    assert len(errors) == 1 and "截图[U+202E]gpj.exe[U+001B]]0;已退款[U+0007].txt" in errors[0]
    assert not {"\u202e", "\x1b", "\x07"} & set(result.stdout + result.stderr)


def test_the_pdf_text_layer_shows_the_code_points_and_the_marker(tmp_path):
    keys = ["override", "hangul_filler"]
    write_exports(tmp_path / "in", keys)
    result = runner.invoke(app, ["report", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--outputs", "pdf"])
    assert result.exit_code == 0, result.stderr
    names = unique_names([NICKS[key][0] for key in keys])
    for key in keys:
        nick, shown, codes = NICKS[key]
        with pdfplumber.open(tmp_path / "out" / f"{names[nick]}.pdf") as pdf:
            text = "\n".join(p.extract_text() or "" for p in pdf.pages)
        lines = text.splitlines()
        orders = ORDER_SHOWN if key == "override" else "无订单记录"
        assert lines[0] == f"{SHOP} {shown} 订单 {orders}"  # the running header
        assert lines[2:4] == [shown, f"{MARK} {codes}"]  # the heading and its badge
        assert f" 旺旺 {shown} {MARK} {codes} （买家） 标签：发货主张（延迟发货）" in text  # the timeline
        assert not [ch for ch in nick if ch not in shown and ch in text]


# -- the display rule itself ----------------------------------------------------------

BIDI_CONTROLS = [*"\u202a\u202b\u202c\u202d\u202e", *"\u2066\u2067\u2068\u2069", "\u200e", "\u200f", "\u061c"]
INVISIBLE = ["\U000e0001", "\U000e0020", "\U000e0041", "\U000e007f", "\u3164", "\u115f", "\u1160", "\uffa0",
             "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u034f", "\u2800", "\u180e",
             "\u2028", "\u2029", "\x00", "\x07", "\x1b", "\x7f", "\x85", "\t", "\n", "\u00a0", "\u2007"]


@pytest.mark.parametrize("ch", BIDI_CONTROLS + INVISIBLE, ids=lambda ch: f"U+{ord(ch):04X}")
def test_every_hidden_character_in_a_name_is_a_code_point_and_suspicious(ch):
    code = f"U+{ord(ch):04X}"
    assert display.shown(f"tb_{ch}x", name=True) == f"tb_[{code}]x"
    assert display.name_label(f"tb_{ch}x") == f"tb_[{code}]x（{MARK} {code}）"
    assert display.terminal(f"tb_{ch}x") == f"tb_[{code}]x" or ch == "\n"


def test_every_format_character_is_hidden_and_dropped_for_matching():
    every_cf = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    assert len(every_cf) > 150
    shown_as_is = [ch for ch in every_cf if display.shown(f"a{ch}b", name=True) == f"a{ch}b"]
    assert shown_as_is == []
    kept = [ch for ch in every_cf if normalize(f"差{ch}评").text != "差评"]
    assert kept == []


@pytest.mark.parametrize("text", [
    "tb_9527xiaoyu", "小鹿爱买买", "悦颜美妆旗舰店:小雅", "lin 8866",
    "小鹿❤️", "小鹿❤︎", "一家人👨‍👩‍👧", "🔥❤️‍🔥", "👍🏽", "1️⃣号买家",
    "葛\U000e0100优",  # a Han ideograph's registered variant
    "tb_[U+202E]typed",  # typed, not hidden: no marker, which is how the two differ
])
def test_names_without_hidden_characters_are_shown_as_they_are(text):
    assert display.shown(text, name=True) == text
    assert display.name_label(text) == text and display.suspicious_codes(text) == ()


def test_a_message_keeps_its_layout_and_is_escaped_without_a_marker():
    text = "第一行\t缩进\n第二行\u202e款退已\u202c\u200b"
    assert display.shown(text) == "第一行\t缩进\n第二行[U+202E]款退已[U+202C][U+200B]"
    assert str(highlight(text, ["款退已"])).endswith(
        '<mark>款退已</mark><span class="invisible" title="POP DIRECTIONAL FORMATTING">[U+202C]</span>'
        '<span class="invisible" title="ZERO WIDTH SPACE">[U+200B]</span>')
