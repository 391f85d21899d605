"""异常拍下 (issue 16): bursts of orders for one item, accounts sharing a phone or an
address across the run's order exports, a buyer's request to leave the platform; the
register's 风险提示 and the case outputs, which name the other orders by number only."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import pdfplumber
import pytest

from extractor.patterns import (BURST, BURST_MIN_ACCOUNTS, BURST_WINDOW, OFF_PLATFORM, SHARED_ADDRESS, SHARED_PHONE,
                                address_key, off_platform_request, phone_key)
from extractor.stages import RunConfig, case_patterns, join_aside, read_files, run_report
from order_fixtures import O, oid, write_export
from report_fixtures import FIXED_NOW
from test_render_pdf import attachments_of

SHOP_A, SHOP_B = "悦颜美妆旗舰店", "小鹿的杂货铺"
ITEM = "悦颜玻尿酸精华液30ml"


def _patterns(tmp_path: Path, exports: dict[str, tuple[str, list[O]]]) -> dict[str, list]:
    """buyer → the patterns of that buyer's case(s), over the exports written to disk."""
    for i, (name, (shop, orders)) in enumerate(exports.items()):
        write_export(tmp_path, name, shop, orders, shop_id=f"6012345{i}")
    config = RunConfig()
    assembly = join_aside(read_files([tmp_path], config), ())
    out: dict[str, list] = {}
    for key, found in case_patterns(assembly).items():
        out.setdefault(key.buyer, []).extend(found)
    return out


def _kinds(found: dict[str, list], buyer: str) -> list[str]:
    return sorted(p.kind for p in found.get(buyer, []))


# -- the run's order patterns -----------------------------------------------------------

FOUND = {
    "burst in one shop": (
        {"a.csv": (SHOP_A, [O(oid(1), "tb_r1", "2025-06-24 10:00:05"), O(oid(2), "tb_r2", "2025-06-24 10:04:00"),
                            O(oid(3), "tb_r3", "2025-06-24 10:09:59")])},
        "tb_r1", BURST, [oid(2), oid(3)], False),
    "burst across shops": (
        {"a.csv": (SHOP_A, [O(oid(1), "tb_r1", "2025-06-24 10:00:05"), O(oid(2), "tb_r2", "2025-06-24 10:02:00")]),
         "b.csv": (SHOP_B, [O(oid(3), "tb_r3", "2025-06-24 10:06:30", item=" 悦颜玻尿酸精华液３０ＭＬ ")])},
        "tb_r3", BURST, [oid(1), oid(2)], False),
    "shared masked phone": (
        {"a.csv": (SHOP_A, [O(oid(1), "tb_p1", "2025-06-01 10:00:00", phone="138****5678"),
                            O(oid(2), "tb_p2", "2025-06-09 18:00:00", phone="138****5678", item="面霜")])},
        "tb_p1", SHARED_PHONE, [oid(2)], True),
    "shared phone with +86 and blanks": (
        {"a.csv": (SHOP_A, [O(oid(1), "tb_p1", "2025-06-01 10:00:00", phone="13812345678")]),
         "b.csv": (SHOP_B, [O(oid(2), "tb_p2", "2025-06-20 10:00:00", tel="+86 138-1234-5678", item="面霜")])},
        "tb_p2", SHARED_PHONE, [oid(1)], False),
    "shared address written differently": (
        {"a.csv": (SHOP_A, [O(oid(1), "tb_d1", "2025-06-01 10:00:00",
                              address="广东省 深圳市 南山区 科技园一路8号A栋(518000)")]),
         "b.csv": (SHOP_B, [O(oid(2), "tb_d2", "2025-06-15 10:00:00", item="面霜", receiver="王**",
                              address="广东省深圳市南山区科技园一路８号ａ栋（５１８０００）")])},
        "tb_d1", SHARED_ADDRESS, [oid(2)], False),
}


@pytest.mark.parametrize("exports,buyer,kind,others,masked", FOUND.values(), ids=FOUND.keys())
def test_a_pattern_is_found_with_the_other_orders_and_its_rows(tmp_path, exports, buyer, kind, others, masked):
    found = _patterns(tmp_path, exports)
    mine = [p for p in found.get(buyer, []) if p.kind == kind]
    assert len(mine) == 1, found
    p = mine[0]
    assert sorted(p.other_orders) == sorted(others)
    assert p.masked is masked
    assert p.other_accounts == len(others)
    # every order of the pattern is cited by its export row
    assert p.own_rows and all(s.row is not None for s in p.own_rows)
    assert len(p.other_rows) == len(others) and all(s.row is not None for s in p.other_rows)


