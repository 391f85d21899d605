"""Taobao seller-centre order exports (ExportOrderList*.csv)."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.errors import FormatError
from extractor.model import event_from_dict, event_to_dict
from extractor.sources import InputFile, ParseContext, ParseOptions, detect, get_format
from extractor.sources.base import BEIJING
from extractor.sources.taobao_orders import tracking_numbers

ORDERS = Path(__file__).resolve().parent / "data" / "orders"
SPECIMEN = Path("/work/shared/specimens/taobao-orders.csv")


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


def parse(path: Path | str, data: bytes | None = None):
    file = InputFile(path, data) if data is not None else InputFile.read(path)
    fmt = detect(file)
    assert fmt.NAME == "taobao-orders"
    ctx = ParseContext(file, fmt.NAME, ParseOptions())
    return list(fmt.parse(file, ctx)), ctx


def test_gbk_export_with_shipping_times():
    data = (ORDERS / "ExportOrderList20250701.csv").read_bytes()
    assert b"\r\n" in data and not data.startswith(codecs.BOM_UTF8)
    events, ctx = parse(ORDERS / "ExportOrderList20250701.csv")
    assert [(e.time, e.buyer, e.text, e.source.row) for e in events] == [
        (bj(2025, 6, 24, 9, 58, 45), "tb_lin8866", "订单 3021456789012345678 付款 59.00 元（悦颜玻尿酸精华液30ml）", 2),
        (bj(2025, 6, 25, 16, 40, 12), "tb_lin8866", "订单 3021456789012345678 发货 中通快递 75312345678901", 2),
        (bj(2025, 6, 26, 14, 20, 3), "小鹿爱买买", "订单 3021456789099990001 付款 129.00 元（悦颜玫瑰保湿面霜50g）", 3),
        (bj(2025, 6, 27, 11, 5, 40), "小鹿爱买买", "订单 3021456789099990001 发货 顺丰速运 SF1234567890123", 3),
        # Row 3's 买家留言 spans two physical lines inside quotes: still one record.
        (bj(2025, 6, 30, 20, 1, 22), "小鹿爱买买", "订单 3021456789077770004 付款 39.90 元（悦颜补水面膜5片装）", 6),
    ]
    assert all(e.kind == "order" and e.role == "system" and e.sender is None for e in events)
    first = events[0].order
    assert (first.id, first.paid, first.shipped, first.tracking, first.carrier, first.phone) == (
        "3021456789012345678", bj(2025, 6, 24, 9, 58, 45), bj(2025, 6, 25, 16, 40, 12),
        "75312345678901", "中通快递", "13812345678")
    assert events[0].order == events[1].order
    assert events[2].order.phone == "139 0000 1111" and events[2].order.tracking == "SF1234567890123"
    unshipped = events[4].order
    assert (unshipped.shipped, unshipped.tracking, unshipped.carrier, unshipped.phone) == (
        None, None, None, "+86 139-0000-1111")
    assert [(w.row, w.reason) for w in ctx.warnings] == [
        (4, "order 3021456789055550002 (等待买家付款) has no payment time: no event"),
        (5, "order 3021456789055550003 (交易关闭) has no payment time: no event"),
    ]


def test_older_export_without_shipping_time_column_utf8_bom():
    events, ctx = parse(ORDERS / "ExportOrderList2022-no-ship-time-utf8bom.csv")
    assert [(e.time, e.buyer, e.order.shipped, e.order.tracking, e.order.carrier) for e in events] == [
        (bj(2022, 6, 24, 9, 58, 45), "tb_9527xiaoyu", None, "75312345678901", "中通快递"),
        (bj(2022, 6, 25, 8, 0, 0), "tb_lin8866", None, "YT9876543210", "圆通速递"),
    ]
    assert ctx.warnings == []


def test_a_header_written_with_quotes_is_still_the_order_header():
    data = '"订单编号","买家会员名","订单付款时间 ","联系手机"\r\n="3021456789012345678",tb_lin8866,2025-06-24 09:58:45,\'13812345678\r\n'
    events, ctx = parse("orders.csv", data.encode("gbk"))
    assert [(e.buyer, e.order.id, e.order.phone) for e in events] == [("tb_lin8866", "3021456789012345678", "13812345678")]


def test_order_events_survive_the_json_contract():
    events, _ = parse(ORDERS / "ExportOrderList20250701.csv")
    assert [event_from_dict(event_to_dict(e)) for e in events] == events


@pytest.mark.parametrize("written, tracking", [
    ('="No:75312345678901"', "75312345678901"), ("No:75312345678901", "75312345678901"),
    ("no：SF1234567890123", "SF1234567890123"), ("'YT9876543210", "YT9876543210"),
    ("No:111,No:222", "111,222"), ("", None), ("--", None),
])
def test_tracking_numbers(written, tracking):
    assert tracking_numbers(written) == tracking


def test_specimen_parses():
    if not SPECIMEN.exists():
        pytest.skip("shared specimens not available")
    events, ctx = parse(SPECIMEN)
    assert [(e.buyer, e.order.id, e.order.phone, e.order.tracking) for e in events] == [
        ("tb_9527xiaoyu", "2765432109876543210", "13812345678", "75312345678901")] * 2
    assert ctx.warnings == []


@pytest.mark.parametrize("head", [
    "订单编号,标题,价格,购买数量,外部系统编号,商品属性,套餐信息,备注,订单状态,商家编码\r\n",  # the order *details* export
    "客户名,消息序号,发送时间,发送内容,发送账号,账号类型\r\n",
    "起始时间,通信地点,通信方式,对方号码,通信时长,通信类型\r\n",
])
def test_other_csv_files_are_not_order_exports(head):
    assert not get_format("taobao-orders").sniff(InputFile("x.csv", head.encode("gbk")))


def test_a_forced_file_without_the_header_is_a_format_error():
    file = InputFile("x.csv", "a,b\r\n1,2\r\n".encode("gbk"))
    ctx = ParseContext(file, "taobao-orders", ParseOptions())
    with pytest.raises(FormatError, match="no order export header"):
        list(get_format("taobao-orders").parse(file, ctx))


HEADER = ["订单编号", "买家会员名", "订单状态", "联系手机", "订单付款时间 ", "物流单号 ", "物流公司", "发货时间"]
nicks = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_悦颜小鹿爱买", min_size=2, max_size=12)
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)).map(lambda d: d.replace(microsecond=0))


@given(st.lists(st.tuples(st.integers(10**17, 10**19 - 1), nicks, st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
                          moments, st.one_of(st.none(), moments), st.sampled_from(['="{}"', "'{}", "{}"])),
                min_size=1, max_size=8))
@settings(max_examples=40, deadline=None)
def test_generated_exports_read_back(rows):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADER)
    for oid, nick, phone, paid, shipped, protect in rows:
        writer.writerow([protect.format(oid), nick, "卖家已发货", protect.format(phone), f"{paid:%Y-%m-%d %H:%M:%S}",
                         '="No:7531{}"'.format(oid % 10**10) if shipped else "", "中通快递" if shipped else "",
                         f"{shipped:%Y-%m-%d %H:%M:%S}" if shipped else ""])
    events, ctx = parse("orders.csv", buf.getvalue().encode("gbk"))
    assert ctx.warnings == []
    expected = []
    for row, (oid, nick, phone, paid, shipped, _) in enumerate(rows, start=2):
        expected.append((paid.replace(tzinfo=BEIJING), nick, str(oid), phone, row))
        if shipped:
            expected.append((shipped.replace(tzinfo=BEIJING), nick, str(oid), phone, row))
    assert [(e.time, e.buyer, e.order.id, e.order.phone, e.source.row) for e in events] == expected
