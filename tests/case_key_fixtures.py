"""Exports for the case-key tests, written from scratch in the styles of tests/data/:
an agency's two shops, web-page copies whose buyer is a placeholder, and a Qianniu
clipboard copy where the shop's main account writes without a colon.

Each ``*_folder(root)`` writes one run's inputs under ``root`` and returns it.
"""

from __future__ import annotations

from pathlib import Path

YUEYAN = "悦颜美妆旗舰店"
HUAJIAN = "花间集护肤专营店"
SHARED = "tb_meimei2024"  # the nick that bought from both shops
YUEYAN_ORDER = "3021456789055550001"
HUAJIAN_ORDER = "3021456789066660002"
LIN = "tb_lin8866"
LIN_ORDER = "3021456789012345678"
LIN_PHONE = "13812345678"
XIAOYU = "tb_9527xiaoyu"
XIAOYU_ORDER = "3021456789077770003"
PLACEHOLDER = "账号信息保护显示"

ORDER_HEADER = ("订单编号,买家会员名,买家支付宝账号,买家应付货款,买家应付邮费,总金额,买家实际支付金额,订单状态,"
                "买家留言,收货人姓名,收货地址 ,联系手机,订单创建时间,订单付款时间 ,宝贝标题 ,物流单号 ,物流公司,"
                "店铺Id,店铺名称,发货时间")


def _order_row(order_id: str, buyer: str, phone: str, created: str, paid: str, title: str, shop_id: str,
               shop: str, shipped: str = "", tracking: str = "", carrier: str = "") -> str:
    status = "卖家已发货，等待买家确认" if shipped else "买家已付款，等待卖家发货"
    track = f'="No:{tracking}"' if tracking else ""
    return (f'="{order_id}",{buyer},x***@163.com,59.00,0.00,59.00,59.00,{status},,林**,'
            f"广东省 深圳市 南山区 科技园XX路XX号(518000),'{phone},{created},{paid},{title},{track},{carrier},"
            f"{shop_id},{shop},{shipped}")


def write_orders(path: Path, rows: list[str]) -> None:
    """The seller centre's export: GBK, CRLF."""
    path.write_bytes(("\r\n".join([ORDER_HEADER, *rows]) + "\r\n").encode("gbk"))


def _layout_a(buyer: str, lines: list[str]) -> str:
    rule = "=" * 64
    return "\r\n".join([rule, "消息记录（此消息记录为文本格式，不支持重新导入）", rule, "单聊", rule,
                        f"消息对象:{buyer}", rule, *lines, ""])


