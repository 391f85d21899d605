"""Keys derived from patterns: literals one of which every match contains, read off the
parsed regex.  A derived key set that missed a match would lose that match silently (the
pattern is never tried), so soundness is checked against generated matches of every
built-in pattern, not only the corpus."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from extractor.nlp.ruleset import derive_keys, load_ruleset


@pytest.mark.parametrize("patterns,keys", [
    (["投诉(你们|商家)"], ("投诉你们", "投诉商家")),  # spelled out while few
    (["(退|换)(货|款)"], ("换款", "换货", "退款", "退货")),  # spelled out: each two characters
    (["(一点|完全)?没(效果|用)"], ("没效果", "没用")),  # an optional start adds nothing needed
    (["(?<![不])过敏(了|啦)"], ("过敏了", "过敏啦")),  # a look-behind matches no characters
    (["质量[^,，]{0,4}(差|烂)"], ("质量",)),  # the stretch between cannot be spelled
    (["差评", "投诉"], ("差评", "投诉")),  # a rule's keys cover each of its patterns
    (["(?P<v>[吹用])着(?P=v)着"], ("吹着", "用着")),  # a back-reference needs nothing more
    # literals sharing three characters: one key stands for them all
    (["(跟|和|像)没(用|擦)过一样"], ("过一样",)),
    (["[一-鿿]了个寂寞$|寂寞"], ("寂寞",)),  # needed in each branch
])
def test_keys_read_off_the_pattern(patterns, keys):
    assert derive_keys(patterns) == keys


@pytest.mark.parametrize("pattern", [
    ".*",  # nothing needed
    "(退|换)",  # only single characters: the pattern would run on most messages
    "[0-9]{3,}元",
    "(?i)sf[0-9]+",  # case-insensitive: SF matches, sf is not in it
    "(?i:sf)[0-9]+",
    "(投诉|)商家?",  # a branch that can match nothing
    "[一-鿿]了|寂寞",  # a branch needing only single characters
])
def test_no_keys_where_the_literals_do_not_tell(pattern):
    assert derive_keys([pattern]) is None


def _derived_rules():
    for rule in load_ruleset().rules:
        if rule.patterns and derive_keys([p.pattern for p in rule.patterns]) == rule.keys:
            yield pytest.param(rule, id=rule.id)


@pytest.mark.parametrize("rule", list(_derived_rules()))
def test_every_match_of_a_built_in_pattern_holds_a_derived_key(rule):
    assert all(len(key) >= 2 for key in rule.keys)
    for pattern in rule.patterns:
        @settings(max_examples=15, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(st.from_regex(pattern))
        def holds_a_key(text):
            m = pattern.search(text)
            if m is not None and m.end() > m.start():
                assert any(key in m.group() for key in rule.keys), (pattern.pattern, m.group(), rule.keys)

        holds_a_key()


def test_derivation_is_deterministic():
    patterns = [p.pattern for rule in load_ruleset().rules for p in rule.patterns]
    first = [derive_keys([p]) for p in patterns]
    assert first == [derive_keys([p]) for p in patterns]
    assert re.compile("|".join(k for keys in first if keys for k in keys))  # plain literals
