"""The statistical backoff: features, the model file, where it may tag, training."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

from extractor.cli import app
from extractor.nlp import Tagger
from extractor.nlp.backoff import (END, READ_LIMIT, REPEAT_PERIOD, START, ModelError, grams, gram_key, load_model,
                                   model_from_json)
from extractor.nlp.training import Example, _counts, _Held, fit, train, write_model

ROOT = Path(__file__).resolve().parents[1]
BJ = ZoneInfo("Asia/Shanghai")
WHEN = datetime(2024, 5, 6, 10, 0, tzinfo=BJ)
runner = CliRunner()


def reference_grams(text: str) -> list[tuple[int, int, int]]:
    marked = START + text[:READ_LIMIT].replace("\n", " ") + END
    return sorted((gram_key(marked[i:i + n]), i, n) for n in (1, 2, 3) for i in range(len(marked) - n + 1)
                  if all(marked[i - p:i - p + n] != marked[i:i + n] for p in range(1, REPEAT_PERIOD + 1) if i >= p))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("过敏了吗？a\n\x00\U0001F600"), max_size=30)
                | st.text(max_size=12), max_size=6))
def test_batched_ngrams_are_each_texts_own(texts):
    g = grams(texts)
    for i, text in enumerate(texts):
        mine = g.message == i
        got = sorted(zip(g.keys[mine].tolist(), g.start[mine].tolist(), g.order[mine].tolist()))
        assert got == reference_grams(text)
        assert g.positions[i] == len(reference_grams(text))


def test_a_repeated_phrase_weighs_as_much_as_said_once():
    once, many = grams(["过敏了？"]), grams(["过敏了？" * 50 + "？" * 100])
    # new n-grams only where the phrase meets itself and where it meets the run of ？
    assert many.positions[0] - once.positions[0] == len({"？过", "？过敏", "了？过", "？？", "？？？", "了？？"})


def tiny_examples() -> list[Example]:
    claims = ["收到少了两瓶", "盒子里少了一个", "少发了一件啊", "只收到一个少了一个"]
    others = ["在吗", "好的谢谢", "什么时候发货", "收到了很好", "好的亲", "谢谢老板"]
    return ([Example("a", t, frozenset({"missing_item"}), False) for t in claims]
            + [Example("b", t, frozenset(), False) for t in others]
            + [Example("b", "不给补偿就差评", frozenset(), True), Example("a", "你们得补偿我", frozenset(), True)])


def test_a_model_survives_its_file(tmp_path):
    model = fit(tiny_examples(), {"return_claim": 0.5, "reason": 0.0, "compensation_demand": 0.5})
    path = tmp_path / "model.json"
    write_model(model, path)
    loaded = load_model(path)
    texts = ["少了一个", "在吗", "补偿我"]
    a, b = model.scores(texts), loaded.scores(texts)
    assert np.allclose(a.detector, b.detector, atol=1e-3) and np.allclose(a.reasons, b.reasons, atol=1e-3)
    assert a.detector[0, 0] > 0.5 > a.detector[1, 0]  # it learned something, and kept it


def good_model() -> dict:
    return {"format": "evidence-backoff", "version": 1, "orders": [1, 2, 3],
            "outputs": {"detector": ["return_claim", "compensation_demand"],
                        "reasons": ["ineffective", "allergy", "quality", "damaged", "wrong_item", "missing_item",
                                    "not_as_described", "no_reason"]},
            "thresholds": {"return_claim": 0.9, "reason": 0.5, "compensation_demand": 0.9},
            "bias": [-3.0] * 10, "features": [["少了", [4.0] + [0.0] * 6 + [3.0, 0.0, 0.0]]]}


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(format="other"), 'not a backoff model (expected "format": "evidence-backoff")'),
    (lambda m: m.update(version=2), "version 2 is not supported (this is version 1)"),
    (lambda m: m["thresholds"].update(reason=1.5), "threshold reason must be a number from 0 to 1, not 1.5"),
    (lambda m: m["thresholds"].pop("reason"),
     "thresholds must name return_claim, compensation_demand, reason"),
    (lambda m: m.update(bias=[0.0]), "bias must be 10 numbers"),
    (lambda m: m["features"].append(["少了", [0.0] * 10]), "feature 2 ('少了') is listed twice"),
    (lambda m: m["features"].append(["四个字符", [0.0] * 10]),
     "feature 2 must be [an n-gram of 1-3 characters, 10 numbers]"),
    (lambda m: m["features"].append(["少", [float("nan")] * 10]),
     "feature 2 must be [an n-gram of 1-3 characters, 10 numbers]"),
])
def test_a_bad_model_file_names_the_file_and_the_problem(change, message):
    data = good_model()
    change(data)
    with pytest.raises(ModelError) as info:
        model_from_json(data, "mine.json")
    assert str(info.value) == f"[E201] backoff model mine.json: {message}; retrain it with `evidence train`"


def test_the_cli_refuses_a_bad_model_before_parsing(tmp_path):
    bad = tmp_path / "model.json"
    bad.write_text("{", encoding="utf-8")
    result = runner.invoke(app, ["tag", str(tmp_path / "nothing-here"), "--backoff", str(bad)])
    assert result.exit_code == 3
    assert result.stderr.startswith(f"error [E201] backoff model {bad}: not valid JSON (")


def test_backoff_and_no_backoff_exclude_each_other(tmp_path):
    result = runner.invoke(app, ["tag", str(tmp_path), "--backoff", "m.json", "--no-backoff"])
    assert result.exit_code == 2
    assert result.stderr == "error [E400] --backoff and --no-backoff exclude each other; give one\n"


@pytest.fixture(scope="module")
def eager_tagger(tmp_path_factory):
    """The shipped model with every threshold at 0: it tags wherever it is allowed to."""
    data = load_model().to_json()
    data["thresholds"] = {"return_claim": 0.0, "reason": 0.0, "compensation_demand": 0.0}
    path = tmp_path_factory.mktemp("model") / "eager.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return Tagger(backoff=path)


def test_the_backoff_speaks_only_where_the_rules_found_no_trigger(eager_tagger):
    # a trigger the rules rejected (negation, policy question) stays rejected
    for text in ("不是质量问题，就是问问", "如果过敏能退吗", "已经不过敏了"):
        assert "return_claim" not in {t.label for t in eager_tagger.tag_text(text, "buyer", WHEN)}
    for text in ("我不要赔偿，只想退货", "赔偿就算了"):
        assert "compensation_demand" not in {t.label for t in eager_tagger.tag_text(text, "buyer", WHEN)}
    # a seller never makes a buyer's claim
    assert eager_tagger.tag_text("亲，盒子里是两瓶哦", "seller", WHEN) == ()
    # elsewhere it tags: with its probability and words cut from the verbatim text
    text = "盒子裡 只有 一瓶？？"
    tags = eager_tagger.tag_text(text, "buyer", WHEN)
    assert {t.label for t in tags} == {"return_claim", "compensation_demand"}
    for tag in tags:
        assert 0.0 <= tag.score <= 1.0
        assert tag.evidence and all(word in text for word in tag.evidence)
    claim = next(t for t in tags if t.label == "return_claim")
    assert all(word == word.strip(" ？?") for word in claim.evidence)  # no bare punctuation at the edges


def test_rule_tags_carry_no_score():
    tags = Tagger(backoff=None).tag_text("用了脸上过敏了", "buyer", WHEN)
    assert [(t.label, t.reason, t.score) for t in tags] == [("return_claim", "allergy", None)]


def test_traditional_and_full_width_score_as_simplified():
    model = load_model()
    tagger = Tagger(backoff=None)
    simplified = tagger.analyse_messages([("箱子里只有18罐，说好的24罐呢", "buyer", WHEN)])[0].norm.text
    traditional = tagger.analyse_messages([("箱子裡只有１８罐，說好的２４罐呢", "buyer", WHEN)])[0].norm.text
    a, b = model.scores([simplified]), model.scores([traditional])
    assert np.array_equal(a.detector, b.detector) and np.array_equal(a.reasons, b.reasons)


def held(reasons=(), rule_reasons=(), triggered=(), claim=0.0, reason="missing_item", reason_prob=1.0):
    example = Example("p", "…", frozenset(reasons), False, frozenset(rule_reasons), False, frozenset(triggered))
    return _Held(example, claim, 0.0, reason, reason_prob)


def test_cross_validation_counts_what_the_tagger_would_do():
    cases = [
        held(reasons={"missing_item"}, claim=0.9),  # found by the backoff: tp
        held(reasons={"missing_item"}, claim=0.9, triggered={"return_claim"}),  # rules' trigger: fn
        held(claim=0.9),  # fp
        held(reasons={"quality"}, claim=0.9, reason="damaged"),  # wrong reason: fp and fn
        held(reasons={"quality"}, rule_reasons={"quality"}, claim=0.99, reason="damaged"),  # rules win: tp
        held(reasons={"missing_item"}, claim=0.9, reason_prob=0.3),  # unsure of the reason: fn
    ]
    assert _counts(cases, 0.8, 0.5, 1.0)[0] == (2, 2, 3)
    assert _counts(cases, 1.0, 0.0, 1.0)[0] == (1, 0, 4)  # threshold 1: the rules alone


def test_the_shipped_model_is_what_training_on_its_parts_gives():
    shipped = load_model()
    parts = [ROOT / "corpora" / "eval" / name for name in shipped.trained_on["parts"]]
    retrained, cv = train(parts, thresholds=shipped.thresholds)
    assert cv is None
    assert retrained.trained_on == shipped.trained_on
    assert np.array_equal(retrained.keys, shipped.keys)
    assert np.allclose(retrained.weights, shipped.weights, atol=1e-3)
    assert np.allclose(retrained.bias, shipped.bias, atol=1e-3)


def test_train_cli_checks_its_parts(tmp_path):
    result = runner.invoke(app, ["train", str(tmp_path), "--out", str(tmp_path / "m.json")])
    assert result.exit_code == 2
    assert result.stderr == f"error [E400] {tmp_path}: not a labelled corpus part (no gold.jsonl in it)\n"
