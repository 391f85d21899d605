"""Finding triggers: one precompiled trie of every term and key of a role's rules.

One ``search`` over the normalized text tells whether a message can carry any tag at all
(most chat lines cannot, and skip the rest of the pipeline); the same trie then lists
every trigger position.  A term counts only where it ends on a word boundary of the
jieba segmentation (工商 inside 工商银行 does not; 过敏 at the end of 皮肤过敏 does);
patterns are tried only when one of their keys occurs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from .ruleset import Rule


@dataclass(frozen=True)
class Candidate:
    """A trigger found in the normalized text: which rule, where, and the tracking number a
    pattern captured, if any."""

    rule: Rule
    start: int
    end: int
    number: str | None = None


def trie_pattern(words: Sequence[str]) -> str:
    """A regular expression matching any of ``words``, longest first at each position.

    Factoring common prefixes keeps the work per position small, and every top-level
    branch starting with a literal lets ``re`` skip positions that cannot start a word.
    """
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            body = "(?:" + body + ")?"
        return body

    return build(trie) or "(?!)"


class TriggerIndex:
    """Every term and pattern key of one role's rules."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        self.by_word: dict[str, list[tuple[Rule, bool]]] = {}
        for rule in self.rules:
            for term in rule.terms:
                self.by_word.setdefault(term, []).append((rule, True))
            for key in rule.keys:
                self.by_word.setdefault(key, []).append((rule, False))
        words = sorted(self.by_word)
        # All words that are a prefix of each word: the trie reports only the longest
        # word at a position, the shorter ones starting there are found through this.
        self.prefixes: dict[str, tuple[str, ...]] = {
            word: tuple(w for w in words if word.startswith(w)) for word in words
        }
        self.regex = re.compile(trie_pattern(words))

    def has_trigger(self, text: str) -> bool:
        return self.regex.search(text) is not None

    def candidates(self, text: str, word_ends: Callable[[], frozenset[int]]) -> list[Candidate]:
        """Every trigger in ``text``.  ``word_ends`` gives the character offsets where a
        token of the segmentation ends; it is called only if a term needs checking."""
        found: list[Candidate] = []
        pattern_rules: dict[str, Rule] = {}
        ends: frozenset[int] | None = None
        search = self.regex.search
        position = 0
        while True:
            m = search(text, position)
            if m is None:
                break
            start = m.start()
            for word in self.prefixes[m.group()]:
                for rule, is_term in self.by_word[word]:
                    if not is_term:
                        pattern_rules.setdefault(rule.id, rule)
                        continue
                    end = start + len(word)
                    if ends is None:
                        ends = word_ends()
                    if end in ends:
                        found.append(Candidate(rule, start, end))
            position = start + 1
        for rule in pattern_rules.values():
            for pattern in rule.patterns:
                for m in pattern.finditer(text):
                    if m.end() > m.start():
                        number = m.groupdict().get("number")
                        found.append(Candidate(rule, m.start(), m.end(), number))
        return _drop_excluded(text, found)


def _drop_excluded(text: str, found: list[Candidate]) -> list[Candidate]:
    """Drop triggers lying inside a longer trigger (假的 inside 单号是假的, 发出 inside
    已经发出) or overlapping the end of an earlier one (in Chinese the words run on, and the
    first reading wins: 压坏了 is 压坏, not 坏了); then drop triggers inside their rule's
    exclusions.  A longer trigger that is excluded still takes its words with it: in
    已发货的订单无法修改 neither 已发货 nor the 发货 inside it is a shipment."""
    kept = []
    for cand in found:
        length = cand.end - cand.start
        beaten = any(
            other is not cand and (
                (other.start <= cand.start and cand.end <= other.end and other.end - other.start > length)
                or (other.start < cand.start < other.end < cand.end)
            )
            for other in found
        )
        if not beaten:
            kept.append(cand)
    spans: dict[str, list[tuple[int, int]]] = {}
    out = []
    for cand in kept:
        exclude = cand.rule.exclude
        if exclude is not None:
            if cand.rule.id not in spans:
                spans[cand.rule.id] = [m.span() for m in exclude.finditer(text)]
            if any(s < cand.end and cand.start < e for s, e in spans[cand.rule.id]):
                continue
        out.append(cand)
    # The same span found by two paths (a term and a pattern) is one trigger.
    unique: dict[tuple, Candidate] = {}
    for cand in out:
        unique.setdefault((cand.rule.label, cand.rule.reason, cand.start, cand.end), cand)
    return sorted(unique.values(), key=lambda c: (c.start, c.end))