def two_shops_folder(root: Path) -> Path:
    """One nick, two shops.  悦颜's staff write twice on 6/24 and the buyer never answers
    them; the buyer writes to 花间 on 6/25.  Read as one case, the 花间 message would
    answer 悦颜's contact and the case would be titled with one shop."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "悦颜_tb_meimei2024.txt").write_bytes(_layout_a(SHARED, [
        f"{SHARED}(2025-06-24 09:40:12): 玫瑰面霜今天能发吗",
        f"{YUEYAN}:小雅(2025-06-24 10:05:00): 亲，您的收货地址需要确认一下，麻烦回复一下哦",
        f"{YUEYAN}:小雅(2025-06-24 16:30:00): 亲，在吗？地址确认后马上为您发货",
    ]).encode("gbk"))
    (root / "花间_tb_meimei2024.txt").write_bytes(_layout_a(SHARED, [
        f"{HUAJIAN}:阿蓝(2025-06-25 11:00:00): 亲，您的精华水已经打包好了",
        f"{SHARED}(2025-06-25 11:20:30): 好的谢谢",
    ]).encode("utf-8"))
    write_orders(root / "ExportOrderList20250626.csv", [
        _order_row(YUEYAN_ORDER, SHARED, "13900001111", "2025-06-24 09:50:02", "2025-06-24 09:50:30",
                   "悦颜玫瑰面霜50g", "60123456", YUEYAN),
        _order_row(HUAJIAN_ORDER, SHARED, "13900001111", "2025-06-25 10:10:00", "2025-06-25 10:10:21",
                   "花间集精华水120ml", "60998877", HUAJIAN, "2025-06-25 18:02:00", "75399990000111", "圆通速递"),
    ])
    return root


def _web(customer: str, day: str, messages: list[tuple[str, str, str]]) -> list[str]:
    lines = [f"客户：{customer}", day]
    for clock, text, sender in messages:
        lines += [clock, text, sender, ""]
    return lines


def placeholder_folder(root: Path) -> Path:
    """Web-page copies (子账号 → 监控查询 → 聊天记录) whose buyer is 账号信息保护显示:

    - ``web_a.txt``: the buyer writes the number of 林's order: it joins 林's case;
    - ``web_b.txt``: two placeholder conversations with tb_9527xiaoyu's between them,
      nothing in either ties it to an order: a case each.
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "web_a.txt").write_text("\n".join(_web(PLACEHOLDER, "2025-06-26", [
        ("09:12:40", f"订单{LIN_ORDER}怎么还没发货", PLACEHOLDER),
        ("09:15:02", "亲，已经在加急处理了，今天18点前发出", f"{YUEYAN}:小雅"),
    ])) + "\n", encoding="utf-8")
    (root / "web_b.txt").write_text("\n".join(
        _web(PLACEHOLDER, "2025-06-27", [
            ("14:00:05", "你们的面霜用了过敏", PLACEHOLDER),
            ("14:02:30", "亲，非常抱歉，麻烦提供一下照片哦", f"{YUEYAN}:售后阿明"),
        ])
        + _web(XIAOYU, "2025-06-27", [
            ("15:00:00", "在吗", XIAOYU),
            ("15:01:10", "在的亲", f"{YUEYAN}:小雅"),
        ])
        + _web(PLACEHOLDER, "2025-06-28", [
            ("10:30:00", "快递到哪了", PLACEHOLDER),
            ("10:31:45", "亲，帮您查一下哦", f"{YUEYAN}:小雅"),
        ])) + "\n", encoding="utf-8")
    write_orders(root / "ExportOrderList20250629.csv", [
        _order_row(LIN_ORDER, LIN, LIN_PHONE, "2025-06-24 09:58:31", "2025-06-24 09:58:45",
                   "悦颜玻尿酸精华液30ml", "60123456", YUEYAN),
        _order_row(XIAOYU_ORDER, XIAOYU, "13700002222", "2025-06-27 14:40:00", "2025-06-27 14:40:09",
                   "悦颜修护面膜", "60123456", YUEYAN),
    ])
    return root


def _clipboard(lines: list[tuple[str, str, str]]) -> str:
    out: list[str] = []
    for sender, when, text in lines:
        out += [f"{sender} {when}", text]
    return "\r\n".join(out) + "\r\n"


MAIN_ACCOUNT_CHAT = [
    (XIAOYU, "2025-7-2 20:57:11", "在吗，面霜什么时候发货"),
    (YUEYAN, "2025-7-2 20:58:02", "亲，明天下午5点前一定给您发出"),
    (XIAOYU, "2025-7-2 20:59:40", "好的，等你们消息"),
]


def main_account_folder(root: Path, with_order: bool = True) -> Path:
    """A Qianniu clipboard copy where 悦颜美妆旗舰店 (the main account) writes without a
    colon.  ``with_order``: the order export (店铺名称 悦颜美妆旗舰店) is in the run."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "千牛复制.txt").write_bytes(_clipboard(MAIN_ACCOUNT_CHAT).encode("utf-8"))
    if with_order:
        write_orders(root / "ExportOrderList20250705.csv", [
            _order_row(XIAOYU_ORDER, XIAOYU, "13700002222", "2025-07-02 20:50:00", "2025-07-02 20:50:09",
                       "悦颜修护面膜", "60123456", YUEYAN, "2025-07-03 16:10:00", "75312340000999", "中通快递"),
        ])
    return root
