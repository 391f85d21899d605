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
from functools import lru_cache
from typing import Callable, Sequence

from ..model import Event, Tag
from .context import Segments, _alternation
from .matcher import TriggerIndex
from .normalize import Normalized
from .pipeline import WORD_ENDS_KEY, CompiledRules, _add_word, _vetoed

LABEL = "delay_agreed"
# A shipping verb in the buyer's clause: the day said there is the day to ship by.
_SHIP_VERB = re.compile(r"发|寄|出货|出库")
# An arrival estimate (隔天就能到, 三天左右到) names when the parcel arrives, not a day to
# ship by (新批次这周内到 is the stock's arrival, and does).
_ARRIVAL = re.compile(r"能到|送到|送达|就到|到您|到手|签收|(?<=[天左右])到(?=$|[,，。!！~～\s啊哦呢的了])")


@lru_cache(maxsize=64)
def _any(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation of a cue list, made once per list (a walk is made per conversation)."""
    return re.compile(_alternation(patterns)) if patterns else None


class DelayAgreements:
    """One conversation's walk: :meth:`seller` and :meth:`buyer` for each message in time
    order (the Tagger's conversation pass).  The open offer is the seller's messages that
    named a delay since the buyer last answered one: a seller turn that names one again
    adds to an unanswered offer (its days count too) and starts a new one after an answer;
    a turn that names none ends it, unless it only confirms it (是的亲).  An answer (an
    agreement or a refusal) closes it at the seller's next turn; a shipment at once, and a
    substitute offered sets it aside until the buyer turns the substitute down."""

    def __init__(self, rules: CompiledRules, make_doc: Callable) -> None:
        self.rules = rules
        self.make_doc = make_doc
        cues = rules.ruleset.cues
        self.offer_cue = _any(tuple(cues.get("delay_offer", ())))
        self.refused = _any(tuple(cues.get("delay_refused", ())))
        self.hurry = _any(tuple(cues.get("delay_hurry", ())))
        self.substitute = _any(tuple(cues.get("delay_substitute", ())))
        self.other_item = _any(tuple(cues.get("delay_other_item", ())))
        self.keep = _any(tuple(cues.get("delay_keep", ())))
        self.parked: list = []  # the offer a substitute set aside (不换 我就要雾霾蓝 等吧 takes it up)
        self.offer: list[tuple[Event, Normalized, tuple[Tag, ...]]] = []
        self.answered = False
        self.last: str | None = None  # who spoke last: "seller" or "buyer"
        self.turn_offer: list[tuple[Event, Normalized, tuple[Tag, ...]]] = []
        self.turn_keeps = False
        self.asked: list[tuple[Event, Normalized]] = []  # the buyer's messages since the seller spoke
        self.turn_asked: list[tuple[Event, Normalized]] = []  # those the seller's turn answers
        self.shipped = False  # a shipment earlier in the conversation
        self.pending: list[tuple[Event, Normalized, Sequence[Tag] | None]] = []  # not walked yet

    # -- the walk -------------------------------------------------------------------
    # Most conversations hold no buyer message with an acceptance word at all: the
    # messages wait in ``pending`` and the walk below is made only when one comes (the
    # same walk over the same messages in the same order, so the same answers), which
    # keeps the pass off the cost of tagging a timeline.
    def seller(self, event: Event, norm: Normalized, tags: Sequence[Tag]) -> None:
        self.pending.append((event, norm, tags))

    def buyer(self, event: Event, norm: Normalized) -> Tag | None:
        self.pending.append((event, norm, None))
        index = self.answers
        if index is None or not index.has_trigger(norm.text):
            return None  # one search of the trie; walking early gives the same answers
        found = None
        for e, n, tags in self.pending:
            found = self._buyer(e, n) if tags is None else self._seller(e, n, tags)
        self.pending = []
        return found

    def _seller(self, event: Event, norm: Normalized, tags: Sequence[Tag]) -> None:
        if self.last != "seller":
            self.last = "seller"
            self.turn_offer, self.turn_keeps = [], False
            self.turn_asked, self.asked = self.asked, []  # read only if a promise needs it
        shipped = any(t.label == "shipped" for t in tags)
        if shipped or (self.substitute is not None and self.substitute.search(norm.text)):
            # shipped, or another item offered instead (要不要换成绿茶味的, 焦糖味的有货哦, 换成棕色
            # 的话今天下午就能发): a yes now takes that item, it agrees to no wait
            self.parked = [] if shipped else (self.offer if not self.answered else []) + self.turn_offer
            self.offer, self.turn_offer, self.turn_keeps = [], [], False
            self.shipped = self.shipped or shipped
            return
        if self._offers(event, norm, tags):
            self.turn_offer.append((event, norm, tuple(tags)))
        elif self.offer and self.rules.judge.is_agreement(norm.text):
            # 是的亲 / 可以的亲 (to 那明天能发出吗): the offer stands, with the day agreed to
            self.turn_keeps = True
            if self.offer and not self.answered:
                self.turn_offer.append((event, norm, tuple(tags)))

    def _offers(self, event: Event, norm: Normalized, tags: Sequence[Tag]) -> bool:
        """The seller's message names a delay: a cue of delay_offer; a promise later than
        the time the buyer just asked for (今天能发吗 → 明天给您发); or, while an offer is
        still unanswered, the day it is put off to (预计下周三到货, 周五肯定能发)."""
        if self.offer_cue is not None and self.offer_cue.search(norm.text):
            # after a shipment, 请耐心等待 is about the parcel on its way: a new offer names
            # a shipment (补寄一瓶，周一发出可以吗)
            return not self.shipped or _SHIP_VERB.search(norm.text) is not None
        promised = [t.deadline for t in tags if t.label == "shipping_promise" and t.deadline is not None]
        if promised and self.turn_asked:
            asked_by = self._asked_time()
            if asked_by is not None and max(promised) > asked_by:
                return True
        if (self.offer and not self.answered) or self.turn_offer:
            if any(t.label == "shipping_promise" for t in tags):
                return True
            grammar = self.rules.grammar
            seg = Segments.of(norm.text)
            return any(not t.vague and (grammar.resolve(t, event.time) or event.time) > event.time
                       and not _ARRIVAL.search(norm.text, *seg.clause(t.start))
                       for t in grammar.find(norm.text, waits=True))
        return False

    def _asked_time(self) -> datetime | None:
        """The ship time the buyer's last turn asked for (今天能发吗: today's end), counted
        from the buyer's message, as the seller's elliptical agreement reads it."""
        judge, grammar = self.rules.judge, self.rules.grammar
        for event, norm in reversed(self.turn_asked):
            asked_at = judge.ship_question_end(norm.text)
            if asked_at is None:
                continue
            times = [t for t in grammar.find(norm.text) if not t.vague]
            if times:
                before = [t for t in times if t.start < asked_at]
                return grammar.resolve(before[-1] if before else times[0], event.time)
        return None

    def _buyer(self, event: Event, norm: Normalized) -> Tag | None:
        if self.last == "seller":  # the seller's turn is over: what it left open
            if self.turn_offer:
                # an offer still unanswered goes on (要等五天 … 排单没办法提前): its days count
                self.offer = (self.offer if not self.answered else []) + self.turn_offer
                self.answered = False
            elif self.answered or not self.turn_keeps:
                self.offer = []
        self.last = "buyer"
        self.asked.append((event, norm))
        if not self.offer and self.parked and self.keep is not None and self.keep.search(norm.text):
            self.offer, self.answered = self.parked, False  # the substitute turned down
        self.parked = [] if self.offer else self.parked
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
        if self.other_item is not None and self._takes_other_item(text):
            self.answered = True  # 行 换桂味 / 灰色也行: the buyer takes another item instead
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
        offer_event = said or self.offer[-1][0]
        words.append(offer_event.text.strip())
        return Tag(LABEL, evidence=tuple(words), deadline=deadline)

    def _takes_other_item(self, text: str) -> bool:
        """行 换桂味, not 那我要是换成紫色 现在能发吗 (a question, a case put)."""
        judge = self.rules.judge
        seg = Segments.of(text)
        for m in self.other_item.finditer(text):
            start, _ = seg.clause(m.start())
            _, s_end = seg.sentence(m.start())
            if not judge.is_question(seg, start, s_end) and judge.hypothetical.search(text, start, m.start()) is None:
                return True
        return False

    def _own_day(self, event: Event, norm: Normalized, seg: Segments, kept, words: list[str]):
        """The day the buyer names with the agreement (那你们周五发吧, 15号前发就行)."""
        grammar = self.rules.grammar
        text = norm.text
        clauses = {seg.clause(c.start) for c in kept}
        times = grammar.find(text, waits=True)
        best: datetime | None = None
        for t in times:
            if t.vague:
                continue
            start, end = seg.clause(t.start)
            if (start, end) not in clauses and not _SHIP_VERB.search(text, start, end):
                continue
            if self.rules.judge.is_question(seg, start, end):
                continue  # 那周三发的话周五能到吗 asks about the arrival, it sets no day
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
        for event, norm, tags in self.offer:
            # a promise's own deadline, by the conventions (后天一早采摘后给您发出: 后天's end)
            for when in (t.deadline for t in tags if t.label == "shipping_promise" and t.deadline is not None):
                if best is None or when > best:
                    best, said = when, event
            text = norm.text
            seg = Segments.of(text)
            times = grammar.find(text, waits=True)
            for t in times:
                if t.vague:
                    continue
                _, sentence_end = seg.sentence(t.start)
                if refusal.search(text, t.end, sentence_end):
                    continue  # 今天仓库下班了，今天发不了: the day it cannot ship
                if _ARRIVAL.search(text, *seg.clause(t.start)):
                    continue
                when = grammar.resolve(t, event.time, grammar.day_before_part(times, t, text))
                if when is not None and when > event.time and (best is None or when > best):
                    best, said = when, event
        return best, said
