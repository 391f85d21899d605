"""The normalized copy and its map back to the verbatim text."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from extractor.nlp.normalize import normalize, normalize_many


def test_traditional_becomes_simplified_and_full_width_becomes_half_width():
    norm = normalize("質量問題！ＡＢＣ１２３，過敏了？")
    assert norm.text == "质量问题!ABC123,过敏了?"
    assert norm.offsets is None  # one character for one: the offsets are the identity


def test_whitespace_runs_shrink_and_the_map_still_points_at_the_original():
    original = "亲  在的呢\r\n\r\n  过 敏　　了"
    norm = normalize(original)
    assert norm.text == "亲 在的呢\n过 敏 了"
    start = norm.text.index("过")
    assert norm.original_span(start, start + 3) == "过 敏"
    assert norm.original_span(norm.text.index("在"), norm.text.index("呢") + 1) == "在的呢"


def test_evidence_is_cut_from_the_original_spelling():
    original = "用了　臉上過敏了"
    norm = normalize(original)
    start = norm.text.index("过敏")
    assert norm.original_span(start, start + 3) == "過敏了"


def test_plain_text_is_returned_as_it_is():
    norm = normalize("亲，今天下午给您发出")
    assert norm.text == "亲，今天下午给您发出".replace("，", ",")
    assert norm.original_span(0, 2) == "亲，"


_chat_text = st.text(
    alphabet=st.sampled_from(list("发货過敏質量问题了吗亲，。！？ＡＢ１２ab12 \t\r\n　\u00a0")),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(_chat_text)
def test_every_character_of_the_copy_points_into_the_original(text):
    norm = normalize(text)
    if norm.offsets is None:
        assert len(norm.text) == len(text)
        return
    assert len(norm.offsets) == len(norm.text)
    assert list(norm.offsets) == sorted(norm.offsets)
    assert all(0 <= i < len(text) for i in norm.offsets)
    for i, char in enumerate(norm.text):
        if not char.isspace():
            assert not text[norm.offsets[i]].isspace()


@settings(max_examples=200, deadline=None)
@given(_chat_text, st.data())
def test_any_span_maps_to_a_piece_of_the_original(text, data):
    norm = normalize(text)
    if not norm.text:
        return
    start = data.draw(st.integers(0, len(norm.text) - 1))
    end = data.draw(st.integers(start + 1, len(norm.text)))
    assert norm.original_span(start, end) in text
    assert "  " not in norm.text and "\r" not in norm.text


# Traditional characters (one phrase conversion changes the length), full-width forms,
# whitespace runs and the batch's own separator character.
_PIECES = st.sampled_from(["發貨", "質量問題", "过敏", "ＳＦ１２３", "　", "  ", "\n\n", "\t", "好", "a",
                           "\ue000", "乾隆", "頭髮", "，", "？", "。", "退款"])


@given(st.lists(st.lists(_PIECES, max_size=8).map("".join), max_size=12))
def test_a_batch_normalizes_as_each_text_alone(texts):
    assert normalize_many(texts) == [normalize(text) for text in texts]
