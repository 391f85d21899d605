"""Clause and sentence boundaries, which every context judgement reads."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from extractor.nlp.context import Segments

CLAUSE_END = re.compile(r"[。!?！？\n,，、;；:： ~～…]+|\.{2,}")
SENTENCE_END = re.compile(r"[。!?！？\n]+")


def bounds(regex: re.Pattern[str], text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Each kind of boundary on its own: what the one-pass reading must equal."""
    starts, ends = [0], []
    for m in regex.finditer(text):
        ends.append(m.start())
        starts.append(m.end())
    ends.append(len(text))
    return tuple(starts), tuple(ends)


@given(st.text(alphabet="好发货过敏，。!?！？\n,、;；:： ~～….a", max_size=40))
def test_one_pass_finds_the_clauses_and_sentences_of_two(text):
    seg = Segments.of(text)
    assert (seg.clause_starts, seg.clause_ends) == bounds(CLAUSE_END, text)
    assert (seg.sentence_starts, seg.sentence_ends) == bounds(SENTENCE_END, text)


def test_a_sentence_end_inside_a_run_of_clause_ends():
    seg = Segments.of("好的，。，发货了！？\n嗯")
    assert seg.clause(0) == (0, 2) and seg.clause(5) == (5, 8)
    assert seg.sentence(0) == (0, 3) and seg.sentence(5) == (4, 8) and seg.sentence(11) == (11, 12)
