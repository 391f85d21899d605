"""A call note that names nobody joins the one call it describes; what stays unassigned
the user can assign with ``--assign FILE``, and the index says how."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.assign import unassigned_id
from extractor.cli import app
from extractor.join import join_calls
from extractor.model import Call, Event, Order, Source
from extractor.sources.base import BEIJING

DATA = Path(__file__).resolve().parent / "data"
NOTE_TIME = datetime(2025, 6, 25, 9, 35, tzinfo=BEIJING)
NOTE_TEXT = "2025-06-25 09:35 再次致电买家，接通，买家说地址没问题，同意发货"
LIN, LU = "tb_lin8866", "小鹿爱买买"


def order(buyer: str, phone: str, oid: str) -> Event:
    paid = datetime(2025, 6, 24, 9, 58, 45, tzinfo=BEIJING)
    return Event(paid, "system", "order", None, buyer, f"订单 {oid} 付款 59.00 元",
                 Source("ExportOrderList.csv", "0" * 64, "taobao-orders", row=2), order=Order(oid, paid, None, phone=phone))


BUYERS = [order(LIN, "13812345678", "3021456789012345678"), order(LU, "13900001111", "3021456789099990001")]


def call(number: str, at: datetime, row: int, fmt: str = "cmcc-bill-csv", file: str = "bill.csv",
         duration: int = 48) -> Event:
    return Event(at, "seller", "call", None, None, f"呼出 {number} {duration}秒", Source(file, "1" * 64, fmt, row=row),
                 call=Call("out", duration, number, duration > 0))


def note(text: str = NOTE_TEXT, at: datetime = NOTE_TIME, direction: str = "out") -> Event:
    return Event(at, "seller", "note", None, None, text, Source("电话记录.txt", "2" * 64, "call-notes", line=1),
                 call=Call(direction, None, None, True))


def calls_and_notes(events):
    out, warnings = join_calls(events)
    return [e for e in out if e.kind in ("call", "note")], warnings


@pytest.mark.parametrize("record", [
    call("13812345678", NOTE_TIME + timedelta(seconds=40), 3),  # the carrier's bill
    call("13812345678", NOTE_TIME - timedelta(minutes=4), 7, fmt="android-calls-xml", file="calls.xml"),
])
def test_a_note_naming_nobody_joins_the_one_call_near_it(record):
    (joined,), warnings = calls_and_notes(BUYERS + [record, note()])
    assert joined.buyer == LIN and joined.kind == "call"
    assert joined.text.endswith("\n" + NOTE_TEXT)  # the same call, cited once
    assert [s.file for s in joined.all_sources()] == [record.source.file, "电话记录.txt"]
    assert warnings == []


def test_two_calls_near_the_note_leave_it_unassigned_naming_both():
    lin = call("13812345678", NOTE_TIME + timedelta(seconds=40), 3)
    lu = call("13900001111", NOTE_TIME - timedelta(minutes=6), 4)
    events, warnings = calls_and_notes(BUYERS + [lin, lu, note()])
    (left,) = [e for e in events if e.kind == "note"]
    assert left.buyer is None
    assert [(w.file, w.line, w.reason) for w in warnings] == [(
        "电话记录.txt", 1,
        "the note names no buyer and no number, and 2 calls are within minutes of it "
        "(09:29:00 with 小鹿爱买买 (bill.csv row 4); 09:35:40 with tb_lin8866 (bill.csv row 3)): left unassigned")]
    assert sorted(e.buyer for e in events if e.kind == "call") == [LIN, LU]


@pytest.mark.parametrize("events", [
    [call("13812345678", NOTE_TIME + timedelta(minutes=40), 3), note()],  # not within minutes
    [call("13700002222", NOTE_TIME + timedelta(seconds=40), 3), note()],  # the call's buyer is unknown
    [call("13812345678", NOTE_TIME + timedelta(seconds=40), 3), note(direction="in")],  # another direction
], ids=["too-far", "unknown-buyer", "other-direction"])
def test_a_note_stays_unassigned_without_exactly_one_call_of_a_known_buyer(events):
    out, warnings = calls_and_notes(BUYERS + events)
    (left,) = [e for e in out if e.kind == "note"]
    assert left.buyer is None and warnings == []


def test_a_note_that_names_its_buyer_keeps_them():
    lu_call = call("13900001111", NOTE_TIME + timedelta(seconds=40), 3)
    out, _ = calls_and_notes(BUYERS + [lu_call, note(f"09:35 致电买家{LIN}，接通")])
    assert sorted((e.kind, e.buyer) for e in out) == [("call", LU), ("note", LIN)]


# -- --assign, end to end ---------------------------------------------------------------

BILL = ("\ufeff起始时间,通信地点,通信方式,对方号码,通信时长,通信类型,套餐优惠,实收通信费(元)\n"
        "2025-06-25 09:35:40,杭州,主叫,13812345678,48秒,本地(非漫游、主叫),--,0.00\n"
        "2025-06-26 15:01:02,杭州,主叫,13700002222,45秒,本地(非漫游、主叫),--,0.00\n")
NOTES = f"{NOTE_TEXT}\n2025-06-26 15:40 致电买家，接通，买家说再考虑一下\n"
CHAT = "消息对象:tb_lin8866\n悦颜美妆旗舰店:小雅(2025-06-24 10:03:05): 我们会在48小时内给您发货的哦\n"


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(DATA / "orders" / "ExportOrderList20250701.csv", folder)
    (folder / "cmcc-bill-202506.csv").write_text(BILL, encoding="utf-8")
    (folder / "电话记录.txt").write_text(NOTES, encoding="utf-8")
    (folder / "chat.txt").write_text(CHAT, encoding="utf-8")
    return folder


def _run(command: str, exports: Path, out: Path, *extra: str):
    return CliRunner().invoke(app, [command, str(exports), "-o", str(out), "--outputs", "json", "--no-backoff",
                                    *extra])


def _ids(index: Path) -> list[str]:
    from bs4 import BeautifulSoup

    doc = BeautifulSoup(index.read_text("utf-8"), "html.parser")
    return [row["id"] for row in doc.select("#unassigned tbody tr")]


def _event_of(case_json: Path, text: str) -> dict:
    data = json.loads(case_json.read_text("utf-8"))
    return next(e for e in data["events"] if text in e["text"])


def test_the_note_joins_and_the_index_says_how_to_assign_the_rest(tmp_path, exports):
    result = _run("report", exports, tmp_path / "out")
    assert result.exit_code == 0, result.output
    lin_call = _event_of(tmp_path / "out" / f"{LIN}.json", "同意发货")
    assert lin_call["kind"] == "call" and lin_call["call"]["duration_s"] == 48
    ids = _ids(tmp_path / "out" / "index.html")
    assert len(ids) == 2 and all(i.startswith("U") for i in ids)
    html = (tmp_path / "out" / "index.html").read_text("utf-8")
    assert "--assign 文件名" in html and f"{ids[0]},买家旺旺名" in html


@pytest.mark.parametrize("command", ["report", "batch"])
@pytest.mark.parametrize("form", ["csv", "json"])
def test_assign_puts_an_unassigned_call_into_the_buyers_case(tmp_path, exports, command, form):
    first = _run("report", exports, tmp_path / "first")
    assert first.exit_code == 0, first.output
    bill_call = _ids(tmp_path / "first" / "index.html")[0]  # in time order: the 15:01 call, then the 15:40 note
    assign = tmp_path / f"assign.{form}"
    assign.write_text(f"event,buyer\n{bill_call},{LU}\n" if form == "csv" else
                      json.dumps({bill_call: LU}, ensure_ascii=False), encoding="utf-8")
    result = _run(command, exports, tmp_path / "out", "--assign", str(assign))
    assert result.exit_code == 0, result.output
    event = _event_of(tmp_path / "out" / f"{LU}.json", "137****2222")
    assert event["buyer"] == LU
    data = json.loads((tmp_path / "out" / f"{LU}.json").read_text("utf-8"))
    bill = next(f for f in data["files"] if f["file"].endswith("cmcc-bill-202506.csv"))
    line = 2 if form == "csv" else 1
    assert f"{bill['file']} row 3: assigned to {LU} by hand (assign.{form}:{line})" in bill["warnings"]
    assert bill_call not in _ids(tmp_path / "out" / "index.html")


@pytest.mark.parametrize("content,message", [
    ("U1234abcd,tb_lin8866\n", "--assign {path}:1: unknown event id U1234abcd: not among this run's unassigned "
                               "events ({ids})"),
    ("# whose calls\nU1234abcd;tb_lin8866\n", "--assign {path}:2: expected two fields, event,buyer "
                                               "(got 1: 'U1234abcd;tb_lin8866')"),
    ("E3,tb_lin8866\n", "--assign {path}:1: 'E3' is not an event id (U and 8 hex digits, as the index lists them)"),
    ("{first},nobody_here\n", "--assign {path}:1: buyer 'nobody_here' is in none of the inputs"),
    ("{first},tb_lin8866\n{first},小鹿爱买买\n", "--assign {path}:2: {first} is assigned twice (also on line 1)"),
    ('{{"{first}": 5}}', "--assign {path}:1: '{first}': the event id and the buyer are strings"),
])
def test_a_bad_assign_file_is_an_error_naming_the_line(tmp_path, exports, content, message):
    first = _run("report", exports, tmp_path / "first")
    ids = _ids(tmp_path / "first" / "index.html")
    assign = tmp_path / "assign.txt"
    assign.write_text(content.format(first=ids[0]), encoding="utf-8")
    result = _run("report", exports, tmp_path / "out", "--assign", str(assign))
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == "error [E400] " + message.format(
        path=assign, first=ids[0], ids=", ".join(sorted(ids)))
    assert not (tmp_path / "out").exists() and first.exit_code == 0


def test_the_ids_are_the_events_own(tmp_path):
    a = call("13700002222", NOTE_TIME, 3)
    assert unassigned_id(a) == unassigned_id(call("13700002222", NOTE_TIME, 3))
    assert unassigned_id(a) != unassigned_id(call("13700002222", NOTE_TIME, 4))


def test_the_batch_cache_knows_the_assign_file(tmp_path):
    from extractor.stages import RunConfig

    path = tmp_path / "assign.csv"
    path.write_text("U1234abcd,tb_lin8866\n", encoding="utf-8")
    before = RunConfig(assign_file=str(path)).tag_fingerprint()
    path.write_text("U1234abcd,小鹿爱买买\n", encoding="utf-8")
    assert RunConfig(assign_file=str(path)).tag_fingerprint() != before != RunConfig().tag_fingerprint()
