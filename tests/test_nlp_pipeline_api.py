"""The spaCy pipeline through spaCy's public API: ``nlp(text)`` runs the components with
no set-up, who said a text and when are Doc extensions, the tags are read from one; the
one mapping from filter names to context checks; what importing the package loads."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from extractor.errors import RulesError
from extractor.nlp import get_tagger
from extractor.nlp import context
from extractor.nlp.context import DECIDED_ELSEWHERE, FILTER_CHECKS, PROMISE_CHECKS, unchecked_filters
from extractor.nlp.pipeline import build_nlp, compiled_rules, in_label_order
from extractor.nlp.ruleset import FILTERS

BJ = ZoneInfo("Asia/Shanghai")
SENT = datetime(2025, 6, 25, 10, 30, tzinfo=BJ)


@pytest.fixture(scope="module")
def nlp():
    return build_nlp()


@pytest.fixture(scope="module")
def rules_alone():
    # nlp(text) runs the rules; the statistical backoff is the Tagger's, not a component.
    return get_tagger(backoff=None)


def said(nlp, text: str, role: str | None = None, time: datetime | None = None):
    doc = nlp.make_doc(text)
    doc._.evidence_role = role
    doc._.evidence_time = time
    return nlp(doc)


def test_a_plain_call_tags_a_claim(nlp):
    doc = nlp("用了过敏了")
    (tag,) = doc._.evidence_tags
    assert (tag.label, tag.reason, tag.evidence) == ("return_claim", "allergy", ("过敏了",))
    assert doc._.evidence.role is None and doc._.evidence.time is None


def test_a_promise_is_resolved_against_the_time_on_the_doc(nlp):
    (tag,) = said(nlp, "亲，明天下午给您发货", "seller", SENT)._.evidence_tags
    assert tag.label == "shipping_promise"
    assert tag.deadline == datetime(2025, 6, 26, 18, 0, tzinfo=BJ)
    assert "明天下午" in tag.evidence


@pytest.mark.parametrize("role", ["seller", None])
def test_without_a_time_a_deadline_stays_unresolved(nlp, role):
    (tag,) = said(nlp, "亲，明天下午给您发货", role)._.evidence_tags
    assert tag.label == "shipping_promise" and tag.deadline is None
    assert "明天下午" in tag.evidence


def test_nlp_pipe_and_the_system_role(nlp):
    docs = list(nlp.pipe(["用了过敏了", "在吗"]))
    assert [len(doc._.evidence_tags) for doc in docs] == [1, 0]
    assert said(nlp, "用了过敏了", "system")._.evidence_tags == ()


def test_a_bad_role_or_time_says_so(nlp):
    with pytest.raises(ValueError, match="evidence_role"):
        said(nlp, "用了过敏了", "Buyer")
    with pytest.raises(TypeError, match="evidence_time"):
        said(nlp, "用了过敏了", "buyer", "2025-06-25 10:30")


# Messages from corpora/eval (dev, dev2-dev10, test), as said there; some Traditional,
# some with runs of spaces, so the normalized copy is not the Doc's text.
BUYER = [
    "面霜用了一个星期，两颊又红又痒，还脱皮",
    "我以前用别的都没事，就你们这个过敏",
    "不赔我就投诉你们虚假发货 顺便把视频发了",
    "第一场就断 不是质量问题是啥 三支全退 再赔三倍 不赔我就12315加工商一起投诉",
    "所以根本沒寄出，還騙我說發了。過年前收不到，我要退款，還要投訴你們延遲發貨",
    "換吧 不過我等了這麼久 又遲發 能不能送個贈品補償一下",
    "怎么还没发 不是说48小时内吗 这都过了",
    "昨天直播间还说礼盒多的是，今天就没货了？",
    "不是质量问题，就是颜色不喜欢",
    "拍什么拍，少了就是少了，补发一件再赔我50",
]
SELLER = [
    "亲 抱歉 昨天冷库出货排满了 今天下午5点前一定给您发",
    "亲，面霜已发出，中通78639920014752",
    "亲 30号晚上就发了 韵达4340012287765",
    "亲，中转站积压，今天会发往您的城市",
    "亲 核实了 仓库少装了3包 软糖也漏放了 给您补发3包加软糖 明天上午发出",
    "亲，618期间订单多，两天内给您发出",
    "明天给您发可以吗？",
    "亲，明天上午  給您發出",
]


@pytest.mark.parametrize("role,text", [("buyer", t) for t in BUYER] + [("seller", t) for t in SELLER])
def test_nlp_tags_as_the_tagger_does(nlp, rules_alone, role, text):
    expected = rules_alone.tag_text(text, role, SENT)
    doc = said(nlp, text, role, SENT)
    assert doc._.evidence_tags == expected
    assert doc.text == text  # the Doc is the text as said; the rules read its normalized copy


@pytest.mark.parametrize("text", BUYER[:4] + SELLER[:4])
def test_with_no_role_both_sides_rules_are_tried(nlp, rules_alone, text):
    both = rules_alone.tag_text(text, "buyer", SENT) + rules_alone.tag_text(text, "seller", SENT)
    assert said(nlp, text, None, SENT)._.evidence_tags == in_label_order(both)


# -- the filters ---------------------------------------------------------------------

def test_every_filter_of_the_text_alone_has_one_check():
    text_alone = set(FILTERS) - DECIDED_ELSEWHERE.keys()
    assert text_alone <= FILTER_CHECKS.keys()
    assert FILTER_CHECKS.keys() == PROMISE_CHECKS.keys()
    # and nothing here names a filter the rule files cannot use
    assert FILTER_CHECKS.keys() | DECIDED_ELSEWHERE.keys() == set(FILTERS)
    assert PROMISE_CHECKS["question"] is not FILTER_CHECKS["question"]  # a promise's question proposes


def test_the_judge_asks_the_checks_of_a_rule_in_mapping_order():
    judge = compiled_rules().judge
    vetoes = judge.vetoes(frozenset({"quote", "negation", "overdue"}))
    assert [v.__func__ for v in vetoes] == [FILTER_CHECKS["negation"], FILTER_CHECKS["quote"]]
    assert judge.vetoes(frozenset({"quote", "negation", "overdue"})) is vetoes  # bound once per set
    with pytest.raises(ValueError, match="no context check for filter.*nonsense"):
        judge.vetoes(frozenset({"negation", "nonsense"}))


def test_a_rule_filter_with_no_check_is_a_rules_error(monkeypatch, tmp_path):
    # A filter the rule files accept but nothing checks: as if FILTERS had gained a name.
    monkeypatch.delitem(context.FILTER_CHECKS, "quote")
    assert unchecked_filters({"negation", "quote", "alone"}) == {"quote"}
    rules = tmp_path / "mine.json"
    rules.write_text(json.dumps({"rules": [{"id": "x", "label": "threat", "terms": ["曝光你们"],
                                            "filters": ["quote"]}]}), encoding="utf-8")
    with pytest.raises(RulesError, match="no context check for filter\\(s\\) quote"):
        compiled_rules((str(rules),))


# -- what importing costs --------------------------------------------------------------

HEAVY = ("spacy", "jieba", "numpy", "opencc", "pdfplumber", "openpyxl", "jinja2", "weasyprint", "typer")
PARSERS = ("extractor.sources", "extractor.timeline")


@pytest.mark.parametrize("module,allowed", [("extractor.model", ()), ("extractor", ()), ("extractor.nlp", ("numpy",))])
def test_importing_loads_no_parser_and_no_nlp(module, allowed):
    code = (f"import json, sys, {module}\n"
            f"print(json.dumps([sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})),\n"
            f"                  sorted(m for m in sys.modules if m.startswith({PARSERS!r}))]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    heavy, parsers = json.loads(out)
    assert set(heavy) <= set(allowed)
    assert parsers == []


def test_the_lazy_names_of_the_package_still_import():
    code = ("import extractor\n"
            "from extractor import parse, ParseOptions, Event, Tag, __version__\n"
            "assert parse.__name__ == 'parse_paths' and 'Event' in dir(extractor)")
    subprocess.run([sys.executable, "-c", code], check=True)
