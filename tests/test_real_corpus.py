"""The real-dialogue corpus: rebuilding texts from a local snapshot into chat sheets and
eval gold, and what `evidence eval` says and scores for such a part.

No real dialogue is used (their licences forbid it): every test builds a tiny fake
snapshot of its own, a git repository laid out as the STC-3 source is, with texts written
here.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor import real_corpus
from extractor.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "corpora" / "real" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


rebuild = _load("rebuild")
REPO = "SB233/stc3-dataset"
TRAIN = [
    {"id": 101, "turns": [
        {"sender": "customer", "utterances": ["收到的杯子碎了一个，要求换货", ""]},
        {"sender": "helpdesk", "utterances": ["亲，明天给您补发一个", "第二行\n补发单号稍后告诉您"]},
        {"sender": "customer", "utterances": ["再不处理我就投诉"]}]},
    {"id": 102, "turns": [
        {"sender": "customer", "utterances": ["你们支持七天无理由吗"]},
        {"sender": "helpdesk", "utterances": ["支持的亲"]}]},
]
TEST = [{"id": 201, "turns": [
    {"sender": "customer", "utterances": ["下单三天了还不发货"]},
    {"sender": "helpdesk", "utterances": ["已经发出了，单号SF1234567890"]}]}]
TRAIN_PATH, TEST_PATH = "data.zip!/data/train_data_cn.json", "data/test_data_cn.json"
LABELS = {  # (path, dialogue, turn) -> labels
    (TRAIN_PATH, "101", 0): [{"label": "return_claim", "reason": "damaged"}],
    (TRAIN_PATH, "101", 2): [{"label": "shipping_promise", "deadline": "2024-03-06T23:59:59+08:00"}],
    (TRAIN_PATH, "101", 4): [{"label": "threat"}],
    (TEST_PATH, "201", 0): [{"label": "delay_claim", "reason": "late_shipment"}],
    (TEST_PATH, "201", 1): [{"label": "shipped", "tracking": "SF1234567890"}],
}


def _git(cwd: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "HOME": str(cwd), "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def snapshot(tmp_path):
    """(mirror folder, source string) of a fake STC-3 snapshot."""
    work = tmp_path / "mirror" / REPO.replace("/", "+") / "repo"
    (work / "data").mkdir(parents=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data/train_data_cn.json", json.dumps(TRAIN, ensure_ascii=False))
    (work / "data.zip").write_bytes(buffer.getvalue())
    (work / "data" / "test_data_cn.json").write_text(json.dumps(TEST, ensure_ascii=False), encoding="utf-8")
    _git(work, "init", "-q")
    _git(work, "add", ".")
    _git(work, "commit", "-q", "-m", "fake snapshot")
    return tmp_path / "mirror", f"{REPO}@{_git(work, 'rev-parse', 'HEAD').strip()}"


def _records(source: str) -> list[dict]:
    out = []
    for path, dialogues in ((TRAIN_PATH, TRAIN), (TEST_PATH, TEST)):
        for dialogue in dialogues:
            index = 0
            for turn in dialogue["turns"]:
                for text in turn["utterances"]:
                    if text:
                        out.append({"source": source, "path": path, "dialogue": str(dialogue["id"]), "turn": index,
                                    "speaker": "buyer" if turn["sender"] == "customer" else "seller",
                                    "sha": rebuild.turn_sha(text),
                                    "labels": LABELS.get((path, str(dialogue["id"]), index), [])})
                    index += 1
    return out


def _real_root(tmp_path: Path, records: list[dict]) -> Path:
    root = tmp_path / "real"
    (root / "gold" / "dev").mkdir(parents=True)
    shutil.copy(ROOT / "corpora" / "real" / "rebuild.py", root / "rebuild.py")
    (root / "gold" / "dev" / "01.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return root


def _build(root: Path, mirror: Path) -> int:
    return rebuild.main(["--mirror", str(mirror), "--gold", str(root / "gold"), "--out", str(root / "build")])


def test_rebuild_renders_chat_sheets_and_gold_keyed_by_row(tmp_path, snapshot):
    mirror, source = snapshot
    root = _real_root(tmp_path, _records(source))
    assert _build(root, mirror) == 0
    part = root / "build" / "dev"
    assert sorted(p.name for p in part.iterdir()) == ["eval.json", "gold.jsonl", "stc3-101.csv", "stc3-102.csv",
                                                       "stc3-201.csv"]
    raw = (part / "stc3-101.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"))))
    assert rows[0] == ["客户名", "消息序号", "发送时间", "发送内容", "发送账号", "账号类型"]
    # Turn 1 was an empty utterance: not a turn, so the clock skips its minute.
    assert rows[1:] == [
        ["stc3_101", "1", "2024-03-05 10:00:00", "收到的杯子碎了一个，要求换货", "stc3_101", "客户"],
        ["stc3_101", "2", "2024-03-05 10:02:00", "亲，明天给您补发一个", "店铺:客服", "客服"],
        ["stc3_101", "3", "2024-03-05 10:03:00", "第二行\n补发单号稍后告诉您", "店铺:客服", "客服"],
        ["stc3_101", "4", "2024-03-05 10:04:00", "再不处理我就投诉", "stc3_101", "客户"],
    ]
    gold = [json.loads(line) for line in (part / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    assert gold[:4] == [
        {"file": "stc3-101.csv", "row": 2, "labels": [{"label": "return_claim", "reason": "damaged"}]},
        {"file": "stc3-101.csv", "row": 3, "labels": [{"label": "shipping_promise",
                                                       "deadline": "2024-03-06T23:59:59+08:00"}]},
        {"file": "stc3-101.csv", "row": 4, "labels": []},
        {"file": "stc3-101.csv", "row": 5, "labels": [{"label": "threat"}]},
    ]
    assert len(gold) == 8
    scope = json.loads((part / "eval.json").read_text(encoding="utf-8"))
    assert scope["scored_labels"] == list(rebuild.SCORED_LABELS) and scope["sources"] == [source]
    assert scope["gold_digest"] == real_corpus._digest([root / "gold" / "dev" / "01.jsonl"])


@pytest.mark.parametrize("change,message", [
    (lambda r: r.update(sha="00000000"), "turn 0 of '101' differs from the snapshot"),
    (lambda r: r.update(speaker="seller", labels=[]), "turn 0 of '101' differs from the snapshot"),
    (lambda r: r.update(turn=1), "dialogue '101' has no turn 1 with text"),
    (lambda r: r.update(dialogue="999"), "dialogue '999' is not in"),
])
def test_rebuild_refuses_a_turn_that_is_not_the_snapshots(tmp_path, snapshot, capsys, change, message):
    mirror, source = snapshot
    records = _records(source)
    change(records[0])
    root = _real_root(tmp_path, records)
    (root / "build" / "dev").mkdir(parents=True)  # a stale build must not survive a failed one
    (root / "build" / "dev" / "gold.jsonl").write_text("", encoding="utf-8")
    assert _build(root, mirror) == 1
    err = capsys.readouterr().err
    assert "part dev: not built" in err and message in err and "01.jsonl:1:" in err
    assert not (root / "build" / "dev").exists()


@pytest.mark.parametrize("labels,speaker,message", [
    ([{"label": "seller_contact"}], "seller", "label 'seller_contact' is not scored on real parts"),
    ([{"label": "threat"}], "seller", "threat does not go on a seller turn"),
    ([{"label": "shipped", "tracking": None}], "buyer", "shipped does not go on a buyer turn"),
    ([{"label": "return_claim"}], "buyer", "return_claim needs a reason"),
    ([{"label": "return_claim", "reason": "broken"}], "buyer", "return_claim needs a reason"),
    ([{"label": "shipping_promise"}], "seller", "shipping_promise needs a deadline"),
    ([{"label": "shipping_promise", "deadline": "2024-03-06T23:59:59"}], "seller", "a deadline carries its offset (+08:00)"),
    ([{"label": "threat", "reason": "x"}], "buyer", "threat: unexpected reason"),
])
def test_gold_records_are_checked_against_the_contract(tmp_path, snapshot, capsys, labels, speaker, message):
    mirror, source = snapshot
    records = _records(source)
    records[3].update(speaker=speaker, labels=labels)
    assert _build(_real_root(tmp_path, records), mirror) == 1
    assert f"01.jsonl:4: {message}" in capsys.readouterr().err


def test_rebuild_names_the_fetch_when_the_snapshot_is_missing(tmp_path, snapshot, capsys):
    _, source = snapshot
    root = _real_root(tmp_path, _records(source))
    assert _build(root, tmp_path / "empty") == 1
    assert f"no snapshot of {REPO} under {tmp_path / 'empty'}" in capsys.readouterr().err


def test_rebuild_refuses_an_oversized_zip_member(tmp_path, snapshot, capsys, monkeypatch):
    mirror, source = snapshot
    monkeypatch.setattr(rebuild, "MAX_MEMBER_BYTES", 10)
    assert _build(_real_root(tmp_path, _records(source)), mirror) == 1
    assert "over the limit" in capsys.readouterr().err


def test_eval_says_how_to_get_the_texts_of_an_unbuilt_part(tmp_path, snapshot):
    _, source = snapshot
    root = _real_root(tmp_path, _records(source))
    for target in (root, root / "dev"):
        result = CliRunner().invoke(app, ["eval", str(target)])
        assert result.exit_code == 2
        assert result.stderr.startswith(f"error [E400] {root / 'dev'}: not built yet. ")
        assert f"github:{REPO} (commit {source.split('@')[1][:12]})" in result.stderr
        assert f"python {root / 'rebuild.py'} --mirror DIR" in result.stderr
    result = CliRunner().invoke(app, ["eval", str(root / "test")])
    assert result.exit_code == 2 and "no such part; the real corpus has dev" in result.stderr


def test_eval_scores_a_built_part_on_linguistic_labels_and_refuses_a_stale_one(tmp_path, snapshot):
    mirror, source = snapshot
    root = _real_root(tmp_path, _records(source))
    assert _build(root, mirror) == 0
    result = CliRunner().invoke(app, ["eval", str(root / "dev")])
    assert result.exit_code == 0, result.output
    labels = [line.split()[0] for line in result.stdout.splitlines()[3:] if line and line[0].isalpha()]
    assert "scored: shipping_promise, shipped, return_claim, delay_claim, compensation_demand, threat only" \
           in result.stdout
    assert not {"seller_contact", "seller_initiated", "buyer_silence"} & set(labels)
    assert "8 gold events" in result.stdout and "matched no parsed event" not in result.stdout
    with (root / "gold" / "dev" / "01.jsonl").open("a", encoding="utf-8") as gold:
        gold.write("\n")
    result = CliRunner().invoke(app, ["eval", str(root)])
    assert result.exit_code == 2 and "built from other gold than gold/ holds now" in result.stderr


def test_eval_real_flag_reads_the_corpus_below_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["eval", "--real"])
    assert result.exit_code == 2 and "run it from the repository root" in result.stderr
    for args in ([], ["--real", str(tmp_path)]):
        result = CliRunner().invoke(app, ["eval", *args])
        assert result.exit_code == 2 and result.stderr.startswith("error [E400] give a corpus folder")


def test_the_committed_gold_names_no_text_and_only_known_sources():
    """The stand-off gold carries keys and checksums, never a dialogue's words."""
    gold = ROOT / "corpora" / "real" / "gold"
    records = [json.loads(line) for f in sorted(gold.rglob("*.jsonl"))
               for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert records, "the pipeline sample is committed"
    for record in records:
        assert set(record) <= rebuild.RECORD_KEYS
        assert re.fullmatch(r"[a-z_]+", record.get("decoy", "none"))
        assert rebuild.split_source(record["source"])[0] in rebuild.READERS
        assert len(record["sha"]) == 8 and int(record["sha"], 16) >= 0


def test_the_committed_selection_is_keys_and_counts_in_two_thirds_dev():
    rows = [json.loads(line) for line in
            (ROOT / "corpora" / "real" / "selection.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {tuple(sorted(r)) for r in rows} == {("batch", "dialogue", "groups", "part", "path", "source", "turns")}
    assert {r["part"] for r in rows if r["batch"] <= "04"} == {"dev"}
    assert {r["part"] for r in rows if r["batch"] > "04"} == {"heldout"}
    assert len({(r["source"], r["path"], r["dialogue"]) for r in rows}) == len(rows)
    assert len({r["source"].split("@")[0] for r in rows}) >= 2 and sum(r["turns"] for r in rows) >= 5500
