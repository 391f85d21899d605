"""Rendering: cases to HTML, PDF and JSON; the run to a register (CSV, XLSX) and an index.

Every output is a renderer in one registry, with one signature::

    render(subject, ctx: RenderContext) -> bytes

where ``subject`` is a :class:`~extractor.cases.Case` for per-case outputs and a
:class:`~extractor.render.view.RunIndex` for run outputs.  :class:`Renderer` holds what
is shared across a run (template environment, options, generation time) and writes
files; :func:`render_run` is the one-call library function behind ``evidence report``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Sequence
from zoneinfo import ZoneInfo

from ..cases import Case, Run
from ..errors import UsageError
from ..i18n import N_, said
from ..model import Event, FileReport, ParseResult
from .context import ATTACH_CASE, ATTACH_MODES, ATTACH_NONE, RenderContext
from .env import cached_environment
from .filenames import unique_names
from .view import RunIndex, case_summary

BEIJING = ZoneInfo("Asia/Shanghai")
# Plug-in renderers: a distribution names a module under this entry-point group; the
# module registers its outputs with :func:`register_output` when it is imported.
ENTRY_POINT_GROUP = "evidence.renderers"


@dataclass(frozen=True)
class OutputKind:
    name: str
    scope: str  # "case" or "run"
    filename: Callable[[str], str]  # case stem → file name (run outputs ignore it)
    render: Callable[[Any, RenderContext], bytes]
    default: bool = True  # made when the user names no --outputs (case outputs)


REGISTRY: dict[str, OutputKind] = {}


def register_output(name: str, scope: str, filename: Callable[[str], str], *, default: bool = False):
    """Register a renderer: ``render(subject, ctx) -> bytes`` for a case (``scope``
    "case", written as ``filename(stem)``) or for the run ("run").  A new renderer is
    one module that calls this; ``--outputs`` and the batch take it from here.  A
    plug-in's case output is made only when asked for (``default`` False)."""
    if scope not in ("case", "run"):
        raise ValueError(f"output {name!r}: scope must be 'case' or 'run'")

    def wrap(fn: Callable[[Any, RenderContext], bytes]) -> Callable[[Any, RenderContext], bytes]:
        if name in REGISTRY:
            raise ValueError(f"output {name!r} registered twice")
        REGISTRY[name] = OutputKind(name, scope, filename, fn, default)
        return fn
    return wrap


def _register_builtins() -> None:
    from .html import render_case_html, render_index_html
    from .json import render_case_json
    from .register import render_register_csv, render_register_xlsx

    def render_case_pdf(case: Case, ctx: RenderContext) -> bytes:
        from .pdf import render_case_pdf as render  # WeasyPrint is imported only when needed
        return render(case, ctx)

    register_output("html", "case", lambda stem: f"{stem}.html", default=True)(render_case_html)
    register_output("pdf", "case", lambda stem: f"{stem}.pdf", default=True)(render_case_pdf)
    register_output("json", "case", lambda stem: f"{stem}.json", default=True)(render_case_json)
    register_output("register.csv", "run", lambda _: "register.csv")(render_register_csv)
    register_output("register.xlsx", "run", lambda _: "register.xlsx")(render_register_xlsx)
    register_output("index", "run", lambda _: "index.html")(render_index_html)


_register_builtins()
_PLUGINS_LOADED = False


def load_plugins() -> None:
    """Import the renderer modules that installed distributions name (once)."""
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry.load()
        except Exception as exc:  # a broken plug-in must say so, not sink every report
            raise UsageError(N_("renderer plug-in {name!r} ({value}) failed to load: {error}: {problem}"),
                             name=entry.name, value=entry.value, error=type(exc).__name__, problem=exc) from None


def case_output_names() -> tuple[str, ...]:
    load_plugins()
    return tuple(k for k, o in REGISTRY.items() if o.scope == "case")


def default_case_outputs() -> tuple[str, ...]:
    load_plugins()
    return tuple(k for k, o in REGISTRY.items() if o.scope == "case" and o.default)


