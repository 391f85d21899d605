"""Finding triggers: one precompiled trie of every term and key of a role's rules.

One ``search`` over the normalized text tells whether a message can carry any tag at all
(most chat lines cannot, and skip the rest of the pipeline); the same trie then lists
every trigger position.  A term counts only where it ends on a word boundary of the
jieba segmentation (工商 inside 工商银行 does not; 过敏 at the end of 皮肤过敏 does);
patterns are tried only when one of their keys occurs.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from operator import itemgetter
from typing import Callable, NamedTuple, Sequence

from .ruleset import Rule


class Candidate(NamedTuple):
    """A trigger found in the normalized text: which rule, where, and the tracking number a
    pattern captured, if any.  (A named tuple: thousands are made per second.)"""

    rule: Rule
    start: int
    end: int
    number: str | None = None


def _char_class(chars: Sequence[str]) -> str:
    return "[" + "".join(re.escape(c) for c in chars) + "]"


def trie_pattern(words: Sequence[str]) -> str:
    """A regular expression matching any of ``words``, longest first at each position.

    Common prefixes are factored into a trie.  ``re`` tries the branches of a node one by
    one, so a node with many children is split in halves guarded by a lookahead on their
    first characters: a position costs a few set lookups instead of a scan of hundreds
    of alternatives.
    """
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def branches(items: list[tuple[str, dict]]) -> str:
        if len(items) <= 6:
            parts = [re.escape(char) + build(child) for char, child in items]
            return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
        half = len(items) // 2
        left, right = items[:half], items[half:]
        return (f"(?:(?={_char_class([c for c, _ in left])}){branches(left)}"
                f"|(?={_char_class([c for c, _ in right])}){branches(right)})")

    def build(node: dict) -> str:
        items = sorted((char, child) for char, child in node.items() if char)
        if not items:
            return ""
        body = branches(items)
        if "" in node:
            body = "(?:" + body + ")?"
        return body

    return build(trie) or "(?!)"


# Product links and card URLs are machine text: nothing in them is anyone's words.
_LINK = re.compile(r"(?:https?://|www\.)[^\s，。！？]+")


def _cuts_a_word(text: str, start: int, end: int) -> bool:
    """A term beginning or ending in an ASCII letter or digit must not run on into more of
    them (12345 inside an item id, EMS inside a word)."""
    first, last = text[start], text[end - 1]
    if first.isascii() and first.isalnum() and start > 0:
        before = text[start - 1]
        if before.isascii() and before.isalnum():
            return True
    if last.isascii() and last.isalnum() and end < len(text):
        after = text[end]
        if after.isascii() and after.isalnum():
            return True
    return False


def _inside(cand: "Candidate", spans) -> bool:
    return any(s <= cand.start and cand.end <= e for s, e in spans)


_START_END = itemgetter(1, 2)  # a Candidate's (start, end)


class Hits(NamedTuple):
    """What the trie and the patterns found, before the segmentation is consulted: term
    hits still to be checked against word boundaries, and pattern matches.  True when
    either is non-empty, like any non-empty tuple of tuples is not: see ``found``."""

    terms: tuple[Candidate, ...] = ()
    patterns: tuple[Candidate, ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.terms or self.patterns)


class _Entry(NamedTuple):
    """What a word found by the trie stands for: the terms it ends (with their lengths and
    whether their edges are ASCII letters or digits, which must not run on), and the
    rules whose patterns it is a key of (by id, in the order the rules list them)."""

    terms: tuple[tuple[Rule, int, bool], ...]
    pattern_rules: dict[str, Rule]


def _ascii_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


# Nothing found: shared, since most messages end here.
_NO_HITS = Hits()


class TriggerIndex:
    """Every term and pattern key of one role's rules."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        by_word: dict[str, list[tuple[Rule, bool]]] = {}
        for rule in self.rules:
            for term in rule.terms:
                by_word.setdefault(term, []).append((rule, True))
            for key in rule.keys:
                by_word.setdefault(key, []).append((rule, False))
        words = sorted(by_word)
        # The trie reports the longest word at a position; every shorter word starting
        # there is one of its prefixes, so each longest word carries all their entries.
        self.entries: dict[str, _Entry] = {}
        for word in words:
            found = [(rule, is_term, w) for w in words if word.startswith(w) for rule, is_term in by_word[w]]
            terms = tuple((rule, len(w), _ascii_word_char(w[0]) or _ascii_word_char(w[-1]))
                          for rule, is_term, w in found if is_term)
            self.entries[word] = _Entry(
                terms=terms,
                pattern_rules={rule.id: rule for rule, is_term, _ in found if not is_term},
            )
        # (pattern, whether it captures a tracking number) for each rule with patterns
        self.patterns: dict[str, tuple[tuple[re.Pattern[str], bool], ...]] = {
            rule.id: tuple((pattern, "number" in pattern.groupindex) for pattern in rule.patterns)
            for rule in self.rules
        }
        self.regex = re.compile(trie_pattern(words))

    def has_trigger(self, text: str) -> bool:
        return self.regex.search(text) is not None

    def hits(self, text: str) -> Hits:
        """Terms and pattern matches in ``text``: regular expressions only, no Doc needed,
        so a message with none skips the rest of the pipeline."""
        search = self.regex.search
        m = search(text)
        if m is None:
            return _NO_HITS
        terms: list[Candidate] = []
        pattern_rules: dict[str, Rule] = {}
        entries = self.entries
        # search again from one past each start rather than finditer, which would skip
        # words that overlap the one before (and a lookahead around the trie makes re give
        # up its quick scan for a first character)
        while m is not None:
            start = m.start()
            entry = entries[m.group()]
            for rule, length, ascii_edge in entry.terms:
                end = start + length
                if not (ascii_edge and _cuts_a_word(text, start, end)):
                    terms.append(Candidate(rule, start, end))
            if entry.pattern_rules:
                pattern_rules.update(entry.pattern_rules)
            m = search(text, start + 1)
        if not terms and not pattern_rules:
            return _NO_HITS
        patterns: list[Candidate] = []
        for rule_id, rule in pattern_rules.items():
            for pattern, has_number in self.patterns[rule_id]:
                if pattern.search(text) is None:
                    continue  # the usual case, and a search costs less than an empty finditer
                for m in pattern.finditer(text):
                    start, end = m.span()
                    if end > start:
                        patterns.append(Candidate(rule, start, end, m.group("number") if has_number else None))
        if "http" in text or "www." in text:
            links = [m.span() for m in _LINK.finditer(text)]
            if links:
                terms = [c for c in terms if not _inside(c, links)]
                patterns = [c for c in patterns if not _inside(c, links)]
        return Hits(tuple(terms), tuple(patterns))

    @staticmethod
    def candidates(text: str, hits: Hits, ends_word: Callable[[int, int], bool]) -> list[Candidate]:
        """The triggers among ``hits``: terms for which ``ends_word(start, end)`` says
        they end where a word of the segmentation ends, and patterns; then overlaps and
        exclusions resolved."""
        found = list(hits.patterns)
        found.extend(c for c in hits.terms if ends_word(c.start, c.end))
        if len(found) == 1 and found[0].rule.exclude is None:
            return found
        return _drop_excluded(text, found)


