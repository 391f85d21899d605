"""The PDF case report: WeasyPrint renders the same HTML as the browser (print styles),
A4, with an embedded subset of a CJK font, page numbers 第 N 页 / 共 M 页 and a running
header.  The file is PDF/A-3u and carries the case's sources and a manifest (names,
sizes, SHA-256, the rows or lines excerpted, tool version) as embedded attachments:
by default (``--attach case``) a file shared with other cases is cut to this case's
records (:mod:`extractor.render.excerpt`), so an upload never carries another buyer's
data; ``--attach full`` embeds every file whole, ``--attach none`` the manifest alone.

Speed: what can be is paid once per process: importing WeasyPrint, finding the CJK
font, the FontConfiguration, parsing the stylesheets (the PDF's HTML carries no inline
<style>; WeasyPrint gets report.css and report-pdf.css parsed once).  Per PDF, the
templates' paper variant keeps the markup lean (_findings_paper, _timeline_paper), and
the text is set in one face of one family, so one font is subset per file.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
from dataclasses import dataclass, replace
from datetime import timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from .. import __version__
from ..cases import Case
from ..errors import IntegrityError, MissingFontError, RenderError
from ..i18n import N_, said
from ..model import FileReport
from .context import ATTACH_FULL, ATTACH_NONE, RenderContext
from .excerpt import EXCERPT, OMITTED, WHOLE, Excerpt, excerpt_name, make_excerpt, plan, positions_in
from .filenames import unique_attachment_names
from .html import case_html
from .view import base_name, case_view

PDF_VARIANT = "pdf/a-3u"
MANIFEST_NAME = "manifest.json"
# The PDF's styles, in cascade order: the page's own (with its print rules), then the
# PDF-only rules.  Templates, so --templates can override them.
PAPER_STYLESHEETS = ("report.css", "report-pdf.css")
# Families tried first, in order; otherwise the first family fontconfig lists for zh.
PREFERRED_CJK_FAMILIES = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Sans SC",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "AR PL UMing CN", "Noto Serif CJK SC",
)
INSTALL_HINT = N_("install one, e.g. `sudo apt-get install fonts-noto-cjk` on Debian/Ubuntu "
                  "(or run `make sysdeps`), then run the report again; `--outputs html,json` writes the other formats")


@lru_cache(maxsize=1)
def cjk_font_family() -> str:
    """The font family the PDF is set in; MissingFontError if none covers Chinese.

    Asks fontconfig (the library WeasyPrint's text stack uses) for families that
    support ``zh``, so the answer is the one the renderer will see."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise MissingFontError(N_("cannot look for a Chinese font: fc-list (fontconfig) is not installed; "
                                  "install fontconfig and a CJK font, e.g. `sudo apt-get install fontconfig "
                                  "fonts-noto-cjk`, then run the report again"))
    try:
        listing = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True,
                                 timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise MissingFontError(N_("cannot list fonts with fc-list ({problem}); {hint}"), problem=exc,
                               hint=said(INSTALL_HINT)) from None
    families: list[str] = []
    for line in listing.splitlines():
        families.extend(name.strip() for name in line.split(",") if name.strip())
    if not families:
        raise MissingFontError(N_("no installed font has Chinese glyphs, so the PDF would print empty "
                                  "boxes instead of characters; {hint}"), hint=said(INSTALL_HINT))
    for preferred in PREFERRED_CJK_FAMILIES:
        if preferred in families:
            return preferred
    return sorted(families)[0]


