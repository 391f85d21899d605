"""Tagged events of the demo story, with real source files on disk, for the case and
render tests.  The tagger is another stage; these events carry the tags it gives by the
rules of TAGS.md, written out by hand so the report tests do not depend on it.

``story(tmp_path)`` writes four small exports (a Wangwang layout-A chat, a China
Mobile bill CSV, staff call notes, the order export) whose lines are the events, and
returns the events with their sources pointing at those lines, plus the FileReports.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from extractor.model import Call, Event, FileReport, Order, ParseWarning, Source, Tag

BJ = ZoneInfo("Asia/Shanghai")
SHOP = "悦颜美妆旗舰店"
XIAOYA = f"{SHOP}:小雅"
AJIE = f"{SHOP}:阿杰"
AMING = f"{SHOP}:售后阿明"
LIN = "tb_lin8866"
LU = "小鹿爱买买"
LIN_ORDER = "3021456789012345678"
LU_ORDER = "3021456789099990001"
FIXED_NOW = datetime(2025, 7, 8, 9, 30, 0, tzinfo=BJ)


def t(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BJ)


@dataclass
class _Pending:
    time: datetime
    role: str
    kind: str
    sender: str | None
    buyer: str | None
    text: str
    line: int | None = None
    row: int | None = None
    call: Call | None = None
    order: Order | None = None
    tags: tuple[Tag, ...] = ()


@dataclass
class SourceFile:
    """One export being written: lines in, (line or row) numbers out."""

    path: Path
    format: str
    encoding: str = "utf-8"
    lines: list[str] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    by_row: bool = False

    def add(self, line: str) -> int:
        self.lines.append(line)
        return len(self.lines)

    def event(self, line_text: str, **fields) -> None:
        number = self.add(line_text)
        # Text formats count physical lines; sheets count rows with the header as 1.
        key = "row" if self.by_row else "line"
        for extra in fields.pop("more_lines", ()):
            self.add(extra)
        self.pending.append(_Pending(**fields, **{key: number}))

    def finish(self) -> tuple[list[Event], FileReport]:
        data = ("\r\n".join(self.lines) + "\r\n").encode(self.encoding)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(data)
        sha = hashlib.sha256(data).hexdigest()
        events = [Event(
            time=p.time, role=p.role, kind=p.kind, sender=p.sender, buyer=p.buyer, text=p.text,  # type: ignore[arg-type]
            source=Source(str(self.path), sha, self.format, line=p.line, row=p.row),
            call=p.call, order=p.order, tags=p.tags) for p in self.pending]
        warnings = tuple(ParseWarning(str(self.path), reason, line=line) for line, reason in self.warnings)
        return events, FileReport(str(self.path), sha, len(data), self.format, len(events), warnings)


def contact(*more: Tag) -> tuple[Tag, ...]:
    return (Tag("seller_contact"), *more)


def _chat_line(f: SourceFile, sender: str, when: str, text: str, role: str, buyer: str,
               tags: tuple[Tag, ...] = ()) -> None:
    first, *rest = text.split("\n")
    f.event(f"{sender}({when}): {first}", more_lines=rest, time=t(when), role=role, kind="message",
            sender=sender, buyer=buyer, text=text, tags=tags)


def story(root: Path) -> tuple[list[Event], list[FileReport]]:
    """The two buyers of the demo story, one unassigned call, four source files."""
    chat = SourceFile(root / "exports" / "wangwang-tb_lin8866.txt", "wangwang-a")
    chat.add("================================================================")
    chat.add("消息记录（此消息记录为文本格式，不支持重新导入）")
    chat.add("================================================================")
    chat.add("消息对象:tb_lin8866")
    chat.add("================================================================")
    _chat_line(chat, XIAOYA, "2025-06-24 10:02:10",
               "亲，您好！这边是悦颜美妆旗舰店，跟您确认一下收货地址：浙江省杭州市西湖区文三路***号，林**，13812345678，对吗？",
               "seller", LIN, contact(Tag("seller_initiated"), Tag("buyer_silence", hours=83.2)))
    _chat_line(chat, XIAOYA, "2025-06-24 10:03:05", "我们会在48小时内给您发货的哦",
               "seller", LIN, contact(Tag("shipping_promise", ("48小时内", "发货"), deadline=t("2025-06-26 10:03:05"))))
    _chat_line(chat, AJIE, "2025-06-25 09:30:02", "亲，您的玻尿酸精华液今天下午就给您发出了\n有问题随时联系我们",
               "seller", LIN, contact(Tag("seller_initiated"), Tag("buyer_silence", hours=59.7),
                                      Tag("shipping_promise", ("今天下午", "发出"), deadline=t("2025-06-25 18:00:00"))))
    _chat_line(chat, AJIE, "2025-06-25 16:45:30", "已经发出了，中通快递单号75312345678901",
               "seller", LIN, contact(Tag("seller_initiated"), Tag("buyer_silence", hours=52.5),
                                      Tag("shipped", ("已经发出",), tracking="75312345678901")))
    _chat_line(chat, LIN, "2025-06-27 21:14:03", "你们是不是缺货了？说好的发货呢", "buyer", LIN,
               (Tag("delay_claim", ("缺货",), reason="out_of_stock"),))
    _chat_line(chat, LIN, "2025-06-27 21:14:40", "超过时间不发货我要投诉你们延迟发货，赔钱", "buyer", LIN,
               (Tag("delay_claim", ("延迟发货",), reason="late_shipment"), Tag("threat", ("投诉",)),
                Tag("compensation_demand", ("赔钱",))))
    _chat_line(chat, AMING, "2025-06-27 21:20:11", "亲，您的包裹6月25日已经发出了，中通快递单号75312345678901，可以在订单里查看物流哦",
               "seller", LIN, contact(Tag("shipped", ("已经发出",), tracking="75312345678901")))
    _chat_line(chat, LIN, "2025-07-02 10:15:00", "用了两天脸上过敏了，红肿发痒", "buyer", LIN,
               (Tag("return_claim", ("过敏", "红肿", "发痒"), reason="allergy"),))
    _chat_line(chat, AMING, "2025-07-02 10:21:40", "亲，很抱歉给您带来不好的体验，请先停用，拍一下照片给我们看看好吗？",
               "seller", LIN, contact())
    _chat_line(chat, LIN, "2025-07-05 20:03:12", "没效果还过敏，我要退货退款，不然就给差评", "buyer", LIN,
               (Tag("return_claim", ("没效果",), reason="ineffective"), Tag("return_claim", ("过敏",), reason="allergy"),
                Tag("threat", ("差评",))))
    chat.warnings.append((3, "header line without 消息对象; taken from the file's later header"))

    bill = SourceFile(root / "exports" / "cmcc-bill-202506.csv", "cmcc-bill-csv", encoding="gb18030", by_row=True)
    bill.add("起始时间,通信地点,通信方式,对方号码,通信时长,通信类型,套餐优惠,实收通信费(元)")
    bill.event("2025-06-24 10:20:11,杭州,主叫,13812345678,0秒,国内通话,,0.00", time=t("2025-06-24 10:20:11"),
               role="seller", kind="call", sender=None, buyer=LIN, text="",
               call=Call("out", 0, "13812345678", False), tags=contact())
    bill.event("2025-06-25 09:35:40,杭州,主叫,13812345678,0秒,国内通话,,0.00", time=t("2025-06-25 09:35:40"),
               role="seller", kind="call", sender=None, buyer=LIN, text="",
               call=Call("out", 0, "13812345678", False), tags=contact())
    bill.event("2025-06-27 10:08:55,杭州,主叫,13900001111,2分05秒,国内通话,,0.00", time=t("2025-06-27 10:08:55"),
               role="seller", kind="call", sender=None, buyer=LU, text="",
               call=Call("out", 125, "13900001111", True), tags=contact(Tag("seller_initiated")))
    bill.event("2025-06-28 15:02:10,杭州,被叫,13700009999,0分48秒,国内通话,,0.00", time=t("2025-06-28 15:02:10"),
               role="buyer", kind="call", sender=None, buyer=None, text="",
               call=Call("in", 48, "13700009999", True))

    notes = SourceFile(root / "exports" / "call-notes.txt", "call-notes")
    notes.add("# 售后电话记录 悦颜美妆旗舰店")
    notes.event("2025-06-27 21:30 售后阿明 致电 tb_lin8866（13812345678），对方直接挂断", time=t("2025-06-27 21:30:00"),
                role="seller", kind="note", sender="售后阿明", buyer=LIN, text="对方直接挂断",
                call=Call("out", None, "13812345678", False), tags=contact())
    notes.event("2025-06-27 10:10 阿杰 致电 小鹿爱买买，接通，买家确认地址", time=t("2025-06-27 10:10:00"),
                role="seller", kind="note", sender="阿杰", buyer=LU, text="接通，买家确认地址",
                call=Call("out", None, "13900001111", True), tags=contact(Tag("seller_initiated")))

    orders = SourceFile(root / "exports" / "ExportOrderList202507.csv", "taobao-orders", encoding="gb18030", by_row=True)
    orders.add("订单编号,买家会员名,买家实际支付金额,订单状态,收货人姓名,联系手机,订单付款时间 ,发货时间,物流公司,物流单号")
    orders.event(f'="{LIN_ORDER}",tb_lin8866,59.00,交易成功,林**,13812345678,2025-06-24 09:58:45,2025-06-25 16:40:12,中通快递,No:75312345678901',
                 time=t("2025-06-24 09:58:45"), role="system", kind="order", sender=None, buyer=LIN,
                 text="玻尿酸精华液30ml 59.00",
                 order=Order(LIN_ORDER, t("2025-06-24 09:58:45"), t("2025-06-25 16:40:12"), "75312345678901", "中通快递", "13812345678"),
                 tags=(Tag("shipped", tracking="75312345678901"),))
    orders.event(f'="{LU_ORDER}",小鹿爱买买,129.00,交易成功,鹿**,13900001111,2025-06-26 14:20:03,2025-06-27 11:05:40,顺丰速运,SF1234567890123',
                 time=t("2025-06-26 14:20:03"), role="system", kind="order", sender=None, buyer=LU,
                 text="玫瑰保湿面霜50g 129.00",
                 order=Order(LU_ORDER, t("2025-06-26 14:20:03"), t("2025-06-27 11:05:40"), "SF1234567890123", "顺丰速运", "13900001111"),
                 tags=(Tag("shipped", tracking="SF1234567890123"),))

    lu_chat = SourceFile(root / "exports" / "qianniu-sheet-小鹿爱买买.csv", "chat-sheet", by_row=True)
    lu_chat.add("客户名,消息序号,发送时间,发送内容,发送账号,账号类型")
    for n, (when, sender, role, text, tags) in enumerate([
        ("2025-06-26 14:25:11", LU, "buyer", "亲，什么时候能发货呀？", ()),
        ("2025-06-26 14:26:02", XIAOYA, "seller", "亲，明天上午给您发出哦",
         contact(Tag("shipping_promise", ("明天上午", "发出"), deadline=t("2025-06-27 12:00:00")))),
        ("2025-06-26 14:26:40", LU, "buyer", "好的谢谢", ()),
        ("2025-06-27 11:06:15", XIAOYA, "seller", "已发货，顺丰单号SF1234567890123",
         contact(Tag("seller_initiated"), Tag("shipped", ("已发货",), tracking="SF1234567890123"))),
    ], 1):
        lu_chat.event(f"{LU},{n},{when},{text},{sender},{'卖家' if role == 'seller' else '买家'}",
                      time=t(when), role=role, kind="message", sender=sender, buyer=LU, text=text, tags=tags)

    events: list[Event] = []
    reports: list[FileReport] = []
    for f in (chat, bill, notes, orders, lu_chat):
        evs, rep = f.finish()
        events.extend(evs)
        reports.append(rep)
    events.sort(key=lambda e: (e.time, e.source.file, e.source.line or e.source.row or 0))
    return events, reports


def single_chat(root: Path, buyer: str, messages: list[tuple[str, str, str]],
                name: str = "chat.txt") -> tuple[list[Event], list[FileReport]]:
    """A one-file case: (sender, "YYYY-MM-DD HH:MM:SS", text) lines; role from the
    店铺名:子账号 convention."""
    f = SourceFile(root / name, "wangwang-a")
    f.add(f"消息对象:{buyer}")
    for sender, when, text in messages:
        role = "seller" if ":" in sender else "buyer"
        _chat_line(f, sender, when, text, role, buyer, contact() if role == "seller" else ())
    events, report = f.finish()
    return events, [report]


def long_case(root: Path, n_events: int, buyer: str = "tb_bench01") -> tuple[list[Event], list[FileReport]]:
    """A busy case of ``n_events`` chat messages over several days, with an order."""
    f = SourceFile(root / f"{buyer}.txt", "wangwang-a")
    f.add(f"消息对象:{buyer}")
    start = t("2025-06-20 09:00:00")
    order_id = "3021456789000000001"
    phrases_seller = ["亲，已经在安排了哦", "我们会在48小时内给您发货的哦", "亲，仓库这边正在打包",
                      "已经发出了，中通快递单号75300000000001", "亲，请问还有什么可以帮您？"]
    phrases_buyer = ["什么时候发货呀？", "好的", "收到了，用了有点过敏", "我要退货退款", "你们客服怎么不回消息"]
    for i in range(n_events - 1):
        when = start + timedelta(minutes=37 * i)
        seller = i % 2 == 0
        text = phrases_seller[i % 5] if seller else phrases_buyer[i % 5]
        tags: tuple[Tag, ...] = contact() if seller else ()
        if seller and "48小时" in text:
            tags += (Tag("shipping_promise", ("48小时内", "发货"), deadline=when + timedelta(hours=48)),)
        if not seller and "过敏" in text:
            tags = (Tag("return_claim", ("过敏",), reason="allergy"),)
        _chat_line(f, XIAOYA if seller else buyer, when.strftime("%Y-%m-%d %H:%M:%S"),
                   f"{text}（第{i + 1}条）", "seller" if seller else "buyer", buyer, tags)
    f.event(f"订单 {order_id}", time=start - timedelta(minutes=5), role="system", kind="order", sender=None,
            buyer=buyer, text="",
            order=Order(order_id, start - timedelta(minutes=5), start + timedelta(hours=30), "75300000000001", "中通快递"))
    events, report = f.finish()
    return sorted(events, key=lambda e: e.time), [report]
