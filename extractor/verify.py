"""``evidence verify REPORT SOURCES...``: are these the files the report was made from?

A case report's JSON, and the manifest its PDF carries, record the SHA-256 and size of
every source file.  Verification hashes the files given now and says, file by file,
whether each is one of them; every recorded source must be among them (``--partial``
checks only the files given).  A PDF that carries an excerpt of a shared file (this
case's rows of the order export, its lines of a call-note file) is also checked
against the original: every row or line the manifest names must be the original's,
masked as recorded.  It proves the report matches the files; it cannot prove
an export was not edited before the report was made (see SECURITY.md).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Sequence

from .errors import IntegrityError, UsageError
from .i18n import N_, _

MATCH = "match"  # the bytes are a recorded source
CHANGED = "changed"  # a recorded source's name, other bytes
UNKNOWN = "unknown"  # neither its bytes nor its name are in the report
UNREADABLE = "unreadable"
EXCERPT_DIFFERS = "excerpt"  # the bytes are a recorded source, but the PDF's excerpt of it is not


@dataclass(frozen=True)
class RecordedFile:
    file: str
    sha256: str
    size: int | None
    format: str | None = None
    # A PDF's excerpt of the file: {"unit", "records", ...} from its manifest, the
    # excerpt's bytes and whether it was masked.
    excerpt: dict | None = None
    excerpt_data: bytes | None = None
    masked: bool = True


@dataclass(frozen=True)
class FileCheck:
    path: str
    status: str
    sha256: str | None
    recorded: RecordedFile | None = None
    named: bool = True  # given by name (not found by walking a folder)
    detail: str = ""

    @property
    def ok(self) -> bool:
        # A file found only by walking a folder and unknown to the report is no failure:
        # folders hold other buyers' exports too.
        return self.status == MATCH or (self.status == UNKNOWN and not self.named)

    def line(self) -> str:
        """The file's line on the terminal, in the language the CLI speaks (the status
        word first, so a script can still grep the English one)."""
        short = (self.sha256 or "")[:16]
        detail = f"; {self.detail}" if self.detail else ""
        if self.status == MATCH:
            same = "" if self.recorded is None or _same_name(self.path, self.recorded.file) \
                else _(" (recorded as {file})").format(file=self.recorded.file)
            return _("ok         {path}  sha256 {short}…{same}").format(path=self.path, short=short, same=same) + detail
        if self.status == CHANGED:
            assert self.recorded is not None
            return _("CHANGED    {path}  sha256 {short}…, but the report recorded {recorded}… for {file}").format(
                path=self.path, short=short, recorded=self.recorded.sha256[:16], file=self.recorded.file) + detail
        if self.status == EXCERPT_DIFFERS:
            return _("EXCERPT    {path}  sha256 {short}… matches, but the PDF's excerpt of it does not: {detail}").format(
                path=self.path, short=short, detail=self.detail)
        if self.status == UNREADABLE:
            return _("UNREADABLE {path}  {detail}").format(path=self.path, detail=self.detail)
        if self.named:
            return _("UNKNOWN    {path}  sha256 {short}… is not a source of this report").format(
                path=self.path, short=short)
        return _("skipped    {path}  (in the folder, not a source of this report)").format(path=self.path)


@dataclass(frozen=True)
class Verification:
    report: str
    recorded: tuple[RecordedFile, ...]
    checks: tuple[FileCheck, ...]
    partial: bool = False  # a recorded source not given is no failure

    @property
    def matched(self) -> tuple[RecordedFile, ...]:
        hashes = {c.sha256 for c in self.checks if c.status in (MATCH, EXCERPT_DIFFERS)}
        return tuple(r for r in self.recorded if r.sha256 in hashes)

    @property
    def not_given(self) -> tuple[RecordedFile, ...]:
        hashes = {c.sha256 for c in self.checks if c.status in (MATCH, EXCERPT_DIFFERS)}
        return tuple(r for r in self.recorded if r.sha256 not in hashes)

    @property
    def failures(self) -> tuple[FileCheck, ...]:
        return tuple(c for c in self.checks if not c.ok)

    @property
    def ok(self) -> bool:
        return not self.failures and bool(self.matched) and (self.partial or not self.not_given)

    def lines(self) -> list[str]:
        out = [c.line() for c in self.checks]
        out.extend(_("not given  {file}  (recorded sha256 {short}…)").format(file=r.file, short=r.sha256[:16])
                   for r in self.not_given)
        out.append(_("{matched} of {recorded} recorded sources verified").format(
            matched=len(self.matched), recorded=len(self.recorded))
            + (_("; {n} file(s) do not match").format(n=len(self.failures)) if self.failures else ""))
        return out


def _same_name(a: str, b: str) -> bool:
    return PurePath(a.replace("\\", "/")).name == PurePath(b.replace("\\", "/")).name


def load_recorded(report: str | os.PathLike[str]) -> tuple[RecordedFile, ...]:
    path = Path(report)
    if path.suffix.lower() == ".pdf":
        return _recorded_in_pdf(path)
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise UsageError(N_("{report}: cannot read the report ({reason})"), report=report,
                         reason=exc.strerror or exc) from None
    except ValueError:
        raise UsageError(N_("{report}: not a JSON file; give the case's .json report "
                            "(written next to its .html and .pdf)"), report=report) from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list) or not str(data.get("schema", "")).startswith("evidence-case/"):
        raise UsageError(N_("{report}: not an evidence case report (no \"schema\": \"evidence-case/…\" "
                            "and \"files\"); give the case's .json report"), report=report)
    out = []
    for entry in files:
        try:
            out.append(RecordedFile(str(entry["file"]), str(entry["sha256"]).lower(), entry.get("size")))
        except (KeyError, TypeError):
            raise UsageError(N_("{report}: a \"files\" entry lacks \"file\" or \"sha256\""), report=report) from None
    return tuple(out)


def _recorded_in_pdf(path: Path) -> tuple[RecordedFile, ...]:
    """The sources a case PDF's embedded manifest.json records, with its excerpts."""
    from .render.pdf import MANIFEST_NAME

    attached = _pdf_attachments(path)
    if MANIFEST_NAME not in attached:
        raise UsageError(N_("{path}: no {manifest} attached; give a case report's .pdf or .json"), path=path,
                         manifest=MANIFEST_NAME)
    try:
        data = json.loads(attached[MANIFEST_NAME].decode("utf-8"))
        masked = bool(data.get("masked", True))
        out = []
        for f in data["files"]:
            excerpt = f.get("excerpt") if f.get("attached") == "excerpt" else None
            out.append(RecordedFile(
                str(f["file"]), str(f["sha256"]).lower(), f.get("size"), f.get("format"), excerpt,
                attached.get(str(f.get("attachment"))) if excerpt else None, masked))
        return tuple(out)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise UsageError(N_("{path}: its {manifest} is not an evidence manifest"), path=path,
                         manifest=MANIFEST_NAME) from None


