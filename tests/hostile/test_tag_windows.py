"""A huge message is tagged in windows: the tagger never holds a Doc longer than the
window (memory bounded by the limit, not the message), and a claim anywhere in it is
found."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from extractor.limits import TAG_WINDOW_CHARS
from extractor.model import Event, Source
from extractor.nlp import get_tagger
from extractor.nlp.tagger import Tagger, _windows

BJ = ZoneInfo("Asia/Shanghai")


def _buyer(text: str) -> Event:
    return Event(datetime(2025, 6, 27, 21, 15, tzinfo=BJ), "buyer", "message", "tb_x", "tb_x", text,
                 Source("chat.txt", "0" * 64, "wangwang-a", line=2))


@pytest.mark.parametrize("size", [10, 1000, TAG_WINDOW_CHARS])
def test_windows_cover_the_text_exactly_and_stay_within_the_size(size):
    text = ("今天天气不错，" * 5000) + "没有标点的一长段" * 700
    windows = _windows(text, size)
    assert "".join(windows) == text
    assert all(0 < len(w) <= size for w in windows)


def test_a_claim_at_the_end_of_a_huge_message_is_found_and_no_doc_is_longer_than_a_window(monkeypatch):
    tagger = get_tagger((), None)
    longest = []
    real = Tagger.analyse_messages

    def spy(self, messages):
        longest.append(max((len(t) for t, _, _ in messages), default=0))
        return real(self, messages)

    monkeypatch.setattr(Tagger, "analyse_messages", spy)
    filler = "我想问一下这个东西怎么用，" * (TAG_WINDOW_CHARS // 4)
    (event,) = tagger.tag_events([_buyer(filler + "再不处理我就去投诉你们")])
    assert any(t.label == "threat" for t in event.tags)
    assert max(longest) <= TAG_WINDOW_CHARS
    assert event.text.endswith("再不处理我就去投诉你们")  # the evidence is kept whole


def test_a_short_message_is_tagged_as_before():
    tagger = get_tagger((), None)
    (event,) = tagger.tag_events([_buyer("用了过敏了，我要退货")])
    assert [(t.label, t.reason) for t in event.tags if t.label == "return_claim"] == [("return_claim", "allergy")]
