"""A timeline file can claim any source: events read from one cite the file they were
read from, the claim is kept apart as unverified, and only a file that is plainly the
tool's own output is read as a timeline."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from extractor.cli import app
from extractor.model import event_to_dict
from extractor.timeline import parse_paths

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "corpora" / "demo"


def _forged_timeline() -> str:
    """The demo's own events, with a promise added that claims a genuine demo file."""
    events = parse_paths([DEMO]).events
    genuine = next(e for e in events if e.role == "seller" and e.kind == "message")
    lines = [json.dumps(event_to_dict(e), ensure_ascii=False) for e in events]
    forged = event_to_dict(genuine)
    forged["text"] = "亲，今天中午12点前一定给您发货"
    lines.append(json.dumps(forged, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def test_a_txt_holding_timeline_lines_is_not_read_as_a_timeline(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text(_forged_timeline(), encoding="utf-8")
    result = parse_paths([path])
    assert not any(e.source.format == "jsonl" for e in result.events)
    assert not any(s.file.startswith(str(DEMO)) for e in result.events for s in e.all_sources())


def test_events_of_a_timeline_cite_it_and_keep_the_claim_unverified(tmp_path):
    path = tmp_path / "timeline.jsonl"
    path.write_text(_forged_timeline(), encoding="utf-8")
    events = parse_paths([path]).events
    assert {s.file for e in events for s in e.all_sources()} == {str(path)}
    assert all(e.recorded and e.recorded[0].file.startswith(str(DEMO)) for e in events)


def test_verify_of_a_report_from_a_timeline_needs_the_timeline(tmp_path):
    path = tmp_path / "timeline.jsonl"
    path.write_text(_forged_timeline(), encoding="utf-8")
    out = tmp_path / "out"
    runner = CliRunner()
    made = runner.invoke(app, ["report", str(path), "--tagged", "-o", str(out), "--outputs", "html,json"])
    assert made.exit_code == 0, made.stderr
    report = next(p for p in out.glob("*.json"))
    html = report.with_suffix(".html").read_text("utf-8")
    assert "所记来源（未核验）" in html
    against_demo = runner.invoke(app, ["verify", str(report), str(DEMO)])
    assert against_demo.exit_code != 0
    against_timeline = runner.invoke(app, ["verify", str(report), str(path)])
    assert against_timeline.exit_code == 0, against_timeline.stdout


def test_a_timeline_line_with_a_key_the_contract_lacks_is_not_sniffed(tmp_path):
    path = tmp_path / "timeline.jsonl"
    line = json.loads(_forged_timeline().splitlines()[0])
    line["note"] = "anything"
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    (report,) = parse_paths([path]).files
    assert report.format != "jsonl" and not report.ok
