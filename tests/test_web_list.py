"""The case list with many cases: one page of rows at a time, the filters over all of
them, the reviewed counts of the page's cases only (bench/bench_store.py times it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from extractor.review import Decision
from extractor.store import CaseStore
from extractor.web.app import CASES_PER_PAGE, create_app

pytestmark = pytest.mark.usefixtures("every_claim_stated")

DEMO = Path(__file__).resolve().parent.parent / "corpora" / "demo"
DEMO_FILES = sorted(str(p) for p in DEMO.iterdir() if p.is_file() and p.suffix != ".md")
TOTAL = 2 * CASES_PER_PAGE + 50
REVIEWED = {7: 2, 130: 1, 249: 3}  # copy number → reviewed tags given it


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """The demo's cases imported, then copied under other nicks up to TOTAL cases."""
    db = tmp_path_factory.mktemp("list") / "cases.db"
    store = CaseStore(db)
    store.import_paths(DEMO_FILES)
    c = store.db
    templates = [dict(r) for r in c.execute("SELECT * FROM cases ORDER BY id")]
    tags = {t["id"]: c.execute("SELECT key, label, reason, score, data FROM tags WHERE case_id=?",
                               (t["id"],)).fetchall() for t in templates}
    events = {t["id"]: c.execute("SELECT key, eid, time, role, kind, sender, text FROM events WHERE case_id=?",
                                 (t["id"],)).fetchall() for t in templates}
    ids = {}
    c.execute("BEGIN")
    for n in range(len(templates), TOTAL):
        t = templates[n % len(templates)]
        new = c.execute("INSERT INTO cases (shop, buyer, run_id, risk, claims, first_time, last_time, updated_at, report) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (t["shop"], f"copy{n:04d}", t["run_id"], t["risk"],
                                                               t["claims"], t["first_time"], t["last_time"],
                                                               t["updated_at"], t["report"])).lastrowid
        ids[n] = new
        c.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [(new, *tuple(e)) for e in events[t["id"]]])
        reviewed = REVIEWED.get(n, 0)
        c.executemany("INSERT INTO tags (case_id, key, label, reason, reviewed, score, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      [(new, g["key"], g["label"], g["reason"], "confirmed" if i < reviewed else None, g["score"], g["data"])
                       for i, g in enumerate(tags[t["id"]])])
    c.execute("COMMIT")
    store.close()
    return TestClient(create_app(db, hosts=("testserver",))), db, ids


def _rows(html: str) -> list[str]:
    return re.findall(r'class="case-link" href="/cases/\d+">([^<]+)<', html)


def test_the_list_shows_one_page_and_counts_every_case(many):
    client, _, _ = many
    first = client.get("/", params={"sort": "buyer"}).text
    assert f"案件（{TOTAL}）" in first
    assert len(_rows(first)) == CASES_PER_PAGE
    assert "第 1 / 3 页" in first and "上一页" not in first
    nxt = re.search(r'<a href="([^"]+)">下一页</a>', first).group(1).replace("&amp;", "&")
    assert "sort=buyer" in nxt and "page=2" in nxt
    pages = [_rows(client.get("/", params={"sort": "buyer", "page": str(n)}).text) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [CASES_PER_PAGE, CASES_PER_PAGE, TOTAL - 2 * CASES_PER_PAGE]
    everyone = [b for p in pages for b in p]
    assert len(set(everyone)) == TOTAL and everyone == sorted(everyone)


@pytest.mark.parametrize("page, shown", [("0", "第 1 / 3 页"), ("99", "第 3 / 3 页"), ("x", "第 1 / 3 页")])
def test_a_page_out_of_range_shows_the_nearest(many, page, shown):
    client, _, _ = many
    assert shown in client.get("/", params={"page": page}).text


def test_the_reviewed_filter_and_counts_cover_every_page(many):
    client, _, _ = many
    html = client.get("/", params={"reviewed": "yes", "sort": "buyer"}).text
    assert f"案件（{len(REVIEWED)}）" in html and "第 1 /" not in html
    cells = re.findall(r'href="/cases/\d+">(copy\d+)</a>.*?<td>(\d+)</td>\s*</tr>', html, re.S)
    assert cells == [(f"copy{n:04d}", str(k)) for n, k in sorted(REVIEWED.items())]
    assert f"案件（{TOTAL - len(REVIEWED)}）" in client.get("/", params={"reviewed": "no"}).text


def test_a_case_page_reads_the_decisions_on_its_own_events(many):
    _, db, ids = many
    store = CaseStore(db)
    try:
        mine, other = (store.db.execute("SELECT key FROM events WHERE case_id=? ORDER BY key LIMIT 2",
                                        (ids[7],)).fetchall())
        elsewhere = store.db.execute("SELECT key FROM events WHERE key NOT IN (SELECT key FROM events WHERE case_id=?) "
                                     "LIMIT 1", (ids[7],)).fetchone()
        for key in (mine["key"], elsewhere["key"], mine["key"]):
            store.add_decision(Decision(key, "confirm", "seller_contact"))
        got = store.decisions_on([mine["key"], other["key"]])
        assert [d.event for d in got] == [mine["key"], mine["key"]]
    finally:
        store.close()


@pytest.mark.parametrize("sql, args", [
    ("SELECT case_id, COUNT(*) FROM tags WHERE case_id IN (?, ?) AND reviewed IS NOT NULL GROUP BY case_id", (1, 2)),
    ("DELETE FROM tags WHERE case_id=? AND key=?", (1, "k")),  # what the cascade from events runs
])
def test_the_per_case_tag_queries_use_the_index_not_a_scan(tmp_path, sql, args):
    store = CaseStore(tmp_path / "cases.db")
    try:
        plan = " ".join(r[3] for r in store.db.execute("EXPLAIN QUERY PLAN " + sql, args))
    finally:
        store.close()
    assert "tags_by_case" in plan and "SCAN tags" not in plan


def test_a_store_of_the_first_schema_gets_the_index(tmp_path):
    import sqlite3

    from extractor.store import MIGRATIONS, _statements

    con = sqlite3.connect(tmp_path / "old.db")
    for statement in _statements(MIGRATIONS[0]):
        con.execute(statement)
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    store = CaseStore(tmp_path / "old.db")
    try:
        names = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert "tags_by_case" in names and store.version == len(MIGRATIONS)
    finally:
        store.close()
