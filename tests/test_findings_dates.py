"""A shipment is dated by what the seller's words say, not by when they were sent.

「您的包裹6月25日下午已经发出了」 sent 6/27 21:16 says the parcel left on the 25th in the
afternoon; a message that says it has shipped without saying when says only that it had
shipped by then.  The tag carries the window (shipped_at .. shipped_at_latest, precision)
and every finding uses it: a promise is kept only when the window ends by its deadline,
late only when the window begins after it; in between the record cannot tell, and no
risk line calls it late.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from extractor.cases import build_case
from extractor.model import Event, Order, Source, Tag
from extractor.nlp import get_tagger
from extractor.stages import RunConfig, held_case_events, join_aside, make_case, read_files

BJ = ZoneInfo("Asia/Shanghai")
SHOP = "鲜果时光旗舰店"
STAFF = f"{SHOP}:小周"
BUYER = "jojo_mama2018"
SENT = datetime(2022, 6, 27, 21, 16, 0, tzinfo=BJ)  # a Monday


def at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 6) -> datetime:
    return datetime(2022, month, day, hour, minute, second, tzinfo=BJ)


@pytest.fixture(scope="module")
def tagger():
    return get_tagger()


# -- the tag: the words date the shipment, counted back from the message -----------------

DATED = [
    ("您的包裹6月25日下午已经发出了", at(25, 12), at(25, 18), "part_of_day"),
    ("亲，昨天已经给您发出了", at(26, 0), at(26, 23, 59, 59), "day"),
    ("前天就已经发货了哦", at(25, 0), at(25, 23, 59, 59), "day"),
    ("今天上午已经给您发货了", at(27, 0), at(27, 12), "part_of_day"),
    ("25号已经给您寄出了", at(25, 0), at(25, 23, 59, 59), "day"),
    ("昨天下午3点已经发出了", at(26, 15), at(26, 15), "exact"),
    ("昨晚已经给您发出了", at(26, 18), at(26, 23, 59, 59), "part_of_day"),
    ("周五已经发出了", at(24, 0), at(24, 23, 59, 59), "day"),  # the Friday gone by
    ("今天已经发货了", at(27, 0), SENT, "day"),  # never later than the message itself
]


@pytest.mark.parametrize("text,start,end,precision", DATED)
def test_a_shipment_is_dated_by_its_words(tagger, text, start, end, precision):
    (tag,) = [t for t in tagger.tag_text(text, "seller", SENT) if t.label == "shipped"]
    assert (tag.shipped_at, tag.shipped_at_latest, tag.precision) == (start, end, precision)


@pytest.mark.parametrize("text", [
    "亲，您的包裹已经发出了",
    "已发货，单号SF1234567890123",
    "已经在路上了哦",
])
def test_a_shipment_with_no_time_is_not_later_than_the_message(tagger, text):
    (tag,) = [t for t in tagger.tag_text(text, "seller", SENT) if t.label == "shipped"]
    assert (tag.shipped_at, tag.shipped_at_latest, tag.precision) == (None, SENT, "not_stated")


def test_25th_said_early_in_the_month_is_last_months(tagger):
    (tag,) = [t for t in tagger.tag_text("25号已经给您寄出了", "seller", at(3, 10, month=7))
              if t.label == "shipped"]
    assert tag.shipped_at == at(25, 0)


@pytest.mark.parametrize("text,deadline", [
    ("6月28日下午给您发货", at(28, 18)),  # the date is the day of the part, not the message's
    ("28号上午给您发出", at(28, 12)),
    ("周五的晚上8点前发货", at(1, 20, month=7)),
])
def test_a_promise_with_a_date_and_a_part_of_day_ends_on_that_date(tagger, text, deadline):
    (tag,) = tagger.tag_text(text, "seller", SENT)
    assert tag.label == "shipping_promise" and tag.deadline == deadline


def test_past_day_words_name_no_promise_deadline(tagger):
    (tag,) = tagger.tag_text("明天下午给您发货", "seller", SENT)
    assert tag.label == "shipping_promise" and tag.deadline == at(28, 18)
    assert tag.shipped_at is tag.shipped_at_latest is tag.precision is None


# -- the findings, from a chat alone ------------------------------------------------------

def _chat(path: Path, lines: list[tuple[str, datetime, str]]) -> Path:
    body = [f"消息对象:{BUYER}"] + [f"{who}({when:%Y-%m-%d %H:%M:%S}): {text}" for who, when, text in lines]
    path.write_text("\r\n".join(body) + "\r\n", encoding="utf-8")
    return path


def _case(tmp_path: Path, lines):
    config = RunConfig(backoff=None)
    reads = read_files([_chat(tmp_path / "chat.txt", lines)], config)
    assembly = join_aside(reads)
    (key,) = assembly.keys
    events = held_case_events(reads, assembly, key)
    return make_case(key, events, assembly.reports, config)


PROMISE = (STAFF, at(25, 9, 30), "亲，明天上午给您发货哦")  # deadline 6/26 12:00
ASKED = (BUYER, at(27, 21, 10), "我的快递到底发了没有")


@pytest.mark.parametrize("said,status,sentence", [
    ("您的包裹6月25日下午已经发出了", "kept",
     "卖家于6月25日09:30承诺在6月26日12:00前发货，实际于6月25日12:00至18:00发货，早于承诺时间。"),
    ("亲，您的包裹已经发出了", "undetermined",
     "卖家于6月25日09:30承诺在6月26日12:00前发货，已发货（卖家于6月27日21:16告知，未说明发货时间），"
     "记录不足以判断是否按承诺时间发货。"),
    ("昨天已经给您发出了", "undetermined",  # 6/26 00:00-23:59:59 straddles 12:00
     "卖家于6月25日09:30承诺在6月26日12:00前发货，实际于6月26日发货，记录不足以判断是否按承诺时间发货。"),
    ("亲，今天上午已经给您发货了", "late",  # 6/27 00:00-12:00: after 6/26 12:00 whatever the hour
     "卖家于6月25日09:30承诺在6月26日12:00前发货，实际于6月27日00:00至12:00发货，晚于承诺时间至少12小时。"),
])
def test_a_promise_is_judged_by_the_shipments_window(tmp_path, said, status, sentence):
    case = _case(tmp_path, [PROMISE, ASKED, (STAFF, SENT, said)])
    (promise,) = case.promises
    assert promise.status == status
    assert sentence in [s.text for s in case.summary]
    if status == "late":
        assert case.risk == "卖家风险：未按承诺时间发货"
    else:
        assert case.risk == "无"
        assert all("晚于" not in s.text for s in case.summary)


def test_the_issues_chat_is_no_longer_a_late_shipment(tmp_path):
    """The reported chat: without the words' date it read 晚于承诺时间1天11小时."""
    case = _case(tmp_path, [PROMISE, ASKED, (STAFF, SENT, "您的包裹6月25日下午已经发出了")])
    text = " ".join(s.text for s in case.summary)
    assert "1天11小时" not in text and "未按承诺时间发货" not in case.risk
    (shipment,) = {p.shipment for p in case.promises}
    assert (shipment.earliest, shipment.time, shipment.precision) == (at(25, 12), at(25, 18), "part_of_day")


