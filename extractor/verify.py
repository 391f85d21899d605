"""``evidence verify REPORT SOURCES...``: are these the files the report was made from?

A case report's JSON, and the manifest its PDF carries, record the SHA-256 and size of
every source file.  Verification hashes the files given now and says, file by file,
whether each is one of them; every recorded source must be among them (``--partial``
checks only the files given).  It proves the report matches the files; it cannot prove
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

MATCH = "match"  # the bytes are a recorded source
CHANGED = "changed"  # a recorded source's name, other bytes
UNKNOWN = "unknown"  # neither its bytes nor its name are in the report
UNREADABLE = "unreadable"


@dataclass(frozen=True)
class RecordedFile:
    file: str
    sha256: str
    size: int | None


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
        short = (self.sha256 or "")[:16]
        if self.status == MATCH:
            same = "" if self.recorded is None or _same_name(self.path, self.recorded.file) \
                else f" (recorded as {self.recorded.file})"
            return f"ok         {self.path}  sha256 {short}…{same}"
        if self.status == CHANGED:
            assert self.recorded is not None
            return (f"CHANGED    {self.path}  sha256 {short}…, but the report recorded "
                    f"{self.recorded.sha256[:16]}… for {self.recorded.file}")
        if self.status == UNREADABLE:
            return f"UNREADABLE {self.path}  {self.detail}"
        if self.named:
            return f"UNKNOWN    {self.path}  sha256 {short}… is not a source of this report"
        return f"skipped    {self.path}  (in the folder, not a source of this report)"


@dataclass(frozen=True)
class Verification:
    report: str
    recorded: tuple[RecordedFile, ...]
    checks: tuple[FileCheck, ...]
    partial: bool = False  # a recorded source not given is no failure

    @property
    def matched(self) -> tuple[RecordedFile, ...]:
        hashes = {c.sha256 for c in self.checks if c.status == MATCH}
        return tuple(r for r in self.recorded if r.sha256 in hashes)

    @property
    def not_given(self) -> tuple[RecordedFile, ...]:
        hashes = {c.sha256 for c in self.checks if c.status == MATCH}
        return tuple(r for r in self.recorded if r.sha256 not in hashes)

    @property
    def failures(self) -> tuple[FileCheck, ...]:
        return tuple(c for c in self.checks if not c.ok)

    @property
    def ok(self) -> bool:
        return not self.failures and bool(self.matched) and (self.partial or not self.not_given)

    def lines(self) -> list[str]:
        out = [c.line() for c in self.checks]
        out.extend(f"not given  {r.file}  (recorded sha256 {r.sha256[:16]}…)" for r in self.not_given)
        out.append(f"{len(self.matched)} of {len(self.recorded)} recorded sources verified"
                   + (f"; {len(self.failures)} file(s) do not match" if self.failures else ""))
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
        raise UsageError(f"{report}: cannot read the report ({exc.strerror or exc})") from None
    except ValueError:
        raise UsageError(f"{report}: not a JSON file; give the case's .json report "
                         "(written next to its .html and .pdf)") from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list) or not str(data.get("schema", "")).startswith("evidence-case/"):
        raise UsageError(f"{report}: not an evidence case report (no \"schema\": \"evidence-case/…\" "
                         "and \"files\"); give the case's .json report")
    out = []
    for entry in files:
        try:
            out.append(RecordedFile(str(entry["file"]), str(entry["sha256"]).lower(), entry.get("size")))
        except (KeyError, TypeError):
            raise UsageError(f"{report}: a \"files\" entry lacks \"file\" or \"sha256\"") from None
    return tuple(out)


def _recorded_in_pdf(path: Path) -> tuple[RecordedFile, ...]:
    """The sources a case PDF's embedded manifest.json records."""
    from .render.pdf import MANIFEST_NAME

    manifest = _pdf_attachment(path, MANIFEST_NAME)
    try:
        data = json.loads(manifest.decode("utf-8"))
        return tuple(RecordedFile(str(f["file"]), str(f["sha256"]).lower(), f.get("size")) for f in data["files"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise UsageError(f"{path}: its {MANIFEST_NAME} is not an evidence manifest") from None


def _pdf_attachment(path: Path, name: str) -> bytes:
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
                if uf == name:
                    return resolve1(resolve1(spec["EF"])["F"]).get_data()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the report ({exc.strerror or exc})") from None
    except Exception:  # not a PDF, or one without attachments: said below
        pass
    raise UsageError(f"{path}: no {name} attached; give a case report's .pdf or .json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
        sha = _sha256(Path(path))
    except OSError as exc:
        return FileCheck(path, UNREADABLE, None, named=named, detail=f"cannot read ({exc.strerror or exc})")
    by_hash = next((r for r in recorded if r.sha256 == sha), None)
    if by_hash is not None:
        return FileCheck(path, MATCH, sha, by_hash, named)
    by_name = next((r for r in recorded if r.file == path), None) or next(
        (r for r in recorded if _same_name(path, r.file)), None)
    if by_name is not None:
        return FileCheck(path, CHANGED, sha, by_name, named)
    return FileCheck(path, UNKNOWN, sha, None, named)


def verify_report(report: str | os.PathLike[str], sources: Sequence[str | os.PathLike[str]],
                  partial: bool = False) -> Verification:
    """Check ``sources`` (files, or folders walked recursively) against ``report``
    (a case's .json, or its .pdf's manifest)."""
    if not sources:
        raise UsageError("name the source files (or their folder) to check against the report")
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
        raise IntegrityError(f"none of the given files is a source of {result.report}; "
                             "name the exports the report was made from")
    if result.failures:
        names = ", ".join(c.path for c in result.failures)
        raise IntegrityError(f"{len(result.failures)} file(s) do not match {result.report}: {names}")
    missing = ", ".join(r.file for r in result.not_given)
    raise IntegrityError(f"{len(result.not_given)} recorded source(s) not given: {missing}; "
                         "name them too, or give --partial to check only the files given")
