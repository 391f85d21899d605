"""The normalized copy a message is matched on, and the way back to the original text.

Matching runs on one spelling of each word: characters that draw nothing are dropped
(format characters such as zero-width spaces, soft hyphens and bidi controls, control
characters, Hangul fillers, variation selectors: 差\u200b评 is 差评, as the reader sees
it), Traditional characters become Simplified (OpenCC ``t2s``), full-width ASCII becomes
half-width, and whitespace inside Chinese text is squeezed to one space or one line
break (both still end a clause).  A line cut into words by a segmenter (亲 这款 有 现货
吗: exports of some tools, and public dialogue corpora) is joined back where a space
stands between two Chinese characters, so that 质量 问题 matches as 质量问题.  The
output never shows this copy: :class:`Normalized` keeps, for every character of the copy,
the index of the character of the original it came from, so the evidence of a tag is cut
from the verbatim text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple, Sequence

from ..display import BLANK_LETTERS, FORMAT_CLASS, VARIATION_SELECTORS, part_of_emoji

# U+FF01..U+FF5E are the full-width forms of ASCII 0x21..0x7E; U+3000 is the ideographic
# space.  One character in, one character out, so the offsets do not move.
_WIDTH_TABLE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE[0x3000] = 0x20

# What a reader cannot see, dropped from the copy (the same classes the reports show as
# [U+200B]: extractor.display).  Control characters that are whitespace (tab, line
# breaks, U+001C..U+001F, U+0085) are not dropped: they end a clause, and the squeeze
# below turns them into a space or a line break.
_DROP_RE = re.compile(f"[{FORMAT_CLASS}{BLANK_LETTERS}{VARIATION_SELECTORS}"
                      "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_EMOJI_JOINERS = frozenset("\ufe0e\ufe0f\u200d")

_SPACE_RUN = re.compile(r"\s+")
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# a space between two Chinese characters, between one and a digit (48 小时 内), or beside
# a punctuation mark (已经 寄出 , 单号): what a segmenter put there, not the writer
_PUNCT = r",.!?;:、，。！？；：~…"
_HAN_GAP = re.compile(f"(?<=[{_HAN}]) (?=[{_HAN}0-9])|(?<=[0-9]) (?=[{_HAN}])"
                      f"|(?<=[{_HAN}0-9{_PUNCT}]) (?=[{_PUNCT}])|(?<=[{_PUNCT}]) (?=[{_HAN}0-9])")
_HAN_WORD = re.compile(f"[{_HAN}]{{1,4}}")
# A line is taken as cut into words when it has at least this many words and they are
# as short as a segmenter's: people who type spaces put them between phrases (收到了 谢谢
# 好评, about 2.5 characters a piece and rarely more than three pieces), a segmenter
# between words (about 1.6).
SEGMENTED_MIN_WORDS = 4
SEGMENTED_MAX_MEAN = 2.2
SEGMENTED_MIN_SHARE = 0.7
# Two whitespace characters in a row, or any whitespace but a plain space or line break.
_ODD_SPACE = re.compile(r"\s\s|[^\S \n]")


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


class Normalized(NamedTuple):
    """``text`` is the copy rules match on; ``offsets[i]`` is the index in ``original`` of
    ``text[i]`` (``None`` when the two line up one to one).  (A named tuple: one is made
    for every message.)"""

    original: str
    text: str
    offsets: tuple[int, ...] | None = None

    def original_index(self, index: int) -> int:
        return index if self.offsets is None else self.offsets[index]

    def original_span(self, start: int, end: int) -> str:
        """The verbatim text behind ``text[start:end]``."""
        if end <= start:
            return ""
        if self.offsets is None:
            return self.original[start:end]
        return self.original[self.offsets[start]:self.offsets[end - 1] + 1]


def _drop_invisible(text: str) -> tuple[str, list[int] | None]:
    """``text`` without the characters that draw nothing, and for each character kept its
    index in ``text`` (None when nothing was dropped)."""
    if _DROP_RE.search(text) is None:
        return text, None
    kept: list[str] = []
    offsets: list[int] = []
    position = 0
    for match in _DROP_RE.finditer(text):
        start = match.start()
        if match.group() in _EMOJI_JOINERS and part_of_emoji(text, start):
            continue  # ❤️, 👨‍👩‍👧: it draws the emoji, and hides no word
        kept.append(text[position:start])
        offsets.extend(range(position, start))
        position = start + 1
    if not kept:
        return text, None  # only the joiners of emoji
    kept.append(text[position:])
    offsets.extend(range(position, len(text)))
    return "".join(kept), offsets


def _compose(outer: list[int] | None, inner: list[int] | None) -> list[int] | None:
    """Offsets into the original of a copy made in two steps: ``inner`` maps the second
    copy into the first, ``outer`` the first into the original."""
    if outer is None:
        return inner
    if inner is None:
        return outer
    return [outer[i] for i in inner]


def _to_simplified(text: str) -> tuple[str, list[int] | None]:
    converted = _converter().convert(text)
    if len(converted) == len(text):
        return converted, None
    # A phrase conversion changed the length (rare with t2s): convert one character at a
    # time so every output character still points at the character it came from.
    out: list[str] = []
    offsets: list[int] = []
    convert = _converter().convert
    for index, char in enumerate(text):
        piece = convert(char)
        out.append(piece)
        offsets.extend([index] * len(piece))
    return "".join(out), offsets


def _squeeze_spaces(text: str, offsets: list[int] | None) -> tuple[str, list[int] | None]:
    """One space for a run of whitespace, one ``\\n`` for a run with a line break.  Both
    stay: in chat a space often does the work of a comma, so it must still end a clause."""
    out: list[str] = []
    new_offsets: list[int] = []
    position = 0
    for run in _SPACE_RUN.finditer(text):
        start, end = run.span()
        out.append(text[position:start])
        new_offsets.extend(range(position, start))
        out.append("\n" if ("\n" in run.group() or "\r" in run.group()) else " ")
        new_offsets.append(start)
        position = end
    out.append(text[position:])
    new_offsets.extend(range(position, len(text)))
    squeezed = "".join(out)
    if offsets is not None:
        new_offsets = [offsets[i] for i in new_offsets]
    return squeezed, new_offsets


def looks_segmented(line: str) -> bool:
    """Whether ``line`` reads as the output of a word segmenter: single spaces between
    short words, most of them Chinese."""
    words = line.split(" ")
    if len(words) < SEGMENTED_MIN_WORDS or any(not w for w in words):
        return False
    words = [w for w in words if w.strip(_PUNCT)]  # a segmenter cuts punctuation off as words
    if not words:
        return False
    han = [w for w in words if _HAN_WORD.fullmatch(w)]
    return (len(han) / len(words) >= SEGMENTED_MIN_SHARE
            and sum(len(w) for w in han) / len(han) <= SEGMENTED_MAX_MEAN)


def _any_segmented(text: str) -> bool:
    return text.count(" ") >= SEGMENTED_MIN_WORDS - 1 and any(looks_segmented(line) for line in text.split("\n"))


def _join_segmented(text: str, offsets: list[int] | None) -> tuple[str, list[int] | None]:
    """``text`` with the spaces between two Chinese characters (or one and a digit or a
    punctuation mark) removed on every line that looks segmented (spaces beside Latin
    letters stay)."""
    kept: list[str] = []
    new_offsets: list[int] = []
    start = 0
    changed = False
    for line in text.split("\n"):
        end = start + len(line)
        gaps = {m.start() for m in _HAN_GAP.finditer(line)} if looks_segmented(line) else set()
        changed = changed or bool(gaps)
        for i, char in enumerate(line):
            if i not in gaps:
                kept.append(char)
                new_offsets.append(start + i)
        if end < len(text):
            kept.append("\n")
            new_offsets.append(end)
        start = end + 1
    if not changed:
        return text, offsets
    if offsets is not None:
        new_offsets = [offsets[i] for i in new_offsets]
    return "".join(kept), new_offsets


# Joins the texts of a batch for one call to OpenCC (and one translate, one search): a
# private-use character that no dictionary entry holds and no conversion touches, so
# each text converts as it would alone.  A batch with a text that holds it, or whose
# parts do not come back one for one, goes text by text.
_BATCH_SEPARATOR = "\ue000"


def normalize_many(texts: Sequence[str]) -> list[Normalized]:
    """``[normalize(t) for t in texts]``, in a few calls for the whole batch (per call,
    OpenCC costs more than its conversion of a chat line)."""
    if len(texts) < 2 or any(_BATCH_SEPARATOR in text for text in texts):
        return [normalize(text) for text in texts]
    joined = _BATCH_SEPARATOR.join(texts)
    if _DROP_RE.search(joined) is None:
        return _normalize_batch(texts, joined)
    # Rare: the texts holding an invisible character go one by one, the rest as a batch.
    dirty = {i for i, text in enumerate(texts) if _DROP_RE.search(text)}
    clean = [text for i, text in enumerate(texts) if i not in dirty]
    batch = iter(_normalize_batch(clean, _BATCH_SEPARATOR.join(clean)) if len(clean) > 1
                 else [normalize(text) for text in clean])
    return [normalize(text) if i in dirty else next(batch) for i, text in enumerate(texts)]


def _normalize_batch(texts: Sequence[str], joined: str) -> list[Normalized]:
    """The batch path of texts with nothing to drop, ``joined`` by the separator."""
    converted = _converter().convert(joined)
    narrow_all = converted.translate(_WIDTH_TABLE)
    parts = narrow_all.split(_BATCH_SEPARATOR)
    if len(parts) != len(texts):
        return [normalize(text) for text in texts]
    plain = _ODD_SPACE.search(narrow_all) is None
    out = []
    for text, narrow in zip(texts, parts):
        if (len(narrow) != len(text) or not (plain or _ODD_SPACE.search(narrow) is None)
                or _any_segmented(narrow)):
            out.append(normalize(text))  # a conversion that changed the length, spaces to squeeze or join
        else:
            out.append(Normalized(text, narrow, None))
    return out


def normalize(text: str) -> Normalized:
    visible, dropped = _drop_invisible(text)
    simplified, converted = _to_simplified(visible)
    offsets = _compose(dropped, converted)
    narrow = simplified.translate(_WIDTH_TABLE)
    if _ODD_SPACE.search(narrow) is None:
        squeezed, new_offsets = narrow, offsets  # at most single plain spaces and line breaks
    else:
        squeezed, new_offsets = _squeeze_spaces(narrow, offsets)
    if squeezed.count(" ") >= SEGMENTED_MIN_WORDS - 1:  # a line or more may be cut into words
        squeezed, new_offsets = _join_segmented(squeezed, new_offsets)
    return Normalized(text, squeezed, tuple(new_offsets) if new_offsets is not None else None)
