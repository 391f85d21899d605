"""Claim confidence: counts by label, reason, trigger word and backoff, shrunk toward
the wider group; the threshold is the lowest confidence whose claims reach the target."""

from __future__ import annotations

import pytest

from extractor.errors import RulesError
from extractor.model import Event, Source, Tag
from extractor.nlp.calibration import Calibration, choose_threshold, fit, from_json, reliability, with_confidence


def _pairs():
    sure = [(Tag("return_claim", ("过敏",), reason="allergy"), True)] * 30
    loose = [(Tag("return_claim", ("坏了",), reason="quality"), i % 4 == 0) for i in range(40)]
    model = [(Tag("threat", ("差评",), score=0.7), i % 2 == 0) for i in range(10)]
    return sure + loose + model


def test_a_word_right_every_time_is_surer_than_one_right_a_quarter_of_the_time():
    cal = fit(_pairs())
    allergy = cal.confidence(Tag("return_claim", ("过敏",), reason="allergy"))
    broken = cal.confidence(Tag("return_claim", ("坏了",), reason="quality"))
    assert allergy > 0.9 > 0.4 > broken
    # an unseen word falls back to its reason, then to the label
    unseen = cal.confidence(Tag("return_claim", ("起球",), reason="quality"))
    assert broken <= unseen < allergy
    assert cal.confidence(Tag("compensation_demand", ("赔",))) is None  # never counted


def test_the_threshold_keeps_the_precision_and_drops_the_rest():
    cal = fit(_pairs())
    assert cal.threshold is not None
    kept = [ok for t, ok in _pairs() if t.label == "return_claim" and cal.confidence(t) >= cal.threshold]
    assert len(kept) >= 20 and sum(kept) / len(kept) >= 0.95
    assert cal.stated(Tag("return_claim", ("过敏",), reason="allergy", confidence=cal.threshold))
    assert not cal.stated(Tag("return_claim", ("坏了",), reason="quality", confidence=0.1))
    assert cal.stated(Tag("return_claim", ("坏了",), reason="quality", confidence=0.1, reviewed="confirmed"))
    assert cal.stated(Tag("shipped"))  # not a claim: always stated


def test_no_threshold_when_nothing_reaches_the_target():
    assert choose_threshold([(0.5, i % 2 == 0) for i in range(50)]) is None
    assert choose_threshold([(0.9, True)] * 10) is None  # too few to believe


def test_reliability_bins_count_every_claim():
    bins = reliability([(0.1, False), (0.95, True), (1.0, True), (0.5, True)])
    assert sum(n for _, n, _ in bins) == 4 and bins[-1][1:] == (2, 1.0)


def test_with_confidence_sets_it_on_claim_tags_only(tmp_path):
    cal = fit(_pairs())
    src = Source("chat.txt", "0" * 64, "wangwang-a", line=1)
    from datetime import datetime, timezone
    event = Event(datetime(2025, 1, 1, tzinfo=timezone.utc), "buyer", "message", "tb", "tb", "用了过敏", src,
                  tags=(Tag("return_claim", ("过敏",), reason="allergy"), Tag("seller_contact")))
    (out,) = with_confidence([event], cal)
    assert out.tags[0].confidence == cal.confidence(event.tags[0]) and out.tags[1].confidence is None


@pytest.mark.parametrize("data, message", [
    ({"schema": "x"}, "not an evidence-calibration/1 file"),
    ({"schema": "evidence-calibration/1", "labels": {"shipped": {}}}, "'labels' must map claim labels"),
    ({"schema": "evidence-calibration/1", "labels": {}, "threshold": 3}, "threshold must be a number from 0 to 1"),
])
def test_a_bad_calibration_file_is_a_rules_error(data, message):
    with pytest.raises(RulesError, match=message):
        from_json(data, "x.json")
    assert isinstance(from_json(fit(_pairs()).to_json(), "ok"), Calibration)