def _pdf_attachments(path: Path) -> dict[str, bytes]:
    """Every embedded file of a PDF, by name ({} for a PDF without any)."""
    out: dict[str, bytes] = {}
    try:
        import pdfplumber
        from pdfminer.pdftypes import resolve1

        with pdfplumber.open(path) as pdf:
            names = resolve1(resolve1(resolve1(pdf.doc.catalog["Names"])["EmbeddedFiles"])["Names"])
            for i in range(0, len(names), 2):
                spec = resolve1(names[i + 1])
                uf = spec.get("UF") or spec.get("F")
                if isinstance(uf, bytes):
                    uf = uf.decode("utf-16") if uf[:2] in (b"\xfe\xff", b"\xff\xfe") else uf.decode("utf-8", "replace")
                out[str(uf)] = resolve1(resolve1(spec["EF"])["F"]).get_data()
    except OSError as exc:
        raise UsageError(N_("{report}: cannot read the report ({reason})"), report=path,
                         reason=exc.strerror or exc) from None
    except Exception:  # not a PDF, or one without attachments: the caller says so
        pass
    return out


def _expand(sources: Sequence[str | os.PathLike[str]]) -> list[tuple[str, bool]]:
    from .timeline import walk

    out: list[tuple[str, bool]] = []
    for raw in sources:
        if Path(raw).is_dir():
            out.extend((p, False) for p in walk([raw]))
        else:
            out.append((str(raw), True))
    return out


