"""Generate a synthetic batch of exports for `evidence batch` benchmarks.

    python bench/gen_batch.py OUT_DIR [--buyers 10000] [--messages 1000000] [--seed 7]

Writes, for a few shops and staff phones, what a day's collection of exports looks like:
per-buyer Wangwang desktop exports (layout A in GBK/CRLF, layout B in UTF-8), Qianniu
clipboard copies (UTF-16 with BOM), chat sheets with hundreds of customers per file (CSV,
UTF-8 with BOM), China Mobile bills, staff call notes and one Taobao order export (GBK).
Deterministic for a given seed.  Never run by `make test`.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import io
import random
from datetime import datetime, timedelta
from pathlib import Path

SHOPS = ["悦颜美妆旗舰店", "康源保健专营店", "潮衣阁女装", "数码优品店", "乡味小食铺"]
STAFF = ["小雅", "阿杰", "售后阿明", "客服小美", "店长"]

SELLER_LINES = [
    "亲，您好，您拍的宝贝已经付款成功啦", "麻烦核对一下收货地址哦", "我们会在48小时内给您发货的哦",
    "亲，在吗？地址没问题的话今天下午就给您发出了", "亲，明天上午给您发出哦", "已发货，中通快递单号{tracking}",
    "亲，您的包裹已经发出了，单号{tracking}，请注意查收", "亲，还在吗？", "好的亲，这边帮您备注一下",
    "亲，理解您的心情，麻烦提供一下照片哦", "如有过敏请停用，及时联系我们", "预计今天发货，请耐心等待哦",
    "亲，仓库正在打包，尽快给您安排发货", "收到，感谢您的支持，祝您生活愉快",
]
BUYER_LINES = [
    "在吗", "什么时候发货？", "好的谢谢", "地址没问题", "你们是不是缺货了？说好的发货呢",
    "超过时间不发货我要投诉你们延迟发货，赔钱", "用了脸上过敏了，又红又痒", "没效果，我要退货退款",
    "质量太差了，开线了", "不给个说法就给差评", "如果过敏能退吗", "不是质量问题，就是不喜欢",
    "支持七天无理由吗", "物流太慢了", "收到了，挺好的", "能补偿点吗", "颜色跟图片差太多了，色差太大",
    "少发了一件", "发错了，不是我拍的颜色", "快递盒子压坏了，瓶子碎了",
]


def _phone(i: int) -> str:
    return f"13{(i * 7919) % 10:d}{i:08d}"[:11]


class Batch:
    def __init__(self, out: Path, buyers: int, messages: int, seed: int) -> None:
        self.out = out
        self.n_buyers = buyers
        self.per_buyer = max(4, messages // buyers)
        self.rng = random.Random(seed)
        self.start = datetime(2025, 6, 1, 9, 0, 0)
        self.written = 0

    def buyer(self, i: int) -> dict:
        rng = self.rng
        shop = SHOPS[i % len(SHOPS)]
        paid = self.start + timedelta(minutes=37 * i % (60 * 24 * 20), seconds=i % 60)
        return {
            "nick": f"tb_{i:05d}{'abcdefghij'[i % 10]}buyer",
            "shop": shop,
            "staff": [f"{shop}:{STAFF[(i + k) % len(STAFF)]}" for k in range(2)],
            "phone": _phone(i),
            "order": f"30{i:017d}",
            "paid": paid,
            "shipped": paid + timedelta(hours=rng.choice([20, 30, 50, 80])) if i % 4 else None,
            "tracking": f"7531{i:010d}",
        }

    def conversation(self, b: dict) -> list[tuple[datetime, str, str]]:
        rng = self.rng
        t = b["paid"] + timedelta(minutes=3)
        out = []
        for k in range(self.per_buyer):
            seller = rng.random() < 0.55
            sender = rng.choice(b["staff"]) if seller else b["nick"]
            text = rng.choice(SELLER_LINES if seller else BUYER_LINES).format(tracking=b["tracking"])
            if rng.random() < 0.05:
                text += "\n" + rng.choice(["谢谢亲", "麻烦尽快处理", "https://item.taobao.com/item.htm?id=6523012"])
            out.append((t, sender, text))
            t += timedelta(minutes=rng.choice([1, 2, 5, 30, 90, 600, 1500]), seconds=rng.randrange(60))
        return out

    # -- writers ------------------------------------------------------------
    def write(self, rel: str, data: bytes) -> None:
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def layout_a(self, b: dict, conv) -> bytes:
        rule = "=" * 64
        lines = [rule, "消息记录（此消息记录为文本格式，不支持重新导入）", rule, "单聊", rule,
                 f"消息对象:{b['nick']}", rule]
        for t, sender, text in conv:
            lines.append(f"{sender}({t:%Y-%m-%d %H:%M:%S}): {text}")
        return ("\r\n".join(lines) + "\r\n").encode("gb18030")

    def layout_b(self, b: dict, conv) -> bytes:
        lines = ["消息记录", f"对象: {b['nick']}", "即时消息"]
        day = None
        for t, sender, text in conv:
            if day and t.date() != day:
                lines.append(f"{day:%Y-%m-%d}")
            day = t.date()
            lines.append(f"{t:%Y-%m-%d %H:%M:%S} {sender}: {text}")
        lines.append(f"{day:%Y-%m-%d}")
        return ("\n".join(lines) + "\n").encode("utf-8")

    def clipboard(self, b: dict, conv) -> bytes:
        lines = []
        for t, sender, text in conv:
            sep = "" if sender != b["nick"] and self.rng.random() < 0.5 else " "
            lines.append(f"{sender}{sep}{t.year}-{t.month}-{t.day} {t.hour}:{t:%M:%S}")
            lines.extend(text.split("\n"))
            if sender != b["nick"]:
                lines.append(self.rng.choice(["已读", "未读"]))
        return codecs.BOM_UTF16_LE + "\r\n".join(lines).encode("utf-16-le")

    def generate(self) -> int:
        sheet_rows: list[list[str]] = []
        orders: list[dict] = []
        calls: list[tuple[datetime, str, int]] = []
        notes: list[str] = []
        for i in range(self.n_buyers):
            b = self.buyer(i)
            conv = self.conversation(b)
            self.written += len(conv)
            kind = i % 5
            staff_dir = f"{b['shop']}/{b['staff'][0].split(':')[1]}"
            if kind in (0, 1):
                self.write(f"{staff_dir}/{b['nick']}.txt", self.layout_a(b, conv))
            elif kind == 2:
                self.write(f"{staff_dir}/b_{b['nick']}.txt", self.layout_b(b, conv))
            elif kind == 3:
                self.write(f"{staff_dir}/clip_{b['nick']}.txt", self.clipboard(b, conv))
            else:
                for n, (t, sender, text) in enumerate(conv, start=1):
                    role = "客户" if sender == b["nick"] else "客服"
                    sheet_rows.append([b["nick"], str(n), f"{t:%Y-%m-%d %H:%M:%S}", text, sender, role])
            orders.append(b)
            if i % 3 == 0:
                calls.append((b["paid"] + timedelta(minutes=20), b["phone"], 0))
                calls.append((b["paid"] + timedelta(hours=25), b["phone"], self.rng.choice([0, 0, 72])))
            if i % 7 == 0:
                t = b["paid"] + timedelta(hours=26)
                notes.append(f"{t:%Y-%m-%d %H:%M} 电话联系买家{b['nick']}，无人接听")
        self._sheets(sheet_rows)
        self._bills(calls)
        self.write("电话记录/call-notes.txt", ("\n".join(notes) + "\n").encode("utf-8"))
        self._orders(orders)
        return self.written

    def _sheets(self, rows: list[list[str]]) -> None:
        header = ["客户名", "消息序号", "发送时间", "发送内容", "发送账号", "账号类型"]
        for part in range(0, len(rows), 20000):
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\r\n")
            w.writerow(header)
            w.writerows(rows[part:part + 20000])
            self.write(f"聊天记录表/chat-{part // 20000:03d}.csv", codecs.BOM_UTF8 + buf.getvalue().encode("utf-8"))

    def _bills(self, calls) -> None:
        header = "起始时间,通信地点,通信方式,对方号码,通信时长,通信类型,套餐优惠,实收通信费(元)"
        calls.sort()
        for part in range(0, len(calls), 5000):
            lines = [header]
            for t, phone, dur in calls[part:part + 5000]:
                d = f"{dur // 60}分{dur % 60}秒" if dur >= 60 else f"{dur}秒"
                lines.append(f"{t:%Y-%m-%d %H:%M:%S},杭州,主叫,{phone},{d},本地(非漫游、主叫),--,0.00")
            self.write(f"话单/cmcc-{part // 5000:02d}.csv", ("\n".join(lines) + "\n").encode("utf-8"))

    def _orders(self, orders) -> None:
        header = ("订单编号,买家会员名,买家支付宝账号,买家应付货款,买家应付邮费,总金额,买家实际支付金额,订单状态,"
                  "收货人姓名,收货地址 ,联系手机,订单创建时间,订单付款时间 ,宝贝标题 ,物流单号 ,物流公司,店铺名称,发货时间")
        lines = [header]
        for b in orders:
            shipped = f"{b['shipped']:%Y-%m-%d %H:%M:%S}" if b["shipped"] else ""
            status = "卖家已发货，等待买家确认" if b["shipped"] else "买家已付款，等待卖家发货"
            lines.append(",".join([
                f'="{b["order"]}"', b["nick"], "x***@163.com", "59.00", "0.00", "59.00", "59.00", status,
                "张**", "浙江省 杭州市 西湖区 文三路XX号(310000)", f"'{b['phone']}",
                f"{b['paid'] - timedelta(seconds=14):%Y-%m-%d %H:%M:%S}", f"{b['paid']:%Y-%m-%d %H:%M:%S}",
                "宝贝", f'="No:{b["tracking"]}"' if b["shipped"] else "", "中通快递" if b["shipped"] else "",
                b["shop"], shipped]))
        self.write("订单/ExportOrderList202507.csv", ("\r\n".join(lines) + "\r\n").encode("gb18030"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--buyers", type=int, default=10000)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    n = Batch(args.out, args.buyers, args.messages, args.seed).generate()
    print(f"wrote {n} messages for {args.buyers} buyers under {args.out}")


if __name__ == "__main__":
    main()