class _PdfResources:
    """WeasyPrint objects shared by every PDF of the process."""

    def __init__(self) -> None:
        family = cjk_font_family()
        try:
            from weasyprint import CSS
            from weasyprint.text.fonts import FontConfiguration
            from weasyprint.urls import URLFetcher
        except (ImportError, OSError) as exc:  # OSError: Pango/HarfBuzz libraries missing
            raise RenderError(N_("WeasyPrint cannot start ({problem}); install its system libraries "
                                 "(`make sysdeps`) or use `--outputs html,json`"), problem=exc) from None
        self.font_config = FontConfiguration()
        # Only data: URLs; a report never loads a file or a URL, whatever a template says.
        self.fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
        quoted = family.replace("\\", "\\\\").replace('"', '\\"')
        # A user stylesheet: !important so the font that was checked to cover Chinese is
        # the one used on every element (no monospace or fallback family: each face in
        # the PDF is one more font to subset per file), also in the page margins
        # (running header, page numbers).
        rule = f'font-family: "{quoted}", sans-serif !important;'
        self.font_css = CSS(string=f"* {{ {rule} }} @page {{ {rule} }}",
                            font_config=self.font_config, url_fetcher=self.fetcher)
        self.family = family
        self._css = CSS
        self._sheets: dict[str, Any] = {}

    def stylesheet(self, text: str) -> Any:
        """The stylesheet ``text``, parsed once per process (one entry per distinct text:
        the built-in files and any --templates override of them)."""
        sheet = self._sheets.get(text)
        if sheet is None:
            sheet = self._sheets[text] = self._css(
                string=text, font_config=self.font_config, url_fetcher=self.fetcher)
        return sheet


@lru_cache(maxsize=1)
def pdf_resources() -> _PdfResources:
    return _PdfResources()


def _source_bytes(path: str, sha256: str | None) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise RenderError(N_("{path}: cannot read the source file to embed it in the PDF "
                             "({problem}); keep the inputs in place until the report is written"), path=path,
                          problem=exc.strerror or exc) from None
    actual = hashlib.sha256(data).hexdigest()
    if sha256 and actual != sha256:
        raise IntegrityError(N_("{path}: the file changed while the report was being made "
                                "(SHA-256 now {actual}, read as {sha256}); run the report again"), path=path,
                             actual=actual, sha256=sha256)
    return data


@dataclass(frozen=True)
class Planned:
    """One of the case's files, as its PDF carries it."""

    file: FileReport
    how: str  # excerpt.WHOLE, EXCERPT or OMITTED
    attachment: str | None
    data: bytes | None  # what is embedded
    excerpt: Excerpt | None = None
    note: str = ""


def plan_files(case: Case, ctx: RenderContext) -> list[Planned]:
    """What each of the case's files becomes in the PDF under ``ctx.attach``."""
    names = unique_attachment_names(f.file for f in case.files)
    events = [ce.event for ce in case.events]
    out: list[Planned] = []
    for f in case.files:
        name = names[f.file]
        if ctx.attach == ATTACH_NONE:
            out.append(Planned(f, OMITTED, None, None, note="--attach none"))
            continue
        data = _source_bytes(f.file, f.sha256)
        if ctx.attach == ATTACH_FULL:
            out.append(Planned(f, WHOLE, name, data))
            continue
        positions = positions_in(events, f.file)
        how = plan(f, case.events_in_file(f.file), positions, data)
        if how == WHOLE:
            out.append(Planned(f, WHOLE, name, data))
        elif how == EXCERPT:
            try:
                cut = make_excerpt(data, f.format, positions, ctx.mask, f.sha256)
            except Exception as exc:  # noqa: BLE001 — a file its parser read but the cutter cannot
                # Never fall back to the whole file: it holds other buyers' records.
                out.append(Planned(f, OMITTED, None, None, note=(
                    f"shared with other cases and could not be cut to this case's records "
                    f"({type(exc).__name__}); not attached: verify it against the SHA-256, or use --attach full")))
                continue
            out.append(Planned(f, EXCERPT, excerpt_name(name, cut.unit), cut.data, cut))
        else:
            out.append(Planned(f, OMITTED, None, None, note=(
                "shared with other cases and cannot be cut by record (a PDF); "
                "not attached: verify it against the SHA-256, or use --attach full")))
    return _distinct(out)


def _distinct(planned: list[Planned]) -> list[Planned]:
    """An excerpt's name may be another source's (``a.excerpt.csv`` given beside a shared
    ``a.csv``): the later one gets ``-2``… before its extension."""
    taken: set[str] = set()
    out = []
    for p in planned:
        name = p.attachment
        if name is not None:
            stem, dot, ext = name.rpartition(".")
            stem, ext = (stem, f".{ext}") if dot else (name, "")
            n = 1
            while name.casefold() in taken:
                n += 1
                name = f"{stem}-{n}{ext}"
            taken.add(name.casefold())
        out.append(p if name == p.attachment else replace(p, attachment=name))
    return out


