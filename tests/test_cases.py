"""Findings per case, on the demo story (tests/report_fixtures.py) and on small
hand-made timelines for each rule."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractor.cases import (PHONE, WANGWANG, build_case, build_cases, build_run, zh_span)
from extractor.model import Call, Event, Order, Source, Tag
from report_fixtures import (AJIE, LIN, LIN_ORDER, LU, LU_ORDER, SHOP, XIAOYA, contact, single_chat,
                             story, t)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    events, files = story(tmp_path_factory.mktemp("story"))
    return build_run(events, files)


@pytest.fixture(scope="module")
def lin(run):
    return next(c for c in run.cases if c.buyer == LIN)


@pytest.fixture(scope="module")
def lu(run):
    return next(c for c in run.cases if c.buyer == LU)


def test_one_case_per_buyer_and_unassigned_calls_stay_out(run):
    assert [c.buyer for c in run.cases] == sorted([LIN, LU])
    assert len(run.unassigned) == 1
    assert run.unassigned[0].call.number == "13700009999"
    assert all(ce.event.buyer == c.buyer for c in run.cases for ce in c.events)


def test_event_ids_follow_time_order(lin):
    assert [ce.id for ce in lin.events] == [f"E{i}" for i in range(1, len(lin.events) + 1)]
    times = [ce.event.time for ce in lin.events]
    assert times == sorted(times)


def test_deadline_is_payment_plus_ship_within(lin):
    (order,) = lin.orders
    assert order.order_id == LIN_ORDER
    assert order.paid == t("2025-06-24 09:58:45")
    assert order.deadline == t("2025-06-27 09:58:45")
    assert order.shipment.time == t("2025-06-25 16:40:12")
    assert order.shipment.via == "order"
    assert (order.shipment.carrier, order.shipment.tracking) == ("中通快递", "75312345678901")
    assert order.shipped_on_time is True


def test_ship_within_option_moves_the_deadline(tmp_path):
    events, files = story(tmp_path)
    (case,) = [c for c in build_cases(events, files, ship_within_hours=24) if c.buyer == LIN]
    assert case.orders[0].deadline == t("2025-06-25 09:58:45")
    assert case.orders[0].shipped_on_time is False
    assert case.risk.startswith("卖家风险：卖家发货超时")


def test_contact_windows_per_channel(lin):
    order = lin.orders[0]
    before, after = order.before_deadline, order.after_deadline
    # 10:02, 10:03, 06-25 09:30, 16:45 on Wangwang; 10:20 and 06-25 09:35 by phone.
    assert (before.count(WANGWANG), before.count(PHONE)) == (4, 2)
    assert before.initiated == 3
    assert before.answered == 0
    # After the deadline: 21:20 tracking message, 21:30 call note, 07-02 after-sales message.
    assert (after.count(WANGWANG), after.count(PHONE)) == (2, 1)
    assert lin.other_contacts.attempts == ()


def test_call_and_its_staff_note_are_one_attempt(lu):
    window = lu.orders[0].before_deadline
    phone = [a for a in window.attempts if a.channel == PHONE]
    assert len(phone) == 1
    call_id, note_id = phone[0].event_ids
    assert lu.event(call_id).kind == "call" and lu.event(note_id).kind == "note"
    assert phone[0].answered_by == call_id  # picked up: the call itself answers it


def test_answered_means_a_buyer_event_within_24_hours(lu):
    by_time = {a.time.strftime("%m-%d %H:%M"): a for a in lu.orders[0].before_deadline.attempts}
    assert by_time["06-26 14:26"].answered  # 好的谢谢 40 s later
    assert lu.event(by_time["06-26 14:26"].answered_by).text == "好的谢谢"
    assert not by_time["06-27 11:06"].answered  # nothing after the shipping notice


def test_longest_silence(lin):
    s = lin.silence
    assert s.hours == 108.9
    assert lin.event(s.from_id).text.startswith("亲，您的包裹6月25日已经发出了")
    assert lin.event(s.until_id).text == "用了两天脸上过敏了，红肿发痒"


def test_promises_kept(lin, lu):
    assert [(p.deadline, p.status) for p in lin.promises] == [
        (t("2025-06-26 10:03:05"), "kept"), (t("2025-06-25 18:00:00"), "kept")]
    assert lu.promises[0].status == "kept"
    assert lu.promises[0].shipment.time == t("2025-06-27 11:05:40")


def test_claims_relative_to_payment_deadline_and_shipment(lin):
    first = lin.claims[0]
    assert (first.label, first.reason) == ("delay_claim", "out_of_stock")
    assert first.since_payment == t("2025-06-27 21:14:03") - t("2025-06-24 09:58:45")
    assert first.since_deadline > timedelta(0)
    assert first.since_shipment == t("2025-06-27 21:14:03") - t("2025-06-25 16:40:12")
    labels = [(c.label, c.reason) for c in lin.claims]
    assert labels.count(("return_claim", "allergy")) == 2
    assert ("compensation_demand", None) in labels and ("threat", None) in labels


def test_every_summary_sentence_cites_events_of_the_case(run):
    for case in run.cases:
        ids = {ce.id for ce in case.events}
        assert case.summary
        for sentence in case.summary:
            assert sentence.event_ids, sentence.text
            assert set(sentence.event_ids) <= ids, sentence.text
            assert sentence.text.endswith("。")


def test_summary_of_the_malicious_buyer(lin):
    text = [s.text for s in lin.summary]
    assert text[0] == "订单3021456789012345678于6月24日09:58付款，按付款后72小时计，发货时限为6月27日09:58。"
    assert text[1] == ("付款后至发货时限前，卖家通过旺旺联系买家4次、电话联系买家2次（其中3次为卖家主动发起），"
                       "买家均未回复。")
    assert "卖家于6月24日10:03承诺在6月26日10:03前发货，实际于6月25日16:40发货，早于承诺时间。" in text
    assert "订单3021456789012345678于6月25日16:40发货（中通快递 75312345678901），早于发货时限1天17小时。" in text
    assert ("买家于6月27日21:14（付款后3天11小时，超过发货时限11小时，发货后2天4小时）"
            "主张延迟发货、以投诉/差评相威胁、要求赔偿。") in text
    assert any(s.endswith("以无效果、过敏为由要求退货退款、以投诉/差评相威胁。") for s in text)


def test_sentence_ids_point_at_what_the_sentence_says(lin):
    contacts = lin.summary[1]
    cited = [lin.event(i) for i in contacts.event_ids]
    assert all(any(tag.label == "seller_contact" for tag in e.tags) for e in cited)
    promise = next(s for s in lin.summary if "承诺在6月26日10:03" in s.text)
    assert lin.event(promise.event_ids[0]).text == "我们会在48小时内给您发货的哦"
    assert lin.event(promise.event_ids[1]).kind == "order"


def test_no_sentence_for_what_the_events_do_not_show(tmp_path):
    """A chat with no order export: no payment, deadline or shipment sentence, and no
    silence sentence when the buyer answered."""
    events, files = single_chat(tmp_path, "tb_quiet", [
        ("tb_quiet", "2025-06-24 10:00:00", "在吗"),
        (XIAOYA, "2025-06-24 10:01:00", "亲，在的"),
        ("tb_quiet", "2025-06-24 10:02:00", "好的"),
    ])
    case = build_case("tb_quiet", events, files)
    assert case.orders == ()
    assert [s.text for s in case.summary] == ["卖家通过旺旺联系买家1次，买家有回复或接听。"]
    assert not re.search("付款|发货|沉默|未回应", "".join(s.text for s in case.summary))
    assert case.risk == "无"


def _order_event(order_id, paid, shipped=None, buyer="tb_two"):
    return Event(paid, "system", "order", None, buyer, "", Source("orders.csv", "0" * 64, "taobao-orders", row=2),
                 order=Order(order_id, paid, shipped))


def _msg(when, role, text, tags=(), buyer="tb_two", line=1):
    sender = XIAOYA if role == "seller" else buyer
    return Event(t(when), role, "message", sender, buyer, text, Source("chat.txt", "1" * 64, "wangwang-a", line=line),
                 tags=tuple(tags))


def test_attempts_belong_to_the_latest_order_paid_before_them():
    events = [
        _order_event("3021000000000000001", t("2025-06-01 10:00:00"), t("2025-06-02 10:00:00")),
        _order_event("3021000000000000002", t("2025-06-10 10:00:00"), t("2025-06-11 10:00:00")),
        _msg("2025-06-01 11:00:00", "seller", "亲，地址确认一下", contact(Tag("seller_initiated")), line=1),
        _msg("2025-06-05 11:00:00", "seller", "亲，收到了吗", contact(Tag("seller_initiated")), line=2),
        _msg("2025-06-10 11:00:00", "seller", "亲，第二单地址确认一下", contact(Tag("seller_initiated")), line=3),
    ]
    case = build_case("tb_two", events, [])
    first, second = case.orders
    assert [len(first.before_deadline.attempts), len(first.after_deadline.attempts)] == [1, 1]
    assert [len(second.before_deadline.attempts), len(second.after_deadline.attempts)] == [1, 0]


def test_shipment_from_a_shipped_message_when_the_export_has_no_shipping_time():
    events = [
        _order_event("3021000000000000003", t("2025-06-01 10:00:00")),
        _msg("2025-06-01 15:00:00", "seller", "已发货，单号YT1234567890",
             contact(Tag("shipped", ("已发货",), tracking="YT1234567890")), line=1),
    ]
    case = build_case("tb_two", events, [])
    ship = case.orders[0].shipment
    assert (ship.via, ship.tracking, ship.time) == ("message", "YT1234567890", t("2025-06-01 15:00:00"))
    assert case.event(ship.event_id).kind == "message"


@pytest.mark.parametrize("shipped, deadline, status", [
    ("2025-06-02 11:00:00", "2025-06-02 12:00:00", "kept"),
    ("2025-06-02 13:00:00", "2025-06-02 12:00:00", "late"),
    ("2025-06-02 13:00:00", None, "no_deadline"),
    (None, "2025-06-02 12:00:00", "no_shipment"),
])
def test_promise_status(shipped, deadline, status):
    events = [
        _order_event("3021000000000000004", t("2025-06-01 10:00:00"), t(shipped) if shipped else None),
        _msg("2025-06-01 10:05:00", "seller", "明天中午前给您发出", contact(Tag(
            "shipping_promise", ("明天",), deadline=t(deadline) if deadline else None)), line=1),
    ]
    case = build_case("tb_two", events, [])
    (promise,) = case.promises
    assert promise.status == status
    sentence = next(s for s in case.summary if "承诺" in s.text)
    assert sentence.event_ids[0] == promise.event_id
    expected = {"kept": "早于承诺时间", "late": "晚于承诺时间1小时", "no_deadline": "未说明具体时间",
                "no_shipment": "记录中未见此后的发货"}[status]
    assert expected in sentence.text
    if status == "late":
        assert "未按承诺时间发货" in case.risk


@pytest.mark.parametrize("scenario, expected", [
    ("silent_then_delay_claim", "疑似恶意：付款后失联，超时后主张延迟发货"),
    ("delay_claim_and_compensation", "疑似恶意：超时后主张延迟发货，索要赔偿"),
    ("delay_claim_only", "需关注：超时后主张延迟发货"),
    ("threat_only", "需关注：以投诉/差评相威胁"),
    ("shipped_late", "卖家风险：卖家发货超时"),  # the delay claim is then well founded
    ("quiet", "无"),
])
def test_risk_flag_rules(scenario, expected):
    paid = "2025-06-01 10:00:00"
    shipped = "2025-06-05 10:00:00" if scenario == "shipped_late" else "2025-06-02 10:00:00"
    events = [_order_event("3021000000000000005", t(paid), t(shipped))]
    if scenario == "silent_then_delay_claim":
        events += [_msg("2025-06-01 10:05:00", "seller", "亲，确认一下地址", contact(Tag("seller_initiated")), line=1),
                   _msg("2025-06-01 10:30:00", "seller", "亲，在吗？", contact(), line=2)]
    if scenario in ("silent_then_delay_claim", "delay_claim_and_compensation", "delay_claim_only", "shipped_late"):
        events.append(_msg("2025-06-06 09:00:00", "buyer", "超时不发货，延迟发货",
                           [Tag("delay_claim", ("延迟发货",), reason="late_shipment")], line=3))
    if scenario == "delay_claim_and_compensation":
        events.append(_msg("2025-06-06 09:01:00", "buyer", "赔钱", [Tag("compensation_demand", ("赔钱",))], line=4))
    if scenario == "threat_only":
        events.append(_msg("2025-06-03 09:01:00", "buyer", "不退就差评", [Tag("threat", ("差评",))], line=4))
    case = build_case("tb_two", events, [])
    assert case.risk == expected


def test_risk_flag_of_the_story(lin, lu):
    assert lin.risk == "疑似恶意：付款后失联，超时后主张延迟发货，索要赔偿，以投诉/差评相威胁"
    assert lu.risk == "无"


@pytest.mark.parametrize("minutes, text", [
    (16, "16分钟"), (60, "1小时"), (90, "1小时30分钟"), (3 * 60 + 59, "3小时"),
    (24 * 60, "1天"), (83 * 60 + 15, "3天11小时"), (-(41 * 60 + 18), "1天17小时"),
])
def test_spans_round_down(minutes, text):
    assert zh_span(timedelta(minutes=minutes)) == text


def test_case_files_are_the_files_its_events_came_from(lin, lu):
    lin_files = {f.file.rsplit("/", 1)[-1] for f in lin.files}
    assert lin_files == {"wangwang-tb_lin8866.txt", "cmcc-bill-202506.csv", "call-notes.txt",
                         "ExportOrderList202507.csv"}
    assert "qianniu-sheet-小鹿爱买买.csv" not in lin_files
    assert {f.file.rsplit("/", 1)[-1] for f in lu.files} >= {"qianniu-sheet-小鹿爱买买.csv"}
    assert lin.shop == SHOP


_kinds = st.sampled_from(["buyer_msg", "seller_msg", "call_out", "call_in", "note", "system", "order", "claim"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_kinds, st.integers(0, 14 * 24 * 60), st.booleans()), min_size=0, max_size=30))
def test_any_timeline_gives_consistent_findings(items):
    """Whatever the mix of events, findings never crash, every attempt is a tagged seller
    contact counted once, and every sentence cites events of the case."""
    base = t("2025-06-01 00:00:00")
    events = []
    for n, (kind, minute, flag) in enumerate(items, 1):
        when = base + timedelta(minutes=minute)
        src = Source("mix.txt", "2" * 64, "wangwang-a", line=n)
        if kind == "order":
            events.append(Event(when, "system", "order", None, "tb_h", "", src,
                                order=Order(f"30210000000000{n:05d}", when, when + timedelta(hours=20) if flag else None)))
        elif kind in ("call_out", "call_in", "note"):
            out = kind != "call_in"
            events.append(Event(when, "seller" if out else "buyer", "call" if kind != "note" else "note", None, "tb_h",
                                "", src, call=Call("out" if out else "in", 30 if flag else 0, "13812345678", flag),
                                tags=contact() if out else ()))
        elif kind == "system":
            events.append(Event(when, "system", "system", "系统提示", "tb_h", "当前用户来自 手机淘宝", src))
        elif kind == "claim":
            events.append(Event(when, "buyer", "message", "tb_h", "tb_h", "没货就赔钱", src,
                                tags=(Tag("delay_claim", ("没货",), reason="out_of_stock"), Tag("compensation_demand", ("赔钱",)))))
        else:
            seller = kind == "seller_msg"
            tags = contact(Tag("shipping_promise", ("明天",), deadline=when + timedelta(days=1))) if seller and flag else (
                contact() if seller else ())
            events.append(Event(when, "seller" if seller else "buyer", "message", XIAOYA if seller else "tb_h", "tb_h",
                                "亲" if seller else "在吗", src, tags=tags))
    case = build_case("tb_h", events, [])
    ids = {ce.id for ce in case.events}
    attempts = [a for o in case.orders for a in (*o.before_deadline.attempts, *o.after_deadline.attempts)]
    attempts += list(case.other_contacts.attempts)
    contacts = sum(1 for e in events if any(tag.label == "seller_contact" for tag in e.tags))
    assert sum(len(a.event_ids) for a in attempts) == contacts
    assert len({i for a in attempts for i in a.event_ids}) == contacts
    for sentence in case.summary:
        assert sentence.event_ids and set(sentence.event_ids) <= ids
    assert case.risk
    if case.silence is not None:
        assert case.silence.hours >= 0


def test_a_second_record_of_an_order_fills_in_what_the_first_lacked():
    paid = t("2025-06-01 10:00:00")
    first = _order_event("3021000000000000009", paid)
    second = replace(first, source=Source("orders2.csv", "3" * 64, "taobao-orders", row=5),
                     order=Order("3021000000000000009", paid, t("2025-06-02 08:00:00"), "SF1", "顺丰速运"))
    case = build_case("tb_two", [first, second], [])
    (order,) = case.orders
    assert order.shipment.time == t("2025-06-02 08:00:00")
    assert order.shipment.carrier == "顺丰速运"


def test_attempt_channels_and_senders_from_the_story(lin):
    assert all(lin.event(a.id).sender in (XIAOYA, AJIE, None, "售后阿明", "悦颜美妆旗舰店:售后阿明")
               for o in lin.orders for a in o.before_deadline.attempts + o.after_deadline.attempts)
    assert LU_ORDER not in {o.order_id for o in lin.orders}
