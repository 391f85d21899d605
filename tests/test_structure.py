"""Structural tags over a buyer's whole conversation, with exact hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from extractor.model import Call, Event, Order, Source
from extractor.structure import hours_between, structural_tags

BJ = ZoneInfo("Asia/Shanghai")
START = datetime(2022, 6, 24, 10, 0, 0, tzinfo=BJ)
SHOP = "悦颜美妆旗舰店:小雅"
BUYER = "tb_9527xiaoyu"


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def seller(hours: float, text: str = "亲，在吗？") -> Event:
    return Event(at(hours), "seller", "message", SHOP, BUYER, text, Source("chat.txt", "0" * 64, "wangwang-a", line=1))


def buyer(hours: float, text: str = "在的") -> Event:
    return Event(at(hours), "buyer", "message", BUYER, BUYER, text, Source("chat.txt", "0" * 64, "wangwang-a", line=2))


def call(hours: float, direction: str, seconds: int, kind: str = "call") -> Event:
    role = "seller" if direction == "out" else "buyer"
    return Event(at(hours), role, kind, None, BUYER, "", Source("bill.csv", "0" * 64, "cmcc-bill", row=2),
                 call=Call(direction, seconds, "138****5678", seconds > 0))


def auto(hours: float) -> Event:
    return Event(at(hours), "seller", "auto_reply", SHOP, BUYER, "[自动回复]亲，客服不在哦",
                 Source("chat.txt", "0" * 64, "wangwang-a", line=3))


def system(hours: float) -> Event:
    return Event(at(hours), "system", "system", "系统提示", BUYER, "您好，买家已离线",
                 Source("chat.txt", "0" * 64, "wangwang-a", line=4))


def labels(tags):
    return [(t.label, t.hours) if t.label == "buyer_silence" else t.label for t in tags]


def test_a_first_contact_opens_the_exchange_and_a_quick_reply_does_not():
    out = structural_tags([seller(0), buyer(0.1), seller(0.2)])
    assert [labels(t) for t in out] == [
        ["seller_contact", "seller_initiated"], [], ["seller_contact"]]


@pytest.mark.parametrize("gap,initiated", [
    (0.49, False),  # under 30 minutes after the buyer
    (2.0, False),  # a late answer to the buyer, not an opening
    (11.99, False),
    (12.0, True),  # the buyer's message is 12 hours old: the seller opens anew
    (13.0, True),
])
def test_after_a_buyer_message(gap, initiated):
    out = structural_tags([buyer(0), seller(gap)])
    assert ("seller_initiated" in labels(out[1])) is initiated


@pytest.mark.parametrize("gap,initiated", [(0.4, False), (0.5, True), (3.0, True)])
def test_after_a_seller_message_thirty_minutes_open_a_new_exchange(gap, initiated):
    out = structural_tags([buyer(0), seller(0.1), seller(0.1 + gap)])
    assert ("seller_initiated" in labels(out[2])) is initiated


def test_buyer_silence_has_the_span_to_the_next_buyer_event():
    out = structural_tags([seller(0), seller(1), buyer(30.25)])
    assert labels(out[0]) == ["seller_contact", "seller_initiated", ("buyer_silence", 30.3)]
    assert labels(out[1]) == ["seller_contact", "seller_initiated", ("buyer_silence", 29.3)]


def test_no_answer_counts_to_the_conversations_last_event():
    out = structural_tags([buyer(0), seller(1), seller(26.5), seller(51.5)])
    assert labels(out[1]) == ["seller_contact", ("buyer_silence", 50.5)]
    assert labels(out[2]) == ["seller_contact", "seller_initiated", ("buyer_silence", 25.0)]
    # the last event has nothing after it
    assert labels(out[3]) == ["seller_contact", "seller_initiated"]


def test_silence_needs_a_full_24_hours():
    just_under = structural_tags([seller(0), buyer(23.999)])
    exactly = structural_tags([seller(0), buyer(24)])
    assert labels(just_under[0]) == ["seller_contact", "seller_initiated"]
    assert labels(exactly[0]) == ["seller_contact", "seller_initiated", ("buyer_silence", 24.0)]


def test_hours_round_half_up_from_whole_seconds():
    assert hours_between(at(0), at(0) + timedelta(hours=24, minutes=3)) == 24.1  # 24.05
    assert hours_between(at(0), at(0) + timedelta(hours=24, minutes=2, seconds=59)) == 24.0


def test_an_answered_outgoing_call_ends_the_silence_and_a_missed_one_does_not():
    out = structural_tags([seller(0), call(10, "out", 0), call(30, "out", 75), buyer(60)])
    assert labels(out[0]) == ["seller_contact", "seller_initiated", ("buyer_silence", 30.0)]
    # every outgoing call is a contact, answered or not; the answer came 20 hours on
    assert labels(out[1]) == ["seller_contact", "seller_initiated"]
    assert labels(out[2]) == ["seller_contact", "seller_initiated", ("buyer_silence", 30.0)]


def test_an_incoming_call_is_the_buyers_event():
    out = structural_tags([seller(0), call(40, "in", 0), seller(40.2)])
    assert labels(out[0]) == ["seller_contact", "seller_initiated", ("buyer_silence", 40.0)]
    assert labels(out[1]) == []
    assert labels(out[2]) == ["seller_contact"]  # 12 minutes after the buyer's call


def test_call_notes_count_like_calls():
    note_out = call(5, "out", 0, kind="note")
    note_in = call(7, "in", 120, kind="note")
    out = structural_tags([buyer(0), note_out, note_in, seller(7.1)])
    assert labels(out[1]) == ["seller_contact"]
    assert labels(out[2]) == []
    assert labels(out[3]) == ["seller_contact"]


def test_system_lines_auto_replies_and_orders_take_no_part():
    order = Event(at(0.5), "seller", "order", None, BUYER, "卖家已发货", Source("orders.csv", "0" * 64, "taobao-orders", row=2),
                  order=Order("2765432109876543210", at(0), at(0.5), "75312345678901"))
    out = structural_tags([buyer(0), auto(0.01), system(0.6), order, seller(1)])
    assert [labels(t) for t in out[:4]] == [[], [], [], []]
    # the previous event is still the buyer's message an hour ago
    assert labels(out[4]) == ["seller_contact"]


def test_events_in_any_order_are_taken_in_time_order():
    out = structural_tags([buyer(30), seller(0)])
    assert labels(out[1]) == ["seller_contact", "seller_initiated", ("buyer_silence", 30.0)]
    assert labels(out[0]) == []


def test_tag_events_joins_channels_by_buyer_and_leaves_loose_events_message_level():
    from extractor.nlp import get_tagger

    other = Event(at(0.2), "seller", "message", SHOP, "lucky_cat88", "亲，已经发货了哦",
                  Source("chat2.txt", "0" * 64, "wangwang-a", line=1))
    loose = Event(at(1), "seller", "call", None, None, "", Source("bill.csv", "0" * 64, "cmcc-bill", row=3),
                  call=Call("out", 0, "139****1111", False))
    events = get_tagger().tag_events([seller(0), other, call(2, "out", 60), buyer(50), loose])
    assert labels(events[0].tags) == ["seller_contact", "seller_initiated"]  # answered 2 hours on
    assert labels(events[1].tags) == ["seller_contact", "seller_initiated", "shipped"]
    assert labels(events[2].tags) == ["seller_contact", "seller_initiated", ("buyer_silence", 48.0)]
    assert events[4].tags == ()
