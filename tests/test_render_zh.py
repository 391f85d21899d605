"""What the Chinese report says in its own words: warnings in Chinese (the English stays
on the terminal and in the JSON), 无 for a silence there was not, and a threat named by
the label registry, never by the buyer's own words."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pdfplumber
import pytest
from bs4 import BeautifulSoup

from extractor.cases import build_case
from extractor.model import ParseWarning, Tag
from extractor.render import Renderer
from extractor.render.view import case_summary, register_rows
from extractor.render.warnings import KINDS, reason_zh, warning_kind, warning_zh
from extractor.timeline import parse_paths
from report_fixtures import FIXED_NOW, XIAOYA, single_chat

ROOT = Path(__file__).resolve().parents[1]


# -- warnings ----------------------------------------------------------------------------

def test_every_warning_the_fixtures_raise_has_a_chinese_rendering():
    inputs = [p for p in (ROOT / "tests" / "data").rglob("*") if p.is_file() and p.suffix != ".py"]
    result = parse_paths([*map(str, inputs), str(ROOT / "corpora" / "demo")])
    assert len(result.warnings) > 50
    unknown = [str(w) for w in result.warnings if warning_kind(w.reason) is None]
    assert unknown == []


@pytest.mark.parametrize("warning,zh", [
    (ParseWarning("ExportOrderList.csv", "order 3021456789055550002 (等待买家付款) has no payment time: no event", row=4),
     "ExportOrderList.csv 第4行：订单 3021456789055550002（等待买家付款）没有付款时间：不生成事件"),
    (ParseWarning("电话记录.txt", "call note without a time of day: not placed on the timeline", line=10),
     "电话记录.txt 第10行：通话记录没有时刻：未放入时间线"),
    (ParseWarning("bill.pdf", "page could not be read (PDFSyntaxError); its calls are missing", page=2),
     "bill.pdf 第2页：此页无法读取（PDFSyntaxError）：其中的通话缺失"),
    (ParseWarning("chat.xlsx", "sheet '聊天': no 发送账号; row left out (text '在吗')", row=5),
     "chat.xlsx 第5行：工作表 '聊天'：缺少发送账号：此行未收录（内容 '在吗'）"),
    (ParseWarning("电话记录.txt", "the note names no buyer and no number, and 2 calls are within minutes of it "
                  "(09:29:00 with 小鹿爱买买 (bill.csv row 4); 09:35:40 with tb_lin8866 (bill.csv row 3)): "
                  "left unassigned", line=1),
     "电话记录.txt 第1行：记录没有写买家或号码，而前后几分钟内有 2 通电话（09:29:00 与小鹿爱买买（bill.csv 第4行）；"
     "09:35:40 与tb_lin8866（bill.csv 第3行））：未归属，可用 --assign 指定"),
    (ParseWarning("bill.csv", "assigned to 小鹿爱买买 by hand (assign.csv:2)", row=3),
     "bill.csv 第3行：已按归属文件 assign.csv:2 手动归入买家 小鹿爱买买"),
    (ParseWarning("notes.txt", "dates without a year were given the year 2025 from the run's other inputs"),
     "notes.txt：日期没有年份：按本次其他输入取 2025 年"),
])
def test_a_warning_in_chinese(warning, zh):
    assert warning_zh(warning) == zh


def test_a_kind_the_table_does_not_know_is_still_shown():
    assert reason_zh("something new went wrong") == "其他警告：something new went wrong"


def test_each_kind_is_listed_once():
    codes = [k.code for k in KINDS]
    assert len(codes) == len(set(codes))


WARNINGS = (ParseWarning("chat.txt", "message header with an impossible date or time: '2025-02-30 10:00:00'", line=7),
            ParseWarning("chat.txt", "unrecognised line in the export header: '导出人:小雅'", line=2))


def _case_with_warnings(tmp_path):
    events, files = single_chat(tmp_path, "tb_x", [("tb_x", "2025-06-24 10:00:00", "在吗"),
                                                   (XIAOYA, "2025-06-24 10:09:00", "亲，在的")])
    files = [replace(f, warnings=WARNINGS) for f in files]
    return build_case("tb_x", events, files)


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "x.pdf"
    path.write_bytes(data)
    with pdfplumber.open(path) as pdf:
        return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in pdf.pages))


def test_the_report_shows_warnings_in_chinese_and_the_json_keeps_the_english(tmp_path):
    case = _case_with_warnings(tmp_path)
    renderer = Renderer(generated_at=FIXED_NOW)
    html = BeautifulSoup(renderer.render("html", case, "x"), "lxml")
    shown = [li.get_text() for li in html.select("ul.warnings li")]
    assert shown == ["chat.txt 第7行：消息头的日期或时间不可能：'2025-02-30 10:00:00'",
                     "chat.txt 第2行：导出文件头中无法识别的行：'导出人:小雅'"]
    assert "impossible" not in html.get_text() and "unrecognised" not in html.get_text()
    data = json.loads(renderer.render("json", case, "x"))
    assert data["files"][0]["warnings"] == [str(w) for w in WARNINGS]
    text = _pdf_text(renderer.render("pdf", case, "x"), tmp_path)
    assert "消息头的日期或时间不可能" in text and "impossible" not in text


# -- no silence is 无 -----------------------------------------------------------------------

def test_no_silence_is_none_in_the_index_too(tmp_path):
    case = _case_with_warnings(tmp_path)
    assert case.silence is not None and case.silence.hours == 0
    renderer = Renderer(generated_at=FIXED_NOW)
    summary = case_summary(case, "x", True, ("html",))
    renderer.write_run([summary], tmp_path / "out", case.files)
    doc = BeautifulSoup((tmp_path / "out" / "index.html").read_bytes(), "lxml")
    (cell,) = doc.select('#cases td[data-label="最长沉默"]')
    assert cell.get_text() == "无"
    assert not any("0 小时" in s.text or "0小时" in s.text for s in case.summary)


# -- a threat is named by the registry --------------------------------------------------------

@pytest.mark.parametrize("words", [("投訴",), ("12315",), ("差評", "曝光")])
def test_risk_lines_and_claim_lists_use_the_registrys_names(tmp_path, words):
    events, files = single_chat(tmp_path, "tb_x", [(XIAOYA, "2025-06-24 10:00:00", "亲，在的"),
                                                   ("tb_x", "2025-06-24 10:05:00", "".join(words) + "！")])
    events = [replace(e, tags=(Tag("threat", evidence=words),)) if e.role == "buyer" else e for e in events]
    case = build_case("tb_x", events, files)
    assert case.risk == "需关注：以投诉/差评相威胁"
    assert case.summary[-1].text.endswith("以投诉/差评相威胁。")
    (row,) = register_rows(case, True)
    assert row[7] == "威胁" and row[8] == "需关注：以投诉/差评相威胁"
    html = BeautifulSoup(Renderer(generated_at=FIXED_NOW).render("html", case, "x"), "lxml")
    assert [td.get_text() for td in html.select('table.claims td[data-label="内容"]')] == ["威胁"]
    # the buyer's own words stay where they are evidence: the timeline
    assert all(w in html.select_one("#timeline, .timeline").get_text() for w in words)


def _forged_lines_module():
    import importlib.util
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "hostile"))  # its helper module, hostile_files
    path = ROOT / "tests" / "hostile" / "test_forged_lines.py"
    spec = importlib.util.spec_from_file_location("forged_lines_for_warnings", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_forged_line_warning_says_where_in_chinese():
    """Each attack of tests/hostile/test_forged_lines.py, in each chat format it applies to."""
    forged = _forged_lines_module()
    seen = 0
    for fmt in forged.FORMATS:
        for shape in forged.ATTACKS:
            payload, _ = forged.attack(shape, fmt)
            _, warnings = forged.parse(fmt, forged.render(fmt, payload)[0])
            for w in warnings:
                assert warning_kind(w.reason) is not None, w.reason
                if "marked suspicious" in w.reason:
                    seen += 1
                    zh = reason_zh(w.reason)
                    assert zh.startswith("第") and "并标为可疑" in zh and "line" not in zh, zh
    assert seen >= len(forged.FORMATS) * len(forged.ATTACKS)
