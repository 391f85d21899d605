"""The built-in rule files read as a reviewer needs them: one file per label, rules named
for what they catch and described in a line, shared exclusion lists written once and
referred to by name.  User files may use the built-in lists and define their own; a file
in the old shape (numbered ids, inline exclusions, hand-written keys) still loads."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from collections import Counter
from datetime import datetime
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from extractor.errors import RulesError
from extractor.nlp import Tagger
from extractor.nlp.normalize import normalize
from extractor.nlp.ruleset import (BUILTIN_FILES, LABEL_ROLE, _builtin_texts, _guarded, build_ruleset,
                                   derive_keys, load_ruleset)

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "extractor" / "nlp" / "rules"
SENT = datetime(2024, 5, 15, 14, 20, tzinfo=ZoneInfo("Asia/Shanghai"))
# The first word of a rule's id: the reason for a label with reasons, else the label's.
ID_PREFIX = {"compensation_demand": "compensation", "threat": "threat", "shipping_promise": "promise",
             "shipped": "shipped", "delay_agreed": "agreed"}


def _builtin_data() -> dict[str, dict]:
    return {name: json.loads((RULES / name).read_text("utf-8")) for name in BUILTIN_FILES}


def _raw_rules() -> list[tuple[str, dict]]:
    return [(name, rule) for name, data in _builtin_data().items() for rule in data.get("rules", [])]


def _build(*extra: tuple[str, str]):
    return build_ruleset([*_builtin_texts(), *extra])


def _file(data: dict) -> tuple[str, str]:
    return "mine.json", json.dumps(data, ensure_ascii=False)


# --- the built-in files


def test_every_message_label_has_its_own_file():
    labels = {name: data.get("label") for name, data in _builtin_data().items()}
    for label in ("return_claim", "delay_claim", "compensation_demand", "threat"):
        assert labels[f"{label}.json"] == label
    # a promise and its done label, shipped, are read together
    assert {rule["label"] for _, rule in _raw_rules() if _ == "shipping.json"} == {"shipping_promise", "shipped"}
    assert {rule.label for rule in load_ruleset().rules} == set(LABEL_ROLE)
    assert not (RULES / "claims.json").exists()


def test_rules_are_named_for_what_they_catch_and_described():
    ruleset = load_ruleset()
    for rule in ruleset.rules:
        prefix = rule.reason if rule.reason else ID_PREFIX[rule.label]
        assert re.fullmatch(rf"{prefix}\.[a-z][a-z0-9_]*", rule.id), rule.id
        assert not re.search(r"\.p[0-9]+$|[0-9]$", rule.id), f"{rule.id}: a number, not a name"
        assert rule.description and "\n" not in rule.description and len(rule.description) <= 120, rule.id
    assert len({rule.id for rule in ruleset.rules}) == len(ruleset.rules)


def test_shared_exclusions_are_written_once():
    written = Counter()
    used = Counter()
    for data in _builtin_data().values():
        for patterns in data.get("exclusions", {}).values():
            written.update(patterns)
        for rule in data.get("rules", []):
            for entry in rule.get("exclude", []):
                if entry.startswith("@"):
                    used[entry[1:]] += 1
                else:
                    written[entry] += 1
    assert [p for p, n in written.items() if n > 1] == []
    lists = load_ruleset().exclusions
    # a list used by one rule only would be better inline; one used by none is dead
    assert {name: used[name] for name in lists if used[name] < 2} == {}
    assert set(used) <= set(lists)


def test_keys_are_written_only_where_they_cannot_be_derived():
    hand = [(name, rule["id"]) for name, rule in _raw_rules()
            if "keys" in rule and derive_keys(rule["patterns"]) is not None]
    assert hand == []


def test_the_backoff_model_is_not_among_the_hand_written_rules():
    assert not (RULES / "backoff.json").exists()
    model = resources.files("extractor.nlp").joinpath("models").joinpath("backoff.json")
    assert json.loads(model.read_text("utf-8"))["format"] == "evidence-backoff"
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    shipped = config["tool"]["setuptools"]["package-data"]["extractor.nlp"]
    for path in (ROOT / "extractor" / "nlp" / "models").iterdir():
        assert any(fnmatch.fnmatch(f"models/{path.name}", p) for p in shipped), f"{path.name} would not ship"


# --- named exclusion lists


def test_a_list_reference_is_replaced_by_the_list_in_place():
    ruleset = _build(_file({
        "exclusions": {"shop_slang": ["好评返现", "晒图返现"]},
        "rules": [{"id": "shop.cashback", "label": "compensation_demand", "terms": ["返现"],
                   "exclude": ["返现活动", "@shop_slang", "返现规则"]}],
    }))
    rule = next(r for r in ruleset.rules if r.id == "shop.cashback")
    assert rule.exclude.pattern == _guarded("(?:返现活动)|(?:好评返现)|(?:晒图返现)|(?:返现规则)").pattern
    assert ruleset.exclusions["shop_slang"] == ("好评返现", "晒图返现")


def _survives(tagger: Tagger, rule_id: str, text: str) -> bool:
    """Whether a trigger of ``rule_id`` is left in ``text`` once exclusions are applied (the
    rule alone: built-in rules may tag the same words for their own reasons)."""
    index = tagger.rules.indexes["buyer"]
    text = normalize(text).text
    ends = {token.idx + len(token) for token in tagger.nlp.make_doc(text)}
    return any(c.rule.id == rule_id
               for c in index.candidates(text, index.hits(text), lambda start, end: end in ends))


def test_a_user_rule_uses_a_built_in_list_and_its_own(tmp_path):
    mine = tmp_path / "shop-rules.json"
    mine.write_text(json.dumps({
        "exclusions": {"shop_ratings": ["(店铺|我们店)的?(评分|排名|星级)[^,，。]{0,2}掉了"]},
        # another reason than the built-in 掉了 (quality): the same words of one label and
        # reason are one trigger, the first rule's
        "rules": [{"id": "shop.damaged.came_off", "description": "Came off in transit: 灯罩掉了",
                   "label": "return_claim", "reason": "damaged", "terms": ["掉了"],
                   "exclude": ["@quality_words_in_other_senses", "@shop_ratings"]}],
    }, ensure_ascii=False), encoding="utf-8")
    tagger = Tagger([mine])
    assert _survives(tagger, "shop.damaged.came_off", "我昨天买的灯罩掉了")
    assert not _survives(tagger, "shop.damaged.came_off", "价格又掉了")  # the built-in list
    assert not _survives(tagger, "shop.damaged.came_off", "你们店铺的评分掉了")  # the user's own


@pytest.mark.parametrize("entry,message", [
    ("@quality_words_in_other_sense",
     "[E200] rules file mine.json: rule 'x': exclude names an unknown list @quality_words_in_other_sense; "
     "did you mean @quality_words_in_other_senses?"),
    ("@nosuch",
     "[E200] rules file mine.json: rule 'x': exclude names an unknown list @nosuch; define it under "
     "\"exclusions\" in a rules file (a regex starting with a literal @ is written \\@)"),
])
def test_an_unknown_list_names_the_file_the_rule_and_the_list(entry, message):
    with pytest.raises(RulesError) as info:
        _build(_file({"rules": [{"id": "x", "label": "threat", "terms": ["差评"], "exclude": [entry]}]}))
    assert str(info.value) == message


def test_a_literal_at_sign_is_escaped():
    ruleset = _build(_file({"rules": [{"id": "x", "label": "threat", "terms": ["差评"],
                                       "exclude": ["\\@客服差评"]}]}))
    rule = next(r for r in ruleset.rules if r.id == "x")
    assert rule.exclude.search("@客服差评") and not rule.exclude.search("客服差评")


# --- the old shape


def test_a_rules_file_in_the_old_shape_still_loads(tmp_path):
    old = tmp_path / "old-rules.json"
    old.write_text(json.dumps({"rules": [
        {"id": "threat.p99", "label": "threat", "patterns": ["发(到|去)豆瓣(小组)?"], "keys": ["豆瓣"],
         "exclude": ["发到豆瓣(书评|影评)", "(看|刷)豆瓣"]},
        {"id": "return.quality.p98", "label": "return_claim", "reason": "quality", "terms": ["漆面起泡"],
         "exclude": ["漆面起泡(吗|么)"]},
    ]}, ensure_ascii=False), encoding="utf-8")
    tagger = Tagger([old])
    rule = next(r for r in tagger.rules.ruleset.rules if r.id == "threat.p99")
    assert rule.keys == ("豆瓣",) and rule.description is None  # hand keys are kept as given
    assert [t.label for t in tagger.tag_text("我要发到豆瓣小组", "buyer", SENT)] == ["threat"]
    assert tagger.tag_text("我发到豆瓣影评里了", "buyer", SENT) == ()
    assert _survives(tagger, "return.quality.p98", "桌子漆面起泡")
    assert not _survives(tagger, "return.quality.p98", "漆面起泡吗")
