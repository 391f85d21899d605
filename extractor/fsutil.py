"""The file system, handled the same way by every command: which files a walk reads,
which it skips and why, and how outputs are written.

Walking (``report``, ``batch``, ``parse``, ``tag`` and ``verify`` all walk through
:func:`walk_inputs`):

- a path named on the command line is read as given (a link named there is followed:
  the user chose it);
- inside a folder, a link to a file in the folder (or in another folder given) is read
  once, under the name first reached; a link that leads out of them is skipped with a
  line naming the link and its target, unless ``--follow-links`` (a folder of exports
  must not pull ``~/.ssh/id_rsa`` into a PDF that is uploaded); a link loop or a broken
  link is a skip line, never a traceback; a linked folder is walked only with
  ``--follow-links`` and only once (loops end there);
- files that are plainly not exports, told by their first bytes (images, audio, video,
  Word and PowerPoint documents, archives other than zip) and anything that is not a
  regular file (a FIFO would block the read forever) are skipped, one line each;
- the output folder is never read as input.

Hidden files and folders (``.cache``, ``.DS_Store``) and the system litter of
:data:`SKIP_NAMES` are passed over without a word, as before: no export tool writes them.

Writing: :func:`atomic_write` writes a temporary file in the same folder, fsyncs it and
renames it over the target, so a reader (or the next run) sees the old file or the new
one, never half of one; on any failure the temporary file is removed and the OSError
becomes :class:`~extractor.errors.OutputWriteError` naming the path.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from .errors import OutputWriteError
from .i18n import N_, said

# Files no export tool writes; skipped silently when walking a folder, never when named.
SKIP_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


@dataclass(frozen=True)
class Skip:
    """A path the walk did not read, and why (one line on the terminal and in run.json)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class Walk:
    files: tuple[str, ...]
    skipped: tuple[Skip, ...] = field(default=())


# ---------------------------------------------------------------------------
# what a file plainly is not


# (magic at offset 0, what it is).  No export format starts with any of these.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", N_("an image (JPEG)")),
    (b"\x89PNG\r\n\x1a\n", N_("an image (PNG)")),
    (b"GIF87a", N_("an image (GIF)")),
    (b"GIF89a", N_("an image (GIF)")),
    (b"BM", N_("an image (BMP)")),  # short magics: NUL bytes must follow (see _WEAK)
    (b"II*\x00", N_("an image (TIFF)")),
    (b"MM\x00*", N_("an image (TIFF)")),
    (b"ID3", N_("audio (MP3)")),
    (b"#!AMR", N_("audio (AMR, a call recording?)")),
    (b"OggS", N_("audio or video (Ogg)")),
    (b"fLaC", N_("audio (FLAC)")),
    (b"Rar!\x1a\x07", N_("an archive (RAR)")),
    (b"7z\xbc\xaf\x27\x1c", N_("an archive (7z)")),
    (b"\x1f\x8b", N_("an archive (gzip)")),
    (b"BZh", N_("an archive (bzip2)")),  # and its block magic
    (b"\xfd7zXZ\x00", N_("an archive (xz)")),
    (b"\x7fELF", N_("a program")),
    (b"MZ", N_("a program")),
)
# Magics a line of text could start with ("BMW_fan(2025-…", "MZ_shop 2025-…"): taken
# only with the binary bytes that follow them in real files.
_WEAK = {b"BM", b"MZ", b"ID3"}
# ISO base media (MP4, MOV, HEIC, M4A): "ftyp" at offset 4, the brand after it.
_FTYP = {b"heic": N_("an image (HEIC)"), b"heix": N_("an image (HEIC)"), b"mif1": N_("an image (HEIF)"),
         b"avif": N_("an image (AVIF)"), b"M4A ": N_("audio (M4A)"), b"qt  ": N_("a video (MOV)")}
_ARCHIVE_HINT = N_("; 请先解压 if it holds exports")
# Zip-based office documents: the member that says what they are.
_OFFICE_ZIP = (("word/", N_("a Word document")), ("ppt/", N_("a PowerPoint document")),
               ("content.xml", N_("an OpenDocument file")))
