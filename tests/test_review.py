"""Review decisions: confirm, dismiss or add a tag by the event's stable key; applied by
`report --review FILE` after tagging and before the findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.model import Tag
from extractor.review import (Decision, ReviewError, apply_decisions, decision_from_dict, event_key,
                              read_decisions, write_decisions)
from report_fixtures import LIN, story

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def events(tmp_path):
    evs, _ = story(tmp_path)
    return evs


def _claim_event(events):
    return next(e for e in events if any(t.label == "return_claim" for t in e.tags))


def test_the_key_is_the_same_for_the_same_event_and_differs_between_events(tmp_path, events):
    again, _ = story(tmp_path / "again")
    # same content in another folder: the file's hash and the line are the same
    assert [event_key(e) for e in events] == [event_key(e) for e in again]
    assert len({event_key(e) for e in events}) == len(events)


def test_dismiss_removes_the_tag_confirm_and_add_mark_it(events):
    target = _claim_event(events)
    seller = next(e for e in events if any(t.label == "seller_contact" for t in e.tags))
    reason = next(t.reason for t in target.tags if t.label == "return_claim")
    key = event_key(target)
    decisions = [Decision(key, "dismiss", "return_claim", reason),
                 Decision(key, "add", "threat"),
                 Decision(event_key(seller), "confirm", "seller_contact")]
    outcome = apply_decisions(events, decisions)
    after = next(e for e in outcome.events if event_key(e) == key)
    assert not any(t.label == "return_claim" and t.reason == reason for t in after.tags)
    assert Tag("threat", reviewed="added") in after.tags
    confirmed = next(e for e in outcome.events if event_key(e) == event_key(seller))
    assert [t.reviewed for t in confirmed.tags if t.label == "seller_contact"] == ["confirmed"]
    assert len(outcome.applied) == 3 and not outcome.unmatched


def test_a_decision_for_an_event_not_in_the_run_is_unmatched(events):
    outcome = apply_decisions(events, [Decision("0" * 20, "dismiss", "threat")])
    assert outcome.events == tuple(events) and [d.event for d in outcome.unmatched] == ["0" * 20]


@pytest.mark.parametrize("line, message", [
    ('{"event": "abc", "action": "delete", "label": "threat"}', "action 'delete' is not one of confirm, dismiss, add"),
    ('{"event": "abc", "action": "add", "label": "refund"}', "unknown label 'refund'"),
    ('{"event": "abc", "action": "add", "label": "return_claim"}', "adding 'return_claim' needs its reason"),
    ('{"event": "abc", "action": "add", "label": "return_claim", "reason": "smell"}',
     "label 'return_claim' has no reason 'smell'"),
    ('{"event": "abc", "action": "confirm", "label": "threat", "at": "2025-07-08 10:00"}',
     "'at' must be an ISO 8601 time with its offset, not '2025-07-08 10:00'"),
    ('{"action": "confirm", "label": "threat"}', "'event' is missing or not a string"),
    ("not json", "not JSON"),
])
def test_a_bad_decision_names_the_file_and_line(tmp_path, line, message):
    path = tmp_path / "review.jsonl"
    path.write_text('{"event": "ok", "action": "dismiss", "label": "threat"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ReviewError) as err:
        read_decisions(path)
    assert str(err.value).startswith(f"[E403] {path}:2: {message}")


def test_decisions_round_trip_through_json_lines(tmp_path):
    d = [Decision("k1", "dismiss", "return_claim", "allergy", "小雅", "2025-07-08T10:00:00+08:00", "只是咨询")]
    path = tmp_path / "r.jsonl"
    path.write_text(write_decisions(d), encoding="utf-8")
    assert read_decisions(path) == d
    assert decision_from_dict(json.loads(path.read_text("utf-8")), "x") == d[0]


@pytest.mark.slow
def test_report_review_dismisses_a_claim_and_the_findings_follow(tmp_path):
    demo = ROOT / "corpora" / "demo"
    runner = CliRunner()
    # every claim stated, so that there is one to dismiss (the calibration leaves them 待核实)
    first = runner.invoke(app, ["report", str(demo), "-o", str(tmp_path / "a"), "--outputs", "json", "--no-calibration"])
    assert first.exit_code == 0, first.stderr
    case = json.loads((tmp_path / "a" / f"{LIN}.json").read_text("utf-8"))
    claim = case["claims"][0]
    event = next(e for e in case["events"] if e["id"] == claim["event"])
    decisions = [{"event": event["key"], "action": "dismiss", "label": t["label"], **({"reason": t["reason"]} if t.get("reason") else {})}
                 for t in event["tags"] if t["label"] == claim["label"]]
    decisions.append({"event": event["key"], "action": "add", "label": "threat", "who": "小雅"})
    decisions.append({"event": "f" * 20, "action": "dismiss", "label": "threat"})
    review = tmp_path / "review.jsonl"
    review.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in decisions), encoding="utf-8")
    second = runner.invoke(app, ["report", str(demo), "-o", str(tmp_path / "b"), "--outputs", "json,html",
                                 "--review", str(review), "--no-calibration"])
    assert second.exit_code == 0, second.stderr
    after = json.loads((tmp_path / "b" / f"{LIN}.json").read_text("utf-8"))
    mine = [c for c in after["claims"] if c["event"] == claim["event"]]
    assert [c["label"] for c in mine] == ["threat"]
    tags = next(e for e in after["events"] if e["key"] == event["key"])["tags"]
    assert {"label": "threat", "reviewed": "added"}.items() <= next(t for t in tags if t["label"] == "threat").items()
    assert "人工添加" in (tmp_path / "b" / f"{LIN}.html").read_text("utf-8")
    assert f"warning review decision dismiss threat on event {'f' * 20}: no such event in these inputs" in second.stderr