def check_case_outputs(outputs: Sequence[str]) -> tuple[str, ...]:
    """The outputs as given, each a registered case output, or a UsageError naming them."""
    known = case_output_names()
    kinds = tuple(outputs)
    if not kinds or set(kinds) - set(known):
        raise UsageError(N_("--outputs takes {names}; got {outputs!r}"), names=_and(known), outputs=",".join(kinds))
    return kinds


def _and(names: Sequence[str]) -> str:
    """``a, b and c`` (a Message: said ``a、b 和 c`` in Chinese, see extractor.i18n)."""
    if len(names) < 2:
        return "".join(names)
    items: str = names[0]
    for name in names[1:-1]:
        items = said(N_("{a}, {b}"), a=items, b=name)
    return said(N_("{items} and {last}"), items=items, last=names[-1])


# The built-in defaults (plug-ins are looked up when a run starts, not at import).
CASE_OUTPUTS = tuple(k for k, o in REGISTRY.items() if o.scope == "case" and o.default)


def _write(path: Path, data: bytes) -> None:
    """Whole or not at all: a reader never sees half a report, a full disk leaves no
    temporary file and is error E302 naming the path (:func:`extractor.fsutil.atomic_write`)."""
    from ..fsutil import atomic_write

    atomic_write(path, data)


class Renderer:
    """Renders and writes a run's outputs; build one per run (or per worker process)."""

    def __init__(self, templates: str | os.PathLike[str] | None = None, mask_phones: bool = True,
                 generated_at: datetime | None = None, argv: Sequence[str] = (),
                 attach: str | bool = ATTACH_CASE, *, attach_sources: bool | None = None) -> None:
        self.templates = str(templates) if templates is not None else None
        # ``attach_sources=False`` (the older flag) is ``attach="none"``.
        if attach_sources is not None:
            attach = attach_sources
        if isinstance(attach, bool):
            attach = ATTACH_CASE if attach else ATTACH_NONE
        if attach not in ATTACH_MODES:
            raise UsageError(N_("--attach takes {names}; got {attach!r}"), names=_and(ATTACH_MODES), attach=attach)
        self.attach = attach
        self.mask = mask_phones
        self.generated_at = generated_at or datetime.now(BEIJING).replace(microsecond=0)
        self.argv = tuple(argv)
        self.env = cached_environment(self.templates)

    def context(self, name: str = "", outputs: Sequence[str] = CASE_OUTPUTS) -> RenderContext:
        return RenderContext(self.env, self.generated_at, self.mask, self.argv, tuple(outputs), name,
                             attach=self.attach)

    def render(self, kind: str, subject: Any, name: str = "", outputs: Sequence[str] = CASE_OUTPUTS) -> bytes:
        try:
            output = REGISTRY[kind]
        except KeyError:
            raise UsageError(N_("unknown output {kind!r}; known: {known}"), kind=kind, known=", ".join(REGISTRY)) from None
        return output.render(subject, self.context(name, outputs))

    def write_case(self, case: Case, out_dir: str | os.PathLike[str], name: str,
                   outputs: Sequence[str] = CASE_OUTPUTS) -> list[Path]:
        """Write ``name.html`` / ``.pdf`` / ``.json`` for one case; returns the paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for kind in outputs:
            output = REGISTRY.get(kind)
            if output is None or output.scope != "case":
                raise UsageError(N_("unknown case output {kind!r}; known: {known}"), kind=kind,
                                 known=", ".join(k for k, o in REGISTRY.items() if o.scope == "case"))
            data = output.render(case, self.context(name, outputs))
            path = out / output.filename(name)
            _write(path, data)
            written.append(path)
        return written

    def case_summary(self, case: Case, name: str, outputs: Sequence[str] = CASE_OUTPUTS) -> dict[str, Any]:
        return case_summary(case, name, self.mask, tuple(outputs))

    def write_run(self, summaries: Sequence[dict[str, Any]], out_dir: str | os.PathLike[str],
                  files: Sequence[FileReport], unassigned: Sequence[Event] = (),
                  skipped: Sequence[Any] = ()) -> list[Path]:
        """register.csv, register.xlsx and index.html from the cases' summaries."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        index = RunIndex(tuple(summaries), tuple(files), tuple(unassigned), tuple(skipped))
        written: list[Path] = []
        for output in REGISTRY.values():
            if output.scope != "run":
                continue
            path = out / output.filename("")
            _write(path, output.render(index, self.context()))
            written.append(path)
        return written


