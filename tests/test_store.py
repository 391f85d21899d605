"""The case store (SQLite): migrations, imports in one transaction, inputs kept by hash,
decisions that survive a re-import."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from extractor.review import Decision
from extractor.store import MIGRATIONS, CaseStore, StoreError
from report_fixtures import LIN, LU

pytestmark = pytest.mark.usefixtures("every_claim_stated")

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "corpora" / "demo"




@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    db = tmp_path_factory.mktemp("store") / "cases.db"
    store = CaseStore(db)
    result = store.import_paths([DEMO])
    return store, result


def test_an_empty_file_is_migrated_to_the_current_schema(tmp_path):
    store = CaseStore(tmp_path / "new.db")
    assert store.version == len(MIGRATIONS)
    tables = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "inputs", "run_inputs", "cases", "events", "tags", "decisions"} <= tables
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()
    assert CaseStore(tmp_path / "new.db").version == len(MIGRATIONS)  # reopening migrates nothing


def test_a_store_of_a_newer_schema_or_not_a_database_is_refused(tmp_path):
    newer = tmp_path / "newer.db"
    con = sqlite3.connect(newer)
    con.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    con.close()
    with pytest.raises(StoreError, match=r"made by a newer evidence"):
        CaseStore(newer)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"not a case store"):
        CaseStore(junk)


def test_an_import_keeps_each_input_by_its_hash_and_every_case(imported):
    store, result = imported
    assert result.cases == 2 and result.failed_files == 0
    for row in store.db.execute("SELECT sha256, stored FROM inputs"):
        path = store.files_dir / row["stored"]
        assert path.name == row["sha256"] and path.is_file()
    names = {r["name"] for r in store.db.execute("SELECT name FROM run_inputs")}
    assert {p.name for p in DEMO.iterdir() if p.is_file() and p.suffix != ".md"} <= names
    buyers = {r["buyer"] for r in store.cases()}
    assert buyers == {LIN, LU}
    assert [r["status"] for r in store.runs()] == ["done"]


def test_cases_filter_by_claim_and_the_report_is_the_case_json(imported):
    store, _ = imported
    with_threat = [r["buyer"] for r in store.cases(claim="threat")]
    assert with_threat == [LIN]
    report = store.case_report(store.cases(claim="threat")[0]["id"])
    assert report["buyer"] == LIN and all("key" in e for e in report["events"])


def test_an_import_that_fails_half_way_leaves_the_last_cases_and_says_failed(tmp_path, monkeypatch):
    store = CaseStore(tmp_path / "s.db")
    store.import_paths([DEMO])
    before = [(r["buyer"], r["updated_at"]) for r in store.cases()]
    events_before = store.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    real = CaseStore._write_case
    calls = []

    def crash(self, run_id, case, data):
        calls.append(case.buyer)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(self, run_id, case, data)

    monkeypatch.setattr(CaseStore, "_write_case", crash)
    with pytest.raises(OSError):
        store.import_paths([DEMO])
    assert [(r["buyer"], r["updated_at"]) for r in store.cases()] == before
    assert store.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == events_before
    assert [r["status"] for r in store.runs()] == ["done", "failed"]
    assert "No space left on device" in store.runs()[-1]["error"]


def test_decisions_survive_a_reimport_of_the_same_files(tmp_path):
    store = CaseStore(tmp_path / "s.db")
    store.import_paths([DEMO])
    case = store.case_report(store.cases(claim="threat")[0]["id"])
    threat = next(e for e in case["events"] if any(t["label"] == "threat" for t in e["tags"]))
    store.add_decision(Decision(threat["key"], "dismiss", "threat", who="小雅"))
    store.import_paths([DEMO])
    again = store.case_report(next(r["id"] for r in store.cases() if r["buyer"] == LIN))
    tags = next(e for e in again["events"] if e["key"] == threat["key"])["tags"]
    assert not any(t["label"] == "threat" for t in tags)
    exported = store.export_decisions()
    assert json.loads(exported.splitlines()[0])["who"] == "小雅"
    other = CaseStore(tmp_path / "other.db")
    assert other.import_decisions(exported) == 1
    assert other.decisions()[0].event == threat["key"]
