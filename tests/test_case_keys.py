"""Case keys (issue 14): a case is one buyer of one shop; a placeholder nick is never a
key; a shop's main account writing without a colon is the seller when the run says so.

Every test runs ``report`` and ``batch`` alike on exports written from scratch
(tests/case_key_fixtures.py) and asserts the exact keys, findings and warnings."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from case_key_fixtures import (HUAJIAN, HUAJIAN_ORDER, LIN, LIN_ORDER, PLACEHOLDER, SHARED, XIAOYU, YUEYAN,
                               YUEYAN_ORDER, main_account_folder, placeholder_folder, two_shops_folder)
from extractor.batch import BatchOptions, run_batch
from extractor.keys import CaseKey, case_names, digits_in, placeholder_nick
from extractor.sources import ParseOptions
from extractor.stages import RunConfig, join_aside, read_files, run_report

BJ = ZoneInfo("Asia/Shanghai")
FIXED = datetime(2025, 7, 10, 12, 0, 0, tzinfo=BJ)
ARGV = ("evidence", "report")


def _run(kind: str, src: Path, out: Path, config: RunConfig):
    if kind == "report":
        return run_report([src], out, config, FIXED, ARGV)
    return run_batch(src, out, BatchOptions(config, workers=1), argv=ARGV, generated_at=FIXED)


def _keys(src: Path, config: RunConfig | None = None) -> list[CaseKey]:
    config = config or RunConfig()
    return list(join_aside(read_files([src], config), config.parse.shop).keys)


def _warnings(result, name: str) -> list[str]:
    report = next(f for f in result.files if Path(f.file).name == name)
    return [str(w).replace(str(Path(report.file).parent) + "/", "") for w in report.warnings]


def _case(out: Path, name: str) -> dict:
    return json.loads((out / f"{name}.json").read_text("utf-8"))


# ---------------------------------------------------------------------------
# one nick, two shops


@pytest.fixture(scope="module")
def two_shops(tmp_path_factory) -> Path:
    return two_shops_folder(tmp_path_factory.mktemp("two_shops") / "in")


def test_one_nick_with_two_shops_is_two_cases_keyed_by_shop_and_buyer(two_shops):
    assert _keys(two_shops) == [CaseKey(YUEYAN, SHARED), CaseKey(HUAJIAN, SHARED)]


@pytest.mark.parametrize("kind", ["report", "batch"])
def test_each_shops_case_holds_its_own_chats_orders_and_silence(two_shops, tmp_path, kind):
    result = _run(kind, two_shops, tmp_path / kind, RunConfig(outputs=("json",)))
    assert [(c.shop, c.buyer, c.name) for c in result.cases] == [
        (YUEYAN, SHARED, f"{YUEYAN}_{SHARED}"), (HUAJIAN, SHARED, f"{HUAJIAN}_{SHARED}")]
    yueyan = _case(tmp_path / kind, f"{YUEYAN}_{SHARED}")
    huajian = _case(tmp_path / kind, f"{HUAJIAN}_{SHARED}")
    assert yueyan["shop"] == YUEYAN and huajian["shop"] == HUAJIAN
    assert [o["id"] for o in yueyan["orders"]] == [YUEYAN_ORDER]
    assert [o["id"] for o in huajian["orders"]] == [HUAJIAN_ORDER]
    assert {e["sender"] for e in yueyan["events"] if e["role"] == "seller"} == {f"{YUEYAN}:小雅"}
    assert {e["sender"] for e in huajian["events"] if e["role"] == "seller"} == {f"{HUAJIAN}:阿蓝"}
    # 悦颜's two contacts stay unanswered: the buyer's words to 花间 the next day answer
    # nothing of 悦颜's (one case would have ended the silence there, 25 hours on).
    assert yueyan["silence"] == {"hours": 6.4, "from": "E3", "until": None,
                                 "start": "2025-06-24T10:05:00+08:00", "end": "2025-06-24T16:30:00+08:00"}
    assert yueyan["risk"] == "卖家风险：未见发货记录，付款后失联"
    assert huajian["risk"] == "无"


@pytest.mark.parametrize("kind", ["report", "batch"])
def test_register_and_index_carry_the_shop(two_shops, tmp_path, kind):
    out = tmp_path / kind
    _run(kind, two_shops, out, RunConfig(outputs=("html",)))
    rows = list(csv.reader(io.StringIO((out / "register.csv").read_bytes()[3:].decode("utf-8"), newline="")))
    assert rows[0][-1] == "店铺"
    # the CSV writes long ids after a tab, so that Excel keeps every digit
    assert [(r[0].removeprefix("\t"), r[1], r[-1]) for r in rows[1:]] == [(YUEYAN_ORDER, SHARED, YUEYAN), (HUAJIAN_ORDER, SHARED, HUAJIAN)]
    xlsx = [[c.value for c in r] for r in load_workbook(out / "register.xlsx").active.iter_rows()]
    assert [(r[0], r[-1]) for r in xlsx] == [("订单编号", "店铺"), (YUEYAN_ORDER, YUEYAN), (HUAJIAN_ORDER, HUAJIAN)]
    from bs4 import BeautifulSoup

    table = BeautifulSoup((out / "index.html").read_text("utf-8"), "lxml").select_one("#cases table")
    assert [[td.get_text() for td in tr.select("td")][:2] for tr in table.select("tbody tr")] == [
        [SHARED, YUEYAN], [SHARED, HUAJIAN]]
    assert [a["href"] for a in table.select("a")] == [f"{YUEYAN}_{SHARED}.html", f"{HUAJIAN}_{SHARED}.html"]


def test_batch_cache_is_keyed_by_shop_and_buyer(two_shops, tmp_path):
    """A re-run reuses both cases; a change to one shop's chat redoes that case only."""
    src = tmp_path / "in"
    two_shops_folder(src)
    out = tmp_path / "out"
    config = RunConfig(outputs=("json",))
    first = _run("batch", src, out, config)
    assert [c.status for c in first.cases] == ["written", "written"]
    again = _run("batch", src, out, config)
    assert [c.status for c in again.cases] == ["reused", "reused"]
    chat = src / "花间_tb_meimei2024.txt"
    chat.write_bytes(chat.read_bytes().replace("好的谢谢".encode("utf-8"), "好的，谢谢亲".encode("utf-8")))
    third = _run("batch", src, out, config)
    assert [(c.shop, c.status) for c in third.cases] == [(YUEYAN, "reused"), (HUAJIAN, "written")]
    assert "好的，谢谢亲" in [e["text"] for e in _case(out, f"{HUAJIAN}_{SHARED}")["events"]]


