"""Safe, unique file names made from buyer nicks.

A nick is written by the other side of a dispute, so it may hold anything: ``../``,
``/``, ``\\``, NUL and other control characters, bidi overrides, a Windows device name
(``CON``, ``NUL``, ``COM1``…), thousands of characters, or two nicks that differ only in
case (``Tb_Lin`` and ``tb_lin`` are one file on Windows and macOS).  Every name made here
is a single path component that is valid on Linux, Windows and macOS, at most
:data:`MAX_STEM_BYTES` bytes of UTF-8, and unique case-insensitively within a run.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Iterable

from ..display import BLANK_LETTERS, VARIATION_SELECTORS

# Room for a uniqueness suffix and the longest extension (".html") under the common
# 255-byte limit of a file name, with a wide margin for archive tools.
MAX_STEM_BYTES = 120
FALLBACK_STEM = "buyer"

# Characters Windows forbids in names, plus both separators.
_FORBIDDEN = set('<>:"/\\|?*')
_BLANK_LETTERS = frozenset(BLANK_LETTERS)
_VARIATION_SELECTOR_RE = re.compile(f"[{VARIATION_SELECTORS}]")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{dev}{n}" for dev in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")}
# Names the run itself writes next to the case files.
RUN_OUTPUT_STEMS = frozenset({"index", "register", "run"})


def _clean_char(ch: str) -> str:
    if ch in _FORBIDDEN:
        return "_"
    category = unicodedata.category(ch)
    # Cc: control characters (NUL, newlines…); Cf: format characters (bidi overrides,
    # zero-width joiners) that would make a name display differently from what it is;
    # Zl/Zp: line and paragraph separators.
    if category in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"):
        return "_"
    if ch in _BLANK_LETTERS:  # letters that draw nothing (U+3164 Hangul filler…)
        return "_"
    if _VARIATION_SELECTOR_RE.match(ch):  # a glyph's variant: the name is the same without it
        return ""
    if category == "Zs":
        return " "
    return ch


def _truncate_utf8(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def safe_stem(nick: str, limit: int = MAX_STEM_BYTES) -> str:
    """One safe file-name stem for ``nick`` (not yet unique within a run)."""
    text = unicodedata.normalize("NFC", nick)
    text = "".join(_clean_char(ch) for ch in text)
    text = re.sub(r"\.{2,}", "_", text)  # no ".." anywhere, not only as a whole name
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"_{2,}", "_", text)
    # Leading dots hide a file or make it "." / ".."; trailing dots and spaces are
    # dropped by Windows, so "a." and "a" would collide there.
    text = text.strip(" ").lstrip(".").rstrip(". ")
    text = _truncate_utf8(text, limit).rstrip(". ")
    if not text.strip("_ "):
        return FALLBACK_STEM
    # Windows treats "CON", "con.txt" and "CON .html" as the device.
    device = text.split(".", 1)[0].rstrip(" ").upper()
    if device in _WINDOWS_RESERVED:
        text = "_" + text
    return text


def _fold(stem: str) -> str:
    return unicodedata.normalize("NFC", stem).casefold()


def unique_names(nicks: Iterable[str], reserved: Iterable[str] = RUN_OUTPUT_STEMS) -> dict[str, str]:
    """Map each distinct nick to a safe stem, unique without regard to case.

    Nicks are taken in sorted order so the mapping does not depend on input order.  A
    stem that is already taken gets ``-2``, ``-3``…; a stem that was cut to length gets
    a short hash of the full nick so that long nicks sharing a prefix stay apart.
    """
    taken = {_fold(r) for r in reserved}
    out: dict[str, str] = {}
    for nick in sorted(set(nicks)):
        stem = safe_stem(nick)
        if len(unicodedata.normalize("NFC", nick).encode("utf-8")) > MAX_STEM_BYTES:
            digest = hashlib.sha256(nick.encode("utf-8")).hexdigest()[:8]
            stem = f"{_truncate_utf8(stem, MAX_STEM_BYTES - 9).rstrip('. ')}-{digest}"
        candidate, n = stem, 1
        while _fold(candidate) in taken:
            n += 1
            candidate = f"{stem}-{n}"
        taken.add(_fold(candidate))
        out[nick] = candidate
    return out


def unique_attachment_names(paths: Iterable[str]) -> dict[str, str]:
    """Attachment names for source files: the base name, made safe, with ``-2``… before
    the extension when two files share a base name."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for path in paths:
        base = re.split(r"[\\/]", path)[-1] or path
        stem, dot, ext = base.rpartition(".")
        if not dot or not stem:
            stem, ext = base, ""
        stem = safe_stem(stem)
        ext = re.sub(r"[^0-9A-Za-z]", "", ext)[:10]
        suffix = f".{ext}" if ext else ""
        candidate, n = stem + suffix, 1
        while _fold(candidate) in taken:
            n += 1
            candidate = f"{stem}-{n}{suffix}"
        taken.add(_fold(candidate))
        out[path] = candidate
    return out
