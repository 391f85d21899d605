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


def _committed_selection() -> list[dict]:
    return [json.loads(line) for line in
            (ROOT / "corpora" / "real" / "selection.jsonl").read_text(encoding="utf-8").splitlines()]


def _committed_gold() -> list[tuple[Path, dict]]:
    gold = ROOT / "corpora" / "real" / "gold"
    return [(f, json.loads(line)) for f in sorted(gold.rglob("*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]


# Each round's batches and the part they belong to (two thirds dev, one third held out).
ROUNDS = ({"01": "dev", "02": "dev", "03": "dev", "04": "dev", "05": "heldout", "06": "heldout"},
          {"07": "dev", "08": "dev", "09": "heldout"})


def test_the_committed_selection_is_keys_and_counts_in_two_thirds_dev():
    rows = _committed_selection()
    assert {tuple(sorted(r)) for r in rows} == {("batch", "dialogue", "groups", "part", "path", "source", "turns")}
    parts = {b: p for r in ROUNDS for b, p in r.items()}
    assert {(r["batch"], r["part"]) for r in rows} == set(parts.items())
    assert len({(r["source"], r["path"], r["dialogue"]) for r in rows}) == len(rows)
    for batches in ROUNDS:
        members = [r for r in rows if r["batch"] in batches]
        dev = sum(1 for r in members if r["part"] == "dev")
        assert abs(dev / len(members) - 2 / 3) < 0.02, (sorted(batches), dev, len(members))
    assert len({r["source"].split("@")[0] for r in rows}) >= 3 and sum(r["turns"] for r in rows) >= 7000


def test_every_selected_dialogue_of_round_two_is_labelled_in_its_batch_file():
    """Round 2 was labelled whole: each batch file holds exactly its selected dialogues."""
    rows = _committed_selection()
    gold = ROOT / "corpora" / "real" / "gold"
    for batch, part in ROUNDS[1].items():
        records = [json.loads(line) for line in (gold / part / f"{batch}.jsonl").read_text(encoding="utf-8").splitlines()]
        chosen = {(r["source"], r["path"], r["dialogue"]): r["turns"] for r in rows if r["batch"] == batch}
        labelled: dict = {}
        for record in records:
            key = (record["source"], record["path"], record["dialogue"])
            labelled[key] = labelled.get(key, 0) + 1
        assert labelled == chosen, batch


def test_the_committed_gold_keys_are_unique_and_its_labels_hold_no_free_text():
    seen: dict = {}
    for file, record in _committed_gold():
        key = (record["source"], record["path"], record["dialogue"], record["turn"])
        assert key not in seen, f"{file}: {key} labelled again (first in {seen[key]})"
        seen[key] = file
        assert isinstance(record["turn"], int) and record["turn"] >= 0
        assert record["speaker"] in ("buyer", "seller")
        for label in record["labels"]:
            assert set(label) <= {"label", "reason", "deadline", "tracking"}, (file, key)
            assert all(v is None or (isinstance(v, str) and len(v) <= 40) for v in label.values()), (file, key)


def _mirror_has(source: str) -> bool:
    try:
        rebuild.git_dir(rebuild.DEFAULT_MIRROR, source.split("@")[0])
    except rebuild.RebuildError:
        return False
    return True


@pytest.mark.parametrize("source", sorted({r["source"] for _, r in _committed_gold()}))
def test_the_committed_gold_matches_the_snapshot_when_it_is_present(source):
    """Each record's turn exists in its source with the recorded speaker and checksum
    (only where a snapshot of the source is on this machine; CI has none)."""
    if not _mirror_has(source):
        pytest.skip(f"no snapshot of {source} under {rebuild.DEFAULT_MIRROR}")
    snapshots = rebuild.Snapshots(rebuild.DEFAULT_MIRROR)
    for file, record in _committed_gold():
        if record["source"] != source:
            continue
        turns = {t.index: t for t in snapshots.dialogues(source, record["path"]).get(record["dialogue"], [])}
        assert turns, f"{file}: dialogue {record['dialogue']} is not in {record['path']}"
        turn = turns.get(record["turn"])
        assert turn is not None and turn.text.strip(), f"{file}: {record['dialogue']} has no turn {record['turn']}"
        assert (turn.speaker, rebuild.turn_sha(turn.text)) == (record["speaker"], record["sha"]), (file, record["turn"])


UNEED = "LeeeeoLiu/U-NEED"
EXAMPLES = [  # written here; the shape of the repository's examples.md blocks
    {"sid": "aa01", "dialogue": [{"sender_type": "用户", "send_content": "这款面霜敏感肌能用吗"},
                                 {"sender_type": "客服", "send_content": "可以的亲，今天下单明天发货"}]},
    {"sid": "bb02", "dialogue": [{"sender_type": "用户", "send_content": "收到的瓶子漏了"},
                                 {"sender_type": "客服", "send_content": "抱歉亲，给您补发"}]},
]


def _examples_md(blocks: list[str]) -> str:
    return "U-NEED 样例\n\n" + "".join(f"# 行业 {i}\n```json\n{b}\n```\n\n" for i, b in enumerate(blocks))


def _uneed_snapshot(tmp_path: Path, text: str) -> tuple[Path, str]:
    work = tmp_path / "mirror" / UNEED.replace("/", "+") / "repo"
    work.mkdir(parents=True)
    (work / "examples.md").write_text(text, encoding="utf-8")
    _git(work, "init", "-q")
    _git(work, "add", ".")
    _git(work, "commit", "-q", "-m", "fake snapshot")
    return tmp_path / "mirror", f"{UNEED}@{_git(work, 'rev-parse', 'HEAD').strip()}"


def test_the_u_need_examples_reader_takes_each_fenced_json_block_as_a_dialogue(tmp_path):
    blocks = [json.dumps(d, ensure_ascii=False, indent=2) for d in EXAMPLES]
    mirror, source = _uneed_snapshot(tmp_path, _examples_md(blocks))
    dialogues = rebuild.Snapshots(mirror).dialogues(source, "examples.md")
    assert {k: [(t.index, t.speaker, t.text) for t in v] for k, v in dialogues.items()} == {
        "aa01": [(0, "buyer", "这款面霜敏感肌能用吗"), (1, "seller", "可以的亲，今天下单明天发货")],
        "bb02": [(0, "buyer", "收到的瓶子漏了"), (1, "seller", "抱歉亲，给您补发")],
    }
    records = [{"source": source, "path": "examples.md", "dialogue": "bb02", "turn": i, "speaker": s,
                "sha": rebuild.turn_sha(t), "labels": labels}
               for i, (s, t, labels) in enumerate([("buyer", "收到的瓶子漏了", [{"label": "return_claim", "reason": "damaged"}]),
                                                   ("seller", "抱歉亲，给您补发", [{"label": "shipping_promise", "deadline": None}])])]
    root = _real_root(tmp_path, records)
    assert _build(root, mirror) == 0
    assert sorted(p.name for p in (root / "build" / "dev").iterdir()) == ["eval.json", "gold.jsonl", "uneedex-bb02.csv"]


@pytest.mark.parametrize("text", [
    "no fenced block at all",
    _examples_md(['{"sid": "x", "dialogue": [{"sender_type": "用户"']),  # a block cut short
    _examples_md(['{"sid": "x", "dialogue": [{"sender_type": "店小二", "send_content": "在"}]}']),  # unknown sender
])
def test_the_u_need_examples_reader_refuses_a_file_it_cannot_read(tmp_path, text):
    mirror, source = _uneed_snapshot(tmp_path, text)
    with pytest.raises(rebuild.RebuildError, match="examples.md: not in the expected format"):
        rebuild.Snapshots(mirror).dialogues(source, "examples.md")


selection = _load("selection")


def _candidate(key: str, turns: int, goods: bool, whole: bool = False, source: str = "s@1") -> dict:
    return {"source": source, "path": "p", "dialogue": key, "turns": turns, "groups": [],
            "_order": selection.order_key(source, "p", key, selection.ROUND2_SEED), "_goods": goods, "_whole": whole}


def test_round_two_takes_untaken_goods_dialogues_and_small_files_whole_in_two_thirds_dev(monkeypatch):
    monkeypatch.setattr(selection, "ROUND2_TARGET_TURNS", 40)
    found = [_candidate(f"g{i}", 5, goods=True) for i in range(12)] + [_candidate(f"n{i}", 5, goods=False)
                                                                       for i in range(5)]
    found += [_candidate("u1", 3, goods=False, whole=True, source="small@2")]
    taken = [dict(found[0])]  # chosen in round 1: never again
    chosen = selection.select_round2(found, taken)
    keys = {c["dialogue"] for c in chosen}
    assert "g0" not in keys and "u1" in keys and not {k for k in keys if k.startswith("n")}
    assert sum(c["turns"] for c in chosen) >= 40 and len(keys) == 1 + 8  # the whole file, then goods to the target
    assert [c["batch"] for c in chosen] == [selection.ROUND2_BATCHES[i % 3] for i in range(len(chosen))]
    assert {(c["batch"], c["part"]) for c in chosen} == {("07", "dev"), ("08", "dev"), ("09", "heldout")}
    assert [c["_order"] for c in chosen] == sorted(c["_order"] for c in chosen)
