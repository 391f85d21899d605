"""Bytes to text without mojibake.

Order of trust: a BOM (UTF-8, UTF-16 LE/BE) decides; otherwise strict UTF-8; then
UTF-16 without BOM when the NUL pattern says so; then the two legacy Chinese encodings,
each decoded strictly: GB18030 (a superset of GBK and GB2312, what Chinese Windows
writes), Big5 (cp950, what Taiwanese Windows writes) and Big5-HKSCS (Hong Kong).  Almost any Big5
file is also valid GB18030 (and most GBK files valid Big5), into mojibake, so when both
decode the choice is made by plausibility (:func:`_plausibility`): the share of the
decoded Chinese characters that are common ones (the 3,755 of GB2312 level 1, the 5,401
of Big5 level 1, CJK punctuation).  Text in its own encoding scores near 100%; read in
the other, 25-50%.  A choice with too little text or too narrow a margin to be sure is
still made, and the file gets a warning saying so (``DecodedText.note``); so does every
file read as Big5, since it is the unusual case, and a file valid in one encoding only
whose characters are mostly rare ones (likely another encoding, garbled).

A file that none of these decode is an :class:`EncodingError` (E102): we never pass on
text decoded with ``errors="replace"``.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from .errors import EncodingError
from .i18n import N_


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    # Why this encoding, when the bytes alone did not make it certain (or it is Big5):
    # the file's warning, so a reader can check the choice.
    note: str | None = None


def _looks_utf16(data: bytes) -> str | None:
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) / 2
    # ASCII-heavy UTF-16 has a NUL in every other byte; CJK-heavy text has few NULs,
    # so we only claim UTF-16 without a BOM when the pattern is unmistakable.
    if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


_CONTROLS = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r", "\f"}


def _mostly_controls(text: str) -> bool:
    sample = text[:4000]
    return bool(sample) and sum(ch in _CONTROLS for ch in sample) > 0.05 * len(sample)


def decode_bytes(data: bytes, *, name: str = "<bytes>") -> DecodedText:
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8):], "utf-8", name, "utf-8-sig")
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return _strict(data, "utf-16", name, "utf-16")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    # NUL is valid UTF-8, and so is BOM-less UTF-16 whose bytes all lie below 0x80
    # ("在吗" is 28 57 17 54).  Such all-ASCII bytes with NULs are read as UTF-16 when the
    # NUL pattern says so and the lines survive; anything else that is valid UTF-8 stays
    # UTF-8, NULs kept (a UTF-16 fragment pasted into a UTF-8 file, byte for byte).
    if text is not None and ("\x00" not in text or not data.isascii()):
        return DecodedText(text, "utf-8")
    utf16 = _looks_utf16(data)
    if utf16:
        try:
            decoded = DecodedText(data.decode(utf16), utf16)
        except UnicodeDecodeError:
            decoded = None  # a guess, not a BOM: fall back to what else the bytes are
        if (decoded is not None and not _mostly_controls(decoded.text)
                and (text is None or "\n" in decoded.text or "\n" not in text)):
            return decoded
    if text is not None:
        return DecodedText(text, "utf-8")
    if b"\x00" in data:
        raise EncodingError(N_("{name}: binary data (NUL bytes), not a text export"), name=name)
    return _legacy(data, name)


# The legacy Chinese encodings, in the order a tie is broken: mainland first (Taobao),
# then Taiwan's Windows Big5, then Hong Kong's (HKSCS adds the Cantonese 嘅, 咗, 啲).
_LEGACY = (("gb18030", "gb18030", "GB18030/GBK (simplified Chinese)"),
           ("cp950", "big5", "Big5 (traditional Chinese)"),
           ("big5hkscs", "big5-hkscs", "Big5-HKSCS (traditional Chinese, Hong Kong)"))
# A choice is sure when the winner's plausibility is this high, the loser's this far
# below it, and there are this many Chinese characters to judge by.
_SURE_SCORE, _SURE_MARGIN, _SURE_CHARS = 0.9, 0.25, 20
# Below this, text read in the only encoding its bytes are valid in is likely garbled.
_GARBLED_SCORE = 0.6
_SAMPLE_CHARS = 20000  # judged on the first so many non-ASCII characters: linear, bounded


def _legacy(data: bytes, name: str) -> DecodedText:
    decoded: list[tuple[str, str, str]] = []
    first_error: UnicodeDecodeError | None = None
    for codec, label, what in _LEGACY:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
            continue
        if all(text != t for t, _, _ in decoded):  # Big5 text is the same in cp950 and HKSCS
            decoded.append((text, label, what))
    if not decoded:
        raise EncodingError(
            N_("{name}: not valid UTF-8, UTF-16, GB18030/GBK or Big5 (bad byte at offset {offset}); "
               "re-save the export as UTF-8"), name=name, offset=first_error.start
        ) from None
    _refuse_mixed(data, name)
    scored = [(_plausibility(text), text, label, what) for text, label, what in decoded]
    # max() keeps the first of equals: a tie goes to GB18030, then to Big5.
    (win, win_n), text, label, what = max(scored, key=lambda s: s[0][0])
    if len(scored) == 1:
        if win_n >= _SURE_CHARS and win < _GARBLED_SCORE:
            note = (f"encoding guessed: read as {what}, the only encoding its bytes are valid in, but only "
                    f"{win:.0%} of its {win_n} Chinese characters are common ones: its text may be garbled; "
                    "re-save the export as UTF-8")
        else:
            note = None if label == "gb18030" else f"read as {what}: the only encoding its bytes are valid in"
        return DecodedText(text, label, note)
    (lose, _), _, _, lose_what = max((s for s in scored if s[2] != label), key=lambda s: s[0][0])
    sure = win >= _SURE_SCORE and win - lose >= _SURE_MARGIN and win_n >= _SURE_CHARS
    reason = (f"{win:.0%} of its {win_n} Chinese characters are common ones, "
              f"against {lose:.0%} read as {lose_what}")
    if sure:
        note = None if label == "gb18030" else f"read as {what}: {reason}"
    else:
        note = (f"encoding guessed: read as {what} ({reason}); if its text looks garbled, "
                "re-save the export as UTF-8")
    return DecodedText(text, label, note)


_COMMON: frozenset[str] | None = None


def _common_chars() -> frozenset[str]:
    """GB2312 level 1 (rows B0-D7: the 3,755 most used simplified characters) and Big5
    level 1 (A440-C67E: the 5,401 most used traditional ones), built from the codecs
    themselves, once."""
    global _COMMON
    if _COMMON is None:
        chars: set[str] = set()
        for lead in range(0xB0, 0xD8):
            for trail in range(0xA1, 0xFF):
                try:
                    chars.add(bytes((lead, trail)).decode("gb2312"))
                except UnicodeDecodeError:
                    pass
        for lead in range(0xA4, 0xC7):
            for trail in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
                if (lead, trail) > (0xC6, 0x7E):
                    break
                try:
                    chars.add(bytes((lead, trail)).decode("big5"))
                except UnicodeDecodeError:
                    pass
        _COMMON = frozenset(chars)
    return _COMMON


def _plausibility(text: str) -> tuple[float, int]:
    """(share of common characters, how many were judged) over the non-ASCII
    characters of ``text``; CJK and full-width punctuation count as common."""
    common = _common_chars()
    judged = hits = 0
    for ch in text:
        if ch.isascii():
            continue
        judged += 1
        code = ord(ch)
        if ch in common or 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF:
            hits += 1
        if judged >= _SAMPLE_CHARS:
            break
    return (hits / judged if judged else 0.0), judged


# A GBK line is valid UTF-8 only by accident: in the project's corpora 4 of 1,482
# Chinese lines were ("谢谢", "[图片]"), none with more than two characters beyond
# ASCII.  A line with this many is UTF-8 for certain.
_UTF8_EVIDENCE = 4


def _refuse_mixed(data: bytes, name: str) -> None:
    """A file that is not UTF-8 as a whole, yet whose lines of Chinese are mostly UTF-8
    (or hold one line that can only be UTF-8), mixes encodings: a GBK export pasted into
    a UTF-8 file.  GB18030 decodes such UTF-8 lines without an error, into mojibake,
    so the file is refused instead."""
    utf8_lines, other_lines = [], []
    strong = None
    for number, raw in enumerate(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n"), start=1):
        if raw.isascii():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            other_lines.append(number)
            continue
        utf8_lines.append(number)
        if strong is None and sum(not ch.isascii() for ch in line) >= _UTF8_EVIDENCE:
            strong = number
    if other_lines and (strong is not None or len(utf8_lines) > len(other_lines)):
        raise EncodingError(
            N_("{name}: mixes encodings: line {utf8} is UTF-8 but line {other} is not (GBK?); decoding it "
               "either way would garble part of it; re-save the export in one encoding (UTF-8)"),
            name=name, utf8=strong or utf8_lines[0], other=other_lines[0])


def _strict(data: bytes, codec: str, name: str, label: str) -> DecodedText:
    try:
        return DecodedText(data.decode(codec), label)
    except UnicodeDecodeError as exc:
        raise EncodingError(
            N_("{name}: declared {label} by its byte-order mark but byte {offset} is invalid"),
            name=name, label=label, offset=exc.start
        ) from None


def split_lines(text: str) -> list[str]:
    """Split on CRLF, CR or LF only: ``str.splitlines`` also splits on U+2028, U+0085
    and friends, which buyers can type into a message and which must stay inside it."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def decode_head(head: bytes) -> str:
    """Best-effort decode of a file's first bytes for sniffing (a cut multi-byte
    character at the end is tolerated)."""
    for trial in (head, head[:-1], head[:-2], head[:-3]):
        try:
            return decode_bytes(trial).text
        except EncodingError:
            continue
    return ""