@dataclass(frozen=True)
class RenderOptions:
    templates: str | None = None
    mask_phones: bool = True
    generated_at: datetime | None = None
    argv: tuple[str, ...] = ()
    outputs: tuple[str, ...] = CASE_OUTPUTS


@dataclass(frozen=True)
class CaseOutput:
    buyer: str
    name: str
    paths: tuple[Path, ...]
    risk: str


@dataclass(frozen=True)
class RunOutput:
    out_dir: Path
    cases: tuple[CaseOutput, ...]
    run_files: tuple[Path, ...]
    unassigned: int = 0
    summaries: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    @property
    def index(self) -> Path:
        return self.out_dir / "index.html"


def render_run(cases: Run | Sequence[Case], out_dir: str | os.PathLike[str],
               options: RenderOptions | None = None) -> RunOutput:
    """Write every case's reports and the run's register and index into ``out_dir``."""
    options = options or RenderOptions()
    if isinstance(cases, Run):
        run = cases
    else:
        files: dict[str, FileReport] = {}
        for case in cases:
            for f in case.files:
                files.setdefault(f.file, f)
        run = Run(tuple(cases), (), tuple(files.values()))
    renderer = Renderer(options.templates, options.mask_phones, options.generated_at, options.argv)
    if "pdf" in options.outputs:
        from .pdf import cjk_font_family

        cjk_font_family()  # fail before writing anything when the PDF cannot be made
    from ..keys import CaseKey, case_names

    def key(case: Case) -> CaseKey:
        return CaseKey(case.shop or "", case.buyer, case.conversation or "")

    names = case_names(key(c) for c in run.cases)
    results: list[CaseOutput] = []
    summaries: list[dict[str, Any]] = []
    for case in run.cases:
        name = names[key(case)]
        paths = renderer.write_case(case, out_dir, name, options.outputs)
        results.append(CaseOutput(case.buyer, name, tuple(paths), case.risk))
        summaries.append(renderer.case_summary(case, name, options.outputs))
    run_files = renderer.write_run(summaries, out_dir, run.files, run.unassigned)
    return RunOutput(Path(out_dir), tuple(results), tuple(run_files), len(run.unassigned), tuple(summaries))


@dataclass(frozen=True)
class ReportResult:
    parsed: ParseResult
    output: RunOutput | None  # None when no input could be read


def report_paths(paths: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str],
                 parse_options: Any = None, format_name: str | None = None,
                 rules_files: Sequence[str] = (), ship_within_hours: float = 72.0,
                 options: RenderOptions | None = None) -> ReportResult:
    """``evidence report`` with the older options objects: the stages of
    :func:`extractor.stages.run_report`."""
    from ..sources import ParseOptions
    from ..stages import RunConfig, run_report

    options = options or RenderOptions()
    config = RunConfig(parse=parse_options or ParseOptions(), format_name=format_name,
                       rules_files=tuple(rules_files), ship_within_hours=ship_within_hours,
                       outputs=tuple(options.outputs), mask_phones=options.mask_phones,
                       templates=options.templates)
    result = run_report(paths, out_dir, config, options.generated_at, options.argv)
    parsed = ParseResult((), tuple(result.files))
    if not result.run_files:
        return ReportResult(parsed, None)
    cases = tuple(CaseOutput(c.buyer, c.name, tuple(Path(p) for p in c.paths), c.risk) for c in result.cases)
    return ReportResult(parsed, RunOutput(Path(out_dir), cases, tuple(result.run_files), len(result.unassigned),
                                          tuple(c.summary for c in result.cases)))


__all__ = ["default_case_outputs", "check_case_outputs", "case_output_names", "load_plugins", "Renderer", "RenderContext", "RenderOptions", "RunOutput", "CaseOutput", "render_run",
           "register_output", "REGISTRY", "unique_names", "report_paths", "ReportResult"]
