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


# -- repeat offenders by nick, phone and address (issue 17) -----------------------------

def _offender_exports(root: Path) -> Path:
    from order_fixtures import O, oid, write_export

    write_export(root, "ExportOrderList-A.csv", "悦颜美妆旗舰店", [
        O(oid(11), "tb_alias1", "2025-06-01 10:00:00", phone="13912340001", address="广东省 深圳市 南山区 科技园一路8号(518000)"),
        O(oid(12), "tb_again", "2025-06-02 10:00:00", phone="13700001111", address="江苏省南京市鼓楼区中山路1号"),
    ])
    write_export(root, "ExportOrderList-B.csv", "小鹿的杂货铺", [
        O(oid(13), "tb_alias2", "2025-06-20 10:00:00", phone="+86 139 1234 0001", address="北京市朝阳区建国路88号院"),
        O(oid(14), "tb_alias3", "2025-06-21 10:00:00", phone="13600002222", address="广东省深圳市南山区科技园一路８号（５１８０００）"),
        O(oid(15), "tb_again", "2025-06-22 10:00:00", phone="13500003333", address="上海市浦东新区世纪大道100号"),
    ], shop_id="60999999")
    return root


def test_repeat_offenders_by_nick_phone_and_address_across_shops_and_runs(tmp_path):
    store = CaseStore(tmp_path / "cases.db")
    store.import_paths([_offender_exports(tmp_path / "in") / "ExportOrderList-A.csv"])
    store.import_paths([tmp_path / "in" / "ExportOrderList-B.csv"])  # a second run
    groups = {(g.kind, g.shown): g for g in store.repeat_offenders()}
    assert set(groups) == {("nick", "tb_again"), ("phone", "139****0001"), ("address", "广东省深圳市****")}
    phone = groups[("phone", "139****0001")]
    assert {c.buyer for c in phone.cases} == {"tb_alias1", "tb_alias2"} and phone.shops == 2 and phone.runs == 2
    assert {c.buyer for c in groups[("address", "广东省深圳市****")].cases} == {"tb_alias1", "tb_alias3"}
    alias1 = store.db.execute("SELECT id FROM cases WHERE buyer='tb_alias1'").fetchone()[0]
    repeats = store.case_repeats(alias1)
    assert sorted(g.kind for g in repeats) == ["address", "phone"]
    assert all(c.case_id != alias1 for g in repeats for c in g.cases)
    # a re-import replaces a case's keys, never adds to them
    store.import_paths([tmp_path / "in" / "ExportOrderList-A.csv"])
    assert store.db.execute("SELECT COUNT(*) FROM case_keys WHERE case_id=?", (alias1,)).fetchone()[0] == 3


def test_a_store_of_the_previous_schema_is_migrated_and_keeps_its_cases(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    for statement in [s for s in MIGRATIONS[0].split(";") if s.strip()]:
        con.execute(statement)
    con.execute("INSERT INTO runs (id, started_at, version, config, status) VALUES (1, '2025-06-01T10:00:00+08:00', "
                "'0.1', '{}', 'done')")
    for i, shop in enumerate(("悦颜美妆旗舰店", "小鹿的杂货铺"), start=1):
        con.execute("INSERT INTO cases (id, shop, buyer, run_id, risk, claims, updated_at, report) "
                    "VALUES (?, ?, 'tb_old', 1, '无', '[]', '2025-06-01T10:00:00+08:00', '{}')", (i, shop))
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    store = CaseStore(path)
    assert store.version == len(MIGRATIONS) == 3
    assert store.db.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == 2
    [group] = store.repeat_offenders()
    assert (group.kind, group.value, len(group.cases)) == ("nick", "tb_old", 2)
    assert [r["buyer"] for r in store.repeat_buyers()] == ["tb_old"]


def test_an_empty_store_has_the_case_keys_and_no_offenders(tmp_path):
    store = CaseStore(tmp_path / "new.db")
    columns = [r[1] for r in store.db.execute("PRAGMA table_info(case_keys)")]
    assert columns == ["case_id", "kind", "value", "masked"]
    assert store.repeat_offenders() == []