# Named by what they are only once no format recognised them (a chat pasted into a
# .md file is read like any other): a note beside the exports, not an export.
NOTE_SUFFIXES = frozenset({".md", ".markdown", ".rtf", ".docx", ".doc", ".pptx", ".ppt", ".odt", ".pages",
                           ".key", ".numbers"})


def _not_an_export(what: str, hint: str = "") -> str:
    return said(N_("{what} — not an export{hint}"), what=said(what), hint=said(hint) if hint else "")


def plainly_not_an_export(path: str, head: bytes) -> str | None:
    """Why the file whose first bytes are ``head`` cannot be an export, or None."""
    if head[4:8] == b"ftyp":
        return _not_an_export(_FTYP.get(head[8:12], N_("a video (MP4)")))
    if head.startswith(b"RIFF") and len(head) >= 12:
        kind = {b"WEBP": N_("an image (WebP)"), b"WAVE": N_("audio (WAV)"), b"AVI ": N_("a video (AVI)")}.get(head[8:12])
        if kind:
            return _not_an_export(kind)
    for magic, what in _MAGIC:
        if (head.startswith(magic) and (magic not in _WEAK or b"\x00" in head[:16])
                and (magic != b"BZh" or head[4:10] == b"1AY&SY")):
            return _not_an_export(what, _ARCHIVE_HINT if what.startswith("an archive") else "")
    if head.startswith(b"\xd0\xcf\x11\xe0") and Path(path).suffix.lower() in (".doc", ".ppt"):
        return _not_an_export(N_("an old Office document"))  # OLE .xls is left to the readers
    if head.startswith(b"PK\x03\x04"):
        return _office_zip(path)
    return None


def _office_zip(path: str) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()[:2000]  # a listing, never an inflation
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None  # the readers say what is wrong with it
    if any(n.startswith("xl/") for n in names):
        return None
    for member, what in _OFFICE_ZIP:
        if any(n.startswith(member) for n in names):
            return _not_an_export(what)
    return None


def _head(path: str, size: int = 16) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError:
        return b""  # the read says why


# ---------------------------------------------------------------------------
# the walk


def _inside(real: str, roots: Iterable[str]) -> bool:
    return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _resolve(path: str) -> tuple[str | None, str | None]:
    """(the real path, None), or (None, why it has none)."""
    try:
        return os.path.realpath(path, strict=True), None
    except OSError as exc:
        target = _readlink(path)
        if exc.errno == errno.ELOOP:
            return None, said(N_("a link loop (→ {target}, which leads back round), not read"), target=target)
        if exc.errno == errno.ENOENT:
            return None, said(N_("a broken link (→ {target}), not read"), target=target)
        return None, said(N_("cannot follow this link ({reason})"), reason=exc.strerror or exc)
    except (ValueError, RuntimeError) as exc:
        return None, said(N_("cannot follow this link ({reason})"), reason=exc)


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


_OUT_HINT = N_("; name it on the command line or pass --follow-links to read it")