def check_file(path: str, named: bool, recorded: Sequence[RecordedFile]) -> FileCheck:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return FileCheck(path, UNREADABLE, None, named=named, detail=f"cannot read ({exc.strerror or exc})")
    sha = hashlib.sha256(data).hexdigest()
    by_hash = next((r for r in recorded if r.sha256 == sha), None)
    if by_hash is not None:
        problems = _excerpt_problems(by_hash, data)
        if problems:
            return FileCheck(path, EXCERPT_DIFFERS, sha, by_hash, named, detail=_first(problems))
        return FileCheck(path, MATCH, sha, by_hash, named, detail=_excerpt_note(by_hash))
    by_name = next((r for r in recorded if r.file == path), None) or next(
        (r for r in recorded if _same_name(path, r.file)), None)
    if by_name is not None:
        detail = ""
        if by_name.excerpt is not None:
            # Say whether the case's own records survived the change (a re-export),
            # though the file still fails: its bytes are not the report's source.
            problems = _excerpt_problems(by_name, data)
            detail = _first(problems) if problems else "the case's excerpted records are the same in it"
        return FileCheck(path, CHANGED, sha, by_name, named, detail=detail)
    return FileCheck(path, UNKNOWN, sha, None, named)


def _first(problems: Sequence[str]) -> str:
    return problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")


def _excerpt_note(r: RecordedFile) -> str:
    if r.excerpt is None:
        return ""
    return f"the PDF's excerpt ({len(r.excerpt.get('records') or ())} {r.excerpt.get('unit')}(s)) is the original's"


def _excerpt_problems(r: RecordedFile, original: bytes) -> list[str]:
    """What differs between the PDF's excerpt of ``r`` and the ``original`` bytes."""
    if r.excerpt is None:
        return []
    from .render.excerpt import check_excerpt

    if r.excerpt_data is None:
        return ["the excerpt the manifest names is not attached"]
    if r.excerpt.get("sha256") and hashlib.sha256(r.excerpt_data).hexdigest() != r.excerpt["sha256"]:
        return ["the attached excerpt is not the one the manifest recorded (SHA-256 differs)"]
    try:
        return check_excerpt(original, r.format, str(r.excerpt.get("unit")), list(r.excerpt.get("records") or ()),
                             r.excerpt_data, r.masked)
    except Exception as exc:  # an original that no longer reads as its format
        return [f"the original cannot be read as {r.format} ({type(exc).__name__})"]


def verify_report(report: str | os.PathLike[str], sources: Sequence[str | os.PathLike[str]],
                  partial: bool = False) -> Verification:
    """Check ``sources`` (files, or folders walked recursively) against ``report``
    (a case's .json, or its .pdf's manifest)."""
    if not sources:
        raise UsageError(N_("name the source files (or their folder) to check against the report"))
    recorded = load_recorded(report)
    report_path = Path(report).resolve()
    checks = tuple(check_file(p, named, recorded) for p, named in _expand(sources)
                   if Path(p).resolve() != report_path)
    return Verification(str(report), recorded, checks, partial)


def require_verified(result: Verification) -> None:
    """Raise IntegrityError (exit code 5) unless every given file matched."""
    if result.ok:
        return
    if not result.failures and not result.matched:
        raise IntegrityError(N_("none of the given files is a source of {report}; "
                                "name the exports the report was made from"), report=result.report)
    if result.failures:
        names = ", ".join(c.path for c in result.failures)
        raise IntegrityError(N_("{n} file(s) do not match {report}: {names}"), n=len(result.failures),
                             report=result.report, names=names)
    missing = ", ".join(r.file for r in result.not_given)
    raise IntegrityError(N_("{n} recorded source(s) not given: {missing}; "
                            "name them too, or give --partial to check only the files given"),
                         n=len(result.not_given), missing=missing)
