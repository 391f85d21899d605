"""Shipping-promise deadlines: every convention of TAGS.md, resolved against the message's
own time (never the clock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from extractor.model import Event, Source
from extractor.nlp import get_tagger
from extractor.nlp.deadlines import chinese_number

BJ = ZoneInfo("Asia/Shanghai")
WEDNESDAY = datetime(2022, 6, 22, 14, 20, 0, tzinfo=BJ)
SHOP = "鲜果时光旗舰店:小周"
BUYER = "jojo_mama2018"


@pytest.fixture(scope="module")
def tagger():
    return get_tagger()


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2022, 6, day, hour, minute, second, tzinfo=BJ)


CONVENTIONS = [
    ("亲，今天给您发出哦", at(22, 23, 59, 59)),  # 今天 → 23:59:59 that day
    ("今天下午就给您安排发货", at(22, 18)),  # 今天下午 → 18:00
    ("今晚给您发出", at(22, 23, 59, 59)),  # 今晚 → 23:59:59
    ("明天给您发货哈", at(23, 23, 59, 59)),  # 明天 → 23:59:59 next day
    ("明天上午给您发出", at(23, 12)),  # 明天上午 → 12:00 next day
    ("明天一早给您发", at(23, 10)),  # 明天一早 → 10:00 next day
    ("后天发货", at(24, 23, 59, 59)),  # 后天 → 23:59:59 two days on
    ("我们会在48小时内给您发货的哦", WEDNESDAY + timedelta(hours=48)),  # N小时内
    ("3天内给您发出", WEDNESDAY + timedelta(hours=72)),  # N天内 → N × 24 hours
    ("三天内安排发货", WEDNESDAY + timedelta(hours=72)),
    ("周五前给您寄出", at(24, 23, 59, 59)),  # the coming Friday
    ("周五之前一定发货", at(24, 23, 59, 59)),
    ("预计今天发货", at(22, 23, 59, 59)),  # hedged, the time as stated
    ("一般72小时内发货", WEDNESDAY + timedelta(hours=72)),
    ("今天下午5点前给您发出", at(22, 17)),  # a clock time is that time
    ("晚上8点之前给您发", at(22, 20)),
    ("今天发不了，明天一早给您发", at(23, 10)),  # the refused time does not count
]


@pytest.mark.parametrize("text,deadline", CONVENTIONS)
def test_deadline_conventions(tagger, text, deadline):
    (tag,) = tagger.tag_text(text, "seller", WEDNESDAY)
    assert tag.label == "shipping_promise"
    assert tag.deadline == deadline
    assert tag.deadline.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("text", [
    "好的亲，尽快给您发货",  # 尽快 → null
    "到货后尽快给您发",  # conditional → null
    "好的，给您安排发货",  # no time → null
])
def test_promises_without_a_time_have_a_null_deadline(tagger, text):
    (tag,) = tagger.tag_text(text, "seller", WEDNESDAY)
    assert (tag.label, tag.deadline) == ("shipping_promise", None)


def test_deadline_follows_the_message_time_not_the_clock(tagger):
    sent = datetime(2019, 11, 11, 0, 30, tzinfo=BJ)
    (tag,) = tagger.tag_text("明天上午给您发出", "seller", sent)
    assert tag.deadline == datetime(2019, 11, 12, 12, 0, tzinfo=BJ)


def test_friday_said_on_a_monday_is_that_week(tagger):
    monday = datetime(2022, 6, 20, 9, 0, tzinfo=BJ)
    (tag,) = tagger.tag_text("周五前给您发货", "seller", monday)
    assert tag.deadline == at(24, 23, 59, 59)


def test_friday_said_on_a_saturday_is_next_week(tagger):
    saturday = datetime(2022, 6, 25, 9, 0, tzinfo=BJ)
    (tag,) = tagger.tag_text("周五前给您发货", "seller", saturday)
    assert tag.deadline == datetime(2022, 7, 1, 23, 59, 59, tzinfo=BJ)


def _message(role: str, text: str, when: datetime, line: int) -> Event:
    sender = SHOP if role == "seller" else BUYER
    return Event(when, role, "message", sender, BUYER, text, Source("chat.txt", "0" * 64, "wangwang-a", line=line))


def test_agreement_to_the_buyers_time_is_a_promise_for_that_day(tagger):
    asked = _message("buyer", "今天能发吗？急用", at(22, 9, 12), 1)
    agreed = _message("seller", "是的亲", at(22, 9, 15), 2)
    events = tagger.tag_events([asked, agreed])
    promise = [t for t in events[1].tags if t.label == "shipping_promise"]
    assert len(promise) == 1
    assert promise[0].deadline == at(22, 23, 59, 59)
    assert promise[0].evidence[0] == "是的亲"


def test_agreement_without_a_question_is_not_a_promise(tagger):
    said = _message("buyer", "好的收到了", at(22, 9, 12), 1)
    agreed = _message("seller", "好的亲", at(22, 9, 15), 2)
    events = tagger.tag_events([said, agreed])
    assert all(t.label != "shipping_promise" for t in events[1].tags)


def test_still_not_shipped_is_a_late_claim_only_after_the_promised_deadline(tagger):
    promise = _message("seller", "明天给您发货", at(22, 10), 1)
    inside = _message("buyer", "现在还没发货", at(23, 15), 2)
    after = _message("buyer", "现在还没发货", at(24, 9), 3)
    asked = _message("buyer", "还没发货吗？", at(24, 9, 1), 4)  # a plain question alleges nothing
    events = tagger.tag_events([promise, inside, after, asked])
    claims = [[(t.label, t.reason) for t in e.tags if t.label == "delay_claim"] for e in events]
    assert claims == [[], [], [("delay_claim", "late_shipment")], []]


def test_a_shipment_closes_the_promise_window(tagger):
    promise = _message("seller", "明天给您发货", at(22, 10), 1)
    shipped = _message("seller", "亲，已经给您发出了", at(23, 16), 2)
    # 现在还没发货 is a claim only while a promised deadline has passed with no shipment
    # since (a rhetorical 怎么还没发货 is a complaint whatever came before: docs/tags.md)
    asked = _message("buyer", "现在还没发货", at(25, 9), 3)
    events = tagger.tag_events([promise, shipped, asked])
    assert all(t.label != "delay_claim" for t in events[2].tags)


@pytest.mark.parametrize("text,value", [("48", 48), ("两", 2), ("二十四", 24), ("七十二", 72), ("十", 10), ("半", 0.5)])
def test_chinese_numbers(text, value):
    assert chinese_number(text) == value
