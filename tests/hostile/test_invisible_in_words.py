"""A character that draws nothing, typed inside a word (差\\u200b评, 投\\u00ad诉, 过\\u2060敏),
must not hide a threat or a claim from the tagger.  The matching copy drops such
characters; everything the tagger reads (the prefilter, jieba's segments, the context
filters, the backoff) reads that copy; the tag's evidence is cut from the verbatim text,
and the HTML highlights the right original characters, the hidden one shown as its code
point inside the mark."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from extractor.nlp import get_tagger
from extractor.nlp.backoff import load_model
from extractor.nlp.normalize import normalize
from extractor.render.env import highlight

WHEN = datetime(2025, 6, 25, 10, 0, 11, tzinfo=ZoneInfo("Asia/Shanghai"))

# (text, role, the word that triggers it): each word gets a hidden character after its
# first character.
MESSAGES = [
    ("不发货我就差评", "buyer", "差评"),
    ("再不退款我就去投诉你们", "buyer", "投诉"),
    ("用了你们的精华脸上过敏了，又红又痒", "buyer", "过敏"),
    ("收到的时候外包装破损，瓶子都碎了", "buyer", "破损"),
    ("我要你们赔钱", "buyer", "赔钱"),
    ("什麼時候發貨啊，都三天了還沒發", "buyer", "發貨"),  # Traditional: OpenCC runs on the cleaned text
    ("亲，今天下午5点前一定给您发货", "seller", "发货"),
]
HIDDEN = {
    "zero width space": "\u200b", "soft hyphen": "\u00ad", "word joiner": "\u2060",
    "zero width non-joiner": "\u200c", "zero width joiner": "\u200d", "byte order mark": "\ufeff",
    "right-to-left override": "\u202e", "hangul filler": "\u3164", "tag space": "\U000e0020",
    "variation selector": "\ufe0f", "bell": "\x07",
}


@pytest.fixture(scope="module")
def tagger():
    return get_tagger()


def hide(text: str, word: str, ch: str) -> str:
    at = text.index(word) + 1
    return text[:at] + ch + text[at:]


def summary(tags):
    return [(t.label, t.reason, t.deadline, t.tracking) for t in tags]


@pytest.mark.parametrize("name", sorted(HIDDEN))
@pytest.mark.parametrize("text, role, word", MESSAGES, ids=[m[0][:6] for m in MESSAGES])
def test_a_hidden_character_inside_a_word_hides_no_tag(tagger, text, role, word, name):
    ch = HIDDEN[name]
    clean = tagger.tag_text(text, role, WHEN)
    assert clean, "the clean message must carry a tag"
    hostile = hide(text, word, ch)
    tags = tagger.tag_text(hostile, role, WHEN)
    assert summary(tags) == summary(clean)
    for before, after in zip(clean, tags):
        # verbatim: the evidence holds the hidden character wherever the clean one held the word
        expected = tuple(hide(e, word, ch) if word in e else e for e in before.evidence)
        assert after.evidence == expected and all(e in hostile for e in after.evidence)


@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_the_highlight_covers_the_original_characters(tagger, name):
    ch = HIDDEN[name]
    text = hide("不发货我就差评", "差评", ch)
    (tag,) = tagger.tag_text(text, "buyer", WHEN)
    html = str(highlight(text, tag.evidence))
    code = f"U+{ord(ch):04X}"
    assert f'<mark>差<span class="invisible" title="' in html
    assert html.endswith(f'">[{code}]</span>评</mark>') and html.startswith("不发货我就")


@pytest.mark.parametrize("text", ["我不会给差\u200b评的，放心", "如果过\u00ad敏能退吗", "已经不过\u2060敏了"])
def test_the_context_filters_read_the_cleaned_text(tagger, text):
    # the same words without the hidden character are set aside (negated, hypothetical,
    # resolved): so are they with it
    clean = "".join(ch for ch in text if ch not in "\u200b\u00ad\u2060")
    assert tagger.tag_text(clean, "buyer", WHEN) == ()
    assert tagger.tag_text(text, "buyer", WHEN) == ()


def test_jieba_and_the_backoff_see_the_cleaned_text(tagger):
    text, hostile = "盒子里只有一瓶，说好的两瓶呢", "盒\u200b子里只\u00ad有一瓶，说好\u2060的两\u3164瓶呢"
    clean, result = tagger.analyse_messages([(text, "buyer", WHEN), (hostile, "buyer", WHEN)])
    assert result.norm.text == clean.norm.text == "盒子里只有一瓶,说好的两瓶呢"
    assert summary(result.tags) == summary(clean.tags) != []
    segments = [t.text for t in tagger.nlp.make_doc(result.norm.text)]
    assert segments == [t.text for t in tagger.nlp.make_doc(clean.norm.text)] and "盒子" in segments
    model = load_model()
    a, b = model.scores([clean.norm.text]), model.scores([result.norm.text])
    assert np.array_equal(a.detector, b.detector) and np.array_equal(a.reasons, b.reasons)


@pytest.mark.parametrize("text, clean, span, original", [
    ("差\u200b评", "差评", (0, 2), "差\u200b评"),
    ("a \u200b b", "a b", (0, 3), "a \u200b b"),  # the space runs either side squeeze to one
    ("過\u00ad敏了", "过敏了", (0, 2), "過\u00ad敏"),
    ("我要\x07退款", "我要退款", (2, 4), "退款"),
    ("\u202e\u202c", "", (0, 0), ""),
    ("❤️好评", "❤️好评", (2, 4), "好评"),  # an emoji's presentation selector draws the emoji: kept
])
def test_the_matching_copy_maps_back_onto_the_original(text, clean, span, original):
    norm = normalize(text)
    assert norm.text == clean
    assert norm.original_span(*span) == original