def manifest(case: Case, ctx: RenderContext, planned: Sequence[Planned]) -> dict[str, Any]:
    files = []
    for p in planned:
        f = p.file
        entry: dict[str, Any] = {
            "file": base_name(f.file), "size": f.size, "sha256": f.sha256, "format": f.format,
            "events": f.events, "events_in_case": case.events_in_file(f.file),
            "attached": p.how, "attachment": p.attachment,
        }
        if p.excerpt is not None:
            entry["excerpt"] = {"unit": p.excerpt.unit, "records": list(p.excerpt.records),
                                "size": len(p.excerpt.data),
                                "sha256": hashlib.sha256(p.excerpt.data).hexdigest()}
        if p.note:
            entry["note"] = p.note
        files.append(entry)
    return {
        "tool": "evidence",
        "version": __version__,
        "generated_at": ctx.generated_at.isoformat(),
        "report": {"name": ctx.name, "json": f"{ctx.name}.json" if ctx.name else None},
        "attach": ctx.attach,
        "masked": ctx.mask,
        "files": files,
    }


_DESCRIPTION = {WHOLE: "原始文件 {file}（SHA-256 {sha}）",
                EXCERPT: "{file} 中本案的行（原文件 SHA-256 {sha}；行号见 manifest.json）"}


def attached_zh(p: Planned) -> str:
    """What the appendix says of a file: how the PDF carries it."""
    if p.how == WHOLE:
        return f"整份内嵌：{p.attachment}"
    if p.how == EXCERPT and p.excerpt is not None:
        numbers = [r["row"] if p.excerpt.unit == "row" else r["line"] for r in p.excerpt.records
                   if not r.get("header")]
        head = "（另含表头）" if any(r.get("header") for r in p.excerpt.records) else ""
        return f"仅内嵌本案的 {len(numbers)} 行{head}：{p.attachment}，即原文件第 {_ranges(numbers)} 行"
    if p.note == "--attach none":
        return "未内嵌（--attach none）"
    if "could not be cut" in p.note:
        return "未内嵌：该文件含其他买家的记录，未能从中摘出本案的行；可凭 SHA-256 核对原文件"
    return "未内嵌：该文件含其他买家的记录，且为 PDF，无法按行摘录；可凭 SHA-256 核对原文件"


def _ranges(numbers: Sequence[int]) -> str:
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and runs[-1][1] == n - 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return "、".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)


def attachments(case: Case, ctx: RenderContext, planned: Sequence[Planned] | None = None) -> list:
    from weasyprint import Attachment

    when = ctx.generated_at.astimezone(timezone.utc).replace(tzinfo=None)
    planned = plan_files(case, ctx) if planned is None else planned
    out = []
    for p in planned:
        if p.data is None or p.attachment is None:
            continue
        description = _DESCRIPTION[p.how].format(file=base_name(p.file.file), sha=p.file.sha256)
        out.append(Attachment(
            file_obj=io.BytesIO(p.data), name=p.attachment, relationship="Source",
            description=description, created=when, modified=when))
    body = json.dumps(manifest(case, ctx, planned), ensure_ascii=False, indent=2).encode("utf-8")
    out.append(Attachment(
        file_obj=io.BytesIO(body), name=MANIFEST_NAME, relationship="Data",
        description="来源文件清单：文件名、大小、SHA-256、本案摘录的行号、工具版本", created=when, modified=when))
    return out


def render_case_pdf(case: Case, ctx: RenderContext) -> bytes:
    res = pdf_resources()
    from weasyprint import HTML

    planned = plan_files(case, ctx)
    view = case_view(case, ctx.mask)
    for row, p in zip(view["files"], planned):
        row["attached"] = attached_zh(p)
    html = case_html(case, ctx, view, paper=True)
    try:
        sheets = [res.stylesheet(ctx.render_template(name)) for name in PAPER_STYLESHEETS]
        document = HTML(string=html, url_fetcher=res.fetcher)
        return document.write_pdf(
            font_config=res.font_config,
            stylesheets=[*sheets, res.font_css],
            pdf_variant=PDF_VARIANT,
            attachments=attachments(case, ctx, planned),
        )
    except (IntegrityError, RenderError):
        raise
    except Exception as exc:  # WeasyPrint raises many kinds; name the case and go on
        raise RenderError(N_("PDF of {buyer!r} could not be made: {error}: {problem}"), buyer=case.buyer,
                          error=type(exc).__name__, problem=exc) from None