def test_single_shop_runs_keep_the_nick_as_the_file_name():
    keys = [CaseKey(YUEYAN, LIN), CaseKey(YUEYAN, XIAOYU), CaseKey("", "tb_x")]
    assert case_names(keys) == {keys[0]: LIN, keys[1]: XIAOYU, keys[2]: "tb_x"}
    two = [CaseKey(YUEYAN, LIN), CaseKey(HUAJIAN, LIN), CaseKey("", "../etc")]
    assert case_names(two) == {two[0]: f"{YUEYAN}_{LIN}", two[1]: f"{HUAJIAN}_{LIN}", two[2]: "_etc"}


# ---------------------------------------------------------------------------
# placeholder nicks


@pytest.mark.parametrize("nick, placeholder", [
    ("账号信息保护显示", True), ("t***1", True), ("**", True), ("t**9", True), ("ｔ＊＊9", True),
    ("*", True), (" ", True), ("tb_lin8866", False), ("小鹿爱买买", False), ("悦颜美妆旗舰店:小雅", False),
    ("<img src=x onerror=alert(1)>{{7*7}}", False),
])
def test_placeholder_nicks(nick, placeholder):
    assert placeholder_nick(nick) is placeholder


@pytest.mark.parametrize("text, digits", [
    (f"订单{LIN_ORDER}怎么还没发货", (LIN_ORDER,)),
    ("电话 +86 138-1234-5678 找我", ("13812345678",)),
    ("138 1234 5678，订单 3021 4567 8901 2345 678", ("13812345678", LIN_ORDER)),
    ("订单号是12345", ()), ("138****5678", ()),
])
def test_digit_runs_a_conversation_is_joined_by(text, digits):
    assert digits_in(text) == digits


@pytest.fixture(scope="module")
def placeholders(tmp_path_factory) -> Path:
    return placeholder_folder(tmp_path_factory.mktemp("placeholders") / "in")


def test_each_placeholder_conversation_is_its_own_case_unless_an_order_ties_it(placeholders):
    web_b = str(placeholders / "web_b.txt")
    assert _keys(placeholders) == [
        CaseKey(YUEYAN, XIAOYU), CaseKey(YUEYAN, LIN),
        CaseKey(YUEYAN, PLACEHOLDER, f"{web_b}:23"), CaseKey(YUEYAN, PLACEHOLDER, f"{web_b}:3")]


