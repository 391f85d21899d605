"""The case JSON: its contract, masking, and byte-identical output for the same inputs."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from extractor.cases import build_run
from extractor.model import event_from_dict
from extractor.render import Renderer, RenderOptions, render_run
from extractor.render.json import SCHEMA
from report_fixtures import FIXED_NOW, LIN, LIN_ORDER, story


@pytest.fixture(scope="module")
def lin_case(tmp_path_factory):
    events, files = story(tmp_path_factory.mktemp("story"))
    return next(c for c in build_run(events, files).cases if c.buyer == LIN)


@pytest.fixture(scope="module")
def lin_json(lin_case):
    return json.loads(Renderer(generated_at=FIXED_NOW).render("json", lin_case, "tb_lin8866"))


def test_contract(lin_json, lin_case):
    assert lin_json["schema"] == SCHEMA
    assert lin_json["tool"] == {"name": "evidence", "version": "0.1.0"}
    assert lin_json["buyer"] == LIN and lin_json["shop"] == "悦颜美妆旗舰店"
    assert lin_json["ship_within_hours"] == 72
    assert lin_json["phones_masked"] is True
    assert lin_json["risk"] == lin_case.risk
    (order,) = lin_json["orders"]
    assert order["id"] == LIN_ORDER
    assert order["paid"] == "2025-06-24T09:58:45+08:00"
    assert order["deadline"] == "2025-06-27T09:58:45+08:00"
    assert order["shipment"] == {"time": "2025-06-25T16:40:12+08:00", "earliest": "2025-06-25T16:40:12+08:00",
                                 "precision": "exact", "event": "E1", "via": "order",
                                 "carrier": "中通快递", "tracking": "75312345678901"}
    before = order["contacts"]["before_deadline"]
    assert (before["wangwang"], before["phone"], before["initiated"], before["answered"]) == (4, 2, 3, 0)
    assert lin_json["silence"]["hours"] == 108.9
    assert [p["status"] for p in lin_json["promises"]] == ["kept", "kept"]
    claim = lin_json["claims"][0]
    assert (claim["label"], claim["reason"], claim["hours_since_payment"]) == ("delay_claim", "out_of_stock", 83.25)
    assert [s["events"] for s in lin_json["summary"]] == [list(s.event_ids) for s in lin_case.summary]


def test_events_keep_the_parse_contract(lin_json, lin_case):
    assert [e["id"] for e in lin_json["events"]] == [ce.id for ce in lin_case.events]
    for data, ce in zip(lin_json["events"], lin_case.events):
        back = event_from_dict(data)
        assert back.time == ce.event.time and back.source == ce.event.source
        assert [t.label for t in back.tags] == [t.label for t in ce.event.tags]


def test_files_with_hashes(lin_json, lin_case):
    assert [(f["file"], f["sha256"], f["size"]) for f in lin_json["files"]] == [
        (f.file, f.sha256, f.size) for f in lin_case.files]
    wangwang = next(f for f in lin_json["files"] if f["format"] == "wangwang-a")
    assert wangwang["events_in_case"] == 10
    assert wangwang["warnings"][0].endswith("header line without 消息对象; taken from the file's later header")


def test_phones_masked_everywhere_by_default(lin_case):
    masked = Renderer(generated_at=FIXED_NOW).render("json", lin_case, "x").decode()
    shown = Renderer(generated_at=FIXED_NOW, mask_phones=False).render("json", lin_case, "x").decode()
    assert "13812345678" not in masked
    assert json.loads(masked)["events"][0]["order"]["phone"] == "138****5678"
    assert "13812345678" in shown and json.loads(shown)["phones_masked"] is False


def test_byte_identical_for_the_same_inputs_and_options(tmp_path):
    blobs = []
    for i in range(2):
        events, files = story(tmp_path / "in")
        render_run(build_run(events, files), tmp_path / f"out{i}",
                   RenderOptions(generated_at=FIXED_NOW + timedelta(days=i), argv=("evidence", "report", f"run{i}"),
                                 outputs=("json",)))
        blobs.append({p.name: p.read_bytes() for p in (tmp_path / f"out{i}").glob("*.json")})
    assert blobs[0] == blobs[1]
    assert set(blobs[0]) == {"tb_lin8866.json", "小鹿爱买买.json"}
    assert blobs[0]["tb_lin8866.json"].endswith(b"}\n")