# -- the 72-hour deadline -------------------------------------------------------------------

def _event(when, role, kind, text, *, tags=(), order=None, line=1) -> Event:
    return Event(when, role, kind, STAFF if role == "seller" else BUYER, BUYER, text,
                 Source("chat.txt", "0" * 64, "wangwang-a", line=line), order=order, tags=tags)


def _order_case(shipped: Tag, said: datetime):
    paid = at(22, 10)  # deadline 6/25 10:00
    order = Order("3021456789012345678", paid, None)
    events = [
        _event(paid, "system", "order", "订单付款", order=order, line=1),
        _event(said, "seller", "message", "包裹已经发出", tags=(Tag("seller_contact"), shipped), line=2),
    ]
    return build_case(BUYER, events, [])


@pytest.mark.parametrize("shipped,on_time,words,risk", [
    # said 6/27 with no time: not later than 6/27, the deadline 6/25 10:00 cannot tell
    (Tag("shipped", shipped_at_latest=SENT, precision="not_stated"), None,
     "，记录不足以判断是否在发货时限前发货。", "无"),
    # dated 6/24 afternoon: before the deadline whatever the hour
    (Tag("shipped", shipped_at=at(24, 12), shipped_at_latest=at(24, 18), precision="part_of_day"), True,
     "于6月24日12:00至18:00发货，早于发货时限至少16小时。", "无"),
    # dated 6/26: after the deadline whatever the hour
    (Tag("shipped", shipped_at=at(26, 0), shipped_at_latest=at(26, 23, 59, 59), precision="day"), False,
     "于6月26日发货，晚于发货时限至少14小时。", "卖家风险：卖家发货超时"),
])
def test_the_shipping_deadline_uses_the_window(shipped, on_time, words, risk):
    case = _order_case(shipped, SENT)
    (order,) = case.orders
    assert order.shipped_on_time is on_time
    assert any(s.text.startswith("订单3021456789012345678") and s.text.endswith(words) for s in case.summary)
    assert case.risk == risk


# -- what the report shows ---------------------------------------------------------------------

@pytest.mark.parametrize("said,shipped,badge,status", [
    ("您的包裹6月25日下午已经发出了", "2022-06-25 12:00 至 18:00", "发货于2022-06-25 12:00至18:00", "按时发货"),
    ("亲，您的包裹已经发出了", "不晚于 2022-06-27 21:16:00", None, "无法判断"),
])
def test_the_report_shows_the_shipment_as_its_words_date_it(tmp_path, said, shipped, badge, status):
    from bs4 import BeautifulSoup

    from extractor.render import Renderer

    case = _case(tmp_path, [PROMISE, ASKED, (STAFF, SENT, said)])
    doc = BeautifulSoup(Renderer().render("html", case, "x"), "lxml")
    row = doc.select_one('td[data-label="实际发货"]').parent
    assert row.select_one('td[data-label="实际发货"]').get_text() == shipped
    assert row.select_one('td[data-label="结论"]').get_text() == status
    badges = [b.get_text(" ", strip=True) for b in doc.select(f"#{case.promises[0].shipment.event_id} .badge")]
    assert any(badge in b for b in badges) if badge else not any("发货于" in b for b in badges)
