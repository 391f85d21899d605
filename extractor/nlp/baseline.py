"""The obvious tagger, to measure the real one against (``evidence eval --baseline``).

A plain keyword-substring match of the example words TAGS.md lists for each label and
reason, on the raw text of every chat line (auto-replies included): no roles, no
normalization, no negation, no deadlines (always null), no tracking numbers.  The
structural tags need no language, so the baseline computes them exactly like the tagger
(:mod:`extractor.structure`); the margin it shows is the language part's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from ..model import Event, Tag
from ..structure import structural_tags

KEYWORDS: tuple[tuple[str, str | None, tuple[str, ...]], ...] = (
    ("shipping_promise", None, ("发货", "发出", "寄出", "安排发货", "给您发", "尽快")),
    ("shipped", None, ("已发货", "已经发出", "给您寄出了", "单号是", "已经在路上了", "在分拣中心")),
    ("return_claim", "ineffective", ("无效", "没效果", "没用", "一点效果都没有")),
    ("return_claim", "allergy", ("过敏", "红肿", "起疹子", "刺痛", "发痒", "烂脸")),
    ("return_claim", "quality", ("质量问题", "质量差", "坏了", "开线", "掉色", "起球", "漏液", "不能用")),
    ("return_claim", "damaged", ("破损", "碎了", "压坏", "漏了")),
    ("return_claim", "wrong_item", ("发错了", "不是我拍的")),
    ("return_claim", "missing_item", ("少发", "漏发", "少了一件", "缺配件")),
    ("return_claim", "not_as_described", ("与描述不符", "色差太大", "假货", "不是正品")),
    ("return_claim", "no_reason", ("七天无理由", "不想要了", "不喜欢", "拍错了", "太小", "不合身")),
    ("delay_claim", "out_of_stock", ("缺货", "没货")),
    ("delay_claim", "late_shipment", ("延迟发货", "超时未发货", "未按约定时间发货", "说好")),
    ("delay_claim", "fake_shipment", ("虚假发货", "单号没有物流信息")),
    ("compensation_demand", None, ("赔偿", "补偿", "赔付", "赔我", "返现", "红包", "退差价")),
    ("threat", None, ("差评", "投诉", "举报", "12315", "曝光", "找小二", "平台介入", "工商")),
)


def baseline_tags(text: str) -> tuple[Tag, ...]:
    tags = []
    for label, reason, words in KEYWORDS:
        hits = tuple(w for w in words if w in text)
        if hits:
            tags.append(Tag(label, evidence=hits, reason=reason))
    return tuple(tags)


def baseline_tag_events(events: Sequence[Event]) -> list[Event]:
    tags: list[tuple[Tag, ...]] = [
        baseline_tags(e.text) if e.kind in ("message", "auto_reply") else () for e in events
    ]
    by_buyer: dict[str, list[int]] = {}
    for i, event in enumerate(events):
        if event.buyer is not None:
            by_buyer.setdefault(event.buyer, []).append(i)
    for indices in by_buyer.values():
        for i, extra in zip(indices, structural_tags([events[i] for i in indices])):
            tags[i] = extra + tags[i]
    return [replace(e, tags=t) for e, t in zip(events, tags)]