NEAR_MISSES = {
    "same buyer three times": {"a.csv": (SHOP_A, [
        O(oid(1), "tb_same", "2025-06-24 10:00:00"), O(oid(2), "tb_same", "2025-06-24 10:01:00"),
        O(oid(3), "tb_other", "2025-06-24 10:02:00"), O(oid(4), "tb_same", "2025-06-24 10:03:00")])},
    "orders far apart": {"a.csv": (SHOP_A, [
        O(oid(1), "tb_r1", "2025-06-24 10:00:00"), O(oid(2), "tb_r2", "2025-06-24 10:09:00"),
        O(oid(3), "tb_r3", "2025-06-24 10:19:30")])},
    "same item, accounts an hour apart": {"a.csv": (SHOP_A, [
        O(oid(1), "tb_r1", "2025-06-24 10:00:00"), O(oid(2), "tb_r2", "2025-06-24 11:00:00"),
        O(oid(3), "tb_r3", "2025-06-24 12:00:00")])},
    "three accounts, three items": {"a.csv": (SHOP_A, [
        O(oid(1), "tb_r1", "2025-06-24 10:00:00", item="精华液"), O(oid(2), "tb_r2", "2025-06-24 10:01:00", item="面霜"),
        O(oid(3), "tb_r3", "2025-06-24 10:02:00", item="洁面乳")])},
    "one buyer's phone and address in two shops": {
        "a.csv": (SHOP_A, [O(oid(1), "tb_same", "2025-06-01 10:00:00", phone="13812345678", address="浙江省杭州市西湖区文三路12号")]),
        "b.csv": (SHOP_B, [O(oid(2), "tb_same", "2025-06-05 10:00:00", phone="13812345678", address="浙江省杭州市西湖区文三路12号")])},
    "two different masks": {"a.csv": (SHOP_A, [
        O(oid(1), "tb_p1", "2025-06-01 10:00:00", phone="138****5678"),
        O(oid(2), "tb_p2", "2025-06-09 10:00:00", phone="138****5679")])},
    "a district's mask": {"a.csv": (SHOP_A, [
        O(oid(1), "tb_d1", "2025-06-01 10:00:00", address="广东省 深圳市 南山区 ****"),
        O(oid(2), "tb_d2", "2025-06-09 10:00:00", address="广东省深圳市南山区****")])},
    "a placeholder phone": {"a.csv": (SHOP_A, [
        O(oid(1), "tb_p1", "2025-06-01 10:00:00", phone="00000000000"),
        O(oid(2), "tb_p2", "2025-06-09 10:00:00", phone="00000000000")])},
    "a vague address and a masked receiver": {"a.csv": (SHOP_A, [
        O(oid(1), "tb_d1", "2025-06-01 10:00:00", address="广东省 深圳市", receiver="林**"),
        O(oid(2), "tb_d2", "2025-06-09 10:00:00", address="广东省深圳市", receiver="林**")])},
}


@pytest.mark.parametrize("exports", NEAR_MISSES.values(), ids=NEAR_MISSES.keys())
def test_a_near_miss_is_no_pattern(tmp_path, exports):
    assert _patterns(tmp_path, exports) == {}


def test_the_burst_constants_are_the_documented_ones():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "reports.md").read_text(encoding="utf-8")
    assert BURST_WINDOW.total_seconds() == 600 and BURST_MIN_ACCOUNTS == 3
    assert "10 分钟" in doc and "3 个" in doc


@pytest.mark.parametrize("raw,key", [
    ("'13812345678", ("13812345678", False)), ("+86 138 1234 5678", ("13812345678", False)),
    ("008613812345678", ("13812345678", False)), ("138＊＊＊＊5678", ("138****5678", True)),
    ("********", None), ("12", None), ("", None), ("0571-88886666", ("057188886666", False)),
    ("00000000", None), ("11111111111", None),
])
def test_phone_keys(raw, key):
    assert phone_key(raw) == key


def test_address_keys_ignore_blanks_width_and_the_postcode():
    a = address_key("广东省 深圳市 南山区 科技园XX路XX号(518000)")
    assert a == address_key("广东省深圳市南山区科技园ＸＸ路ＸＸ号（５１８０００）") == ("广东省深圳市南山区科技园xx路xx号", False)
    assert address_key("浙江省 杭州市 ****") is None  # nothing left to compare
    assert address_key("广东省深圳市南山区****") is None  # every buyer of the district
    assert address_key("浙江省杭州市西湖区文三路1**号")[1] is True


