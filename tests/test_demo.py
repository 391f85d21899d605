"""The bundled demo corpus, end to end through the CLI: every label shows up."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from extractor.cli import app

ROOT = Path(__file__).resolve().parents[1]
LABELS = {"seller_contact", "seller_initiated", "buyer_silence", "shipping_promise", "shipped",
          "return_claim", "delay_claim", "compensation_demand", "threat"}


def test_evidence_tag_over_the_demo_corpus_shows_every_label():
    result = CliRunner().invoke(app, ["tag", str(ROOT / "corpora" / "demo")])
    assert result.exit_code == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    seen = {t["label"] for e in events for t in e["tags"]}
    assert seen == LABELS
    # Each buyer has one timeline; every event names its file and position.
    assert {e["buyer"] for e in events} >= {"tb_lin8866", "小鹿爱买买"}
    assert all(e["source"]["sha256"] and ({"line", "row", "page"} & e["source"].keys()) for e in events)
    times = [e["time"] for e in events]
    assert times == sorted(times)
