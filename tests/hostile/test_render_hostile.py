"""Hostile exports all the way to the reports: `evidence report` on an order export and
a chat whose buyers' nicks and words carry markup, template syntax, formulas, path
tricks, control and bidi characters.  The reports show all of it as text; no file is
written outside the output folder; no register cell is a formula."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import unicodedata

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from typer.testing import CliRunner

from extractor.cli import app
from extractor.render.filenames import unique_names

runner = CliRunner()

NICKS = {
    "formula": "=cmd|' /C calc'!A0",
    "markup": "<img src=x onerror=alert(1)>{{7*7}}",
    "path": "../../etc/passwd",
    "device": "CON",
}
MESSAGES = [
    "<script>alert(document.cookie)</script>没效果还过敏",
    "{{ config.items() }} {% for x in range(9) %}{{ x }}{% endfor %} 我要退货退款",
    "@SUM(A1:A9) +1 -1 =HYPERLINK(\"http://evil.example\",\"点我\")",
    "退款\x07\x1b[2J 不然差评 \u202e款退已\u202c \u200b",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def order_export() -> bytes:
    rows = ["订单编号,买家会员名,买家实际支付金额,订单状态,联系手机,订单付款时间 ,宝贝标题 ,物流单号 ,物流公司"]
    for i, nick in enumerate(NICKS.values()):
        quoted = '"' + nick.replace('"', '""') + '"'
        rows.append(f'="302145678901234567{i}",{quoted},59.00,卖家已发货，等待买家确认,\'1381234567{i},'
                    f'2025-06-24 09:5{i}:45,悦颜玻尿酸精华液30ml,No:7531234567890{i},中通快递')
    return ("\r\n".join(rows) + "\r\n").encode("gb18030")


def clipboard_export(nick: str, minute: int) -> bytes:
    lines = []
    for i, text in enumerate(MESSAGES):
        lines += [f"{nick} 2025-6-25 10:{minute + i:02d}:11", text, f"悦颜美妆旗舰店:小雅 2025-6-25 10:{minute + i:02d}:40",
                  "亲，已经在处理了"]
    return "\n".join(lines).encode("utf-8")


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    exports = root / "exports"
    exports.mkdir()
    (exports / "ExportOrderList20250701.csv").write_bytes(order_export())
    for i, nick in enumerate(NICKS.values()):
        (exports / f"千牛聊天记录_{i}.txt").write_bytes(clipboard_export(nick, 10 * i))
    out = root / "out"
    result = runner.invoke(app, ["report", str(exports), "-o", str(out), "--outputs", "html,pdf,json"])
    return root, out, result


def test_the_run_succeeds_and_writes_only_inside_the_output_folder(reports):
    root, out, result = reports
    assert result.exit_code == 0, result.stderr
    names = unique_names(NICKS.values())
    expected = {f"{names[n]}.{ext}" for n in NICKS.values() for ext in ("html", "pdf", "json")}
    expected |= {"index.html", "register.csv", "register.xlsx"}
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == expected
    assert {p.name for p in root.iterdir()} == {"exports", "out"}
    assert names[NICKS["path"]] == "_etc_passwd" and names[NICKS["device"]] == "_CON"


@pytest.mark.parametrize("key", sorted(NICKS))
def test_html_shows_every_hostile_message_and_nick_as_text(reports, key):
    _, out, _ = reports
    name = unique_names(NICKS.values())[NICKS[key]]
    html = (out / f"{name}.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find_all("script") == [] and soup.find_all("img") == []
    assert not [tag for tag in soup.find_all(True) for attr in tag.attrs if attr.lower().startswith("on")]
    assert not soup.body.find_all("style")  # the report's own styles sit in <head>
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    text = shown(soup.get_text())
    for message in MESSAGES:
        assert shown(message) in text
    assert NICKS[key] in text
    # (times are left out of the check: a report generated at 20:49 shows 49)
    assert "{{ 7*7 }}" not in text and "49" not in re.sub(r"\d{3,}|\d{1,2}:\d{2}(:\d{2})?", "", text)


def shown(text: str) -> str:
    """Text as the page shows it, whether an invisible character (bidi override, zero
    width space, control character) is printed raw or made visible as [U+202E]: both
    are text, and the comparison ignores which one the renderer chose."""
    text = re.sub(r"\[U\+[0-9A-F]{4,6}\]", "", text)
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") or ch in "\n\t")


@pytest.mark.parametrize("key", sorted(NICKS))
def test_json_report_keeps_messages_verbatim(reports, key):
    _, out, _ = reports
    name = unique_names(NICKS.values())[NICKS[key]]
    raw = (out / f"{name}.json").read_text(encoding="utf-8")
    strings = set(_strings(json.loads(raw)))
    assert set(MESSAGES) <= strings and NICKS[key] in strings


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_register_csv_has_no_formula_and_keeps_the_nick_readable(reports):
    _, out, _ = reports
    rows = list(csv.reader(io.StringIO((out / "register.csv").read_text(encoding="utf-8-sig"))))
    # A long order id is written after a tab so that Excel keeps its digits: a tab then
    # digits only is a number shown as text, never a formula.
    assert not [cell for row in rows[1:] for cell in row
                if cell.startswith(FORMULA_START) and not re.fullmatch(r"\t[0-9]{12,}", cell)]
    nicks = {row[1] for row in rows[1:]}
    assert "'" + NICKS["formula"] in nicks and NICKS["path"] in nicks


def test_register_xlsx_has_no_formula_cell(reports):
    _, out, _ = reports
    book = load_workbook(out / "register.xlsx")
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_START)]
    assert "'" + NICKS["formula"] in {c.value for c in cells}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (Debian package poppler-utils)")
def test_pdf_prints_the_markup_as_text(reports):
    # poppler, not pdfplumber: pdfminer reads no character at all from a page whose text
    # holds a control character (BEL, ESC), a render-side issue reported separately.
    _, out, _ = reports
    name = unique_names(NICKS.values())[NICKS["markup"]]
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(out / f"{name}.pdf"), "-"],
                          capture_output=True, check=True).stdout.decode("utf-8")
    squeezed = re.sub(r"\s+", "", text)
    assert "<script>alert(document.cookie)</script>" in squeezed
    assert "{{config.items()}}" in squeezed and "{%forxinrange(9)%}" in squeezed
    assert re.sub(r"\s+", "", NICKS["markup"]) in squeezed