# -- 要求站外联系 ----------------------------------------------------------------------------

ASKS = {
    "加我微信吧": ("微信",), "我vx：wxid_88abc": ("微信", "wxid_88abc"), "亲你有微信吗": ("微信",),
    "QQ号 12345678 加一下": ("QQ", "12345678"), "我们私下联系吧": (), "加个好友呗": (), "加威信聊": ("微信",),
    "薇信 hello_2024": ("微信", "hello_2024"), "能不能加个微信": ("微信",), "打我私人电话": (),
    "微信轉賬給你行嗎": ("微信",), "加我ＶＸ": ("微信",),
}
NOT_ASKS = ["我不加微信", "不要私下交易", "可以微信支付吗", "我用微信付款的", "我在微信上看到你们家广告",
            "型号WX200012有货吗", "关注了你们的微信公众号", "发票开好了吗", "别加好友了就在这说"]


@pytest.mark.parametrize("text,detail", ASKS.items(), ids=ASKS.keys())
def test_a_request_to_leave_the_platform_is_found_with_its_id(text, detail):
    found = off_platform_request(text)
    assert found and found[1:] == detail


@pytest.mark.parametrize("text", NOT_ASKS)
def test_not_a_request_to_leave_the_platform(text):
    assert off_platform_request(text) == ()


# -- the run: register, case outputs, privacy -------------------------------------------

RING_PHONE, RING_ADDRESS = "13912340001", "广东省 深圳市 南山区 科技园一路8号(518000)"
OTHER_PHONE, OTHER_ADDRESS = "13700009999", "北京市 朝阳区 建国路88号院3号楼"


def _ring(root: Path) -> Path:
    """A ring: tb_ring01 (shop A), tb_ring02 (shop A, tb_ring01's address written
    differently, who asks for WeChat in the chat), tb_ring03 (shop B, tb_ring01's
    phone), all three within ten minutes; tb_honest buys the same item two hours later."""
    write_export(root, "ExportOrderList-A.csv", SHOP_A, [
        O(oid(1), "tb_ring01", "2025-06-24 10:00:05", phone=RING_PHONE, address="广东省深圳市南山区科技园一路８号（５１８０００）"),
        O(oid(2), "tb_ring02", "2025-06-24 10:03:40", phone=OTHER_PHONE, address=RING_ADDRESS, receiver="王**"),
        O(oid(4), "tb_honest", "2025-06-24 12:00:00", phone="13600001111", address="江苏省南京市鼓楼区中山路1号"),
    ])
    write_export(root, "ExportOrderList-B.csv", SHOP_B, [
        O(oid(3), "tb_ring03", "2025-06-24 10:08:59", phone=RING_PHONE, address=OTHER_ADDRESS),
    ], shop_id="60999999")
    (root / "tb_ring02_消息记录.txt").write_bytes((
        "消息对象:tb_ring02\r\n"
        f"{SHOP_A}:小雅(2025-06-24 10:05:13): 亲，您好，您拍的精华液已经付款成功啦\r\n"
        "tb_ring02(2025-06-24 10:06:00): 加我微信 ring_2025 详细说\r\n"
        f"{SHOP_A}:小雅(2025-06-24 10:07:00): 亲，平台规定不能加微信哦，有问题在这里说就好\r\n"
        "tb_ring02(2025-06-24 10:08:00): 那我用微信支付可以吗\r\n").encode("gbk"))
    return root


@pytest.fixture(scope="module")
def ring_run(tmp_path_factory):
    root = _ring(tmp_path_factory.mktemp("ring-in"))
    out = tmp_path_factory.mktemp("ring-out")
    result = run_report([root], out, RunConfig(pack="taobao-web"), generated_at=FIXED_NOW)
    return out, result


def _register(out: Path) -> dict[str, dict[str, str]]:
    text = (out / "register.csv").read_bytes().decode("utf-8-sig")
    return {r["订单编号"].strip(): r for r in csv.DictReader(io.StringIO(text))}