LEAD = "is shown as 账号信息保护显示, a placeholder, not a nick"


@pytest.mark.parametrize("kind", ["report", "batch"])
def test_placeholder_cases_and_warnings(placeholders, tmp_path, kind):
    out = tmp_path / kind
    result = _run(kind, placeholders, out, RunConfig(outputs=("json",)))
    assert [(c.shop, c.buyer, c.name) for c in result.cases] == [
        (YUEYAN, XIAOYU, XIAOYU), (YUEYAN, LIN, LIN),
        (YUEYAN, PLACEHOLDER, f"{PLACEHOLDER}@web_b.txt_23"), (YUEYAN, PLACEHOLDER, f"{PLACEHOLDER}@web_b.txt_3")]
    assert _warnings(result, "web_a.txt") == [
        f"web_a.txt:3: the buyer of the conversation starting at web_a.txt:3 {LEAD}: joined to the case of "
        f"{LIN} by the order number {LIN_ORDER} written in it"]
    assert _warnings(result, "web_b.txt") == [
        f"web_b.txt:23: the buyer of the conversation starting at web_b.txt:23 {LEAD}: a case of its own "
        "(no order number or phone number of an order is written in it)",
        f"web_b.txt:3: the buyer of the conversation starting at web_b.txt:3 {LEAD}: a case of its own "
        "(no order number or phone number of an order is written in it)"]
    lin = _case(out, LIN)
    assert [(e["role"], e["buyer"], e["text"]) for e in lin["events"] if e["kind"] == "message"] == [
        ("buyer", PLACEHOLDER, f"订单{LIN_ORDER}怎么还没发货"),
        ("seller", PLACEHOLDER, "亲，已经在加急处理了，今天18点前发出")]
    assert [o["id"] for o in lin["orders"]] == [LIN_ORDER]
    first = _case(out, f"{PLACEHOLDER}@web_b.txt_3")
    assert first["conversation"].endswith("web_b.txt:3") and first["orders"] == []
    assert [e["text"] for e in first["events"]] == ["你们的面霜用了过敏", "亲，非常抱歉，麻烦提供一下照片哦"]
    later = _case(out, f"{PLACEHOLDER}@web_b.txt_23")
    assert [e["text"] for e in later["events"]] == ["快递到哪了", "亲，帮您查一下哦"]


def test_a_placeholder_conversation_naming_a_phone_joins_its_order(tmp_path):
    src = placeholder_folder(tmp_path / "in")
    (src / "web_b.txt").unlink()
    web = (src / "web_a.txt").read_text("utf-8").replace(f"订单{LIN_ORDER}怎么还没发货", "我电话138 1234 5678，怎么还没发货")
    (src / "web_a.txt").write_text(web, encoding="utf-8")
    result = _run("report", src, tmp_path / "out", RunConfig(outputs=("json",)))
    assert [(c.shop, c.buyer) for c in result.cases] == [(YUEYAN, XIAOYU), (YUEYAN, LIN)]
    assert _warnings(result, "web_a.txt") == [
        f"web_a.txt:3: the buyer of the conversation starting at web_a.txt:3 {LEAD}: joined to the case of "
        f"{LIN} by the phone number (尾号5678) of order {LIN_ORDER} written in it"]


def test_a_placeholder_naming_two_buyers_orders_is_its_own_case(tmp_path):
    src = placeholder_folder(tmp_path / "in")
    (src / "web_b.txt").unlink()
    web = (src / "web_a.txt").read_text("utf-8").replace(
        f"订单{LIN_ORDER}怎么还没发货", f"订单{LIN_ORDER}和3021456789077770003都没发货")
    (src / "web_a.txt").write_text(web, encoding="utf-8")
    result = _run("report", src, tmp_path / "out", RunConfig(outputs=("json",)))
    assert [(c.buyer, c.name) for c in result.cases] == [
        (XIAOYU, XIAOYU), (LIN, LIN), (PLACEHOLDER, f"{PLACEHOLDER}@web_a.txt_3")]
    assert _warnings(result, "web_a.txt") == [
        f"web_a.txt:3: the buyer of the conversation starting at web_a.txt:3 {LEAD}: a case of its own "
        f"(it names orders of several buyers ({XIAOYU}, {LIN}))"]


# ---------------------------------------------------------------------------
# a shop's main account writing without a colon