def walk_inputs(paths: Sequence[str | os.PathLike[str]], *, exclude: Sequence[str | os.PathLike[str]] = (),
                follow_links: bool = False) -> Walk:
    """The files under ``paths`` (folders recursively, sorted so runs repeat; files as
    given), and what was skipped, in walk order.  A file reached twice is read once
    under the name it was first reached by (read twice it would double every contact it
    holds).  ``exclude``: folders never read (the run's output folder)."""
    files: list[str] = []
    skipped: list[Skip] = []
    seen: set[str] = set()
    excluded = [os.path.realpath(e) for e in exclude]
    roots = [os.path.realpath(p) for p in paths if os.path.isdir(p)]

    def add(path: str, real: str | None = None, named: bool = False) -> None:
        if real is None:
            try:
                real = os.path.realpath(path)
            except (OSError, ValueError):
                real = path
        if real in seen:
            return
        seen.add(real)
        if not named:
            try:
                mode = os.stat(path).st_mode
            except OSError:
                mode = stat.S_IFREG  # the read says why
            if not stat.S_ISREG(mode):
                skipped.append(Skip(path, said(N_("not a regular file (a pipe, socket or device), not read"))))
                return
        why = plainly_not_an_export(path, _head(path))
        if why:
            skipped.append(Skip(path, why))
            return
        files.append(path)

    def walk_dir(top: str, visited: set[str]) -> None:
        def onerror(exc: OSError) -> None:
            skipped.append(Skip(str(exc.filename or top), said(N_("cannot open this folder ({reason})"),
                                                                reason=exc.strerror or exc)))

        for root, dirs, names in os.walk(top, onerror=onerror):
            keep = []
            for d in sorted(dirs):
                full = os.path.join(root, d)
                if d.startswith("."):
                    continue
                real, why = _resolve(full)
                if real is None:
                    skipped.append(Skip(full, why or said(N_("cannot follow this link"))))
                elif _inside(real, excluded):
                    skipped.append(Skip(full, said(N_("the output folder, not read as input"))))
                elif os.path.islink(full):
                    if _inside(real, roots) or _inside(real, visited):
                        skipped.append(Skip(full, said(N_("a link to a folder already walked (→ {real}); its "
                                                          "files are read where they are"), real=real)))
                    elif follow_links:
                        visited.add(real)
                        walk_dir(full, visited)
                    else:
                        skipped.append(Skip(full, said(N_("a link to a folder outside the input folder (→ {real}), "
                                                          "not read{hint}"), real=real, hint=said(_OUT_HINT))))
                else:
                    keep.append(d)
            dirs[:] = keep
            real_root = os.path.realpath(root)  # once a folder, not once a file
            for name in sorted(names):
                if name in SKIP_NAMES or name.startswith("."):
                    continue
                full = os.path.join(root, name)
                if not os.path.islink(full):
                    add(full, os.path.join(real_root, name))
                    continue
                real, why = _resolve(full)
                if real is None:
                    skipped.append(Skip(full, why or said(N_("cannot follow this link"))))
                elif _inside(real, excluded):
                    skipped.append(Skip(full, said(N_("a link into the output folder (→ {real}), not read"), real=real)))
                elif _inside(real, roots) or follow_links:
                    add(full, real)
                else:
                    skipped.append(Skip(full, said(N_("a link to a file outside the input folder (→ {real}), "
                                                      "not read{hint}"), real=real, hint=said(_OUT_HINT))))

    for raw in paths:
        path = str(raw)
        if os.path.isdir(path):
            real = os.path.realpath(path)
            if _inside(real, excluded):
                skipped.append(Skip(path, said(N_("the output folder, not read as input"))))
                continue
            walk_dir(path, {real})
        else:
            # As given, even a link out of every folder: the user named it.  A path that
            # does not exist, or loops, is reported as unreadable by the read.
            try:
                real, _ = os.path.realpath(path, strict=True), None
            except (OSError, ValueError, RuntimeError):
                real = path
            add(path, real, named=True)
    return Walk(tuple(files), tuple(skipped))


# ---------------------------------------------------------------------------
# writing


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp makes its file 0600; an output gets the mode open() would give it (0644 under
# the usual umask), so a shared or served report folder reads as it did.
_FILE_MODE = 0o666 & ~_umask()


def atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    """``data`` at ``path``, whole or not at all (see the module's docstring)."""
    target = Path(path)
    tmp: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:80]}.", suffix=".tmp", dir=target.parent)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise OutputWriteError(write_failure(target, exc)) from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def write_failure(path: Path, exc: OSError) -> str:
    """English (a Message: the terminal says it in its language)."""
    reason = exc.strerror or str(exc)
    space, folder = N_("free some space and run again (files written before are whole)"), \
        N_("give -o a folder you can write to")
    hint = {errno.ENOSPC: space, errno.EDQUOT: space, errno.EACCES: folder, errno.EROFS: folder,
            errno.EPERM: folder}.get(exc.errno or 0, N_("check the output folder"))
    return said(N_("{path}: cannot write ({reason}); {hint}"), path=path, reason=reason, hint=said(hint))


def file_sha256(path: str | os.PathLike[str]) -> str | None:
    """The SHA-256 of a file on disk, or None when it cannot be read."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()