def test_the_register_names_each_pattern_the_other_orders_and_the_rows(ring_run):
    out, _ = ring_run
    rows = _register(out)
    ring2 = rows[oid(2)]["风险提示"]
    assert "同款集中拍下" in ring2 and oid(1) in ring2 and oid(3) in ring2 and oid(4) not in ring2
    assert "多账号共用收货地址" in ring2 and "要求站外联系" in ring2 and "ring_2025" in ring2
    ring3 = rows[oid(3)]["风险提示"]
    assert "多账号共用手机号" in ring3 and "ExportOrderList-B.csv 第2行" in ring3 and "ExportOrderList-A.csv 第2行" in ring3
    assert "要求站外联系" not in ring3  # the request is tb_ring02's
    honest = rows[oid(4)]["风险提示"]
    assert "集中" not in honest and "共用" not in honest


def test_the_request_is_flagged_on_the_buyers_message_only(ring_run):
    out, _ = ring_run
    data = json.loads((out / f"{SHOP_A}_tb_ring02.json").read_text("utf-8"))
    flagged = [e["text"] for e in data["events"] if "off_platform" in e.get("flags", [])]
    assert flagged == ["加我微信 ring_2025 详细说"]
    kinds = sorted(p["kind"] for p in data["patterns"])
    assert kinds == sorted([BURST, SHARED_ADDRESS, OFF_PLATFORM])
    html = (out / f"{SHOP_A}_tb_ring02.html").read_text("utf-8")
    assert "异常拍下提示" in html and "可疑：买家要求转到平台外联系" in html


def _uploadable_text(out: Path, stem: str, tmp_path: Path) -> str:
    """Every text a case's uploadable outputs hold: its HTML, JSON, PDF (pages and the
    files it embeds) and the upload pack's texts and PDF."""
    texts = [(out / f"{stem}.html").read_text("utf-8"), (out / f"{stem}.json").read_text("utf-8")]
    pdfs = [(out / f"{stem}.pdf").read_bytes()]
    with zipfile.ZipFile(out / "pack" / f"{stem}.zip") as z:
        for name in z.namelist():
            if name.endswith((".txt", ".json")):
                texts.append(z.read(name).decode("utf-8-sig"))
            elif name.endswith(".pdf"):
                pdfs.append(z.read(name))
    for i, data in enumerate(pdfs):
        path = tmp_path / f"{i}.pdf"
        path.write_bytes(data)
        with pdfplumber.open(path) as pdf:
            texts.append("".join(page.extract_text() or "" for page in pdf.pages))
        texts.extend(_decoded(body) for body in attachments_of(path).values())
    return "\n".join(texts)


def _decoded(body: bytes) -> str:
    from extractor.textio import decode_bytes

    try:
        return decode_bytes(body).text
    except Exception:
        return body.decode("utf-8", "replace")


@pytest.mark.parametrize("stem,others", [
    (f"{SHOP_A}_tb_ring02", ("tb_ring01", "tb_ring03", "tb_honest", RING_PHONE, OTHER_ADDRESS)),
    (f"{SHOP_B}_tb_ring03", ("tb_ring01", "tb_ring02", "tb_honest", OTHER_PHONE, RING_ADDRESS)),
])
def test_a_cases_upload_holds_no_other_buyers_data(ring_run, tmp_path, stem, others):
    out, _ = ring_run
    text = _uploadable_text(out, stem, tmp_path)
    flat = re.sub(r"\s+", "", text)
    for secret in others:
        needle = re.sub(r"\s+", "", secret)
        assert needle not in flat, secret
        if secret.isdigit():  # nor masked as the reports mask a phone
            assert f"{secret[:3]}****{secret[-4:]}" not in flat
    # ... but the case does say it shares, with the other orders' numbers
    assert oid(1) in text


def test_a_batch_finds_the_same_patterns_and_redoes_a_case_a_new_order_puts_in_one(tmp_path):
    from extractor.batch import BatchOptions, run_batch

    root = _ring(tmp_path / "in")
    out = tmp_path / "out"
    config = RunConfig(outputs=("json",))
    run_batch(root, out, BatchOptions(config, workers=1), generated_at=FIXED_NOW)
    report_out = tmp_path / "report"
    run_report([root], report_out, config, generated_at=FIXED_NOW)
    assert (out / "register.csv").read_bytes() == (report_out / "register.csv").read_bytes()
    # a new account buys the item two hours later, beside tb_honest: tb_honest's case is
    # now in a burst although its own inputs did not change
    write_export(root, "ExportOrderList-C.csv", SHOP_B, [
        O(oid(5), "tb_late1", "2025-06-24 12:01:00"), O(oid(6), "tb_late2", "2025-06-24 12:02:00")], shop_id="60888888")
    result = run_batch(root, out, BatchOptions(config, workers=1), generated_at=FIXED_NOW)
    status = {c.buyer: c.status for c in result.cases}
    assert status["tb_honest"] == "written"
    assert "同款集中拍下" in _register(out)[oid(4)]["风险提示"]


