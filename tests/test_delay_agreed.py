"""delay_agreed (docs/tags.md, the project's extension): the buyer accepting a later ship
date the seller named, decided with the conversation; the findings and the upload pack's
申诉说明 lead with it when a delay claim follows."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from extractor.cases import build_run
from extractor.labels import registry
from extractor.model import Event, Source, tag_to_dict
from extractor.nlp import get_tagger
from extractor.pack.appeal import appeal_texts, case_facts
from extractor.pack.profiles import TextField
from extractor.timeline import parse_paths

BJ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2025, 6, 2, 10, 0, tzinfo=BJ)  # 2025-06-02 is a Monday
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tagger():
    return get_tagger()


def _conversation(tagger, lines: list[tuple[str, str]]) -> list[Event]:
    """Tag ("seller" | "buyer", text) lines said a minute apart from Monday 10:00."""
    events = [Event(time=MONDAY + timedelta(minutes=n), role=role, kind="message",
                    sender="织语针织女装店:小织" if role == "seller" else "tb_lanlan0612", buyer="tb_lanlan0612",
                    text=text, source=Source("chat.txt", "0" * 64, "wangwang-a", line=n + 1))
              for n, (role, text) in enumerate(lines)]
    return tagger.tag_events(events)


def _agreed(event: Event):
    return [t for t in event.tags if t.label == "delay_agreed"]


FRIDAY_END = "2025-06-06T23:59:59+08:00"


@pytest.mark.parametrize("offer, answer, deadline", [
    ("亲，今天发不了，周五给您发可以吗", "好的不急", FRIDAY_END),
    ("这款要等三天哦", "行那就等吧", "2025-06-05T10:00:00+08:00"),  # 等三天: plus 3 × 24 hours
    ("预售7天发货的亲", "没事慢慢来", "2025-06-09T10:00:00+08:00"),
    ("现在缺货，需要等几天", "那你们周五发吧", "2025-06-06T23:59:59+08:00"),  # the buyer's own day
    ("今天发不了", "行那就下周一发", "2025-06-09T23:59:59+08:00"),
    ("亲，这批要等天晴了才能采摘", "可以等，请问是500克的吗", None),  # no day named: still agreed
    ("仓库盘点，發不出去，16號給您發貨可以嗎", "可以，不急", "2025-06-16T23:59:59+08:00"),  # Traditional
    ("亲，今天仓库已经下班了，今天发不了哦", "好吧 那我拍了", None),  # a day it cannot ship on is none
])
def test_an_acceptance_after_a_delay_offer_is_tagged_with_the_agreed_day(tagger, offer, answer, deadline):
    events = _conversation(tagger, [("seller", offer), ("buyer", answer)])
    (tag,) = _agreed(events[1])
    assert (tag.deadline.isoformat() if tag.deadline else None) == deadline
    assert tag.evidence[-1] == offer  # the seller's offer as written: the event a report cites
    assert not _agreed(events[0])


@pytest.mark.parametrize("lines", [
    [("seller", "亲，今天发不了，周五给您发可以吗"), ("buyer", "不行，我急用")],  # refused
    [("seller", "这款断货了，新货要下周三到，您能等一下吗"), ("buyer", "不能等，宝宝等着喝呢")],
    [("seller", "亲，今天发不了，周五给您发可以吗"), ("buyer", "能不能快点？")],  # a question
    [("seller", "要等三天哦"), ("buyer", "可以等吗？要等多久")],
    [("seller", "要等三天哦"), ("buyer", "如果周五能发的话就可以")],  # a hypothetical
    [("seller", "要等三天哦"), ("buyer", "好吧，能不能早点发？")],  # still bargaining
    [("seller", "您要M码还是L码？"), ("buyer", "好的")],  # agreement to something else
    [("seller", "亲稍等，我查一下"), ("buyer", "好的")],  # a pause to check is no delay
    [("seller", "亲，今天下午就给您发"), ("buyer", "好的")],  # a plain promise delays nothing
    [("seller", "原味缺货了，要不要换成绿茶味的，马上可以发"), ("buyer", "换吧 绿茶也行")],  # a substitute
    [("seller", "紫色要等三天，白色的有货哦"), ("buyer", "行 换白色吧")],
    [("seller", "亲，已经发出了，中通75120398861203"), ("seller", "请耐心等待哦"), ("buyer", "好的")],  # transit
    [("buyer", "我地址要改，你们先别发可以吗"), ("seller", "好的亲，先不发")],  # the seller's own 好的
])
def test_near_misses_are_not_agreements(tagger, lines):
    assert not any(_agreed(e) for e in _conversation(tagger, lines))


def test_an_offer_running_over_turns_keeps_its_day_and_an_answer_closes_it(tagger):
    events = _conversation(tagger, [
        ("seller", "亲，这款要排单，大概要等五天哦"),
        ("buyer", "可以早点吗？"),  # no answer yet
        ("seller", "排单顺序没办法提前的"),
        ("buyer", "那好吧，我等着"),
        ("seller", "请问要加手提袋吗？"),
        ("buyer", "好的"),  # to the bag, after the offer was answered
    ])
    assert [len(_agreed(e)) for e in events] == [0, 0, 0, 1, 0, 0]
    assert _agreed(events[3])[0].deadline == MONDAY + timedelta(days=5)


def test_a_later_day_than_the_buyer_asked_for_is_an_offer(tagger):
    events = _conversation(tagger, [("buyer", "今天能发货吗"), ("seller", "亲，今天的已经打包完了，明天给您发哦"),
                                    ("buyer", "好的，明天也行")])
    (tag,) = _agreed(events[2])
    assert tag.deadline.isoformat() == "2025-06-03T23:59:59+08:00"


def test_a_message_alone_is_never_an_agreement(tagger):
    assert not [t for t in tagger.tag_text("好的不急", "buyer", MONDAY) if t.label == "delay_agreed"]


def test_the_registry_docs_and_json_carry_the_label():
    label = registry()["delay_agreed"]
    assert (label.by, label.zh, label.attributes, label.claim) == ("buyer", "买家同意延期发货", ("deadline",), False)
    tags_md = (ROOT / "docs" / "tags.md").read_text("utf-8")
    section = tags_md[tags_md.index("## Project extension: the agreed delay"):tags_md.index("## How the tagger applies it")]
    assert "| `delay_agreed` | buyer message |" in section and "`deadline`" in section
    from extractor.model import Tag

    out = tag_to_dict(Tag("delay_agreed", ("好的",), deadline=MONDAY))
    assert out["label"] == "delay_agreed" and out["deadline"] == MONDAY.isoformat()


# -- the findings and the upload pack -------------------------------------------------------

ORDER = "3021456789012340606"
CHAT = """================================================================
消息记录（此消息记录为文本格式，不支持重新导入）
================================================================
单聊
================================================================
消息对象:tb_lanlan0612
================================================================
tb_lanlan0612(2025-06-02 10:05:12): 你好，这件开衫什么时候发货呀
织语针织女装店:小织(2025-06-02 10:06:30): 亲，米色今天发不了哦，仓库周五才到货，周五给您发可以吗
tb_lanlan0612(2025-06-02 10:08:02): 好的不急
织语针织女装店:小织(2025-06-02 10:08:40): 谢谢亲的理解~
tb_lanlan0612(2025-06-08 09:12:45): 你们这是延迟发货，付款都快一周了才发
"""
ORDERS = ("订单编号,买家会员名,买家实际支付金额,订单状态,收货人姓名,联系手机,订单付款时间 ,发货时间,物流公司,物流单号\n"
          f'="{ORDER}",tb_lanlan0612,129.00,交易成功,兰**,13812340606,2025-06-02 09:58:00,{{shipped}},圆通速递,YT7512036648201\n')


def _case(tmp_path: Path, shipped: str):
    (tmp_path / "chat.txt").write_text(CHAT.replace("\n", "\r\n"), encoding="utf-8")
    (tmp_path / "orders.csv").write_text(ORDERS.format(shipped=shipped), encoding="utf-8-sig")
    parsed = parse_paths([tmp_path / "chat.txt", tmp_path / "orders.csv"])
    events = get_tagger().tag_events(parsed.events)
    (case,) = build_run(events, parsed.files).cases
    return case


@pytest.mark.parametrize("shipped, verdict", [
    ("2025-06-06 16:20:00", "未晚于买家同意的发货时间（6月6日23:59）"),
    ("2025-06-07 11:00:00", "晚于买家同意的发货时间（6月6日23:59）11小时"),
])
def test_the_summary_leads_with_the_agreement_when_a_delay_claim_follows(tmp_path, every_claim_stated,
                                                                         shipped, verdict):
    case = _case(tmp_path, shipped)
    (agreement,) = case.agreements
    first = case.summary[0]
    assert first.text.startswith("买家于6月2日10:08同意延期发货（“好的不急”），同意的发货时间为6月6日23:59；")
    assert verdict in first.text
    by_id = {ce.id: ce.event for ce in case.events}
    # every fact from a cited event: the agreement, the seller's offer with the day, the shipment
    assert by_id[agreement.event_id].text == "好的不急"
    assert by_id[agreement.offer_id].text.startswith("亲，米色今天发不了哦")
    assert by_id[agreement.shipment.event_id].kind == "order"
    assert set(first.event_ids) == {agreement.event_id, agreement.offer_id, agreement.shipment.event_id}
    # the shipment against both deadlines: 72 hours after payment, and the agreed day
    shipment = next(s for s in case.summary if s.text.startswith(f"订单{ORDER}于6月") and "发货（" in s.text)
    assert "晚于发货时限" in shipment.text and verdict in shipment.text
    assert agreement.event_id in shipment.event_ids


def test_without_a_delay_claim_the_summary_starts_as_before(tmp_path, every_claim_stated):
    global CHAT
    saved = CHAT
    CHAT = saved.replace("tb_lanlan0612(2025-06-08 09:12:45): 你们这是延迟发货，付款都快一周了才发\n", "")
    try:
        case = _case(tmp_path, "2025-06-06 16:20:00")
    finally:
        CHAT = saved
    assert case.agreements and case.summary[0].text.startswith(f"订单{ORDER}于6月2日09:58付款")


@pytest.mark.parametrize("limit", [200, 500])
def test_the_appeal_text_leads_with_the_agreement_within_its_limit(tmp_path, every_claim_stated, limit):
    case = _case(tmp_path, "2025-06-06 16:20:00")
    field = TextField("f", "申诉说明", 2, limit, "chars")
    (text,) = appeal_texts(case, [field], lambda s: s)
    assert field.length(text.text) <= limit
    body = text.text.split("：", 1)[1]
    assert body.startswith("买家6月2日10:08同意延期发货（“好的不急”），约定6月6日23:59前发货，6月6日16:20已发货，未超约定时间。")
    assert text.facts[0].event_ids[0] == case.agreements[0].event_id
    assert "主张延迟发货" in text.text  # the claim it answers is still stated
    facts = {f.text for f in case_facts(case)}
    assert all(clause in facts for clause in body.rstrip("。").split("。"))


@pytest.mark.parametrize("shipped, seller_late", [
    ("2025-06-06 16:20:00", False),  # late by the 72 hours, within the day the buyer agreed to
    ("2025-06-07 11:00:00", True),   # after the agreed day too
])
def test_the_risk_flag_counts_the_agreed_day(tmp_path, every_claim_stated, shipped, seller_late):
    case = _case(tmp_path, shipped)
    assert ("卖家发货超时" in case.risk) is seller_late
    if not seller_late:
        assert case.risk.startswith("需关注：") and "同意延期后主张延迟发货" in case.risk
    from extractor.render.view import REGISTER_COLUMNS, register_rows

    (row,) = register_rows(case, mask=True)
    assert ("卖家发货超时" in row[list(REGISTER_COLUMNS).index("风险提示")]) is seller_late


@pytest.mark.parametrize("shipped, kept", [("2025-06-06 16:20:00", True), ("2025-06-07 11:00:00", False)])
def test_the_summary_image_states_the_agreement(tmp_path, every_claim_stated, shipped, kept):
    from extractor.pack import summary_view
    from extractor.render.view import case_view

    case = _case(tmp_path, shipped)
    (order,) = summary_view(case, case_view(case, True))["orders"]
    assert order["agreed"] == {"id": case.agreements[0].event_id, "time": "2025-06-02 10:08:02",
                               "until": "2025-06-06 23:59:59", "kept": kept}
    assert order["on_time"] is False  # late by the 72 hours either way: the image says both