def _drop_excluded(text: str, found: list[Candidate]) -> list[Candidate]:
    """Drop triggers lying inside a longer trigger (假的 inside 单号是假的, 发出 inside
    已经发出) or overlapping the end of an earlier one (in Chinese the words run on, and the
    first reading wins: 压坏了 is 压坏, not 坏了); then drop triggers inside their rule's
    exclusions.  A longer trigger that is excluded still takes its words with it: in
    已发货的订单无法修改 neither 已发货 nor the 发货 inside it is a shipment."""
    kept = _outermost(found)
    spans: dict[str, list[tuple[int, int]]] = {}
    unique: dict[tuple, Candidate] = {}
    for cand in kept:
        rule, start, end, _ = cand
        exclude = rule.exclude
        if exclude is not None:
            excluded = spans.get(rule.id)
            if excluded is None:
                excluded = spans[rule.id] = [m.span() for m in exclude.finditer(text)]
            if excluded and _overlaps(excluded, start, end):
                continue
        # The same span found by two paths (a term and a pattern) is one trigger.
        unique.setdefault((rule.label, rule.reason, start, end), cand)
    return sorted(unique.values(), key=_START_END)


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether any of ``spans`` (a regular expression's matches: in order, never
    overlapping, so their ends are in order too) overlaps ``[start, end)``."""
    if len(spans) <= _FEW:
        return any(s < end and start < e for s, e in spans)
    i = bisect_right(spans, start, key=_END)  # the first span ending after ``start``
    return i < len(spans) and spans[i][0] < end


_END = itemgetter(1)


# Up to this many triggers, comparing each with each is cheaper than sorting them.
_FEW = 8


def _outermost(found: list[Candidate]) -> list[Candidate]:
    """The triggers (in the order given) neither inside a longer one nor overlapping the
    end of an earlier one: for a few, by comparing each with each.  For more, note that
    both come down to: another trigger starts before this one and
    ends after its start, or starts with it and ends after its end.  One sweep in order
    of start: a message may hold thousands of triggers, and comparing each with each
    would cost the square."""
    if len(found) <= _FEW:
        kept = []
        for cand in found:
            _, start, end, _ = cand
            for other in found:
                if other is not cand:
                    _, other_start, other_end, _ = other
                    if (other_start <= start and end <= other_end and other_end - other_start > end - start) \
                            or other_start < start < other_end < end:
                        break
            else:
                kept.append(cand)
        return kept
    order = sorted(range(len(found)), key=lambda n: found[n][1:3])
    dropped = set()
    reach = -1  # the furthest end of the triggers that start before the current start
    first = 0
    while first < len(order):
        start = found[order[first]].start
        last = first
        while last + 1 < len(order) and found[order[last + 1]].start == start:
            last += 1
        group_end = found[order[last]].end  # sorted by end within a start
        for n in order[first:last + 1]:
            if reach > start or found[n].end < group_end:
                dropped.add(n)
        reach = max(reach, group_end)
        first = last + 1
    return [cand for n, cand in enumerate(found) if n not in dropped]