def test_a_burst_of_thousands_lists_twenty_other_orders_per_case_and_counts_the_rest():
    """A flash sale: 3,000 accounts buy one item within ten minutes.  Each case keeps
    MAX_PATTERN_ORDERS_SHOWN other orders and the count (bounded by the limit, not by a
    timing): the register cell says 等2999单 instead of listing them all."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from extractor.keys import CaseKey
    from extractor.limits import MAX_PATTERN_ORDERS_SHOWN
    from extractor.model import Event, Order, Source
    from extractor.patterns import run_patterns
    from extractor.render.view import pattern_sentence

    start = datetime(2025, 11, 11, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    keyed = {}
    for n in range(3000):
        paid = start + timedelta(milliseconds=190 * n)
        order = Order(oid(n), paid, None, shop=SHOP_A, item=ITEM)
        event = Event(paid, "system", "order", None, f"tb_sale{n}", f"订单 {oid(n)} 付款",
                      Source("orders.csv", "0" * 64, "taobao-orders", row=n + 2), order=order)
        keyed[CaseKey(SHOP_A, f"tb_sale{n}")] = (event,)
    found = run_patterns(keyed)
    assert len(found) == 3000
    p = found[CaseKey(SHOP_A, "tb_sale1500")][0]
    assert p.kind == BURST and p.other_total == 2999 and p.other_accounts == 2999
    assert len(p.other_orders) == len(p.other_rows) == MAX_PATTERN_ORDERS_SHOWN
    text = pattern_sentence(p, lambda s: s)
    assert text.endswith("等2999单") and text.count("30214567890") == MAX_PATTERN_ORDERS_SHOWN


@pytest.mark.parametrize("role,kind,flagged", [
    ("buyer", "message", True), ("seller", "message", False), ("buyer", "auto_reply", False), ("system", "system", False),
])
def test_only_a_buyers_own_message_is_flagged(role, kind, flagged):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from extractor.model import Event, Source
    from extractor.patterns import flag_off_platform

    e = Event(datetime(2025, 6, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), role, kind, "x", "tb_x",
              "有问题加我微信 shop_888 私下处理", Source("chat.txt", "0" * 64, "wangwang-a", line=3))
    [out] = flag_off_platform([e])
    assert ("off_platform" in out.flags) is flagged
    assert out.text == e.text  # verbatim


def test_a_long_message_of_payments_and_requests_is_read_once_each():
    """Thousands of 微信支付 beside a request: the exclusions are looked up by bisection,
    the answer is the first request that is not one of them."""
    text = "微信支付了，" * 5000 + "加我微信 ring_2025" + "微信支付了，" * 5000
    assert off_platform_request(text) == ("加我微信", "微信", "ring_2025")
    assert off_platform_request("微信支付了，" * 10000) == ()


def test_the_order_export_keeps_item_address_and_tel_and_the_timeline_round_trips_them(tmp_path):
    from extractor.model import event_from_dict, event_to_dict
    from extractor.sources import ParseOptions
    from extractor.timeline import parse_file

    path = write_export(tmp_path, "ExportOrderList.csv", SHOP_A, [
        O(oid(1), "tb_x", "2025-06-24 10:00:05", phone="13812345678", tel="0571-88886666",
          address="浙江省 杭州市 西湖区 文三路12号(310000)")])
    events, report, _ = parse_file(str(path), ParseOptions(), None)
    assert report.error is None
    [e] = events
    assert (e.order.item, e.order.address, e.order.tel) == (ITEM, "浙江省 杭州市 西湖区 文三路12号(310000)",
                                                            "0571-88886666")
    assert event_from_dict(json.loads(json.dumps(event_to_dict(e)))) == e
    # an export without those columns keeps the order's JSON as it was
    bare = event_to_dict(replace_order(e))
    assert set(bare["order"]) == {"id", "paid", "shipped", "tracking", "carrier", "phone", "shop"}


def replace_order(e):
    from dataclasses import replace

    return replace(e, order=replace(e.order, item=None, address=None, tel=None))
