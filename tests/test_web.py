"""The web app over the case store, driven over HTTP (Starlette's test client): import,
cases, review, downloads, and one test per security rule."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from extractor.store import CaseStore
from extractor.web.app import create_app, display_name
from report_fixtures import LIN

pytestmark = pytest.mark.usefixtures("every_claim_stated")

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "corpora" / "demo"
DEMO_FILES = sorted(p for p in DEMO.iterdir() if p.is_file() and p.suffix != ".md")


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _client(db: Path, **kw) -> TestClient:
    return TestClient(create_app(db, hosts=("testserver",), **kw))


def _wait(client: TestClient, location: str) -> str:
    for _ in range(300):
        page = client.get(location).text
        if "正在导入" not in page:
            return page
        time.sleep(0.2)
    raise AssertionError("the import did not finish")


def _import(client: TestClient, files=DEMO_FILES) -> str:
    csrf = _csrf(client.get("/import").text)
    upload = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in files]
    r = client.post("/import", data={"csrf": csrf}, files=upload, follow_redirects=False)
    assert r.status_code == 303, r.text
    return _wait(client, r.headers["location"])




@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    db = tmp_path_factory.mktemp("web") / "cases.db"
    client = _client(db)
    page = _import(client)
    return client, db, page


def test_every_page_is_chinese_with_the_security_headers(imported):
    client, _, page = imported
    assert "导入完成" in page
    for path in ("/", "/import", "/offenders"):
        r = client.get(path)
        assert r.status_code == 200 and 'lang="zh-CN"' in r.text
        assert r.headers["content-security-policy"].startswith("default-src 'none'")
        assert "http://" not in r.text and "https://" not in r.text  # no CDN, nothing remote
    cookie = client.cookies.jar
    assert any(c.name == "evidence_session" for c in cookie)


def test_the_case_list_filters_by_claim_and_opens_a_case(imported):
    client, _, _ = imported
    listing = client.get("/").text
    assert "案件（2）" in listing and LIN in listing
    only = client.get("/", params={"claim": "threat"}).text
    assert "案件（1）" in only
    case_url = re.search(r'href="(/cases/\d+)">' + LIN, listing).group(1)
    case = client.get(case_url).text
    assert "风险提示" in case and "驳回" in case and "确认" in case and "补充标签" in case


def test_dismissing_a_claim_changes_the_findings_and_the_decision_is_kept(tmp_path):
    db = tmp_path / "cases.db"
    client = _client(db)
    _import(client)
    store = CaseStore(db)
    row = next(r for r in store.cases() if r["buyer"] == LIN)
    report = store.case_report(row["id"])
    store.close()
    threat_events = [e for e in report["events"] if any(t["label"] == "threat" for t in e["tags"])]
    page = client.get(f"/cases/{row['id']}").text
    csrf = _csrf(page)
    for e in threat_events:
        r = client.post(f"/cases/{row['id']}/review", data={"csrf": csrf, "event": e["key"], "label": "threat",
                                                             "action": "dismiss"}, follow_redirects=False)
        assert r.status_code == 303
    after = client.get(f"/cases/{row['id']}").text
    assert "相威胁" not in re.search(r'id="risk">(.*?)</p>', after, re.S).group(1)
    store = CaseStore(db)
    assert [d.action for d in store.decisions()] == ["dismiss"] * len(threat_events)
    assert not any(t["label"] == "threat" for e in store.case_report(row["id"])["events"] for t in e["tags"])


def test_the_pack_and_the_pdf_download(imported):
    client, db, _ = imported
    store = CaseStore(db)
    case_id = next(r["id"] for r in store.cases() if r["buyer"] == LIN)
    store.close()
    r = client.get(f"/cases/{case_id}/pack.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert f"case-{case_id}/第1次上传/01-摘要.jpg" in names and f"case-{case_id}/申诉说明.txt" in names
    pdf = client.get(f"/cases/{case_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    reg = client.get("/register.csv", params={"case": case_id})
    assert reg.status_code == 200 and LIN in reg.content.decode("utf-8-sig")


# -- security -------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused(imported):
    client, db, _ = imported
    store = CaseStore(db)
    case_id = store.cases()[0]["id"]
    before = len(store.decisions())
    store.close()
    for data in ({"event": "x", "label": "threat", "action": "dismiss"},
                 {"csrf": "forged", "event": "x", "label": "threat", "action": "dismiss"}):
        r = client.post(f"/cases/{case_id}/review", data=data)
        assert r.status_code == 403 and "CSRF" in r.text
    other = _client(db)  # another browser: its own session and token
    foreign = _csrf(other.get("/import").text)
    assert client.post(f"/cases/{case_id}/review", data={"csrf": foreign, "event": "x", "label": "threat",
                                                         "action": "dismiss"}).status_code == 403
    store = CaseStore(db)
    assert len(store.decisions()) == before
    store.close()


def test_a_non_local_app_asks_for_the_token_first(tmp_path):
    client = _client(tmp_path / "cases.db", token="s3cret-token")
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/cases/1/pack.zip", follow_redirects=False).status_code == 303
    login = client.get("/login").text
    bad = client.post("/login", data={"token": "guess", "csrf": _csrf(login)})
    assert bad.status_code == 403 and "访问码不正确" in bad.text
    good = client.post("/login", data={"token": "s3cret-token", "csrf": _csrf(login)}, follow_redirects=False)
    assert good.status_code == 303 and client.get("/").status_code == 200


def test_an_unknown_host_header_is_refused(tmp_path):
    app = create_app(tmp_path / "cases.db", hosts=("127.0.0.1",))
    assert TestClient(app, base_url="http://evil.example").get("/").status_code == 400


@pytest.mark.parametrize("name", ["../../../../tmp/evil.txt", "..\\..\\boot.ini", "/etc/passwd",
                                  "a\x00b.txt", "<script>alert(1)</script>.txt", "\u202ecod.exe"])
def test_path_tricks_in_upload_names_are_only_names(tmp_path, name):
    db = tmp_path / "data" / "cases.db"
    client = _client(db)
    csrf = _csrf(client.get("/import").text)
    body = "消息对象:tb_x\ntb_x(2025-06-24 10:00:00): 你好\n".encode("utf-8")
    r = client.post("/import", data={"csrf": csrf}, files=[("files", (name, body, "text/plain"))],
                    follow_redirects=False)
    page = _wait(client, r.headers["location"])
    assert not Path("/tmp/evil.txt").exists()
    written = {p.resolve() for p in tmp_path.rglob("*") if p.is_file()}
    assert all(p.is_relative_to(tmp_path.resolve()) for p in written)
    assert "<script>" not in page
    shown = display_name(name)
    assert "/" not in shown and "\\" not in shown and "\x00" not in shown and "\u202e" not in shown


def test_an_upload_with_no_file_and_a_bad_zip_get_a_message(tmp_path):
    client = _client(tmp_path / "cases.db")
    csrf = _csrf(client.get("/import").text)
    r = client.post("/import", data={"csrf": csrf}, files=[("files", ("x.zip", b"not a zip", "application/zip"))])
    assert r.status_code == 400 and "x.zip：不是有效的 .zip 文件" in r.text


def test_the_offenders_page_shows_shared_phones_and_addresses_masked(tmp_path):
    from test_store import _offender_exports

    files = sorted(_offender_exports(tmp_path / "in").iterdir())
    client = _client(tmp_path / "cases.db")
    _import(client, files)
    page = client.get("/offenders").text
    assert "手机号" in page and "139****0001" in page and "广东省深圳市****" in page
    for full in ("13912340001", "1391234", "科技园一路", "建国路"):
        assert full not in page
    assert "tb_again" in page  # the same nick in two shops
    store = CaseStore(tmp_path / "cases.db")
    alias2 = store.db.execute("SELECT id FROM cases WHERE buyer='tb_alias2'").fetchone()[0]
    store.close()
    case = client.get(f"/cases/{alias2}").text
    assert "同一手机号（139****0001）也出现在" in case and "tb_alias1" in case and "13912340001" not in case
