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


# -- text cut into words by a segmenter ---------------------------------------------------

import jieba  # noqa: E402
import pytest  # noqa: E402

_PLAIN_JIEBA = jieba.Tokenizer()


@pytest.mark.parametrize("segmented,joined", [
    ("衣服 有 质量 问题 我 要 退货", "衣服有质量问题我要退货"),
    ("已经 发货 了 单号 是 75312345678901", "已经发货了单号是75312345678901"),
    ("付款 后 48 小时 内 发货 SF 单号", "付款后48小时内发货 SF 单号"),  # a space by a Latin letter stays
    ("亲 这款 有 现货 吗 ？", "亲这款有现货吗?"),
])
def test_a_line_cut_into_words_is_joined_for_matching(segmented, joined):
    norm = normalize(segmented)
    assert norm.text == joined
    # and the evidence is still cut from the original, spaces and all
    start = joined.index("质量") if "质量" in joined else 0
    assert norm.original_span(start, start + 4) in segmented


@pytest.mark.parametrize("typed", [
    "收到了 谢谢 好评",                # phrases a person spaced: a space still ends a clause
    "亲 在吗 发货了吗",
    "不是质量问题 是尺码太小 想换大一码",
    "快递 中通 75312345678901",
])
def test_spaces_a_person_typed_stay(typed):
    assert normalize(typed).text == typed


@pytest.mark.parametrize("text,role", [
    ("收到的杯子是碎的", "buyer"),
    ("衣服有质量问题我要退货", "buyer"),
    ("都三天了还不发货", "buyer"),
    ("不赔偿我就给差评", "buyer"),
    ("一点效果都没有", "buyer"),
    ("亲今天下午给您发出", "seller"),
    ("已经发货了单号是75312345678901", "seller"),
])
def test_the_tagger_reads_a_segmented_line_as_the_plain_one(text, role):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from extractor.nlp import get_tagger

    tagger = get_tagger(backoff=None)
    sent = datetime(2025, 7, 2, 10, 15, tzinfo=ZoneInfo("Asia/Shanghai"))
    # jieba's own dictionary, as another tool would cut it (not the tagger's user words)
    segmented = " ".join(w for w in _PLAIN_JIEBA.cut(text) if w.strip())
    assert segmented != text
    plain = {(t.label, t.reason) for t in tagger.tag_text(text, role, sent)}
    assert plain and {(t.label, t.reason) for t in tagger.tag_text(segmented, role, sent)} == plain