@pytest.mark.parametrize("kind", ["report", "batch"])
def test_a_bare_shop_name_the_order_export_names_is_the_seller(tmp_path, kind):
    src = main_account_folder(tmp_path / "in")
    out = tmp_path / kind
    result = _run(kind, src, out, RunConfig(outputs=("json",)))
    assert [(c.shop, c.buyer, c.name) for c in result.cases] == [(YUEYAN, XIAOYU, XIAOYU)]
    assert _warnings(result, "千牛复制.txt") == [
        f"千牛复制.txt: {YUEYAN} writes without a 店铺名: prefix, and the run's other inputs name {YUEYAN} "
        "as a shop: its messages are the shop's main account's, the seller's"]
    case = _case(out, XIAOYU)
    assert [(e["role"], e["sender"], e["text"]) for e in case["events"] if e["kind"] == "message"] == [
        ("buyer", XIAOYU, "在吗，面霜什么时候发货"), ("seller", YUEYAN, "亲，明天下午5点前一定给您发出"),
        ("buyer", XIAOYU, "好的，等你们消息")]
    assert [(p["event"], p["deadline"], p["status"]) for p in case["promises"]] == [
        ("E3", "2025-07-03T17:00:00+08:00", "kept")]


@pytest.mark.parametrize("kind", ["report", "batch"])
def test_a_sub_accounts_prefix_elsewhere_in_the_run_vouches_for_the_main_account(tmp_path, kind):
    src = main_account_folder(tmp_path / "in", with_order=False)
    (src / "other.txt").write_text(f"{XIAOYU} 2025-7-4 10:00:00\r\n收到了\r\n{YUEYAN}:小雅 2025-7-4 10:01:00\r\n"
                                   "好的亲\r\n", encoding="utf-8")
    result = _run(kind, src, tmp_path / kind, RunConfig(outputs=("json",)))
    assert [(c.shop, c.buyer) for c in result.cases] == [(YUEYAN, XIAOYU)]
    assert any(f"{YUEYAN} writes without a 店铺名: prefix, and the run's other inputs" in w
               for w in _warnings(result, "千牛复制.txt"))


def test_with_nothing_to_vouch_for_it_a_warning_names_shop_and_shop_fixes_it(tmp_path):
    src = main_account_folder(tmp_path / "in", with_order=False)
    plain = run_report([src], tmp_path / "plain", RunConfig(outputs=("json",)), FIXED, ARGV)
    assert [(c.shop, c.buyer) for c in plain.cases] == [("", XIAOYU)]
    assert _warnings(plain, "千牛复制.txt") == [
        f"千牛复制.txt:3: line 3 has the form of a message header of {YUEYAN} but {YUEYAN} is not a party of this "
        f"conversation (its buyer is {XIAOYU}); if {YUEYAN} is the shop's main account, run again with --shop "
        f"{YUEYAN}: kept as part of the message from {XIAOYU} at line 1, marked suspicious"]
    given = RunConfig(parse=ParseOptions(shop=(YUEYAN,)), outputs=("json",))
    fixed = run_report([src], tmp_path / "fixed", given, FIXED, ARGV)
    assert [(c.shop, c.buyer) for c in fixed.cases] == [(YUEYAN, XIAOYU)]
    assert _warnings(fixed, "千牛复制.txt") == []
    case = _case(tmp_path / "fixed", XIAOYU)
    assert [p["status"] for p in case["promises"]] == ["no_shipment"]


