"""How text written by the other side is shown to a reader: one rule for every output.

A nick or an order id is chosen by the buyer, and some characters change what a reader
sees without being seen themselves: a bidi override (U+202E) prints ``tb_9527`` for a
name that is not; a zero-width space, a tag character (U+E0000–E007F) or a Hangul filler
(U+3164) makes two different names look the same, or a name look empty.  Such a
character is never dropped (the evidence keeps it, and the JSON holds the verbatim
nick); it is *shown* as its code point, ``[U+202E]``, and a name that holds one is
marked 可疑 with the code points it holds.  The HTML and PDF reports (through the
template filters of :mod:`extractor.render.env`), the register and the terminal lines of
``report`` and ``batch`` all call this module, so they cannot disagree.

Why ``[U+202E]`` and not a rarer bracket: the PDF is set in one CJK face, which has
ASCII brackets but not ⟦⟧; and a name that merely *types* ``[U+202E]`` carries no
hidden character, so it gets no 可疑 marker: the marker, which lists the code points
really present, tells the two apart.

Message text is shown with the same escapes; a message is not marked 可疑 for them (a
pasted zero-width space is common and spoofs no party), and its tab and line breaks
stay.  The matching copy of a message (:mod:`extractor.nlp.normalize`) drops the same
characters, so that 差\\u200b评 is still read as 差评.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterator

# Candidates, found with one regex search (most text has none).  Format characters
# (category Cf as of Unicode 14: bidi controls, zero-width characters, soft hyphen, tag
# characters, …), control characters, the line and paragraph separators, characters
# that draw nothing though they are letters (Hangul fillers, the Khmer inherent vowels,
# the braille blank, the combining grapheme joiner) and the variation selectors.
FORMAT_CLASS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
BLANK_LETTERS = "\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0"
VARIATION_SELECTORS = "\u180b-\u180d\u180f\ufe00-\ufe0f\U000e0100-\U000e01ef"
_CONTROLS = "\x00-\x1f\x7f-\x9f"
_CANDIDATE_RE = re.compile(
    f"[{FORMAT_CLASS}{BLANK_LETTERS}{VARIATION_SELECTORS}{_CONTROLS}\u2028\u2029"
    # spaces other than the plain and the ideographic one: candidates in names only
    "\u00a0\u1680\u2000-\u200a\u202f\u205f]")
_VS_RE = re.compile(f"[{VARIATION_SELECTORS}]")
_ZWJ = "\u200d"
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_ODD_SPACES = frozenset("\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f")

SUSPICIOUS_ZH = "可疑：含不可见或改变显示方向的字符"


def _is_han(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("CJK")


def _emoji_base(ch: str) -> bool:
    return unicodedata.category(ch) in ("So", "Sk") or ch in "#*0123456789" or ord(ch) in _SKIN_TONES


def part_of_emoji(text: str, i: int) -> bool:
    """Whether ``text[i]``, a presentation selector (U+FE0E/U+FE0F) or a zero-width
    joiner, draws an emoji: ❤️, 👨‍👩‍👧, ❤️‍🔥.  Anywhere else it draws nothing."""
    ch = text[i]
    prev = text[i - 1] if i else ""
    if ch in "\ufe0e\ufe0f":
        return bool(prev) and not _CANDIDATE_RE.match(prev) and _emoji_base(prev)
    if ch != _ZWJ:
        return False
    j = i - 1
    while j >= 0 and (text[j] == "\ufe0f" or ord(text[j]) in _SKIN_TONES):
        j -= 1
    after = text[i + 1] if i + 1 < len(text) else ""
    return (j >= 0 and unicodedata.category(text[j]) == "So" and bool(after)
            and unicodedata.category(after) == "So")


def _hidden_at(text: str, i: int, name: bool) -> bool:
    """Whether ``text[i]`` (a candidate) is shown as its code point."""
    ch = text[i]
    if ch in "\t\n":
        return name  # a message's tab and line breaks are its layout
    if ch in _ODD_SPACES:
        return name  # tb_x and tb_x\u00a0 look alike
    if ch in "\ufe0e\ufe0f\u200d":
        return not part_of_emoji(text, i)
    if _VS_RE.match(ch):
        # A variation selector that picks a Han ideograph's variant or a Mongolian
        # letter's form is part of how it looks; one that stands alone changes nothing.
        prev = text[i - 1] if i else ""
        if not prev or _CANDIDATE_RE.match(prev):
            return True
        if "\u180b" <= ch <= "\u180f":
            return not ("\u1820" <= prev <= "\u18af")
        return not _is_han(prev)
    return True


def hidden_spans(text: str, *, name: bool = False) -> Iterator[int]:
    """Indexes of the characters of ``text`` shown as their code point."""
    for match in _CANDIDATE_RE.finditer(text):
        i = match.start()
        if _hidden_at(text, i, name):
            yield i


def code(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def pieces(text: str, *, name: bool = False) -> Iterator[tuple[str, bool]]:
    """``text`` cut into (piece, hidden): runs shown as they are, and single characters
    shown as their code point (for the HTML, which wraps those in a span)."""
    pos = 0
    for i in hidden_spans(text, name=name):
        if i > pos:
            yield text[pos:i], False
        yield text[i], True
        pos = i + 1
    if pos < len(text):
        yield text[pos:], False


def shown(text: str, *, name: bool = False) -> str:
    """``text`` as a reader is shown it, in plain text: each hidden character as
    ``[U+202E]``."""
    return "".join(f"[{code(p)}]" if hidden else p for p, hidden in pieces(text, name=name))


def suspicious_codes(name: str) -> tuple[str, ...]:
    """The code points (``U+202E``…) that make a name 可疑, each once, in order."""
    return tuple(dict.fromkeys(code(name[i]) for i in hidden_spans(name, name=True)))


def suspicious_note(name: str) -> str:
    """``可疑：含不可见或改变显示方向的字符 U+202E`` for a name that holds such characters, else ``""``."""
    codes = suspicious_codes(name)
    return f"{SUSPICIOUS_ZH} {' '.join(codes)}" if codes else ""


def name_label(name: str) -> str:
    """A party's name or an order id in plain text (a terminal line, a register cell):
    shown with its escapes, followed by （可疑：… U+202E） when it has any."""
    note = suspicious_note(name)
    return f"{shown(name, name=True)}（{note}）" if note else name


def terminal(text: str) -> str:
    """A line for the terminal: every hidden or control character escaped (an ESC
    sequence can clear the screen or retitle the window, a bidi control reorders the
    line), line breaks kept."""
    return "\n".join(shown(line, name=True) for line in text.split("\n"))
