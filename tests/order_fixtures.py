"""Order exports of several shops built from scratch, for the 异常拍下 tests: the columns,
the GBK bytes, the ``="…"`` and ``'`` protections and the trailing-space header names of
a real seller-centre export (ExportOrderList*.csv), with the orders a test describes."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

HEADER = ("订单编号,买家会员名,买家支付宝账号,买家应付货款,买家应付邮费,买家支付积分,总金额,返点积分,买家实际支付金额,"
          "买家实际支付积分,订单状态,买家留言,收货人姓名,收货地址 ,运送方式,联系电话 ,联系手机,订单创建时间,订单付款时间 ,"
          "宝贝标题 ,宝贝种类,物流单号 ,物流公司,订单备注,宝贝总数量,店铺Id,店铺名称,订单关闭原因,卖家服务费,买家服务费,"
          "发票抬头,是否手机订单,发货时间").split(",")


@dataclass(frozen=True)
class O:
    """One order row: what a test varies; the rest is filled like a real export."""

    order_id: str
    buyer: str
    paid: str  # 2025-06-24 09:58:45
    item: str = "悦颜玻尿酸精华液30ml"
    phone: str = ""
    address: str = ""
    tel: str = ""
    receiver: str = "林**"
    amount: str = "59.00"


def export_bytes(shop: str, orders: list[O], shop_id: str = "60123456") -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    for o in orders:
        created = o.paid[:-2] + "00"
        w.writerow([f'="{o.order_id}"', o.buyer, "x***@163.com", o.amount, "0.00", "0", o.amount, "0", o.amount, "0",
                    "买家已付款，等待卖家发货", "", o.receiver, o.address, "快递", o.tel, f"'{o.phone}" if o.phone else "",
                    created, o.paid, o.item, "1", "", "", "", "1", shop_id, shop, "订单未关闭", "0", "0元", "", "手机订单", ""])
    return buf.getvalue().encode("gb18030")


def write_export(folder: Path, name: str, shop: str, orders: list[O], shop_id: str = "60123456") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(export_bytes(shop, orders, shop_id))
    return path


def oid(n: int) -> str:
    """A 19-digit order number."""
    return f"30214567890{n:08d}"
