"""The web app: import exports, browse cases, review the tagger, download packs.

Every page is Simplified Chinese and rendered from the report's Jinja2 environment
(autoescape on: nicks, names of uploaded files and message text are the other side's
words).  Assets are served from the package; nothing loads from the network (CSP).
The app is a thin layer over the library: imports are :meth:`CaseStore.import_paths`,
a review decision is :meth:`CaseStore.add_decision` followed by a re-import with the
decisions, downloads are the report and pack renderers.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import threading
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from ..errors import EvidenceError
from ..labels import registry
from ..render.env import cached_environment, mask_phones
from ..store import CaseStore
from .cache import BuiltCases
from .security import COOKIE, CSRF_FIELD, Session, Sessions

MAX_FILES = 200  # files per upload
CASES_PER_PAGE = 100  # rows of the case list on one page
MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # per upload, all files together (a .zip counted unpacked)
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
CLAIM_LABELS = tuple(registry().claims)
LINGUISTIC = tuple(l.name for l in registry().labels if l.by in ("buyer", "seller"))
_SAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff（）()【】 ]+")


def display_name(client_name: str) -> str:
    """A client's file name as shown: its last part, printable, at most 120 characters.
    It is never used as a path: stored files are named by their SHA-256."""
    base = re.split(r"[\\/]", client_name or "")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _SAFE_NAME.sub("_", base).strip(" .") or "未命名文件"
    return base[:120]


class ImportJobs:
    """Imports run one at a time in a background thread; pages poll the run row."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.errors: dict[int, str] = {}

    def start(self, db: Path, folder: Path, names: dict[str, str]) -> int:
        store = CaseStore(db)
        run_id = store.db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM runs").fetchone()[0]
        store.close()

        def work() -> None:
            with self.lock:
                s = CaseStore(db)
                try:
                    s.import_paths([str(p) for p in sorted(folder.iterdir())], names=names)
                except EvidenceError as exc:
                    self.errors[run_id] = str(exc)
                except Exception as exc:  # recorded on the run row by the store
                    self.errors[run_id] = f"{type(exc).__name__}: {exc}"
                finally:
                    s.close()

        threading.Thread(target=work, daemon=True).start()
        return run_id


