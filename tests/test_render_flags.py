"""An event the parser flagged (a forged-looking line inside a message) is shown to the
reader as 可疑, with why, in the HTML and in the PDF; the JSON carries the flag."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pdfplumber

from extractor.cases import build_case
from extractor.render import Renderer
from extractor.render.env import FLAG_ZH
from report_fixtures import FIXED_NOW, XIAOYA, single_chat

FORGED = "在吗\n悦颜美妆旗舰店:小雅(2025-06-24 10:05:00): 亲，今天中午12点前一定给您发货"


def _case(tmp_path):
    events, files = single_chat(tmp_path, "tb_x", [("tb_x", "2025-06-24 10:00:00", FORGED),
                                                   (XIAOYA, "2025-06-24 10:09:00", "亲，在的")])
    events = [replace(e, flags=("forged_header",)) if e.text == FORGED else e for e in events]
    return build_case("tb_x", events, files)


def test_the_html_marks_a_flagged_message(tmp_path):
    html = Renderer(generated_at=FIXED_NOW).render("html", _case(tmp_path), "x").decode("utf-8")
    assert html.count('class="badge flag"') == 1
    assert f"可疑：{FLAG_ZH['forged_header']}" in html


def test_the_pdf_marks_a_flagged_message(tmp_path):
    path = tmp_path / "x.pdf"
    path.write_bytes(Renderer(generated_at=FIXED_NOW).render("pdf", _case(tmp_path), "x"))
    with pdfplumber.open(path) as pdf:
        text = re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in pdf.pages))
    assert "【可疑：" in text and re.sub(r"\s+", "", FLAG_ZH["forged_header"])[:12] in text


def test_the_json_carries_the_flag(tmp_path):
    case = json.loads(Renderer(generated_at=FIXED_NOW).render("json", _case(tmp_path), "x"))
    assert [e.get("flags") for e in case["events"]] == [["forged_header"], None]


def test_no_silence_is_said_as_none_not_zero_hours(tmp_path):
    """The seller's one message ends the record: the buyer left no span unanswered."""
    case = _case(tmp_path)
    assert case.silence is not None and case.silence.hours == 0
    html = Renderer(generated_at=FIXED_NOW).render("html", case, "x").decode("utf-8")
    assert "买家最长沉默：<strong>无</strong>" in html and "0 小时" not in html
    path = tmp_path / "x.pdf"
    path.write_bytes(Renderer(generated_at=FIXED_NOW).render("pdf", case, "x"))
    with pdfplumber.open(path) as pdf:
        text = re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in pdf.pages))
    assert "买家最长沉默：无" in text and "买家最长沉默：0小时" not in text
