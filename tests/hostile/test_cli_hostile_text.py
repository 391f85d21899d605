"""Hostile text through the CLI: markup, template syntax, spreadsheet formulas, control
characters and bidi overrides in buyers' messages and nicks come out of `evidence
parse` verbatim, as JSON strings (escaped where JSON escapes), and never reach the
terminal raw through a warning."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from extractor.cli import app

runner = CliRunner()

HOSTILE = [
    "<script>alert(document.cookie)</script>",
    "</textarea><img src=x onerror=alert(1)><style>body{display:none}</style>",
    "{{ config.items() }} {% for x in range(9) %}{{ x }}{% endfor %} ${7*7} #{7*7}",
    "=cmd|' /C calc'!A0",
    "+1+1 @SUM(A1:A2) -2+3",
    "退款\x07\x08\x1b[2J\x1b]0;已退款\x07 不然差评",  # BEL, BS, ESC clear-screen, OSC window title
    "\u202e款退已\u202c 已发货 \u2066tb_9527xiaoyu\u2069 \u200b\u200d\ufeff",
    "第一行 <b>加粗</b>\n第二行 {{ 7*7 }}\n=HYPERLINK(\"http://evil.example\",\"点我\")",
]
HOSTILE_NICK = "tb_<i>9527</i>{{x}}\u202e"


def clipboard_export() -> bytes:
    lines = []
    for i, text in enumerate(HOSTILE):
        lines += [f"{HOSTILE_NICK} 2022-7-2 20:{10 + i}:11", *text.split("\n")]
        lines += [f"悦颜美妆旗舰店:小雅 2022-7-2 20:{10 + i}:30", "亲，在的"]
    return "\n".join(lines).encode("utf-8")


def chat_sheet_export() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["客户名", "消息序号", "发送时间", "发送内容", "发送账号", "账号类型"])
    for i, text in enumerate(HOSTILE, start=1):
        writer.writerow(["小鹿爱买买", i, f"2022-07-06 18:{10 + i}:09", text, "小鹿爱买买", "客户"])
    return out.getvalue().encode("utf-8-sig")


def wangwang_export() -> bytes:
    lines = ["=" * 64, "消息记录（此消息记录为文本格式，不支持重新导入）", "=" * 64, "单聊", "=" * 64,
             "消息对象:tb_lin8866", "=" * 64]
    for i, text in enumerate(HOSTILE):
        lines.append(f"tb_lin8866(2022-06-24 10:{10 + i}:13): {text}")
    return "\r\n".join(lines).encode("gb18030")


EXPORTS = {
    "千牛聊天记录_tb_9527xiaoyu.txt": ("qianniu-clipboard", clipboard_export, HOSTILE_NICK),
    "小鹿爱买买_聊天记录.csv": ("chat-sheet-csv", chat_sheet_export, "小鹿爱买买"),
    "tb_lin8866_消息记录.txt": ("wangwang-a", wangwang_export, "tb_lin8866"),
}


@pytest.fixture
def exports(tmp_path):
    for name, (_, make, _) in EXPORTS.items():
        (tmp_path / name).write_bytes(make())
    return tmp_path


def test_hostile_messages_come_out_of_parse_verbatim(exports):
    result = runner.invoke(app, ["parse", str(exports)])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    events = [json.loads(line) for line in lines]
    for name, (fmt, _, buyer) in EXPORTS.items():
        mine = [e for e in events if e["source"]["format"] == fmt and e["sender"] == buyer]
        assert [e["text"] for e in mine] == HOSTILE, fmt
        assert {e["buyer"] for e in mine} == {buyer}
        assert f"{exports / name}: {fmt}, " in result.stderr
    assert result.stderr.count(", 0 warnings") == 3


def test_the_json_lines_escape_control_characters_and_stay_one_line_each(exports):
    result = runner.invoke(app, ["parse", str(exports)])
    out = result.stdout
    assert not any(ch in out for ch in "\x07\x08\x1b\r")
    assert "\\u001b[2J" in out and "\\u0007" in out
    # one event per line: a message's own line breaks are "\n" inside the JSON string
    assert len(out.splitlines()) == len(HOSTILE) * 3 + len(HOSTILE)
    assert '"第一行 <b>加粗</b>\\n第二行 {{ 7*7 }}\\n=HYPERLINK(\\"http://evil.example\\",\\"点我\\")"' in out


def test_a_warning_quoting_hostile_text_reaches_the_terminal_escaped(tmp_path):
    # A bill row the parser cannot read is quoted in the warning: its ESC sequences and
    # bidi override must not act on the terminal that shows the warning.
    bill = tmp_path / "cmcc-bill-202506.csv"
    bill.write_text("起始时间,通信地点,通信方式,对方号码,通信时长,通信类型,套餐优惠,实收通信费(元)\n"
                    "2025-06-24 10:20:11,杭州,主叫,13812345678,0秒,本地,--,0.00\n"
                    "2025-06-25 09:35:40,\x1b]0;pwned\x07\u202e杭州,呼转,13812345678,1分12秒,本地,--,0.00\n",
                    encoding="utf-8")
    result = runner.invoke(app, ["parse", str(bill)])
    assert result.exit_code == 0
    assert not any(ch in result.stderr for ch in "\x07\x1b\u202e")
    assert (f"  warning {bill} row 3: not a call record (call type '呼转' is neither 主叫 nor 被叫): "
            "2025-06-25 09:35:40, \\u001b]0;pwned\\u0007\\u202e杭州, 呼转, 13812345678, 1分12秒, 本地, --, 0.00\n"
            ) in result.stderr
