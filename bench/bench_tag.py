"""Benchmark: the tag pipeline against jieba segmentation alone (never run by the tests).

Generates 200,000+ realistic chat messages in-process (buyer and seller lines from varied
templates, grouped into conversations), then times, in one run and one process:

1. jieba segmentation alone: ``jieba.lcut`` on every message (after initialisation, with
   the same user dictionary loaded, so both sides segment the same way);
2. the full tag pipeline: ``Tagger.tag_events`` on the same messages as events
   (normalization, trigger prefilter, spaCy zh + jieba for messages that can carry a tag,
   context rules, deadlines, the statistical backoff, structural tags, new events), with
   the backoff's own share;

and prints messages per second for both and their ratio.  The pipeline also runs on the
messages that pass the trigger prefilter alone (the worst case: every one is segmented).

    python bench/bench_tag.py [--messages 200000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extractor.model import Event, Source  # noqa: E402

BJ = ZoneInfo("Asia/Shanghai")
SHOPS = ["悦颜美妆旗舰店", "型男牛仔工坊", "能量站数码专营店", "稻香斋糕点铺", "汪星人宠物用品店", "贝康儿童营养旗舰店",
         "清透防晒旗舰店", "云扫智能家电店", "老街卤味铺", "光感肌护肤馆"]
STAFF = ["小雅", "阿杰", "售后阿明", "小牛", "阿能", "香香", "康康", "小云", "卤卤", "小光"]
PRODUCTS = ["玻尿酸精华", "牛仔裤", "充电宝", "月饼礼盒", "狗粮", "钙片", "防晒喷雾", "扫地机", "鸭脖", "美白精华",
            "羽绒服", "蓝牙耳机", "保温杯", "四件套", "纸尿裤", "洗发水", "面膜", "凉鞋", "蛋白粉", "猫砂"]
COLOURS = ["黑色", "白色", "浅蓝", "米色", "粉色", "藏青", "灰色"]
SIZES = ["S码", "M码", "L码", "XL", "36码", "37码", "38码", "26码"]
CARRIERS = ["中通", "圆通", "韵达", "申通", "顺丰"]
TIMES = ["今天", "今天下午", "今晚", "明天", "明天上午", "明天一早", "后天", "48小时内", "24小时内", "三天内", "周五前"]

BUYER_LINES = [
    "在吗", "在吗？", "亲，在不在", "你好，{p}还有货吗", "{p}{s}还有吗", "这个{p}是正品吗", "什么时候发货？",
    "今天能发吗", "拍了，麻烦尽快发", "好的", "好的谢谢", "嗯嗯", "行", "收到了", "谢谢亲", "[图片]", "哦哦知道了",
    "能便宜点吗", "满减还能用吗", "拍两件能包邮不", "地址改一下，改成公司地址", "发什么快递", "发顺丰可以吗",
    "快递到哪了", "物流好慢啊", "好的，那我等着", "可以开发票吗", "{c}的吗", "明天能到吗", "我已经确认收货了",
    "这款会不会起球啊", "敏感肌能用吗", "如果过敏能退吗", "你们支持七天无理由吗", "东西收到了，很满意",
    "用了{p}脸上过敏了，又红又痒", "{p}用了一个星期一点效果都没有", "收到的时候外包装破损，瓶子都碎了",
    "你们发错了，我买的是{c}", "少发了一件，只收到一个", "实物与描述不符，色差太大", "不想要了，申请七天无理由退货",
    "说好{t}发怎么还没发", "都三天了还不发货", "你们这是虚假发货吧，单号没有物流信息", "是不是缺货了",
    "耽误我用了，你们得赔偿", "再不处理我就给差评", "我要打12315投诉你们", "不给退我就找小二介入",
    "衣服洗了一次就起球掉色，质量太差了", "不是质量问题，就是颜色不喜欢", "没有过敏，就是问问", "我要退货退款",
]
SELLER_LINES = [
    "亲，在的呢", "亲，您好，请问有什么可以帮您", "亲，有的哦", "好的亲", "收到亲", "亲，稍等一下哦",
    "亲，{p}是品牌授权的，保证正品", "亲，满99包邮的", "亲，默认发{k}的哦", "亲，麻烦拍一下照片给我们看看",
    "亲，非常抱歉给您带来不便", "亲，已经给您备注了", "亲，地址改好了", "亲，还有其他问题吗",
    "亲，{t}给您发出哦", "我们会在{t}给您发货的", "亲，{t}安排发货", "好的亲，尽快给您发", "亲，一般48小时内发货",
    "今天发不了，明天一早给您发", "亲，已经发出了，{k}{n}", "亲，您的包裹已经在路上了", "亲，快递显示已签收了哦",
    "明天给您发可以吗？", "发货后会有短信通知", "如有过敏请立即停用", "亲，收到货如有破损请拍照联系我们",
    "亲，给您补偿5元红包可以吗", "亲，退款已经处理了，请查收", "亲，您寄回后我们收到就给您换新的",
]


def make_text(rng: random.Random, lines: list[str]) -> str:
    template = rng.choice(lines)
    return template.format(p=rng.choice(PRODUCTS), s=rng.choice(SIZES), c=rng.choice(COLOURS),
                           t=rng.choice(TIMES), k=rng.choice(CARRIERS), n=rng.randrange(10**13, 10**14))


def make_events(count: int, seed: int) -> list[Event]:
    rng = random.Random(seed)
    events: list[Event] = []
    start = datetime(2024, 6, 1, 9, 0, tzinfo=BJ)
    conversation = 0
    while len(events) < count:
        conversation += 1
        buyer = f"tb_{rng.randrange(10**6):06d}{rng.choice(['xiaoyu', 'mama', 'lin', 'jojo'])}"
        shop = rng.randrange(len(SHOPS))
        seller = f"{SHOPS[shop]}:{STAFF[shop]}"
        when = start + timedelta(days=rng.randrange(300), minutes=rng.randrange(1440))
        source_file = f"chat-{conversation:06d}.txt"
        for line in range(1, rng.randrange(8, 40) + 1):
            when += timedelta(minutes=rng.choice([1, 2, 3, 5, 20, 90, 600, 1500, 3000]))
            is_buyer = rng.random() < 0.5
            text = make_text(rng, BUYER_LINES if is_buyer else SELLER_LINES)
            events.append(Event(
                time=when, role="buyer" if is_buyer else "seller", kind="message",
                sender=buyer if is_buyer else seller, buyer=buyer, text=text,
                source=Source(source_file, "0" * 64, "wangwang-a", line=line),
            ))
            if len(events) >= count:
                break
    return events


class Seconds(NamedTuple):
    wall: float
    cpu: float  # this process's CPU time: what other work on a shared machine moves least

    def __add__(self, other):
        return Seconds(self.wall + other.wall, self.cpu + other.cpu)


def timed(fn) -> Seconds:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return Seconds(time.perf_counter() - wall, time.process_time() - cpu)


def interleaved(events: list[Event], taggers, jieba, chunk: int = 5000) -> list[Seconds]:
    """Seconds for jieba alone (plain ``jieba.lcut``: default mode, HMM on) and for each
    tagger over ``events``, measured in alternating chunks."""
    spent = [Seconds(0.0, 0.0) for _ in range(len(taggers) + 1)]
    for start in range(0, len(events), chunk):
        part = events[start:start + chunk]
        texts = [e.text for e in part]
        spent[0] += timed(lambda: [jieba.lcut(t) for t in texts])
        for n, tagger in enumerate(taggers, 1):
            spent[n] += timed(lambda: tagger.tag_events(part))
    return spent


def _time_the_backoff(tagger) -> list[float]:
    """Wall seconds spent in the backoff, summed as the pipeline runs (it is called once
    per chunk of messages, so the timer costs nothing measurable).  A second pipeline
    without the backoff, timed in the same process, would not do: whichever of two
    pipelines runs second runs slower."""
    spent = [0.0]
    back_off = tagger._back_off

    def timed_back_off(*args):
        began = time.perf_counter()
        try:
            return back_off(*args)
        finally:
            spent[0] += time.perf_counter() - began

    tagger._back_off = timed_back_off
    return spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.messages < 1:
        parser.error("--messages must be positive")

    events = make_events(args.messages, args.seed)
    texts = [e.text for e in events]
    print(f"{len(events):,} messages in {len({e.buyer for e in events}):,} conversations "
          f"({len(set(texts)):,} distinct texts)")

    began = time.perf_counter()
    from extractor.nlp import get_tagger

    tagger = get_tagger()  # spaCy, jieba and its user dictionary, the rules, the backoff: once
    backoff_s = _time_the_backoff(tagger)
    import jieba

    print(f"initialisation (spaCy, jieba, user dictionary, rules): {time.perf_counter() - began:.2f} s")

    # The machine may be shared: alternate the two measurements chunk by chunk (whole
    # conversations per chunk) so that a change of load hits both alike.
    jieba_s, tag_s = interleaved(events, [tagger], jieba)
    backoff_wall = backoff_s[0]
    index = tagger.rules.indexes
    from extractor.nlp.normalize import normalize

    triggered = [e for e in events if index[e.role].hits(normalize(e.text).text).found]
    trig_texts = [e.text for e in triggered]
    jieba_trig_s, tag_trig_s = interleaved(triggered, [tagger], jieba)

    def rate(n: int, seconds: float) -> str:
        return f"{n / seconds:>10,.0f} messages/s"

    print("(jieba alone is plain jieba.lcut in its default mode, HMM on, which is also how the pipeline segments)")
    print(f"jieba segmentation alone    {rate(len(texts), jieba_s.wall)}  ({jieba_s.wall:.2f} s)")
    print(f"full tag pipeline           {rate(len(texts), tag_s.wall)}  ({tag_s.wall:.2f} s)")
    print(f"ratio (pipeline / jieba)    {tag_s.wall / jieba_s.wall:.2f}x   target <= 1.5x")
    print(f"  same, in CPU time         {tag_s.cpu / jieba_s.cpu:.2f}x   (jieba {jieba_s.cpu:.2f} s, pipeline {tag_s.cpu:.2f} s)")
    print(f"  of which the statistical backoff {backoff_wall:.2f} s: {backoff_wall / jieba_s.wall:.2f}x jieba")
    print(f"-- messages with a trigger word only ({len(triggered) / len(events):.0%} of all; each one is segmented):")
    print(f"jieba segmentation alone    {rate(len(trig_texts), jieba_trig_s.wall)}")
    print(f"full tag pipeline           {rate(len(trig_texts), tag_trig_s.wall)}")
    print(f"ratio (pipeline / jieba)    {tag_trig_s.wall / jieba_trig_s.wall:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
