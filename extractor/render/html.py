"""The HTML case report and the run index: self-contained pages, styles inlined,
nothing fetched.  Case reports run no script; the index runs one, its table sorter,
allowed by its hash in the Content-Security-Policy and by nothing else."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from markupsafe import Markup

from ..assign import example_line, unassigned_id
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


def sort_script(ctx: RenderContext) -> tuple[Markup, str]:
    """The sorter's source (a template file, so a user's folder may replace it) and the
    CSP hash that lets exactly that source run."""
    loader = ctx.env.loader
    assert loader is not None
    source, _, _ = loader.get_source(ctx.env, "sort-table.js")
    digest = base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode()
    return Markup(source), f"sha256-{digest}"


def render_index_html(run: RunIndex, ctx: RenderContext) -> bytes:
    m = masker(ctx.mask)
    script, script_hash = sort_script(ctx)
    shops = list(dict.fromkeys(s["shop"] for s in run.summaries if s.get("shop")))
    unassigned = [event_view(unassigned_id(e), e, m) for e in run.unassigned]
    example = example_line(unassigned[0]["id"]) if unassigned else ""
    html = ctx.render_template(
        "index.html.j2", cases=list(run.summaries), unassigned=unassigned, assign_example=example, shops=shops,
        meta=ctx.meta(), files=[file_view(f) for f in run.files], files_in_case=False, paper=False,
        skipped=list(run.skipped), sort_script=script, script_hash=script_hash,
    )
    return html.encode("utf-8")