def create_app(db: str | Path, token: str | None = None, hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
               mask: bool = True) -> Starlette:
    db = Path(db)
    CaseStore(db).close()  # migrate (or refuse) before serving
    env = cached_environment(None)
    sessions = Sessions(token)
    jobs = ImportJobs()
    uploads = db.with_name(db.name + ".uploads")
    m = mask_phones if mask else (lambda s: s)
    built = BuiltCases()  # the downloads' Case objects, per run and decisions

    def page(request: Request, template: str, session: Session, status: int = 200, **values: Any) -> HTMLResponse:
        html = env.get_template(template).render(csrf=session.csrf, csrf_field=CSRF_FIELD, mask=m,
                                                 labels=registry(), **values)
        return HTMLResponse(html, status_code=status)

    def session_of(request: Request) -> tuple[str | None, Session | None]:
        sid = request.cookies.get(COOKIE)
        return sid, sessions.get(sid)

    async def guard(request: Request, handler):
        sid, session = session_of(request)
        fresh = None
        if session is None:
            sid, session = sessions.new()
            fresh = sid
        if request.url.path not in ("/login", "/static/web.css") and not session.authenticated:
            response: Response = RedirectResponse("/login", status_code=303)
        elif request.method == "POST" and request.url.path != "/login" and not await _csrf(request, session):
            response = PlainTextResponse("请求被拒绝：缺少或错误的表单校验码（CSRF）。请刷新页面后重试。", status_code=403)
        else:
            try:
                response = await handler(request, session)
            except EvidenceError as exc:
                response = page(request, "web-error.html.j2", session, status=400, message=str(exc))
        if fresh:
            response.set_cookie(COOKIE, fresh, httponly=True, samesite="strict", path="/")
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    async def _csrf(request: Request, session: Session) -> bool:
        given = request.headers.get("x-csrf-token")
        if given is None and request.headers.get("content-type", "").startswith(("multipart/", "application/x-www")):
            form = await request.form(max_files=MAX_FILES, max_fields=100, max_part_size=MAX_UPLOAD_BYTES)
            request.state.form = form
            given = form.get(CSRF_FIELD)
        return Sessions.csrf_ok(session, given if isinstance(given, str) else None)

    def route(path: str, methods=("GET",)):
        def wrap(fn):
            async def endpoint(request: Request) -> Response:
                return await guard(request, fn)
            return Route(path, endpoint, methods=list(methods))
        return wrap

    # -- pages -------------------------------------------------------------------------
    @route("/login", methods=("GET", "POST"))
    async def login(request: Request, session: Session) -> Response:
        if request.method == "POST":
            form = await request.form(max_fields=5)
            if sessions.login(session, str(form.get("token", ""))):
                return RedirectResponse("/", status_code=303)
            return page(request, "web-login.html.j2", session, status=403, failed=True)
        return page(request, "web-login.html.j2", session, failed=False)

    @route("/")
    async def cases(request: Request, session: Session) -> Response:
        q = request.query_params
        order = q.get("sort", "last_time")
        store = CaseStore(db)
        try:
            rows = store.cases(shop=q.get("shop") or None, claim=q.get("claim") or None,
                               order=order if order in ("last_time", "first_time", "buyer", "shop", "risk") else "last_time")
            if q.get("risk") == "yes":
                rows = [r for r in rows if r["risk"] != "无"]
            if q.get("reviewed") in ("yes", "no"):
                reviewed = store.reviewed_cases()
                rows = [r for r in rows if (r["id"] in reviewed) == (q.get("reviewed") == "yes")]
            # One page of the list: a store of ten thousand cases renders a hundred rows.
            pages = max(1, -(-len(rows) // CASES_PER_PAGE))
            number = min(max(int(q["page"]) if q.get("page", "").isdigit() else 1, 1), pages)
            shown = rows[(number - 1) * CASES_PER_PAGE:number * CASES_PER_PAGE]
            counts = store.reviewed_counts([r["id"] for r in shown])
            items = [{**dict(r), "claims": json.loads(r["claims"]), "reviewed": counts[r["id"]]} for r in shown]
            shops = store.shops()
            runs = store.recent_runs(5)
        finally:
            store.close()
        links = {name: _page_url(q, n) for name, n in (("prev", number - 1), ("next", number + 1)) if 1 <= n <= pages}
        return page(request, "web-cases.html.j2", session, cases=items, total=len(rows), page_number=number,
                    pages=pages, links=links, shops=shops, runs=runs, q=q, claim_labels=CLAIM_LABELS)

    @route("/import", methods=("GET", "POST"))
    async def import_page(request: Request, session: Session) -> Response:
        if request.method == "GET":
            return page(request, "web-import.html.j2", session, error=None)
        form = request.state.form
        files = [f for f in form.getlist("files") if hasattr(f, "filename") and f.filename]
        if not files:
            return page(request, "web-import.html.j2", session, status=400, error="请选择要导入的导出文件（可多选，或一个 .zip）。")
        folder = Path(tempfile.mkdtemp(prefix="import-", dir=_ensure(uploads)))
        names: dict[str, str] = {}
        total = 0
        for n, upload in enumerate(files):
            data = await upload.read()
            total += len(data)
            if total > MAX_UPLOAD_BYTES:
                return page(request, "web-import.html.j2", session, status=413,
                            error=f"上传过大：一次最多 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB。")
            name = display_name(upload.filename)
            if name.lower().endswith(".zip"):
                try:
                    total += _unzip(data, folder, names, n, MAX_UPLOAD_BYTES - total)
                except ValueError as exc:
                    return page(request, "web-import.html.j2", session, status=400, error=f"{name}：{exc}")
                continue
            target = folder / f"{n:04d}{Path(name).suffix.lower()[:8]}"
            target.write_bytes(data)
            names[str(target)] = name
        run_id = jobs.start(db, folder, names)
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    @route("/runs/{run_id:int}")
    async def run_page(request: Request, session: Session) -> Response:
        run_id = request.path_params["run_id"]
        store = CaseStore(db)
        try:
            run = store.db.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
            inputs = store.db.execute("SELECT * FROM run_inputs WHERE run_id=? ORDER BY rowid", (run_id,)).fetchall()
        finally:
            store.close()
        return page(request, "web-run.html.j2", session, run=run, run_id=run_id, inputs=inputs,
                    error=jobs.errors.get(run_id))

    @route("/cases/{case_id:int}")
    async def case_page(request: Request, session: Session) -> Response:
        case_id = request.path_params["case_id"]
        store = CaseStore(db)
        try:
            row = store.case_row(case_id)
            report = json.loads(row["report"])
            repeats = store.case_repeats(case_id)
            decisions = {}
            for d in store.decisions_on(e["key"] for e in report["events"]):
                decisions.setdefault(d.event, []).append(d)
        finally:
            store.close()
        return page(request, "web-case.html.j2", session, row=row, r=report, decisions=decisions,
                    claim_labels=CLAIM_LABELS, linguistic=LINGUISTIC, repeats=repeats)

    @route("/cases/{case_id:int}/review", methods=("POST",))
    async def review(request: Request, session: Session) -> Response:
        from ..review import decision_from_dict

        case_id = request.path_params["case_id"]
        form = request.state.form
        label, _, reason = str(form.get("label", "")).partition(":")
        data = {"event": str(form.get("event", "")), "action": str(form.get("action", "")), "label": label,
                "who": str(form.get("who", "") or "网页审核")[:40]}
        if reason:
            data["reason"] = reason
        decision = decision_from_dict(data, "审核")

        def apply() -> None:
            store = CaseStore(db)
            try:
                store.add_decision(decision)
                store.reimport()
            finally:
                store.close()

        await run_in_threadpool(_locked(jobs.lock, apply))
        return RedirectResponse(f"/cases/{case_id}#ev-{decision.event}", status_code=303)

    @route("/cases/{case_id:int}/pack.zip")
    async def pack_zip(request: Request, session: Session) -> Response:
        platform = request.query_params.get("platform", "taobao-web")
        case_id = request.path_params["case_id"]

        def build() -> tuple[bytes, str]:
            from ..pack import get_profile, write_pack
            from ..render import Renderer

            profile = get_profile(platform)
            store = CaseStore(db)
            try:
                row = store.case_row(case_id)
                case = built.case(store, row)
            finally:
                store.close()
            with tempfile.TemporaryDirectory() as tmp:
                result = write_pack(case, Renderer(mask_phones=mask), tmp, f"case-{case_id}", profile)
                return result.zip.read_bytes(), f"case-{case_id}.zip"

        data, name = await run_in_threadpool(_locked(jobs.lock, build))
        return Response(data, media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @route("/cases/{case_id:int}/report.pdf")
    async def report_pdf(request: Request, session: Session) -> Response:
        case_id = request.path_params["case_id"]

        def build() -> bytes:
            from ..render import Renderer

            store = CaseStore(db)
            try:
                case = built.case(store, store.case_row(case_id))
            finally:
                store.close()
            return Renderer(mask_phones=mask).render("pdf", case, f"case-{case_id}")

        data = await run_in_threadpool(_locked(jobs.lock, build))
        return Response(data, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="case-{case_id}.pdf"'})

    @route("/register.csv")
    async def register_csv(request: Request, session: Session) -> Response:
        wanted = {int(x) for x in request.query_params.getlist("case") if x.isdigit()}

        def build() -> bytes:
            from ..render import Renderer
            from ..render.view import RunIndex

            store = CaseStore(db)
            try:
                rows = [r for r in store.cases() if not wanted or r["id"] in wanted]
                keys = {(r["shop"], r["buyer"]) for r in rows}
                chosen = [c for c in built.all(store) if ((c.shop or ""), c.buyer) in keys]
            finally:
                store.close()
            renderer = Renderer(mask_phones=mask)
            summaries = tuple(renderer.case_summary(c, f"case-{i}") for i, c in enumerate(chosen))
            return renderer.render("register.csv", RunIndex(summaries, (), ()))

        data = await run_in_threadpool(_locked(jobs.lock, build))
        return Response(data, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="register.csv"'})

    @route("/offenders")
    async def offenders(request: Request, session: Session) -> Response:
        store = CaseStore(db)
        try:
            groups = store.repeat_offenders()
        finally:
            store.close()
        return page(request, "web-offenders.html.j2", session, groups=groups)

    @route("/static/web.css")
    async def css(request: Request, session: Session) -> Response:
        return Response(env.get_template("web.css").render(), media_type="text/css; charset=utf-8")

    routes = [login, cases, import_page, run_page, case_page, review, pack_zip, report_pdf, register_csv,
              offenders, css]
    return Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts))])


def _page_url(q, number: int) -> str:
    """The list with the same filters, at another page."""
    from urllib.parse import urlencode

    return "/?" + urlencode([(k, v) for k, v in q.multi_items() if k != "page"] + [("page", str(number))])


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _locked(lock: threading.Lock, fn):
    def run():
        with lock:
            return fn()
    return run


def _unzip(data: bytes, folder: Path, names: dict[str, str], n: int, budget: int) -> int:
    """The members of an uploaded .zip, each stored under a number (its name kept as data
    only); bounded by member count and unpacked size, checked before unpacking."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValueError("不是有效的 .zip 文件") from None
    members = [i for i in z.infolist() if not i.is_dir()]
    if len(members) > MAX_FILES:
        raise ValueError(f"压缩包内文件过多（{len(members)} 个，上限 {MAX_FILES}）")
    size = sum(i.file_size for i in members)
    if size > budget:
        raise ValueError("压缩包解开后过大")
    for k, info in enumerate(members):
        name = display_name(info.filename)
        target = folder / f"{n:04d}-{k:04d}{Path(name).suffix.lower()[:8]}"
        with z.open(info) as src:
            blob = src.read(info.file_size + 1)
        if len(blob) > info.file_size:  # a member larger than its header says
            raise ValueError(f"{name} 的大小与记录不符")
        target.write_bytes(blob)
        names[str(target)] = name
    return size
