"""The HTML case report and the run index: self-contained pages, styles inlined,
nothing fetched, no scripts (the page's Content-Security-Policy forbids both)."""

from __future__ import annotations

from typing import Any

from ..cases import Case
from .context import RenderContext
from .view import RunIndex, case_view, event_view, file_view, masker


def case_html(case: Case, ctx: RenderContext, view: dict[str, Any] | None = None,
              paper: bool = False) -> str:
    """The case page; ``paper`` is the PDF's variant (lean timeline markup, styles passed
    to WeasyPrint separately), otherwise the page as a browser shows it."""
    v = view if view is not None else case_view(case, ctx.mask)
    return ctx.render_template(
        "report.html.j2", v=v, meta=ctx.meta(ship_within=v["ship_within"]),
        files=v["files"], files_in_case=True, paper=paper,
    )


def render_case_html(case: Case, ctx: RenderContext) -> bytes:
    return case_html(case, ctx).encode("utf-8")


def render_index_html(run: RunIndex, ctx: RenderContext) -> bytes:
    m = masker(ctx.mask)
    shops = "、".join(dict.fromkeys(s["shop"] for s in run.summaries if s.get("shop")))
    unassigned = [event_view("", e, m) for e in run.unassigned]
    html = ctx.render_template(
        "index.html.j2", cases=list(run.summaries), unassigned=unassigned, shops=shops,
        meta=ctx.meta(), files=[file_view(f) for f in run.files], files_in_case=False, paper=False,
    )
    return html.encode("utf-8")
