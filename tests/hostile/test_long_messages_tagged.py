"""Long messages through the tagger: a buyer who writes 过敏 forty thousand times, or a
message over spaCy's million-character limit, is tagged like any other message.

Before the fixes these guard, each judgement read its whole clause and every trigger
was compared with every other (minutes for a 40,000-character message), and a message
over a million characters stopped the run with spaCy's E088.  As in test_long_lines.py,
the time limit is a generous guard only a quadratic path can break; the assertions that
matter are the exact results.  The helpers that replaced quadratic code are checked
against the code they replaced."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractor.nlp import get_tagger
from extractor.nlp.context import REACH, Segments
from extractor.nlp.matcher import Candidate, _outermost, _overlaps
from extractor.nlp.pipeline import MAX_EVIDENCE_WORDS, _words_and_spaces

BJ = ZoneInfo("Asia/Shanghai")
SENT = datetime(2025, 3, 1, 10, 0, 0, tzinfo=BJ)
GUARD = 20.0


@pytest.fixture(scope="module")
def tagger():
    return get_tagger()


def timed_tags(tagger, text: str, role: str):
    started = time.monotonic()
    tags = tagger.tag_text(text, role, SENT)
    return tags, time.monotonic() - started


def test_a_claim_repeated_twenty_thousand_times_is_one_claim(tagger):
    tags, took = timed_tags(tagger, "过敏" * 20_000, "buyer")
    assert took < GUARD
    assert [(t.label, t.reason, t.evidence) for t in tags] == [("return_claim", "allergy", ("过敏",))]


def test_a_promise_repeated_ten_thousand_times_keeps_its_deadline(tagger):
    tags, took = timed_tags(tagger, "明天发货" * 10_000, "seller")
    assert took < GUARD
    (promise,) = tags
    assert promise.label == "shipping_promise"
    assert promise.deadline == datetime(2025, 3, 2, 23, 59, 59, tzinfo=BJ)


def test_many_distinct_evidence_words_are_capped(tagger):
    text = "，".join(f"{n}号发货" for n in range(1, 29)) + "，" + "，".join(f"{h}点发货" for h in range(1, 24))
    tags, _ = timed_tags(tagger, text * 20, "seller")
    (promise,) = tags
    assert len(promise.evidence) == MAX_EVIDENCE_WORDS


def test_a_message_over_a_million_characters_is_tagged(tagger):
    text = "。" * 1_000_000 + "用了三天脸上过敏了"
    tags, took = timed_tags(tagger, text, "buyer")
    assert took < GUARD
    assert [(t.label, t.reason) for t in tags] == [("return_claim", "allergy")]


@given(st.text(alphabet="。，过敏了好 \n", max_size=3 * REACH))
def test_a_judgement_never_reads_further_than_its_reach(text):
    seg = Segments.of(text)
    for position in range(len(text)):
        for start, end in (seg.clause(position), seg.sentence(position)):
            assert position - REACH <= start <= position <= end <= position + REACH


def _outermost_by_definition(found: list[Candidate]) -> list[Candidate]:
    """The pairwise rule the sweep replaced: inside a longer trigger, or overlapping the
    end of an earlier one."""
    kept = []
    for cand in found:
        for other in found:
            if other is cand:
                continue
            if (other.start <= cand.start and cand.end <= other.end
                    and other.end - other.start > cand.end - cand.start) \
                    or other.start < cand.start < other.end < cand.end:
                break
        else:
            kept.append(cand)
    return kept


spans = st.tuples(st.integers(0, 30), st.integers(1, 8)).map(lambda p: (p[0], p[0] + p[1]))


@given(st.lists(spans, max_size=25))
def test_the_trigger_sweep_keeps_what_the_pairwise_rule_keeps(pairs):
    found = [Candidate(None, start, end) for start, end in pairs]
    assert _outermost(found) == _outermost_by_definition(found)


@given(st.text(alphabet="好发货过敏ab1 \n\t\u3000。", max_size=40))
def test_words_and_spaces_align_like_spacy(text):
    import jieba
    from spacy.util import get_words_and_spaces

    words = jieba.lcut(text)
    assert _words_and_spaces(words, text) == get_words_and_spaces([w for w in words if w], text)


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), max_size=30), spans)
def test_exclusions_overlap_by_bisection_as_by_scanning(gaps, window):
    matches, position = [], 0  # finditer's matches: in order, never overlapping
    for gap, length in gaps:
        matches.append((position + gap, position + gap + length))
        position += gap + length
    start, end = window
    assert _overlaps(matches, start, end) == any(s < end and start < e for s, e in matches)
