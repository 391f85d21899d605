"""Joining calls and call notes to buyers, and one call seen in several records."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.join import join_calls, normalize_number, parse_number
from extractor.model import Call, Event, Order, Source
from extractor.sources.base import BEIJING
from extractor.timeline import parse_paths

DATA = Path(__file__).resolve().parent / "data"
CALLS, ORDERS = DATA / "calls", DATA / "orders"
DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"
T0 = datetime(2025, 6, 24, 10, 20, 11, tzinfo=BEIJING)


def order(buyer: str, phone: str | None, oid: str = "3021456789012345678") -> Event:
    return Event(time=T0 - timedelta(hours=1), role="system", kind="order", sender=None, buyer=buyer,
                 text=f"订单 {oid} 付款 59.00 元", source=Source("ExportOrderList.csv", "0" * 64, "taobao-orders", row=2),
                 order=Order(oid, T0 - timedelta(hours=1), None, phone=phone))


def bill_call(number: str | None, at: datetime = T0, direction: str = "out", duration: int = 0,
              file: str = "bill.csv", row: int = 2, fmt: str = "cmcc-bill-csv") -> Event:
    return Event(time=at, role="seller" if direction == "out" else "buyer", kind="call", sender=None, buyer=None,
                 text=f"{'呼出' if direction == 'out' else '呼入'} {number} {duration}秒",
                 source=Source(file, "1" * 64, fmt, row=row),
                 call=Call(direction, duration, number, duration > 0))


def note(text: str, number: str | None = None, at: datetime = T0, direction: str = "out", line: int = 1,
         sender: str | None = None, answered: bool = False) -> Event:
    return Event(time=at, role="seller", kind="note", sender=sender, buyer=None, text=text,
                 source=Source("电话记录.txt", "2" * 64, "call-notes", line=line),
                 call=Call(direction, None, number, answered))


BUYERS = [order("tb_lin8866", "13812345678"), order("小鹿爱买买", "'139 0000 1111", "3021456789099990001")]


def joined(events):
    out, warnings = join_calls(events)
    return [e for e in out if e.kind in ("call", "note")], warnings


# -- numbers -------------------------------------------------------------------

@pytest.mark.parametrize("written, normal", [
    ("13812345678", "13812345678"), ("+86 138 1234 5678", "13812345678"), ("+86-138-1234-5678", "13812345678"),
    ("0086 13812345678", "13812345678"), ("8613812345678", "13812345678"), ("138-1234-5678", "13812345678"),
    ("138****5678", "138****5678"), ("138xxxx5678", "138****5678"), ("尾号5678", "*5678"),
    ("0571-88886666", "057188886666"), ("'13812345678", "13812345678"), ('="13812345678"', "13812345678"),
    ("--", None), ("", None), (None, None),
])
def test_numbers_compare_without_country_code_spaces_or_dashes(written, normal):
    assert normalize_number(written) == normal


def test_masked_numbers_fit_on_their_visible_digits():
    full = parse_number("13812345678")
    assert parse_number("138****5678").fits(full)
    assert parse_number("尾号5678").fits(full)
    assert not parse_number("139****5678").fits(full)
    assert not parse_number("138****5679").fits(full)
    assert parse_number("1**") is None  # too few digits to tell anyone apart


# -- joins -----------------------------------------------------------------------

def test_a_bill_call_joins_by_the_order_phone_in_any_written_form():
    calls, warnings = joined(BUYERS + [bill_call("+86 138 1234 5678"), bill_call("139-0000-1111", row=3,
                                                                                   at=T0 + timedelta(hours=1))])
    assert [(c.buyer, c.role) for c in calls] == [("tb_lin8866", "seller"), ("小鹿爱买买", "seller")]
    assert warnings == []


def test_an_incoming_call_from_the_buyer_is_the_buyer_s_event():
    calls, _ = joined(BUYERS + [bill_call("13812345678", direction="in", duration=45)])
    assert [(c.buyer, c.role, c.call.answered) for c in calls] == [("tb_lin8866", "buyer", True)]


def test_a_note_joins_by_a_full_number_written_in_it():
    calls, warnings = joined(BUYERS + [note("2025-06-24 10:20 拨打13900001111，接通", "13900001111")])
    assert [c.buyer for c in calls] == ["小鹿爱买买"] and warnings == []


def test_a_note_joins_by_a_masked_number_when_one_buyer_fits():
    calls, warnings = joined(BUYERS + [note("2025-06-24 10:20 致电138****5678，无人接听", "138****5678")])
    assert [c.buyer for c in calls] == ["tb_lin8866"] and warnings == []


def test_a_note_joins_by_a_nick_written_in_it():
    calls, _ = joined(BUYERS + [note("2025-06-24 10:20 电话联系买家小鹿爱买买，接通")])
    assert [c.buyer for c in calls] == ["小鹿爱买买"]


def test_an_ascii_nick_inside_a_longer_word_is_not_that_nick():
    calls, _ = joined(BUYERS + [note("2025-06-24 10:20 电话联系tb_lin88667，关机")])
    assert [c.buyer for c in calls] == [None]


def test_an_ambiguous_masked_number_is_unassigned_with_the_candidates_named():
    buyers = BUYERS + [order("tb_9527xiaoyu", "13800005678", "3021456789055550003")]
    calls, warnings = joined(buyers + [note("6月24日 10:20 打电话138****5678，无人接听", "138****5678", line=7)])
    assert [c.buyer for c in calls] == [None]
    assert [(w.file, w.line, w.reason) for w in warnings] == [
        ("电话记录.txt", 7, "masked number 138****5678 fits several buyers (tb_9527xiaoyu, tb_lin8866): "
                         "left unassigned")]


def test_a_nick_and_a_number_that_disagree_leave_the_note_unassigned():
    calls, warnings = joined(BUYERS + [note("2025-06-24 10:20 致电小鹿爱买买（13812345678），关机", "13812345678")])
    assert [c.buyer for c in calls] == [None]
    assert [w.reason for w in warnings] == [
        "the note names 小鹿爱买买 but 13812345678 is the number of tb_lin8866: left unassigned"]


def test_a_number_shared_by_two_buyers_is_not_attributed():
    calls, warnings = joined([order("tb_lin8866", "13812345678"), order("tb_9527xiaoyu", "13812345678", "2")]
                             + [bill_call("13812345678", row=9)])
    assert [c.buyer for c in calls] == [None]
    assert [(w.file, w.row, w.reason) for w in warnings] == [
        ("bill.csv", 9, "number 13812345678 fits several buyers (tb_9527xiaoyu, tb_lin8866): left unassigned")]


NEW_BUYER = Event(time=T0 - timedelta(days=1), role="buyer", kind="message", sender="tb_doudou_ma2019",
                  buyer="tb_doudou_ma2019", text="宝宝喝了起红疹", source=Source("chat.txt", "3" * 64, "wangwang-b", line=5))


def test_a_number_written_beside_a_nick_joins_the_later_notes_and_calls_with_it():
    taught = note("6月28日 11:20 致电买家tb_doudou_ma2019（136****6027），无人接听", "136****6027", line=1)
    later = note("6月28日 11:40 致电买家（136****6027），已接通", "136****6027", at=T0 + timedelta(minutes=20),
                 line=2, answered=True)
    call = bill_call("13612346027", at=T0 + timedelta(hours=5), row=4)
    calls, warnings = joined(BUYERS + [NEW_BUYER, taught, later, call])
    assert sorted((c.kind, c.source.line or c.source.row, c.buyer) for c in calls) == [
        ("call", 4, "tb_doudou_ma2019"), ("note", 1, "tb_doudou_ma2019"), ("note", 2, "tb_doudou_ma2019")]
    assert warnings == []


def test_a_number_written_beside_two_nicks_in_two_notes_teaches_neither():
    first = note("6月28日 11:20 致电买家tb_doudou_ma2019（136****6027），关机", "136****6027", line=1)
    second = note("6月28日 11:25 致电买家小鹿爱买买（136****6027），关机", "136****6027", line=2)
    later = note("6月28日 11:40 致电买家（136****6027），关机", "136****6027", line=3)
    calls, warnings = joined(BUYERS + [NEW_BUYER, first, second, later])
    assert [c.buyer for c in calls] == ["tb_doudou_ma2019", "小鹿爱买买", None]
    assert [(w.line, w.reason) for w in warnings] == [
        (3, "masked number 136****6027 fits several buyers (tb_doudou_ma2019, 小鹿爱买买): left unassigned")]


def test_a_note_whose_nick_and_number_disagree_teaches_nothing():
    wrong = note("6月28日 11:20 致电小鹿爱买买（13812345678），关机", "13812345678", line=1)
    calls, _ = joined(BUYERS + [wrong, bill_call("13812345678", at=T0 + timedelta(hours=3))])
    assert [c.buyer for c in calls] == ["tb_lin8866", None]


def test_calls_nobody_fits_are_kept_unassigned_without_a_warning():
    calls, warnings = joined(BUYERS + [bill_call("13700002222"), bill_call(None, row=3), note("2025-06-24 10:20 致电买家，关机")])
    assert [c.buyer for c in calls] == [None, None, None] and warnings == []


# -- one call, several records ---------------------------------------------------------

def test_a_bill_call_and_its_note_become_one_event_with_both_sources():
    the_note = note("6月24日 10:21 售后阿明打电话给买家tb_lin8866，无人接听", at=T0 + timedelta(seconds=49),
                    sender="售后阿明", line=3)
    calls, warnings = joined(BUYERS + [bill_call("13812345678"), the_note])
    assert len(calls) == 1 and warnings == []
    call = calls[0]
    assert (call.kind, call.time, call.buyer, call.sender) == ("call", T0, "tb_lin8866", "售后阿明")
    assert call.text == "呼出 13812345678 0秒\n6月24日 10:21 售后阿明打电话给买家tb_lin8866，无人接听"
    assert call.call == Call("out", 0, "13812345678", False)
    assert call.source.format == "cmcc-bill-csv"
    assert [(s.format, s.row or s.line) for s in call.sources] == [("cmcc-bill-csv", 2), ("call-notes", 3)]


def test_a_note_with_only_a_masked_number_merges_into_the_bill_call():
    calls, _ = joined([bill_call("13812345678"), note("10:20 致电138****5678，无人接听", "138****5678")])
    assert len(calls) == 1 and calls[0].buyer is None and len(calls[0].sources) == 2


def test_the_merge_window_is_two_minutes_and_directions_must_agree():
    far = note("致电tb_lin8866，关机", at=T0 + timedelta(minutes=2, seconds=1))
    other_way = note("tb_lin8866来电，接通", at=T0, direction="in", answered=True)
    calls, _ = joined(BUYERS + [bill_call("13812345678"), far, other_way])
    assert [c.kind for c in calls] == ["call", "note", "note"]


def test_a_note_without_number_or_nick_joins_the_one_call_within_minutes():
    """(issue 14; tests/test_join_notes.py has the ambiguous and the too-far cases)"""
    calls, _ = joined(BUYERS + [bill_call("13812345678"), note("2025-06-24 10:20 再次致电买家，无人接听")])
    assert [(c.kind, c.buyer) for c in calls] == [("call", "tb_lin8866")]


def test_the_bill_and_the_phone_log_of_one_call_are_one_event_led_by_the_bill():
    log = bill_call("+86 138 1234 5678", at=T0 - timedelta(seconds=1), file="calls-20250628.xml",
                    fmt="android-calls-xml")
    calls, _ = joined(BUYERS + [log, bill_call("13812345678")])
    assert len(calls) == 1
    assert [s.format for s in calls[0].sources] == ["cmcc-bill-csv", "android-calls-xml"]
    assert calls[0].text == "呼出 13812345678 0秒"


def test_two_calls_in_the_same_bill_are_never_merged():
    calls, _ = joined([bill_call("13812345678"), bill_call("13812345678", at=T0 + timedelta(seconds=40), row=3)])
    assert len(calls) == 2


def test_records_with_different_durations_are_different_calls():
    log = bill_call("13812345678", duration=95, file="calls.xml", fmt="android-calls-xml")
    calls, _ = joined([bill_call("13812345678"), log])
    assert len(calls) == 2


def test_an_ambiguous_note_resolved_by_the_bill_it_merges_into_gives_no_warning():
    buyers = BUYERS + [order("tb_9527xiaoyu", "13800005678", "3")]
    calls, warnings = joined(buyers + [bill_call("13812345678"), note("致电138****5678，关机", "138****5678")])
    assert [(c.kind, c.buyer) for c in calls] == [("call", "tb_lin8866")] and warnings == []


# -- through parse_paths and the CLI ------------------------------------------------------

def test_year_less_notes_take_the_year_of_the_run_s_other_inputs():
    result = parse_paths([str(CALLS / "notes-yearless.txt"), str(CALLS / "cmcc-2025-06-gbk-yearless.csv"),
                          str(ORDERS / "ExportOrderList20250701.csv")])
    notes_report = next(r for r in result.files if r.file.endswith("notes-yearless.txt"))
    assert [w.reason for w in notes_report.warnings] == [
        "dates without a year were given the year 2025 from the run's other inputs"]
    calls = [e for e in result.events if e.kind == "call"]
    first = calls[0]
    assert first.time == datetime(2025, 6, 24, 10, 20, 11, tzinfo=BEIJING) and first.buyer == "tb_lin8866"
    assert [s.format for s in first.sources] == ["cmcc-bill-csv", "call-notes"]
    assert [e.kind for e in result.events if e.buyer == "tb_lin8866"] == [
        "order", "call", "call", "order", "call"]


def test_the_demo_corpus_calls_join_their_buyers():
    mine = [DEMO / n for n in ("cmcc-bill-202506.csv", "cmcc-ebill-202506.pdf", "calls-20250628.xml",
                               "电话记录.txt", "ExportOrderList20250701.csv")]
    if not all(p.exists() for p in mine):
        pytest.skip("demo corpus incomplete")
    result = parse_paths([str(p) for p in mine])
    assert [(Path(w.file).name, w.line, w.reason) for w in result.warnings] == [
        ("电话记录.txt", 2, "6月27日 has no year: took 2025 from the neighbouring notes of this file")]
    calls = [e for e in result.events if e.kind == "call"]
    assert [(e.time.strftime("%m-%d %H:%M:%S"), e.buyer, e.call.answered, len(e.sources)) for e in calls] == [
        ("06-24 10:20:11", "tb_lin8866", False, 3),
        ("06-25 09:35:40", "tb_lin8866", False, 3),
        ("06-26 15:01:02", None, True, 3),
        ("06-27 10:10:05", "小鹿爱买买", True, 4),
        ("06-27 21:30:26", "tb_lin8866", False, 4),
    ]
    assert not [e for e in result.events if e.kind == "note"]
    assert calls[4].text == "呼出 13812345678 0秒\n6月27日 晚上9点半 售后阿明电话联系买家tb_lin8866，对方直接挂断"


def test_cli_parse_over_a_folder_with_a_bill_notes_and_an_order_export(tmp_path):
    folder = tmp_path / "案件"
    folder.mkdir()
    shutil.copy(CALLS / "cmcc-2025-06-gbk-yearless.csv", folder / "话单.csv")
    shutil.copy(CALLS / "notes-gbk-crlf.txt", folder / "电话记录.txt")
    shutil.copy(ORDERS / "ExportOrderList20250701.csv", folder / "ExportOrderList20250701.csv")
    result = CliRunner().invoke(app, ["parse", str(folder)])
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    calls = [(e["time"], e["kind"], e["buyer"], [s["format"] for s in e.get("sources", [e["source"]])])
             for e in events if e["kind"] in ("call", "note")]
    assert calls == [
        ("2025-06-24T10:20:11+08:00", "call", "tb_lin8866", ["cmcc-bill-csv"]),
        ("2025-06-25T09:35:40+08:00", "call", "tb_lin8866", ["cmcc-bill-csv"]),
        ("2025-06-26T14:40:00+08:00", "note", "小鹿爱买买", ["call-notes"]),
        ("2025-06-27T10:10:00+08:00", "note", "小鹿爱买买", ["call-notes"]),
        ("2025-06-27T21:30:26+08:00", "call", "tb_lin8866", ["cmcc-bill-csv", "call-notes"]),
    ]
    assert result.stderr.splitlines() == [
        f"{folder / 'ExportOrderList20250701.csv'}: taobao-orders, 5 events, 2 warnings",
        f"  warning {folder / 'ExportOrderList20250701.csv'} row 4: order 3021456789055550002 (等待买家付款) "
        "has no payment time: no event",
        f"  warning {folder / 'ExportOrderList20250701.csv'} row 5: order 3021456789055550003 (交易关闭) "
        "has no payment time: no event",
        f"{folder / '电话记录.txt'}: call-notes, 3 events, 2 warnings",
        f"  warning {folder / '电话记录.txt'}:2: 6月27日 has no year: took 2025 from the neighbouring notes of this file",
        f"  warning {folder / '电话记录.txt'}:3: 6月27日 has no year: took 2025 from the neighbouring notes of this file",
        f"{folder / '话单.csv'}: cmcc-bill-csv, 3 events, 1 warnings",
        f"  warning {folder / '话单.csv'}: 3 call(s) written without a year were given the year of the bill's "
        "other records or its query period",
    ]


def test_cli_reports_a_refused_xml_and_exits_partial(tmp_path):
    shutil.copy(CALLS / "calls-billion-laughs.xml", tmp_path / "calls-1.xml")
    shutil.copy(CALLS / "cmcc-2025-06-utf8bom.csv", tmp_path / "bill.csv")
    result = CliRunner().invoke(app, ["parse", str(tmp_path)])
    assert result.exit_code == 6
    assert (f"error [E105] {tmp_path / 'calls-1.xml'}: refused to read this XML: it declares a DTD, entities or "
            "an external reference (DTDForbidden). A call-log backup never contains these; they are how "
            "entity-expansion (\"billion laughs\") and external-entity attacks work. Export the call log again "
            "from the phone.") in result.stderr.splitlines()
    assert "1 of 2 inputs failed" in result.stderr.splitlines()
