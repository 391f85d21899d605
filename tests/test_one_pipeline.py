"""One pipeline: `report` and `batch` (1 and 2 workers) run the same stages and write
the same cases, whatever the input; the facts both rest on are defined once."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from case_key_fixtures import main_account_folder, placeholder_folder, two_shops_folder
from extractor.batch import BatchOptions, run_batch
from extractor.cli import app
from extractor.model import Call, Event, Source
from extractor.stages import RunConfig, run_report

ROOT = Path(__file__).resolve().parents[1]
BJ = ZoneInfo("Asia/Shanghai")
FIXED = datetime(2025, 7, 10, 12, 0, 0, tzinfo=BJ)
ARGV = ("evidence", "run")
SHOP = "悦颜美妆旗舰店"
BROADCAST = "2025-03-08 20:12:30 悦颜美妆旗舰店:小雅: 亲，店庆活动：今天16点前付款的订单当天发出哦"


def _layout_b(buyer: str, lines: list[str]) -> str:
    return "\n".join(["消息记录", f"对象: {buyer}", "即时消息", *lines, ""])


@pytest.fixture(scope="module")
def broadcast_folder(tmp_path_factory) -> Path:
    """Two buyers' exports holding the same seller broadcast at the same second, a
    year-less call-notes file, and an order export."""
    root = tmp_path_factory.mktemp("broadcast")
    (root / "tb_alpha.txt").write_text(_layout_b("tb_alpha", [
        "2025-03-08 20:11:04 tb_alpha: 在吗？玫瑰面霜还有货吗",
        BROADCAST,
        "2025-03-12 09:00:00 tb_alpha: 用了过敏了，脸上起红疹，我要退货",
    ]), encoding="utf-8")
    (root / "tb_beta.txt").write_text(_layout_b("tb_beta", [
        BROADCAST,
        "2025-03-09 10:00:00 tb_beta: 怎么还没发货，不发我就给差评",
    ]), encoding="utf-8")
    shutil.copy(ROOT / "tests" / "data" / "calls" / "notes-yearless.txt", root / "notes-yearless.txt")
    return root


def _cases_and_registers(out: Path) -> dict[str, bytes]:
    wanted = {p for p in out.glob("*.json") if p.name != "run.json"}
    wanted |= {out / "register.csv", out / "register.xlsx"}
    return {p.name: p.read_bytes() for p in sorted(wanted)}


def _report(src: Path, out: Path) -> dict[str, bytes]:
    run_report([src], out, RunConfig(outputs=("json",)), FIXED, ARGV)
    return _cases_and_registers(out)


def _batch(src: Path, out: Path, workers: int) -> dict[str, bytes]:
    run_batch(src, out, BatchOptions(RunConfig(outputs=("json",)), workers=workers), argv=ARGV, generated_at=FIXED)
    return _cases_and_registers(out)


# Case keys (issue 14): two shops, placeholder nicks, a main account without a colon.
CASE_KEY_FOLDERS = {"two_shops": two_shops_folder, "placeholders": placeholder_folder,
                    "main_account": main_account_folder}


@pytest.mark.parametrize("source", ["corpora/demo", "corpora/eval/dev7", "corpora/eval/dev9", "broadcast",
                                    *CASE_KEY_FOLDERS])
def test_report_and_batch_write_byte_identical_cases_and_registers(source, broadcast_folder, tmp_path):
    if source in CASE_KEY_FOLDERS:
        src = CASE_KEY_FOLDERS[source](tmp_path / "in")
    else:
        src = broadcast_folder if source == "broadcast" else ROOT / source
    report = _report(src, tmp_path / "report")
    assert len(report) > 2  # cases as well as the registers
    assert _batch(src, tmp_path / "batch1", 1) == report
    assert _batch(src, tmp_path / "batch2", 2) == report


def _case_json(out: Path, buyer: str) -> dict:
    for path in out.glob("*.json"):
        if path.name != "run.json":
            data = json.loads(path.read_text("utf-8"))
            if data.get("buyer") == buyer:
                return data
    raise AssertionError(f"no case for {buyer}")


def _texts(case: dict) -> list[str]:
    return [e["text"] for e in case["events"]]


def test_a_broadcast_to_two_buyers_stays_in_both_cases(broadcast_folder, tmp_path):
    for out in (tmp_path / "r", tmp_path / "b"):
        if out.name == "r":
            run_report([broadcast_folder], out, RunConfig(outputs=("json",)), FIXED, ARGV)
        else:
            run_batch(broadcast_folder, out, BatchOptions(RunConfig(outputs=("json",)), workers=1),
                      argv=ARGV, generated_at=FIXED)
        text = BROADCAST.split(": ", 1)[1]
        for buyer in ("tb_alpha", "tb_beta"):
            assert text in _texts(_case_json(out, buyer)), (out.name, buyer)


def test_yearless_notes_get_the_runs_year_in_report_and_batch(broadcast_folder, tmp_path):
    report = run_report([broadcast_folder], tmp_path / "r", RunConfig(outputs=("json",)), FIXED, ARGV)
    batch = run_batch(broadcast_folder, tmp_path / "b", BatchOptions(RunConfig(outputs=("json",)), workers=1),
                      argv=ARGV, generated_at=FIXED)
    for result in (report, batch):
        notes = next(f for f in result.files if f.file.endswith("notes-yearless.txt"))
        assert notes.events == 2
        assert any("given the year 2025" in w.reason for w in notes.warnings)


def _src(line: int) -> Source:
    return Source("chat.txt", "0" * 64, "wangwang_a", line=line)


def test_an_incoming_call_note_answers_for_the_tag_and_for_the_summary():
    """The buyer called back two hours after the seller's message: no `buyer_silence`
    on the message, and the case says the buyer answered."""
    from extractor.cases import build_case
    from extractor.nlp import get_tagger

    t0 = datetime(2025, 6, 24, 10, 0, tzinfo=BJ)
    events = [
        Event(t0, "seller", "message", f"{SHOP}:小雅", "tb_lin8866", "亲，您的订单地址需要确认一下", _src(1)),
        Event(t0 + timedelta(hours=2), "seller", "note", f"{SHOP}:售后阿明", "tb_lin8866",
              "买家来电，说地址没问题", _src(2), call=Call("in", None, None, True)),
        Event(t0 + timedelta(days=3), "seller", "message", f"{SHOP}:小雅", "tb_lin8866", "亲，已经为您安排好了", _src(3)),
    ]
    tagged = get_tagger(backoff=None).tag_events(events)
    assert "buyer_silence" not in {t.label for t in tagged[0].tags}
    case = build_case("tb_lin8866", tagged, [])
    sentences = " ".join(s.text for s in case.summary)
    assert "未回复" not in sentences
    first = case.other_contacts.attempts[0]
    assert first.answered


def test_report_starts_from_a_tagged_timeline(tmp_path):
    runner = CliRunner()
    tagged = runner.invoke(app, ["tag", str(ROOT / "corpora" / "demo")])
    assert tagged.exit_code == 0, tagged.stderr
    timeline = tmp_path / "timeline.jsonl"
    timeline.write_text(tagged.stdout, encoding="utf-8")
    from_raw = run_report([ROOT / "corpora" / "demo"], tmp_path / "raw", RunConfig(outputs=("json",)), FIXED, ARGV)
    from_tags = run_report([timeline], tmp_path / "tagged", RunConfig(outputs=("json",), tagged=True), FIXED, ARGV)
    assert [c.buyer for c in from_tags.cases] == [c.buyer for c in from_raw.cases]
    for a, b in zip(from_raw.cases, from_tags.cases):
        raw = json.loads(Path(a.paths[0]).read_text("utf-8"))
        again = json.loads(Path(b.paths[0]).read_text("utf-8"))
        assert [e["tags"] for e in again["events"]] == [e["tags"] for e in raw["events"]]
        assert again["summary"] == raw["summary"] and again["risk"] == raw["risk"]


def test_the_cli_report_takes_tagged(tmp_path):
    runner = CliRunner()
    tagged = runner.invoke(app, ["tag", str(ROOT / "corpora" / "demo")])
    timeline = tmp_path / "t.jsonl"
    timeline.write_text(tagged.stdout, encoding="utf-8")
    result = runner.invoke(app, ["report", str(timeline), "--tagged", "-o", str(tmp_path / "out"), "--outputs", "json"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / "register.csv").exists()
