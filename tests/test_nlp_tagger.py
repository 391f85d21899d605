"""Message-level tags: every label and reason, and the decoys that must stay untagged."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from extractor.model import Call, Event, Order, Source
from extractor.nlp import get_tagger

BJ = ZoneInfo("Asia/Shanghai")
SENT = datetime(2022, 6, 24, 10, 3, 5, tzinfo=BJ)  # a Friday
SHOP = "悦颜美妆旗舰店:小雅"
BUYER = "tb_9527xiaoyu"


@pytest.fixture(scope="module")
def tagger():
    return get_tagger()


def items(tags):
    return {(t.label, t.reason) for t in tags}


BUYER_CASES = [
    # return claims, one reason each
    ("用了一个星期一点效果都没有，我要退货", {("return_claim", "ineffective")}),
    ("这精华根本没用，白买了", {("return_claim", "ineffective")}),
    ("用了你们的精华脸上过敏了，又红又痒", {("return_claim", "allergy")}),
    ("擦完第二天脸上起疹子，还刺痛", {("return_claim", "allergy")}),
    ("皮肤过敏了，申请退款", {("return_claim", "allergy")}),
    ("衣服洗了一次就起球掉色，质量太差了", {("return_claim", "quality")}),
    ("耳机用了两天就坏了", {("return_claim", "quality")}),
    ("充电器插上去充不进电，要求换货", {("return_claim", "quality")}),
    ("收到的时候外包装破损，瓶子都碎了", {("return_claim", "damaged")}),
    ("快递压坏了，盒子都扁了", {("return_claim", "damaged")}),
    ("你们发错了，我买的是黑色", {("return_claim", "wrong_item")}),
    ("这不是我拍的尺码", {("return_claim", "wrong_item")}),
    ("我拍的是M码，收到的是L码", {("return_claim", "wrong_item")}),
    ("少发了一件，只收到一条裤子", {("return_claim", "missing_item")}),
    ("套装里缺配件，没有充电线", {("return_claim", "missing_item")}),
    ("实物与描述不符，色差太大", {("return_claim", "not_as_described")}),
    ("你们卖假货，这根本不是正品", {("return_claim", "not_as_described")}),
    ("和图片完全不一样", {("return_claim", "not_as_described")}),
    ("不想要了，我申请七天无理由退货", {("return_claim", "no_reason")}),
    ("拍错了，能退吗", {("return_claim", "no_reason")}),
    ("鞋子偏小，穿不下", {("return_claim", "no_reason")}),
    ("没效果还过敏，我要退货退款", {("return_claim", "ineffective"), ("return_claim", "allergy")}),
    # delay claims
    ("你们压根没货，拖着不发", {("delay_claim", "out_of_stock"), ("delay_claim", "late_shipment")}),
    ("店里缺货就直说", {("delay_claim", "out_of_stock")}),
    ("说好今天发怎么还没发", {("delay_claim", "late_shipment")}),
    ("都三天了还不发货", {("delay_claim", "late_shipment")}),
    ("你们未按约定时间发货", {("delay_claim", "late_shipment")}),
    ("你们这是虚假发货吧，单号没有物流信息", {("delay_claim", "fake_shipment")}),
    # compensation demands
    ("耽误我用了，你们得赔偿我", {("compensation_demand", None)}),
    ("降价了，退个差价吧", {("compensation_demand", None)}),
    ("能补偿点吗", {("compensation_demand", None)}),
    # threats
    ("再不处理我就给差评", {("threat", None)}),
    ("我要打12315投诉你们", {("threat", None)}),
    ("不给退我就找小二介入", {("threat", None)}),
    ("我要去工商局举报你们", {("threat", None)}),
    # more than one label
    ("超时未发货，赔钱，不然投诉", {("delay_claim", "late_shipment"), ("compensation_demand", None), ("threat", None)}),
]

BUYER_DECOYS = [
    "不是质量问题，就是想换个颜色",
    "没有过敏，就是问问",
    "已经不过敏了，谢谢",
    "过敏倒是没有",
    "如果过敏能退吗",
    "万一用了过敏怎么办",
    "你们支持七天无理由吗",
    "质量问题能退吗？",
    "你们客服说如有过敏请停用",
    "什么时候发货？",
    "是没货了吗？",
    "你们是不是缺货了？",
    "物流太慢了，快递还没到",
    "我要退款",
    "申请退货",
    "我不会给差评的，放心",
    "不需要补偿，换一个就行",
    "我在工商银行上班",
    "我还没用过，先问一下",
    "跟你们说了也没用",
    "好的，谢谢亲",
    "在吗",
]

SELLER_CASES = [
    ("我们会在48小时内给您发货的哦", {("shipping_promise", None)}),
    ("亲，地址没问题的话今天下午就给您发出了", {("shipping_promise", None)}),
    ("今天发不了，明天一早给您发", {("shipping_promise", None)}),
    ("预计今天发货", {("shipping_promise", None)}),
    ("一般72小时内发货", {("shipping_promise", None)}),
    ("到货后尽快给您发", {("shipping_promise", None)}),
    ("好的亲，周五前给您寄出", {("shipping_promise", None)}),
    ("亲，您的包裹已经发出了，中通快递单号75312345678901", {("shipped", None)}),
    ("给您寄出了，注意查收", {("shipped", None)}),
    ("包裹已经在路上了", {("shipped", None)}),
    ("显示在分拣中心，明天应该就到了", {("shipped", None)}),
    # an arrival estimate says the parcel is on its way...
    ("亲，已经帮您催了，预计3号送达", {("shipped", None)}),
    # ...unless the same message still promises to ship it
    ("我们今天下午给您发出，一般2-3天到", {("shipping_promise", None)}),
]

SELLER_DECOYS = [
    "今天发不了",
    "明天给您发可以吗？",
    "亲，什么时候方便发货呢？",
    "发货后会有短信通知",
    "如有过敏请立即停用",
    "亲，已发货的订单无法修改地址哦",
    "麻烦给您发个链接",
    "还没发货呢",
    "我们安排售后专员联系您",
]


@pytest.mark.parametrize("text,expected", BUYER_CASES)
def test_buyer_claims(tagger, text, expected):
    assert items(tagger.tag_text(text, "buyer", SENT)) == expected


@pytest.mark.parametrize("text", BUYER_DECOYS)
def test_buyer_decoys_carry_no_tag(tagger, text):
    assert tagger.tag_text(text, "buyer", SENT) == ()


@pytest.mark.parametrize("text,expected", SELLER_CASES)
def test_seller_promises_and_shipments(tagger, text, expected):
    assert items(tagger.tag_text(text, "seller", SENT)) == expected


@pytest.mark.parametrize("text", SELLER_DECOYS)
def test_seller_decoys_carry_no_tag(tagger, text):
    assert tagger.tag_text(text, "seller", SENT) == ()


@pytest.mark.parametrize("text,role", [
    ("用了脸上过敏了，又红又痒", "seller"),  # the seller's words are never a claim
    ("我要投诉你们，给差评", "seller"),
    ("明天一早给您发出", "buyer"),  # the buyer cannot promise a shipment
    ("已经发出了", "buyer"),
])
def test_roles_decide_who_can_say_what(tagger, text, role):
    assert tagger.tag_text(text, role, SENT) == ()


def test_system_lines_and_auto_replies_are_never_tagged(tagger):
    source = Source("chat.txt", "0" * 64, "wangwang", line=3)
    auto = Event(SENT, "seller", "auto_reply", SHOP, BUYER, "[自动回复]亲，48小时内给您发货哦", source)
    system = Event(SENT, "system", "system", "系统提示", BUYER, "买家投诉了订单", source)
    assert [e.tags for e in tagger.tag_events([auto, system])] == [(), ()]


@pytest.mark.parametrize("text,simplified", [
    ("用了臉上過敏了，又紅又癢", "allergy"),
    ("質量問題，衣服開線了", "quality"),
    ("實物與描述不符", "not_as_described"),
    ("ＡＢＣ精華　過敏了！！", "allergy"),
])
def test_traditional_and_full_width_text_carries_the_same_tags(tagger, text, simplified):
    tags = tagger.tag_text(text, "buyer", SENT)
    assert items(tags) == {("return_claim", simplified)}
    # evidence is cut from the verbatim text, not from the normalized copy
    assert all(word in text for word in tags[0].evidence)


def test_traditional_shipping_promise(tagger):
    (tag,) = tagger.tag_text("明天一早給您發貨", "seller", SENT)
    assert tag.label == "shipping_promise"
    assert tag.deadline == datetime(2022, 6, 25, 10, 0, tzinfo=BJ)
    assert "給您發" in "".join(tag.evidence)


def test_evidence_keeps_the_original_words(tagger):
    text = "用了三天，脸上过敏了，还起疹子"
    (tag,) = tagger.tag_text(text, "buyer", SENT)
    assert tag.evidence == ("过敏了", "起疹子")


def test_tracking_number_is_read_from_the_message(tagger):
    (tag,) = tagger.tag_text("亲，已经给您发出了，顺丰单号SF1234567890123", "seller", SENT)
    assert (tag.label, tag.tracking) == ("shipped", "SF1234567890123")
    (plain,) = tagger.tag_text("已经发货了哦", "seller", SENT)
    assert plain.tracking is None


def test_order_record_with_a_shipping_time_is_shipped(tagger):
    shipped_at = datetime(2022, 6, 25, 16, 40, 12, tzinfo=BJ)
    order = Order("2765432109876543210", SENT, shipped_at, "75312345678901", "中通快递", "13812345678")
    source = Source("ExportOrderList.csv", "0" * 64, "taobao-orders", row=2)
    event = Event(shipped_at, "seller", "order", None, BUYER, "卖家已发货，等待买家确认", source, order=order)
    unshipped = Event(SENT, "seller", "order", None, BUYER, "买家已付款，等待卖家发货", source,
                      order=Order("2765432109876543211", SENT, None))
    paid = Event(SENT, "system", "order", None, BUYER, "订单 2765432109876543210 付款 59.00 元", source, order=order)
    tagged, waiting, payment = tagger.tag_events([event, unshipped, paid])
    assert [(t.label, t.tracking) for t in tagged.tags] == [("shipped", "75312345678901")]
    assert waiting.tags == ()
    assert payment.tags == ()  # the same order's payment record is not the shipment


def test_calls_and_notes_carry_only_structural_tags(tagger):
    source = Source("call-notes.txt", "0" * 64, "call-notes", line=1)
    note = Event(SENT, "seller", "note", "售后阿明", BUYER, "电话联系买家，买家说过敏了要投诉", source,
                 call=Call("out", None, "138****5678", True))
    (tagged,) = tagger.tag_events([note])
    assert [t.label for t in tagged.tags] == ["seller_contact", "seller_initiated"]


def test_tag_events_keeps_order_and_untagged_events_unchanged(tagger):
    source = Source("chat.txt", "0" * 64, "wangwang", line=1)
    first = Event(SENT, "buyer", "message", BUYER, None, "在吗", source)
    second = Event(SENT, "buyer", "message", BUYER, None, "过敏了", source)
    out = tagger.tag_events([first, second])
    assert out[0] is first
    assert [t.label for t in out[1].tags] == ["return_claim"]


def test_numbers_and_links_are_not_words(tagger):
    card = "【宝贝】悦颜玻尿酸精华液30ml\n¥59.00\nhttps://item.taobao.com/item.htm?id=652301234567"
    assert tagger.tag_text(card, "buyer", SENT) == ()
    assert [t.label for t in tagger.tag_text("我要打12345投诉", "buyer", SENT)] == ["threat"]
    assert tagger.tag_text("订单号3123456789，麻烦查一下", "buyer", SENT) == ()


def test_the_longest_tracking_number_wins(tagger):
    (tag,) = tagger.tag_text("已发货，顺丰单号SF1234567890123", "seller", SENT)
    assert tag.tracking == "SF1234567890123"
