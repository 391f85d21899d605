"""Taobao seller-centre order exports (已卖出的宝贝 → 批量导出, ``ExportOrderList*.csv``).

GBK with CRLF; some header names carry a trailing space (``订单付款时间 ``); long digit
strings are protected from Excel as ``="2765432109876543210"`` or ``'13812345678``;
物流单号 reads ``No:75312345678901``; 发货时间 exists in newer exports only.

Each paid order is an ``order`` event at its payment time and, when the export has a
shipping time, a second one at shipment.  The order export is also what ties a buyer's
会员名 to the mobile number (联系手机) that call records are joined by.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime
from typing import Iterator

from ..errors import FormatError
from ..i18n import N_
from ..model import Event, Order
from .base import InputFile, ParseContext, SourceFormat, quote, register
from .call_records import EMPTY_VALUES, csv_records, header_name, parse_written_time, unwrap_cell

_REQUIRED = ("订单编号", "买家会员名", "订单付款时间")
_TRACKING_PREFIX_RE = re.compile(r"^\s*No\s*[:：]\s*", re.IGNORECASE)
_EXCEL_MANGLED_RE = re.compile(r"^\d(\.\d+)?E\+\d+$", re.IGNORECASE)


def _header_columns(cells: list[str]) -> dict[str, int] | None:
    names = [header_name(c) for c in cells]
    if not all(name in names for name in _REQUIRED):
        return None
    return {name: i for i, name in reversed(list(enumerate(names))) if name}


def tracking_numbers(value: str) -> str | None:
    """``No:75312345678901`` → ``75312345678901``; several numbers stay comma-separated."""
    parts = [_TRACKING_PREFIX_RE.sub("", p).strip() for p in re.split(r"[,，;；]", unwrap_cell(value))]
    parts = [p for p in parts if p and p not in EMPTY_VALUES]
    return ",".join(parts) or None


@register
class TaobaoOrders(SourceFormat):
    NAME = "taobao-orders"
    DESCRIPTION = "Taobao seller-centre order export (ExportOrderList*.csv)"
    PRIORITY = 30

    def sniff(self, file: InputFile) -> bool:
        if file.head.startswith((b"PK\x03\x04", b"%PDF")):
            return False
        first = file.head_text.lstrip("\ufeff").replace("\r\n", "\n").split("\n", 1)[0]
        try:
            cells = next(csv.reader([first]))
        except (csv.Error, StopIteration):
            return False
        return _header_columns(cells) is not None

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:
        columns: dict[str, int] | None = None
        for row, cells in csv_records(file):
            if not any(c.strip() for c in cells):
                continue
            if columns is None:
                columns = _header_columns(cells)
                if columns is None:
                    ctx.warn("line before the order header: not an order", row=row)
                continue
            yield from self._order(cells, columns, row, ctx)
        if columns is None:
            raise FormatError(N_("{file}: no order export header (订单编号, 买家会员名, 订单付款时间)"), file=file.label)

    @staticmethod
    def _order(cells: list[str], columns: dict[str, int], row: int, ctx: ParseContext) -> Iterator[Event]:
        def cell(name: str, placeholders: bool = True) -> str:
            i = columns.get(name)
            value = unwrap_cell(cells[i]) if i is not None and i < len(cells) else ""
            # "--" / "null" stand for an empty value, but a nick may be exactly that.
            return "" if placeholders and value in EMPTY_VALUES else value

        order_id, buyer, status = cell("订单编号"), cell("买家会员名", placeholders=False), cell("订单状态")
        if not order_id or not buyer:
            ctx.warn("order row without an order number or buyer: left out", row=row)
            return
        if _EXCEL_MANGLED_RE.match(order_id):
            ctx.warn(f"order number {order_id} was rounded by Excel (re-saved export); kept as written",
                     row=row)
        paid_text = cell("订单付款时间")
        if not paid_text:
            ctx.warn(f"order {order_id} ({status or 'no status'}) has no payment time: no event", row=row)
            return
        paid = _time(paid_text)
        if paid is None:
            ctx.warn(f"order {order_id}: payment time {quote(paid_text)} is not a date and time: no event", row=row)
            return
        shipped_text = cell("发货时间")
        shipped = _time(shipped_text) if shipped_text else None
        if shipped_text and shipped is None:
            ctx.warn(f"order {order_id}: shipping time {quote(shipped_text)} is not a date and time", row=row)
        order = Order(
            id=order_id,
            paid=ctx.localize(paid),
            shipped=ctx.localize(shipped) if shipped else None,
            tracking=tracking_numbers(cell("物流单号")),
            carrier=cell("物流公司") or None,
            phone=cell("联系手机") or None,
            shop=cell("店铺名称").strip() or None,
            item=cell("宝贝标题").strip() or None,
            address=cell("收货地址").strip() or None,
            tel=cell("联系电话").strip() or None,
        )
        amount = cell("买家实际支付金额") or cell("总金额")
        title = cell("宝贝标题")
        paid_line = f"订单 {order_id} 付款" + (f" {amount} 元" if amount else "") + (f"（{title}）" if title else "")
        yield Event(time=order.paid, role="system", kind="order", sender=None, buyer=buyer,
                    text=paid_line, source=ctx.source(row=row), order=order)
        if order.shipped is not None:
            shipped_line = " ".join(p for p in (f"订单 {order_id} 发货", order.carrier, order.tracking) if p)
            yield Event(time=order.shipped, role="system", kind="order", sender=None, buyer=buyer,
                        text=shipped_line, source=ctx.source(row=row), order=order)


def _time(text: str) -> datetime | None:
    try:
        written = parse_written_time(text)
    except ValueError:
        return None
    return written.on_year(written.year) if written.year is not None else None
