"""State only what is sure: a claim below the calibration's threshold is listed as
待核实, never in the summary, the risk line or the register; a person's confirmation
states it."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

import extractor.nlp.calibration as calibration
from extractor.cases import build_run
from extractor.nlp.calibration import Calibration
from extractor.render import Renderer
from report_fixtures import FIXED_NOW, LIN, story


@pytest.fixture()
def strict(monkeypatch):
    cal = Calibration({"return_claim": {"all": [1, 10]}, "threat": {"all": [9, 10]},
                       "delay_claim": {"all": [9, 10]}, "compensation_demand": {"all": [9, 10]}}, threshold=0.8)
    monkeypatch.setattr(calibration, "builtin", lambda: cal)
    return cal


def _with_confidence(events, cal):
    return [replace(e, tags=tuple(replace(t, confidence=cal.confidence(t)) if t.label in calibration.CLAIM_LABELS
                                  else t for t in e.tags)) for e in events]


def test_an_unsure_claim_is_listed_but_not_stated(tmp_path, strict):
    events, files = story(tmp_path)
    case = next(c for c in build_run(_with_confidence(events, strict), files).cases if c.buyer == LIN)
    assert case.unsure and all(c.label == "return_claim" for c in case.unsure)
    assert not any(c.label == "return_claim" for c in case.claims)
    assert not any("退货" in s.text for s in case.summary)
    assert "过敏" not in case.risk
    renderer = Renderer(generated_at=FIXED_NOW)
    html = renderer.render("html", case, LIN).decode("utf-8")
    assert "待核实（未计入结论）" in html
    data = json.loads(renderer.render("json", case, LIN))
    assert {c["label"] for c in data["unsure_claims"]} == {"return_claim"}
    assert all(c["confidence"] < 0.8 for c in data["unsure_claims"])


def test_a_confirmed_claim_is_stated_whatever_its_confidence(tmp_path, strict):
    events, files = story(tmp_path)
    events = _with_confidence(events, strict)
    events = [replace(e, tags=tuple(replace(t, reviewed="confirmed") if t.label == "return_claim" else t
                                    for t in e.tags)) for e in events]
    case = next(c for c in build_run(events, files).cases if c.buyer == LIN)
    assert not case.unsure and any(c.label == "return_claim" for c in case.claims)


def test_without_a_calibration_every_claim_is_stated(tmp_path, monkeypatch):
    monkeypatch.setattr(calibration, "builtin", lambda: None)
    events, files = story(tmp_path)
    case = next(c for c in build_run(events, files).cases if c.buyer == LIN)
    assert not case.unsure and any(c.label == "return_claim" for c in case.claims)
