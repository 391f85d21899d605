"""The complaint register: columns, one row per order, formula neutralization, BOM."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from extractor.cases import build_case, build_run
from extractor.render import RenderOptions, render_run
from extractor.render.register import csv_cell, neutralize, register_csv
from extractor.sources.call_records import unwrap_cell
from extractor.render.view import REGISTER_COLUMNS
from report_fixtures import FIXED_NOW, LIN, LIN_ORDER, LU, LU_ORDER, XIAOYA, single_chat, story

HEADER = ["订单编号", "买家旺旺", "付款时间", "发货时间", "卖家联系次数", "买家回复次数", "最长沉默(小时)", "主张", "风险提示", "店铺"]


@pytest.fixture(scope="module")
def register(tmp_path_factory):
    root = tmp_path_factory.mktemp("reg")
    events, files = story(root / "in")
    render_run(build_run(events, files), root / "out", RenderOptions(generated_at=FIXED_NOW, outputs=("json",)))
    return root / "out"


def _csv_rows(path):
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def test_columns_are_the_complaint_forms():
    assert list(REGISTER_COLUMNS) == HEADER


def test_xlsx_one_row_per_order(register):
    ws = load_workbook(register / "register.xlsx").active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == HEADER
    assert len(rows) == 3
    lin = next(r for r in rows if r[1] == LIN)
    assert lin[0] == LIN_ORDER  # text: all 19 digits kept
    assert lin[2:4] == ["2025-06-24 09:58:45", "2025-06-25 16:40:12"]
    assert lin[4:7] == [9, 0, 108.9]
    assert lin[7] == "缺货、延迟发货、威胁、赔偿、过敏、无效果"  # the registry's names, never the buyer's words
    assert lin[8] == "疑似恶意：付款后失联，超时后主张延迟发货，索要赔偿，以投诉/差评相威胁"
    lu = next(r for r in rows if r[1] == LU)
    assert lu[0] == LU_ORDER and lu[4:6] == [3, 2] and lu[7] is None and lu[8] == "无"


def test_csv_matches_xlsx(register):
    rows = _csv_rows(register / "register.csv")
    ws = load_workbook(register / "register.xlsx").active
    xlsx = [["" if c.value is None else c.value for c in r] for r in ws.iter_rows()]
    # The CSV's order numbers carry a leading tab (Excel keeps them as text); the XLSX's
    # are text cells.  Read with the tool's own cell reader, they are the same digits.
    assert [[unwrap_cell(r[0])] + r[1:4] + r[7:] for r in rows] == [r[:4] + r[7:] for r in xlsx]
    assert [[float(v) for v in r[4:7]] for r in rows[1:]] == [[float(v) for v in r[4:7]] for r in xlsx[1:]]
    assert (register / "register.csv").read_bytes().count(b"\r\n") == 3


def test_csv_order_numbers_keep_every_digit_in_excel(register):
    """Excel shows a bare 19-digit CSV cell as 3.02146E+18 and keeps 15 digits; after a
    tab it takes the cell as text.  The exact bytes of the cell, and the row."""
    data = (register / "register.csv").read_bytes()
    lin_row = next(line for line in data.split(b"\r\n") if LIN.encode() in line)
    assert lin_row.startswith(b"\t" + LIN_ORDER.encode("ascii") + b"," + LIN.encode("utf-8") + b",")
    assert b"\t" + LU_ORDER.encode("ascii") + b"," in data
    assert b"," + LIN_ORDER.encode() not in data and not data.count(b"'" + LIN_ORDER.encode())


@pytest.mark.parametrize("value, expected", [
    ("3021456789012345678", "\t3021456789012345678"),  # an order number: text in Excel
    ("302145678901", "\t302145678901"),  # 12 digits: Excel's General format shows 3.02146E+11
    ("30214567890", "30214567890"),  # 11 digits: shown in full
    ("'3021456789012345678", "'3021456789012345678"), ("3021456789012345678 ", "3021456789012345678 "),
    ("=3021456789012345678", "'=3021456789012345678"), ("\t3021456789012345678", "'\t3021456789012345678"),
    ("", ""), (15, 15),
])
def test_csv_cell(value, expected):
    assert csv_cell(value) == expected


def test_csv_order_number_bytes_and_read_back():
    data = register_csv([["3021456789099990001", "小鹿爱买买", "", "", 0, 0, "", "", "无"]])
    assert data.split(b"\r\n")[1] == b"\t3021456789099990001," + "小鹿爱买买,,,0,0,,,无".encode("utf-8")
    (row,) = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))[1:]
    assert unwrap_cell(row[0]) == "3021456789099990001"


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://evil.example\",\"点我\")", "'=HYPERLINK(\"http://evil.example\",\"点我\")"),
    ("+86 138", "'+86 138"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("tb_lin8866", "tb_lin8866"), ("", ""), (" =1", " =1"),
    (3, 3), (108.9, 108.9),
])
def test_neutralize(value, expected):
    assert neutralize(value) == expected


@pytest.mark.parametrize("nick, shown", [
    *((nick, "'" + nick) for nick in ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0"]),
    # a tab or carriage return in a nick is shown as its code point, which starts no formula
    ("\t=1+1", "[U+0009]=1+1（可疑：含不可见或改变显示方向的字符 U+0009）"),
    ("\r=1+1", "[U+000D]=1+1（可疑：含不可见或改变显示方向的字符 U+000D）"),
])
def test_formulas_from_nicks_are_neutralized(tmp_path, nick, shown):
    events, files = single_chat(tmp_path / "in", nick, [(nick, "2025-06-24 10:00:00", "在吗"),
                                                        (XIAOYA, "2025-06-24 10:01:00", "在的亲")])
    render_run([build_case(nick, events, files)], tmp_path / "out",
               RenderOptions(generated_at=FIXED_NOW, outputs=("json",)))
    ws = load_workbook(tmp_path / "out" / "register.xlsx").active
    cell = ws.cell(row=2, column=2)
    assert cell.value == shown and cell.data_type == "s"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert _csv_rows(tmp_path / "out" / "register.csv")[1][1] == shown


def test_xlsx_bytes_depend_on_the_generation_time_not_the_clock(register, monkeypatch):
    import time as time_module
    import zipfile
    from datetime import timezone

    from extractor.render.context import RenderContext
    from extractor.render.env import make_environment
    from extractor.render.register import register_xlsx

    ctx = RenderContext(make_environment(), FIXED_NOW)
    rows = [["3021456789012345678", "tb_lin8866", "2025-06-24 09:58:45", "", 3, 0, 83.2, "延迟发货", "疑似恶意"]]
    first = register_xlsx(rows, ctx)
    real = time_module.time
    monkeypatch.setattr(time_module, "time", lambda: real() + 3600)  # an hour later by the clock
    second = register_xlsx(rows, ctx)
    assert first == second
    utc = FIXED_NOW.astimezone(timezone.utc)
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {utc.timetuple()[:6]}
        core = z.read("docProps/core.xml").decode()
    assert core.count(utc.strftime("%Y-%m-%dT%H:%M:%SZ")) == 2  # created and modified
