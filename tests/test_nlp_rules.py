"""Rule files: the built-in lexicon survives jieba segmentation; bad files fail with the
file and the rule named; user rules add to the built-in ones."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.errors import RulesError
from extractor.nlp import Tagger, get_tagger
from extractor.nlp.normalize import normalize
from extractor.nlp.ruleset import build_ruleset, load_ruleset, _builtin_texts

SENT = datetime(2022, 7, 6, 18, 44, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
# Ordinary sentences around each term: the term must still be found as a whole word.
FRAMES = {
    "buyer": ("{}", "亲，{}，麻烦看一下", "今天收到的东西{}，怎么处理", "这次又是{}，我很生气"),
    "seller": ("{}", "亲，{}，请注意查收", "好的亲，{}哦", "您好，这边{}，有问题随时联系"),
}


@pytest.fixture(scope="module")
def tagger():
    return get_tagger()


def _term_cases():
    for rule in load_ruleset().rules:
        for term in rule.terms:
            yield pytest.param(rule, term, id=f"{rule.id}:{term}")


@pytest.mark.parametrize("rule,term", list(_term_cases()))
def test_every_lexicon_term_is_found_inside_ordinary_sentences(tagger, rule, term):
    index = tagger.rules.index_for(rule)
    for frame in FRAMES[rule.role]:
        text = normalize(frame.format(term)).text
        start, end = text.index(term), text.index(term) + len(term)
        doc = tagger.nlp.make_doc(text)
        ends = {t.idx + len(t) for t in doc}
        found = index.candidates(text, index.hits(text), lambda start, end: end in ends)
        # found as itself, or within a longer reading that means the same thing
        assert any((c.rule.label, c.rule.reason) == (rule.label, rule.reason)
                   and c.start < end and start < c.end for c in found), (
            f"{term!r} not found in {text!r}; segmentation: {'/'.join(t.text for t in doc)}")


def test_user_dictionary_keeps_domain_terms_whole(tagger):
    for term in ("48小时内", "七天无理由", "快递单号", "未按约定时间发货"):
        doc = tagger.nlp.make_doc(f"你们说好的{term}，结果呢")
        assert term in [t.text for t in doc]


def test_a_term_inside_a_longer_word_does_not_match(tagger):
    assert tagger.tag_text("我在工商银行排队", "buyer", SENT) == ()
    assert [t.label for t in tagger.tag_text("我要去工商局举报", "buyer", SENT)] == ["threat"]


def _files(*extra):
    return [*_builtin_texts(), *extra]


@pytest.mark.parametrize("rules,message", [
    ({"rules": [{"id": "x", "label": "threat", "terms": "差评"}]},
     "rules file mine.json: rule 'x': terms must be a list of non-empty strings"),
    ({"rules": [{"id": "x", "label": "complaint", "terms": ["差评"]}]},
     "rules file mine.json: rule 'x': label 'complaint' is not a message label"),
    ({"rules": [{"id": "x", "label": "return_claim", "reason": "smell", "terms": ["有味道"]}]},
     "rules file mine.json: rule 'x': return_claim needs a reason, one of ineffective"),
    ({"rules": [{"id": "x", "label": "threat", "patterns": ["投诉("], "keys": ["投诉"]}]},
     "rules file mine.json: rule 'x': pattern '投诉(' is not a valid regular expression"),
    # no literal of two characters or more is in every match: the keys cannot be derived
    ({"rules": [{"id": "x", "label": "threat", "patterns": ["(投|诉)+了"]}]},
     "rules file mine.json: rule 'x': patterns need keys"),
    ({"rules": [{"id": "x", "label": "threat", "terms": ["差评"], "filter": ["negation"]}]},
     "rules file mine.json: rule 'x': unknown key(s) filter"),
    ({"rules": [{"id": "threat.complaint_words", "label": "threat", "terms": ["差评"]}]},
     "rules file mine.json: rule 'threat.complaint_words': the id is already used in "
     "extractor/nlp/rules/threat.json"),
    ({"label": "threat", "rules": [{"id": "x", "label": "return_claim", "reason": "quality", "terms": ["坏了"]}]},
     "rules file mine.json: rule 'x': label 'return_claim' is not the file's label 'threat'"),
    ({"label": "complaint", "rules": []},
     "rules file mine.json: label: 'complaint' is not a message label"),
    ({"rules": [{"id": "x", "label": "threat", "terms": ["差评"], "description": "two\nlines"}]},
     "rules file mine.json: rule 'x': description must be one line of text"),
    ({"exclusions": {"Bad-Name": ["差评"]}},
     "rules file mine.json: exclusion list 'Bad-Name': a list's name is lower-case letters"),
    ({"exclusions": {"mine": ["@quality_words_in_other_senses"]}},
     "rules file mine.json: exclusion list 'mine': '@quality_words_in_other_senses': a list holds regexes"),
    ({"exclusions": {"mine": ["差评("]}},
     "rules file mine.json: exclusion list 'mine': pattern '差评(' is not a valid regular expression"),
    ({"exclusions": {"quality_words_in_other_senses": ["差评"]}},
     "rules file mine.json: exclusion list 'quality_words_in_other_senses': the name is already used in "
     "extractor/nlp/rules/return_claim.json"),
    ({"rules": [{"label": "threat", "terms": ["差评"]}]},
     "rules file mine.json: rule #1: needs an \"id\""),
    ({"cues": {"negations": ["并不"]}},
     "rules file mine.json: cue list 'negations': unknown cue list"),
    ({"tracking": ["单号(\\d+)"]},
     "rules file mine.json: tracking: pattern '单号(\\\\d+)' needs a (?P<number>...) group"),
])
def test_bad_rule_files_name_the_file_and_the_rule(rules, message):
    with pytest.raises(RulesError) as info:
        build_ruleset(_files(("mine.json", json.dumps(rules, ensure_ascii=False))))
    assert message in str(info.value)
    assert str(info.value).startswith("[E200]")


def test_a_file_that_is_not_json_names_the_line():
    with pytest.raises(RulesError, match=r"rules file mine.json: not valid JSON \(line 2"):
        build_ruleset(_files(("mine.json", '{"rules": [\n  {"id": }]}')))


def test_user_rules_add_a_trigger(tmp_path):
    extra = tmp_path / "shop-rules.json"
    extra.write_text(json.dumps({"rules": [
        {"id": "shop.threat.weibo", "label": "threat", "terms": ["发到朋友圈"]},
        {"id": "shop.quality.pilling", "label": "return_claim", "reason": "quality", "terms": ["起毛球"]},
    ]}, ensure_ascii=False), encoding="utf-8")
    tagger = Tagger([extra])
    tags = tagger.tag_text("再不退款我就发到朋友圈，衣服都起毛球了", "buyer", SENT)
    assert {(t.label, t.reason) for t in tags} == {("threat", None), ("return_claim", "quality")}
    # negation still applies to user terms
    assert tagger.tag_text("不会发到朋友圈的", "buyer", SENT) == ()


def test_cli_rejects_a_bad_rules_file_before_parsing(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"rules": [{"id": "r1", "label": "threat"}]}', encoding="utf-8")
    result = CliRunner().invoke(app, ["tag", str(tmp_path / "missing.txt"), "--rules", str(bad)])
    assert result.exit_code == 3
    assert f"error [E200] rules file {bad}: rule 'r1': needs terms or patterns" in result.output


def test_cli_reports_an_unreadable_rules_file(tmp_path):
    missing = tmp_path / "nope.json"
    result = CliRunner().invoke(app, ["tag", str(tmp_path), "--rules", str(missing)])
    assert result.exit_code == 3
    assert f"error [E200] rules file {missing}: cannot read" in result.output


# Keys are a prefilter: a rule's patterns run only on a text holding one of its keys.  A
# pattern that can match a text without any of them loses those matches silently, so
# every match of every pattern over the tuning parts' messages and the everyday wordings
# of test_nlp_paraphrases must be reachable through the keys.  (Not the test part: it
# stays unread by anything but the accuracy gate.)  Derived keys are reachable by
# construction (tests/test_rules_keys.py); this guards the hand-written ones.
def _messages_to_lint() -> list[tuple[str, str]]:
    from pathlib import Path

    from extractor.timeline import parse_paths
    from tests.test_nlp_paraphrases import _cases

    root = Path(__file__).resolve().parents[1] / "corpora" / "eval"
    files = [str(p) for part in sorted(root.glob("dev*")) for p in sorted(part.iterdir())
             if p.is_file() and p.name != "gold.jsonl"]
    texts = [(e.role, e.text) for e in parse_paths(files).events
             if e.kind == "message" and e.role in ("buyer", "seller")]
    texts += [(case.values[0], case.values[2]) for case in _cases()]
    return [(role, normalize(text).text) for role, text in texts]


def test_every_pattern_match_is_reachable_through_its_keys(tagger):
    unreachable = {}
    messages = _messages_to_lint()
    for role, index in tagger.rules.indexes.items():
        for rule in index.rules:
            if not rule.patterns:
                continue
            for speaker, text in messages:
                if speaker != role or any(key in text for key in rule.keys):
                    continue
                for pattern in rule.patterns:
                    m = pattern.search(text)
                    if m is not None and m.end() > m.start():
                        unreachable.setdefault(rule.id, m.group())
                        break
    assert not unreachable, f"pattern matches no key would let through: {unreachable}"


def test_a_guarded_exclusion_finds_what_the_plain_one_finds(tagger):
    """Exclusions are compiled with a lookahead on their first characters where those can
    be told; the matches must be the plain alternation's, span for span."""
    import re

    from extractor.nlp.ruleset import _guarded

    texts = [text for _, text in _messages_to_lint()[::5]]
    texts += ["红包抵扣券怎么用", "运费谁出", "不是质量问题", "发票报销", ""]
    guarded = 0
    for index in tagger.rules.indexes.values():
        for rule in index.rules:
            if rule.exclude is None or not rule.exclude.pattern.startswith("(?=["):
                continue
            guarded += 1
            plain = re.compile(rule.exclude.pattern[rule.exclude.pattern.index("])(?:") + 5:-1])
            for text in texts:
                assert [m.span() for m in rule.exclude.finditer(text)] == \
                    [m.span() for m in plain.finditer(text)], (rule.id, text)
    assert guarded > 50
    assert _guarded("[^,]好|坏").pattern == "[^,]好|坏"  # no telling: left as it is
    assert _guarded("(?:好|坏)了").pattern == "(?=[坏好])(?:(?:好|坏)了)"
