"""The web app's downloads reuse the cases they built until an import or a decision
changes them (extractor/web/cache.py): counted by the stage every build starts with."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import extractor.stages as stages
from extractor.limits import MAX_CACHED_CASES
from extractor.store import CaseStore
from extractor.web.app import create_app
from extractor.web.cache import BuiltCases
from report_fixtures import LIN, LU

pytestmark = pytest.mark.usefixtures("every_claim_stated")

DEMO = Path(__file__).resolve().parent.parent / "corpora" / "demo"
DEMO_FILES = sorted(str(p) for p in DEMO.iterdir() if p.is_file() and p.suffix != ".md")


@pytest.fixture()
def store_db(tmp_path):
    db = tmp_path / "cases.db"
    store = CaseStore(db)
    store.import_paths(DEMO_FILES)
    ids = {r["buyer"]: r["id"] for r in store.cases()}
    store.close()
    return db, ids


@pytest.fixture()
def builds(monkeypatch):
    """How many times every stage was run over the stored inputs."""
    count = [0]
    real = stages.read_files

    def counted(*args, **kwargs):
        count[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(stages, "read_files", counted)
    return count


def _register_row(client, case_id) -> str:
    r = client.get("/register.csv", params={"case": case_id})
    assert r.status_code == 200
    return next(line for line in r.content.decode("utf-8-sig").splitlines() if LIN in line)


@pytest.mark.parametrize("first, second", [("report.pdf", "report.pdf"), ("pack.zip", "report.pdf"),
                                           ("report.pdf", "register")])
def test_two_downloads_run_the_stages_once_and_a_decision_runs_them_again(store_db, builds, first, second):
    db, ids = store_db
    client = TestClient(create_app(db, hosts=("testserver",)))
    case_id = ids[LIN]

    def download(what: str):
        if what == "register":
            return _register_row(client, case_id)
        r = client.get(f"/cases/{case_id}/{what}")
        assert r.status_code == 200
        return r.content

    download(first)
    assert builds[0] == 1
    before = _register_row(client, case_id) if second == "register" else download(second)
    assert builds[0] == 1  # the second download (and the register) built nothing
    # A decision: the threat claims of the case dismissed (a re-import, then a new build).
    store = CaseStore(db)
    report = store.case_report(case_id)
    store.close()
    threats = [e["key"] for e in report["events"] if any(t["label"] == "threat" for t in e["tags"])]
    assert threats and "威胁" in _register_row(client, case_id)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get(f"/cases/{case_id}").text).group(1)
    for key in threats:
        r = client.post(f"/cases/{case_id}/review", data={"csrf": csrf, "event": key, "label": "threat",
                                                          "action": "dismiss"}, follow_redirects=False)
        assert r.status_code == 303
    reimports = builds[0]
    assert reimports == 1 + len(threats)
    after = download(second)
    assert builds[0] == reimports + 1
    row = _register_row(client, case_id)
    assert "威胁" not in row and builds[0] == reimports + 1
    if second == "register":
        assert after != before


def test_the_cache_keeps_at_most_its_limit_and_builds_again_past_it(store_db, builds):
    db, ids = store_db
    assert MAX_CACHED_CASES >= 2
    built = BuiltCases(limit=1)
    store = CaseStore(db)
    try:
        rows = {buyer: store.case_row(case_id) for buyer, case_id in ids.items()}
        assert len(built.all(store)) == len(ids) == 2 and builds[0] == 1
        assert len(built._cases) == 1
        built.all(store)  # not every case is kept: built again
        assert builds[0] == 2
        kept = next(iter(built._cases))[1]
        other = LIN if kept == LU else LU
        assert built.case(store, rows[kept]).buyer == kept and builds[0] == 2
        assert built.case(store, rows[other]).buyer == other and builds[0] == 3
        unlimited = BuiltCases()
        unlimited.all(store)
        assert unlimited.case(store, rows[LIN]).buyer == LIN and unlimited.case(store, rows[LU]).buyer == LU
        assert builds[0] == 4
    finally:
        store.close()
