"""The buyer agreeing to a later ship date (`delay_agreed`), decided with the conversation.

好的 / 不急 / 那你们周五发吧 is an agreement to a delay only as the answer to a seller's
turn that named a later date or asked the buyer to wait (今天发不了，周五给您发可以吗 / 要等
三天哦 / 预售7天发货: the cue list ``delay_offer`` of ``rules/delay_agreed.json``).  The
same words after anything else (您要M码还是L码？ 好的) agree to nothing, so the rules of
that file carry the filter ``offered`` and are tried here, on the buyer's messages that
answer such a turn, never on every buyer line (:attr:`CompiledRules.answers`).

A trigger counts as the other buyer triggers do, by its own clause: not negated (不行, 不能
等), not a question (可以吗？), not a hypothetical (如果周五能发就可以), not a quote.  A
message that also refuses the wait (等不了, 急用, 那退款吧) or asks for it sooner in a
question (能不能快点) agrees to nothing.

The agreed deadline is the buyer's own day when they name one with the agreement or a
shipping verb (那你们周五发吧), resolved against the buyer's message; else the latest day
the seller's offer names, resolved against the seller's message (a day the seller says
it cannot ship on, 今天发不了, is not one); else unknown (None).  Never the clock's.
The tag's evidence is the buyer's words, then the seller's offer as written: the event a
report cites for the date (:mod:`extractor.cases` finds it by that text).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Callable, Sequence

from ..model import Event, Tag
from .context import Segments
from .matcher import TriggerIndex
from .normalize import Normalized
from .pipeline import WORD_ENDS_KEY, CompiledRules, _add_word, _vetoed

LABEL = "delay_agreed"
# A shipping verb in the buyer's clause: the day said there is the day to ship by.
_SHIP_VERB = re.compile(r"发|寄|出货|出库")


def _any(patterns: Sequence[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in sorted(patterns, key=len, reverse=True)))


class DelayAgreements:
    """One conversation's walk: :meth:`seller` and :meth:`buyer` for each message in time
    order (the Tagger's conversation pass).  The open offer is the seller's latest turn
    that named a delay; a later seller turn keeps it only when it names one again (then it
    replaces it) or is a bare confirmation (是的亲), and an answer (an agreement or a
    refusal) closes it at the seller's next turn.  A shipment closes it at once."""

    def __init__(self, rules: CompiledRules, make_doc: Callable) -> None:
        self.rules = rules
        self.make_doc = make_doc
        cues = rules.ruleset.cues
        self.offer_cue = _any(cues.get("delay_offer", ()))
        self.refused = _any(cues.get("delay_refused", ()))
        self.hurry = _any(cues.get("delay_hurry", ()))
        self.offer: list[tuple[Event, Normalized]] = []
        self.answered = False
        self.last: str | None = None  # who spoke last: "seller" or "buyer"
        self.turn_offer: list[tuple[Event, Normalized]] = []
        self.turn_keeps = False

    # -- the walk -------------------------------------------------------------------
    def seller(self, event: Event, norm: Normalized, tags: Sequence[Tag]) -> None:
        if self.last != "seller":
            self.last = "seller"
            self.turn_offer, self.turn_keeps = [], False
        if any(t.label == "shipped" for t in tags):
            self.offer, self.turn_offer, self.turn_keeps = [], [], False
            return
        if self.offer_cue is not None and self.offer_cue.search(norm.text):
            self.turn_offer.append((event, norm))
        elif self.rules.judge.is_agreement(norm.text):
            self.turn_keeps = True

    def buyer(self, event: Event, norm: Normalized) -> Tag | None:
        if self.last == "seller":  # the seller's turn is over: what it left open
            if self.turn_offer:
                self.offer, self.answered = self.turn_offer, False
            elif self.answered or not self.turn_keeps:
                self.offer = []
        self.last = "buyer"
        if not self.offer or self.answers is None:
            return None
        return self._judge(event, norm)

    @property
    def answers(self) -> TriggerIndex | None:
        index = self.rules.answers
        return index if index is not None and index.rules else None

    # -- one buyer message ------------------------------------------------------------
    def _judge(self, event: Event, norm: Normalized) -> Tag | None:
        text = norm.text
        if self.refused is not None and self.refused.search(text):
            self.answered = True
            return None
        index = self.answers
        hits = index.hits(text)
        if not hits.found:
            return None
        doc = self.make_doc(text)
        ends = doc.user_data.get(WORD_ENDS_KEY) or {t.idx + len(t) for t in doc}
        found = index.candidates(text, hits, lambda start, end: end in ends)
        seg = Segments.of(text)
        judge = self.rules.judge
        kept = [c for c in found if not _vetoed(judge.vetoes(c.rule.filters), seg, c)]
        if not kept:
            return None
        if self.hurry is not None and any(judge.is_question(seg, *seg.clause(m.start()))
                                          for m in self.hurry.finditer(text)):
            return None  # 好吧 能不能早点发？ still bargains over the date
        self.answered = True
        words: list[str] = []
        for cand in kept:
            _add_word(words, norm.original_span(cand.start, cand.end))
        deadline = self._own_day(event, norm, seg, kept, words)
        said = None
        if deadline is None:
            deadline, said = self._offered_day()
        offer_event = (said or self.offer[-1])[0]
        words.append(offer_event.text.strip())
        return Tag(LABEL, evidence=tuple(words), deadline=deadline)

    def _own_day(self, event: Event, norm: Normalized, seg: Segments, kept, words: list[str]):
        """The day the buyer names with the agreement (那你们周五发吧, 15号前发就行)."""
        grammar = self.rules.grammar
        text = norm.text
        clauses = {seg.clause(c.start) for c in kept}
        times = grammar.find(text)
        best: datetime | None = None
        for t in times:
            if t.vague:
                continue
            start, end = seg.clause(t.start)
            if (start, end) not in clauses and not _SHIP_VERB.search(text, start, end):
                continue
            day = grammar.day_before_part(times, t, text)
            when = grammar.resolve(t, event.time, day)
            if when is not None and when > event.time and (best is None or when > best):
                best = when
                _add_word(words, norm.original_span(day.start if day else t.start, t.end))
        return best

    def _offered_day(self):
        """The latest day the seller's offer names, against the seller's own message; a
        day said before a refusal in its clause (今天发不了) is the day it cannot ship."""
        grammar = self.rules.grammar
        refusal = self.rules.judge.refusal
        best, said = None, None
        for event, norm in self.offer:
            text = norm.text
            seg = Segments.of(text)
            times = grammar.find(text, waits=True)
            for t in times:
                if t.vague:
                    continue
                _, clause_end = seg.clause(t.start)
                if refusal.search(text, t.end, clause_end):
                    continue
                when = grammar.resolve(t, event.time, grammar.day_before_part(times, t, text))
                if when is not None and when > event.time and (best is None or when > best):
                    best, said = when, (event, norm)
        return best, said
