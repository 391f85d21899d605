"""The failure classes real customer-service text shows (issue 15), each as a general
mechanism: positive and negative sentences per class, all written for this file.

1. ``shipped`` only for goods on their way: not who fulfils an order, not a code, a
   link or a picture sent, not a cut-off rule, and an arrival estimate only once the
   goods were shipped earlier in the conversation.
2. Mood per clause: a question clause before a claim (…的么而且…) does not veto it.
3. Rhetorical complaints about a delay (怎么还没发货, 还不发货吗) are late_shipment.
4. Policy questions, hypotheticals, relayed speech and trigger words in another sense.
5. A seller's elliptical agreement to the buyer's shipping question, with its time.
6. Defects told by symptom, fit and size, and the buyer's own circumstances.
7. Words of failure about something other than the goods: a remedy that did not help,
   用 as a verb with an object, a connection cut off, money short, a break the buyer caused.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from extractor.model import Event, Source
from extractor.nlp import get_tagger

BJ = ZoneInfo("Asia/Shanghai")
SENT = datetime(2025, 7, 2, 10, 15, 40, tzinfo=BJ)  # a Wednesday
SHOP = "鹭岛百货专营店:小禾"
BUYER = "tb_cloudy_0427"


@pytest.fixture(scope="module")
def tagger():
    return get_tagger(backoff=None)  # the rules alone: these are the rules' decisions


def items(tags):
    return {(t.label, t.reason) for t in tags}


def labels(tags):
    return {t.label for t in tags}


def conversation(tagger, *lines):
    """Tag a conversation of (minutes after SENT, role, text); the tags of each line."""
    source = Source("chat.txt", "0" * 64, "wangwang", line=1)
    events = [Event(SENT + timedelta(minutes=minutes), role, "message", SHOP if role == "seller" else BUYER,
                    BUYER, text, source)
              for minutes, role, text in lines]
    return [e.tags for e in tagger.tag_events(events)]


# -- 1. shipped -------------------------------------------------------------------------

NOT_A_SHIPMENT = [
    "亲 这款是由厂家直接发货的哦",
    "这个是京东仓发货的 您放心",
    "亲 是菜鸟仓配送的",
    "售后申请的链接已经发给您了",
    "验证码刚刚发您手机上了",
    "实拍图片发您了 您看一下",
    "给您发了张10元优惠券 下次用",
    "电子发票已经发您邮箱了",
    "退货地址发给您了",
]


@pytest.mark.parametrize("text", NOT_A_SHIPMENT)
def test_who_fulfils_and_what_else_is_sent_are_not_shipments(tagger, text):
    assert "shipped" not in labels(tagger.tag_text(text, "seller", SENT))


@pytest.mark.parametrize("text", [
    "亲 已经给您发出了 中通75312345678901",
    "仓库已经发货了哦",
    "是昨天下午发出的",
    "给您发了顺丰 单号SF1422334455667",
    "亲，您的订单已经在配送中了",     # on its way, in the platform's words
    "您的包裹已由中通揽收",
    "亲，物流显示在途中",
    "亲 我们是今天发的货",            # sent at a time already past: not a promise
])
def test_shipments_still_count(tagger, text):
    assert "shipped" in labels(tagger.tag_text(text, "seller", SENT))


@pytest.mark.parametrize("text", [
    "明天给您寄出发票",               # the invoice, not the goods
    "稍后给您发优惠券",
    "我私信发给您 您注意看一下",       # a message sent, not a parcel
    "请留意我们为您发的私信",
    "会重新给您补发取货码的",
    "已为您安排工作人员核查了",
    "请您尽快寄回进行处理",           # the buyer's parcel, not the shop's
])
def test_sending_something_else_at_a_time_is_no_promise(tagger, text):
    assert labels(tagger.tag_text(text, "seller", SENT)) == set()


def test_a_size_code_is_not_a_code_sent(tagger):
    tags = tagger.tag_text("亲 裙子收到了 杏色L码今天给您发出", "seller", SENT)
    assert labels(tags) == {"shipping_promise"}
    assert tags[0].deadline == SENT.replace(hour=23, minute=59, second=59)


@pytest.mark.parametrize("text", [
    "亲 下午4点前付款都是当天发货的哦",
    "16点前付款当天发货",
])
def test_a_cut_off_rule_is_a_promise_not_a_shipment(tagger, text):
    tags = tagger.tag_text(text, "seller", SENT)
    assert labels(tags) == {"shipping_promise"}
    assert tags[0].deadline == SENT.replace(hour=23, minute=59, second=59)


@pytest.mark.parametrize("estimate", ["亲 预计后天送达哦", "亲 明天就能到您手上", "估计明天能送到"])
def test_an_arrival_estimate_is_a_shipment_only_after_one(tagger, estimate):
    before = conversation(tagger, (0, "buyer", "发到厦门几天能到"), (1, "seller", estimate))
    assert "shipped" not in labels(before[1])
    after = conversation(tagger, (0, "seller", "已经发出了 韵达4312345678901"),
                         (30, "buyer", "大概什么时候到"), (31, "seller", estimate))
    assert "shipped" in labels(after[2])


# -- 2. mood per clause -----------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("是七天无理由的么而且商品有质量问题的", {("return_claim", "quality")}),
    ("这个支持退货吗但是鞋子开胶了", {("return_claim", "quality")}),
    ("你们发货了吗 另外上次那瓶漏液了", {("return_claim", "quality")}),
    ("能退吗而且用了两天就过敏了", {("return_claim", "allergy")}),
])
def test_a_question_clause_does_not_veto_the_claim_after_it(tagger, text, expected):
    assert items(tagger.tag_text(text, "buyer", SENT)) == expected


@pytest.mark.parametrize("text,reason", [
    ("支持七天无理由吗", "no_reason"),
    ("是七天无理由的么", "no_reason"),
    ("如果过敏能退吗", "allergy"),
    ("不是质量问题但是有点小", "quality"),  # the disclaimer still scopes its own clause
])
def test_the_question_clause_itself_stays_a_question(tagger, text, reason):
    assert ("return_claim", reason) not in items(tagger.tag_text(text, "buyer", SENT))


# -- 3. rhetorical complaints about a delay ---------------------------------------------

@pytest.mark.parametrize("text", [
    "怎么还没发货",
    "为啥到现在还不发",
    "都几天了还不发",
    "还不发货吗",
    "到底什么时候才发",
    "到底还要等到什么时候",
    "到底发不发啊",
    "怎麼還沒發貨 說好22號出的",
])
def test_a_reproach_put_as_a_question_is_late_shipment(tagger, text):
    assert items(tagger.tag_text(text, "buyer", SENT)) == {("delay_claim", "late_shipment")}


@pytest.mark.parametrize("text", [
    "什么时候发货",
    "还没发货吗",
    "今天能发吗",
    "那到底什么时候能发？",  # 到底 alone asks for a time
    "快递到底什么时候到",  # transit, not shipping
    "要是还不发我就退款了",
    "物流怎么还没到",
    "物流在分拨中心待了两天了 一直显示待派送 这要等到啥时候",
])
def test_plain_questions_and_transit_are_not_delay_claims(tagger, text):
    assert "delay_claim" not in labels(tagger.tag_text(text, "buyer", SENT))


@pytest.mark.parametrize("text,reason", [
    ("都九天了还没一点动静", "late_shipment"),           # time gone by, nothing done
    ("到目前没有发货 电话也催过了", "late_shipment"),      # not shipped so far, as a fact
    ("至今未发货", "late_shipment"),
    ("承诺1周内发货 到两周才发货", "late_shipment"),       # a window promised, then missed
    ("说好3天内发 结果食言", "late_shipment"),
    ("三天内发货怎么解释呢", "late_shipment"),
    ("请给出三天内未发货的原因", "late_shipment"),
    ("随意延迟我的发货时间", "late_shipment"),             # the shop put it off
    ("你们已经无缘无故延后一周了", "late_shipment"),
    ("发货期从4-5周又变为7-8周 诚信何在", "late_shipment"),
    ("一直弄不到货", "out_of_stock"),
    ("没有货源还上架", "out_of_stock"),
])
def test_a_delay_told_by_elapsed_time_or_a_missed_window(tagger, text, reason):
    assert items(tagger.tag_text(text, "buyer", SENT)) == {("delay_claim", reason)}


@pytest.mark.parametrize("text", [
    "如果三天内不发货怎么办",
    "三天内发货吗",
    "页面写着15天内发货 还没到15天呢",
    "麻烦帮我推迟几天发货",                              # the buyer asks for the delay
    "我想延后发货 下周再发",
    "你们延迟发货有赔付吗",
    "到现在还没收到货",                                  # transit
    "有没有货源",
])
def test_windows_asked_about_or_postponed_by_the_buyer_are_no_delay_claim(tagger, text):
    assert "delay_claim" not in labels(tagger.tag_text(text, "buyer", SENT))


def test_impatience_alleges_a_breach_only_with_elapsed_time(tagger):
    """到底什么时候能发 is a question, also right after the seller admits a missed
    deadline; with the time that has gone by (都下午了) it is a complaint."""
    tags = conversation(tagger,
                        (0, "seller", "亲 今天上午给您发出"),
                        (60 * 5, "seller", "亲 抱歉 上午没来得及"),
                        (60 * 5 + 1, "buyer", "那到底什么时候能发"),
                        (60 * 5 + 2, "buyer", "到底什么时候发 都下午了"))
    assert "delay_claim" not in labels(tags[2])
    assert items(tags[3]) == {("delay_claim", "late_shipment")}


# -- 4. policy questions, hypotheticals, relayed speech, other senses --------------------

@pytest.mark.parametrize("text", [
    "这款七天无理由吗",
    "拆封了还支持七天无理由退货吗",
    "万一没效果能退吗",
    "如果用了过敏呢",
    "明天能发货吗 我后天出差 发晚了就用不上了",
    "我闺蜜说她用这个烂脸了 真的假的",
    "优惠券无法使用 是怎么回事",
    "你们APP无法使用 一直闪退",
    "这个杯子容量太大了 超满意",
    "湿巾没事 就是盒子扁了 不影响",
    "鞋子很合脚 走两步就知道舒服",
])
def test_questions_cases_quotes_and_other_senses_claim_nothing(tagger, text):
    assert "return_claim" not in labels(tagger.tag_text(text, "buyer", SENT))


@pytest.mark.parametrize("text,expected", [
    ("客服说拆封了就不能退 那我这种过敏了能退吗", {("return_claim", "allergy")}),
    ("按你们说的冷水手洗的 洗了一次就缩了一大截", {("return_claim", "quality")}),
    ("手机一直闪退 开不了机", {("return_claim", "quality")}),
    ("这个杯子太大了 放不进杯架 想退", {("return_claim", "no_reason")}),
])
def test_the_buyer_s_own_voice_still_claims(tagger, text, expected):
    assert items(tagger.tag_text(text, "buyer", SENT)) == expected


# -- 5. elliptical agreement --------------------------------------------------------------

@pytest.mark.parametrize("question,answer,deadline", [
    ("拍了 今天能发吗", "好的呢", SENT.replace(hour=23, minute=59, second=59)),
    ("明天能发货吗 我后天出差", "嗯嗯", (SENT + timedelta(days=1)).replace(hour=23, minute=59, second=59)),
    ("吹風機拍了 明天能出貨嗎", "是的亲", (SENT + timedelta(days=1)).replace(hour=23, minute=59, second=59)),
    ("今天下午能发吗", "亲 会尽快的", None),  # agrees to ship, not to the time
])
def test_an_agreement_promises_the_time_the_buyer_asked_for(tagger, question, answer, deadline):
    tags = conversation(tagger, (0, "buyer", question), (1, "seller", answer))
    promises = [t for t in tags[1] if t.label == "shipping_promise"]
    assert len(promises) == 1 and promises[0].deadline == deadline


@pytest.mark.parametrize("question,answer", [
    ("这个是纯棉的吗", "是的亲"),  # not a shipping question
    ("今天能发吗", "亲 今天发不了哦"),
    ("好的 谢谢", "好的呢"),
])
def test_an_agreement_to_something_else_promises_nothing(tagger, question, answer):
    tags = conversation(tagger, (0, "buyer", question), (1, "seller", answer))
    assert "shipping_promise" not in labels(tags[1])


# -- 6. symptoms, fit and circumstances ---------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("灯用两天就不亮了", {("return_claim", "quality")}),
    ("才炒了几次涂层就起皮了", {("return_claim", "quality")}),
    ("玩了两次就跑不动了 轮子空转", {("return_claim", "quality")}),
    ("才用了三天 吹著吹著就沒熱風了", {("return_claim", "quality")}),
    ("实际用不到四天就坏了两次", {("return_claim", "quality")}),  # 用不到 a span: not "no use for it"
    ("手机用了一周 耗电异常 半天就没电", {("return_claim", "quality")}),
    ("屏幕左边有两条竖线", {("return_claim", "quality")}),
    ("经常读不出卡 卡是新的", {("return_claim", "quality")}),
    ("通话的时候听筒破音", {("return_claim", "quality")}),
    ("被套有点小 盖着不够宽 退了吧", {("return_claim", "no_reason")}),
    ("42码偏小 穿上顶脚 能换43吗", {("return_claim", "no_reason")}),
    ("肩带太宽 老往下掉 想退", {("return_claim", "no_reason")}),
    ("那我退了 我已经在别家重新下单了", {("return_claim", "no_reason")}),
    ("我想取消 我妈已经给我买了一盒一样的", {("return_claim", "no_reason")}),
])
def test_symptoms_fit_and_circumstances_are_claims(tagger, text, expected):
    assert items(tagger.tag_text(text, "buyer", SENT)) == expected


@pytest.mark.parametrize("text", [
    "用了两次就不痒了 效果很好",
    "会不会用两天就坏了",
    "洗了会缩水吗",
    "我已经重新下单了 你们看下新的那单",
    "价格有点小贵",
    "这双一点都不顶脚",
    "另外开了的那袋还没吃完",
    "退了还得重新买 麻烦死了",  # a cost of returning, not a reason for it
])
def test_what_is_no_defect_and_no_return(tagger, text):
    assert "return_claim" not in labels(tagger.tag_text(text, "buyer", SENT))


def test_skin_after_use_is_an_allergy_not_a_defect(tagger):
    assert items(tagger.tag_text("退 用一次就烂脸了", "buyer", SENT)) == {("return_claim", "allergy")}


# -- 7. failure words about something other than the goods ------------------------------

@pytest.mark.parametrize("text", [
    "按你说的重启了 还是没用",       # the remedy did not help: a back-reference, no new grounds
    "重新插拔也没用",
    "恢复出厂设置也没用",
    "你说的方法我试了 不管用",
    "卸载重装了好几次 无效",
    "我还没用手机卡呢",              # 用 as a verb with an object: not yet used
    "那个号码一直没用作废了",
    "流量我1G都没用",
    "提示无效SIM卡",
    "填了个无效地址 能改吗",
    "至今仍然没有收到",              # nothing named as missing: a delivery question
    "到现在还是没收到",
    "退款少了20块",
    "话费少了好多",
    "网断了 刚才没看到消息",
    "电话信号断了",
    "三天里断了两次网",
    "网络故障9天都没解决",            # a fault of a service, not of the goods
    "系统故障 付不了款",
    "已经为我进行故障报修了",
    "别说没用的话 直接给我处理",
    "我自己不小心弄坏了 能修吗",
    "手机被我不小心摔碎了",
])
def test_failure_words_about_something_else_are_no_claim(tagger, text):
    assert "return_claim" not in labels(tagger.tag_text(text, "buyer", SENT))


@pytest.mark.parametrize("text,expected", [
    ("用了也没用", {("return_claim", "ineffective")}),             # the goods' own use
    ("擦了一周也没用", {("return_claim", "ineffective")}),
    ("完全没用 退了吧", {("return_claim", "ineffective")}),
    ("一点用都没有", {("return_claim", "ineffective")}),
    ("换了个充电器还是充不进去", {("return_claim", "quality")}),   # a symptom after a remedy
    ("重启了还是不亮", {("return_claim", "quality")}),
    ("赠品没收到", {("return_claim", "missing_item")}),
    ("少了一件 我买了两件", {("return_claim", "missing_item")}),
    ("收到的时候杯子就碎了", {("return_claim", "damaged")}),
    ("路由器出故障了", {("return_claim", "quality")}),
])
def test_the_same_words_about_the_goods_stay_claims(tagger, text, expected):
    assert items(tagger.tag_text(text, "buyer", SENT)) == expected


@pytest.mark.parametrize("text,expected", [
    ("你们这是欺骗消费者", set()),                        # the shop's conduct, no grounds named
    ("别忽悠人了 到底什么时候处理", set()),
    ("说是纯棉的 结果根本不是纯棉 欺骗消费者", {("return_claim", "not_as_described")}),  # grounds named
])
def test_an_accusation_of_fraud_alone_is_no_return_ground(tagger, text, expected):
    assert {i for i in items(tagger.tag_text(text, "buyer", SENT)) if i[0] == "return_claim"} == expected


@pytest.mark.parametrize("text", ["你看看评价里好多差评", "评论区全是投诉", "客服热线一直占线",
                                  "你们公众号怎么不回消息"])
def test_other_buyers_reviews_are_no_threat(tagger, text):
    assert "threat" not in labels(tagger.tag_text(text, "buyer", SENT))


# -- 8. compensation told without its usual words ----------------------------------------

@pytest.mark.parametrize("text", [
    "你们应当承担我的损失",          # the loss to be borne by the shop
    "降价了 给我价保",               # price protection demanded is the price difference
    "刚买就降价了 我要申请价保",
])
def test_a_loss_to_bear_or_price_protection_is_a_compensation_demand(tagger, text):
    assert labels(tagger.tag_text(text, "buyer", SENT)) == {"compensation_demand"}


@pytest.mark.parametrize("text", ["你们有价保吗", "价保多久", "如果降价了能保价吗", "降价了能保价吗", "损失我自己承担",
                                  "用你们送的88元代金券订了", "营业厅叫我付违约金400", "行程单打错 我没法报销",
                                  "前后差价500多", "真不知道你们赚了多少黑心差价"])
def test_price_protection_asked_about_and_money_spoken_of_are_no_demand(tagger, text):
    assert labels(tagger.tag_text(text, "buyer", SENT)) & {"compensation_demand", "return_claim"} == set()


@pytest.mark.parametrize("text,expected", [
    ("压坏的4个，黑心的2个", {("return_claim", "damaged"), ("return_claim", "quality")}),  # fruit black inside
    ("黑心商家", set()),                                                                  # the shop's conduct
])
def test_black_hearted_goods_are_a_defect_a_black_hearted_shop_is_not(tagger, text, expected):
    assert {i for i in items(tagger.tag_text(text, "buyer", SENT)) if i[0] == "return_claim"} == expected