def test_a_main_account_that_writes_first_is_no_buyer(tmp_path):
    """Written first, the main account is taken for the conversation's buyer, and the
    real buyer's header after it for a line typed inside its message: without the run's
    word nothing tells them apart, and the warning names --shop."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "千牛复制.txt").write_text(
        f"{YUEYAN} 2025-7-2 20:50:00\r\n亲，您的订单已收到，明天下午5点前发货\r\n"
        f"{XIAOYU} 2025-7-2 20:57:11\r\n好的\r\n", encoding="utf-8")
    alone = run_report([src], tmp_path / "alone", RunConfig(outputs=("json",)), FIXED, ARGV)
    assert [(c.shop, c.buyer) for c in alone.cases] == [("", YUEYAN)]
    assert _warnings(alone, "千牛复制.txt") == [
        f"千牛复制.txt:3: line 3 has the form of a message header of {XIAOYU} but {XIAOYU} is not a party of this "
        f"conversation (its buyer is {YUEYAN}): kept as part of the message from {YUEYAN} at line 1, marked suspicious",
        f"千牛复制.txt: {YUEYAN} writes without a 店铺名: prefix and no other input names it as a shop: taken for "
        f"a buyer; if it is the shop's main account, run again with --shop {YUEYAN}"]
    main_account_folder(tmp_path / "orders")
    (tmp_path / "orders" / "千牛复制.txt").unlink()
    (src / "ExportOrderList20250705.csv").write_bytes(
        next((tmp_path / "orders").glob("ExportOrderList*.csv")).read_bytes())
    joined = run_report([src], tmp_path / "joined", RunConfig(outputs=("json",)), FIXED, ARGV)
    assert [(c.shop, c.buyer) for c in joined.cases] == [(YUEYAN, XIAOYU)]
    case = _case(tmp_path / "joined", XIAOYU)
    assert [(e["role"], e["sender"]) for e in case["events"] if e["kind"] == "message"] == [
        ("seller", YUEYAN), ("buyer", XIAOYU)]


# ---------------------------------------------------------------------------
# calls, notes and the library's build_run


def test_a_call_note_whose_shop_nothing_tells_makes_a_case_of_no_shop_with_a_warning(tmp_path):
    """Both shops' orders carry the buyer's one phone: a note about a call to it could be
    either shop's.  It is put in neither shop's case, and the notes file says why."""
    src = two_shops_folder(tmp_path / "in")
    (src / "电话记录.txt").write_text("2025-06-25 15:00 打电话给买家（13900001111），无人接听\n",
                                      encoding="utf-8")
    result = run_report([src], tmp_path / "out", RunConfig(outputs=("json",)), FIXED, ARGV)
    assert [(c.shop, c.buyer) for c in result.cases] == [("", SHARED), (YUEYAN, SHARED), (HUAJIAN, SHARED)]
    assert _warnings(result, "电话记录.txt") == [
        f"电话记录.txt: {SHARED} has cases in several shops ({YUEYAN}、{HUAJIAN}) and nothing in 1 of this "
        f"file's records of {SHARED} says which: they make a case of no shop; give --shop to name it"]
    assert [c.name for c in result.cases] == [SHARED, f"{YUEYAN}_{SHARED}", f"{HUAJIAN}_{SHARED}"]
    lone = _case(tmp_path / "out", SHARED)
    assert lone["shop"] is None and [e["kind"] for e in lone["events"]] == ["note"]


def test_build_run_keys_a_timeline_as_the_run_does(two_shops, tmp_path):
    from extractor.cases import build_run
    from extractor.timeline import parse_paths

    parsed = parse_paths([two_shops])
    run = build_run(parsed.events, parsed.files)
    assert [(c.shop, c.buyer, len(c.events)) for c in run.cases] == [(YUEYAN, SHARED, 4), (HUAJIAN, SHARED, 4)]
    report = run_report([two_shops], tmp_path / "out", RunConfig(outputs=("json",), backoff=None), FIXED, ARGV)
    assert [(c.shop, c.buyer) for c in report.cases] == [(c.shop, c.buyer) for c in run.cases]


def test_run_json_names_each_cases_shop(two_shops, tmp_path):
    _run("batch", two_shops, tmp_path / "out", RunConfig(outputs=("json",)))
    record = json.loads((tmp_path / "out" / "run.json").read_text("utf-8"))
    assert [(c["shop"], c["buyer"], c["name"]) for c in record["cases_detail"]] == [
        (YUEYAN, SHARED, f"{YUEYAN}_{SHARED}"), (HUAJIAN, SHARED, f"{HUAJIAN}_{SHARED}")]


def test_batch_cache_follows_run_wide_shop_evidence(tmp_path):
    """The clipboard copy does not change, the run around it does: once an order export
    names the shop, the cached read of the copy is not reused and the case gains the
    seller's promise."""
    src = main_account_folder(tmp_path / "in", with_order=False)
    out = tmp_path / "out"
    config = RunConfig(outputs=("json",))
    first = _run("batch", src, out, config)
    assert [(c.shop, c.buyer, c.status) for c in first.cases] == [("", XIAOYU, "written")]
    assert _case(out, XIAOYU)["promises"] == []
    main_account_folder(tmp_path / "with_order")
    order = next((tmp_path / "with_order").glob("ExportOrderList*.csv"))
    (src / order.name).write_bytes(order.read_bytes())
    second = _run("batch", src, out, config)
    assert [(c.shop, c.buyer, c.status) for c in second.cases] == [(YUEYAN, XIAOYU, "written")]
    assert [p["status"] for p in _case(out, XIAOYU)["promises"]] == ["kept"]
    third = _run("batch", src, out, config)
    assert [c.status for c in third.cases] == ["reused"]
