"""Whether a trigger counts: negation, hypotheticals, policy questions, quotes, questions,
refusals, subordinate clauses, and whether a shipping verb is already done.

Every judgement looks at a short window around the trigger inside its clause (split at
commas, spaces and line breaks) or its sentence (split at 。！？ and line breaks), with
the cue lists of ``rules/context.json``; each cue is compiled once into one alternation.
A rule names its filters; :data:`FILTER_CHECKS` says which check each name stands for.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from types import MethodType
from typing import Callable, Mapping, NamedTuple, Sequence

from .matcher import Candidate

_SENTENCE_END = re.compile(r"[。!?！？\n]+")
# A connective (而且, 但是, 可是, 并且, 不过, 另外; 还有 after a finished clause) also
# ends a clause: 是七天无理由的么而且商品有质量问题的 is a question and then a claim,
# and each is judged on its own.  (Zero-width: the connective opens the next clause.)
_CONNECTIVE = (r"(?<![。!?！？\n,，、;；:： ~～…])(?=而且|但是|可是|并且|另外|"
               r"(?<![比忍受说打挨])不过(?![敏来去瘾])|(?<=[的了吗么呢吧啊呀哦嘛])还有)")
_CLAUSE_END = re.compile(r"[。!?！？\n,，、;；:： ~～…]+|\.{2,}")
_CLAUSE_END_OR_CONNECTIVE = re.compile(_CLAUSE_END.pattern + "|" + _CONNECTIVE)
# (most messages hold no connective: the plain marks are split on alone, which is faster)
_ANY_CONNECTIVE = re.compile("而且|但是|可是|并且|另外|不过|还有")
_SENTENCE_CHARS = frozenset("。!?！？\n")
# 了 right after a verb, or after its direction (给您寄出了, 发过去了): it has happened.
_PERFECTIVE_AFTER = re.compile(r"(?:出去|出|走|过去|上)?(?:了|啦|啰|咯|喽|咗)")
# Degree words say a state is real (质量这么差, 太小了, 又坏了), not a case put as a question.
_STATE = re.compile(r"这么|那么|太|真的|特别|好|都|又|也太|越来越|一直|老是|总是")
_IN_PROGRESS = re.compile(r"(?:正在|已经在|在)(?:给您|帮您|为您|给你|帮你)?(?:安排|打包|准备)?$")
# 大不大 / 掉不掉色 / 行不行 ending a clause: a question without a question mark.
_A_NOT_A_END = re.compile(r"([^\W\d_])[不没]\1[^\W\d_]?[啊呀呢哈啦]?$")
_CASE_AFTER_PERFECTIVE = re.compile(r"了?的话")
_CONDITIONAL = re.compile(r"如果|万一|要是|假如|假设|若是|倘若|如若")
_QUOTE_OPEN = "“「『‘\""
_QUOTE_CLOSE = "”」』’\""
_QUOTE_MARK = re.compile("[" + re.escape(_QUOTE_OPEN + _QUOTE_CLOSE) + "]")
# 不是质量问题是啥 / 这不是虚假宣传吗: a rhetorical question asserts what it seems to deny.
_RHETORICAL_AFTER = re.compile(r"(是啥|是什么|又是什么|还能是啥|还能是什么|那是啥|是哪样)")
_RHETORICAL_NOT = re.compile(r"(这|那|难道|还|这不就|这还)不是")
_RHETORICAL_END = re.compile(r"(吗|么|嘛)[?？!！~～。.\s]*$|[?？]\s*$")
# 衣服起球吗 / 味道大不大: a bare yes-no question about the trigger itself asks about the
# goods before the buyer has them, unless the sentence says it happened to the buyer.
_BARE_QUESTION = re.compile(r"的?(吗|么|嘛)[啊呀呢哈?？!！~～。.\s]*$")
_QUESTION_TAIL = r"[啊呀呢哈?？!！~～。.\s]*$"
_OUTRIGHT_QUESTION = re.compile(r"(吗|么)(亲|呀|啊|呢|哈)?\s*$")
_HAPPENED = re.compile(r"我|用了|用完|吃了|穿了|抹了|涂了|擦了|洗了|戴了|喝了|收到|到手|拿到|打开|拆开|"
                       r"已经|结果|居然|竟然|怎么|为什么|咋|明明|分明|根本|压根|简直|又|还是|不是|这不|难道|不就")


def _past(text: str, end: int) -> int:
    """A clause's end with the mark that ends it (?, 吗 …), which the checks read: not
    the first character of the connective that opens the next clause."""
    return end + 1 if text[end:end + 1] and not text[end].isalnum() else end


def _alternation(patterns: Sequence[str]) -> str:
    ordered = sorted(patterns, key=len, reverse=True)
    return "|".join(f"(?:{p})" for p in ordered) or "(?!)"


def _any(patterns: Sequence[str]) -> re.Pattern[str]:
    return re.compile(_alternation(patterns))


# How far a judgement reads from its trigger.  Chat clauses and sentences are far shorter;
# the bound is for the message written to hang the tagger (过敏过敏… for 100,000
# characters with no punctuation), where reading whole clauses from every trigger would
# cost the square of the length.
REACH = 200


def _around(starts: tuple[int, ...], ends: tuple[int, ...], position: int) -> tuple[int, int]:
    """The segment holding ``position``, cut to the reach either side of it.  (The first
    start is 0, so for a position in the text bisect_right is at least 1.)"""
    i = bisect_right(starts, position) - 1
    start, end = starts[i], max(ends[i], position)
    if end - start <= REACH:
        return start, end
    return max(start, position - REACH), min(end, position + REACH)


class Segments(NamedTuple):
    """Clause and sentence boundaries of one normalized text.  (A named tuple: one is
    made for every message with a trigger.)"""

    text: str
    clause_starts: tuple[int, ...]
    clause_ends: tuple[int, ...]
    sentence_starts: tuple[int, ...]
    sentence_ends: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> "Segments":
        # One pass: every sentence end is inside a run of clause ends, so the runs of
        # clause ends are read once and only those holding a sentence end looked into.
        clause_starts, clause_ends = [0], []
        sentence_starts, sentence_ends = [0], []
        ends = _CLAUSE_END_OR_CONNECTIVE if _ANY_CONNECTIVE.search(text) else _CLAUSE_END
        for m in ends.finditer(text):
            start, end = m.span()
            clause_ends.append(start)
            clause_starts.append(end)
            if not _SENTENCE_CHARS.isdisjoint(m.group()):
                for s in _SENTENCE_END.finditer(text, start, end):
                    sentence_ends.append(s.start())
                    sentence_starts.append(s.end())
        clause_ends.append(len(text))
        sentence_ends.append(len(text))
        return cls(text, tuple(clause_starts), tuple(clause_ends), tuple(sentence_starts), tuple(sentence_ends))

    def clause(self, position: int) -> tuple[int, int]:
        return _around(self.clause_starts, self.clause_ends, position)

    def sentence(self, position: int) -> tuple[int, int]:
        return _around(self.sentence_starts, self.sentence_ends, position)



def _closes_a_quote(between: str) -> bool:
    """The words after a quoting phrase hold a whole quotation, opened and closed."""
    typographic = [c for c in between if c in _QUOTE_OPEN + _QUOTE_CLOSE and c != '"']
    if typographic and typographic[-1] in _QUOTE_CLOSE:
        return True
    return between.count('"') >= 2 and between.count('"') % 2 == 0


def _a_not_a(text: str, cue: int) -> bool:
    """是不是 / 有没有 / 会不会: a question, not a negation."""
    return 0 < cue < len(text) - 1 and text[cue] in "不没" and text[cue - 1] == text[cue + 1]


class ContextJudge:
    def __init__(self, cues: Mapping[str, Sequence[str]]) -> None:
        filler = _alternation(cues["negation_filler"])
        self.negation_before = re.compile(f"(?:{_alternation(cues['negation'])})(?:{filler}){{0,3}}$")
        self.negation_after = _any(cues["negation_after"])
        self.resolved = _any(cues["resolved_before"])
        self.hypothetical = _any(cues["hypothetical"])
        self.hypothetical_after = _any(cues["hypothetical_after"])
        self.policy_before = re.compile(f"(?:{_alternation(cues['policy_question'])})(?:七天|7天)?$")
        self.policy_after = _any(cues["policy_after"])
        self.assertion = _any(cues["assertion"])
        self.quote = _any(cues["quote"])
        self.question_end = _any(cues["question_end"])
        self.question_words = _any(cues["question_words"])
        self.refusal = _any(cues["refusal"])
        self.done = re.compile(f"(?:{_alternation(cues['done'])})")
        self.future = _any(cues["future"])
        self.subordinate_after = _any(cues["subordinate_after"])
        self.subordinate_before = _any(cues["subordinate_before"])
        self.agreement = _any(cues["agreement"])
        self.ship_question = _any(cues["ship_question"])
        self.proposal = _any(cues["proposal"])
        self.own_voice = _any(cues["own_voice"])
        self.rhetorical = _any(cues["rhetorical"])
        self.conditional_after = _any(cues["conditional_after"])
        self.waiver = _any(cues["waiver"])
        self.modal_before = _any(cues["modal_before"])
        self.condition = _any(cues["condition"])
        # The checks of each set of filters, bound to this judge (see vetoes): the sets
        # are the rules' own, so there are a handful, and a lookup per trigger is all
        # the mapping costs.
        self._vetoes: dict[frozenset[str], tuple[Veto, ...]] = {}
        self._promise_vetoes: dict[frozenset[str], tuple[Veto, ...]] = {}

    # -- the filters by name -------------------------------------------------------
    def vetoes(self, filters: frozenset[str]) -> tuple[Veto, ...]:
        """The checks a trigger with ``filters`` goes through, in :data:`FILTER_CHECKS`
        order; any one that returns True rejects it."""
        found = self._vetoes.get(filters)
        if found is None:
            found = self._vetoes[filters] = self._bind(filters, FILTER_CHECKS)
        return found

    def promise_vetoes(self, filters: frozenset[str]) -> tuple[Veto, ...]:
        """The same for a shipping promise, whose question is a proposal (see
        :data:`PROMISE_CHECKS`)."""
        found = self._promise_vetoes.get(filters)
        if found is None:
            found = self._promise_vetoes[filters] = self._bind(filters, PROMISE_CHECKS)
        return found

    def _bind(self, filters: frozenset[str], checks: Mapping[str, Check]) -> tuple[Veto, ...]:
        unchecked = unchecked_filters(filters, checks)
        if unchecked:
            raise ValueError(f"no context check for filter(s) {', '.join(sorted(unchecked))}")
        return tuple(MethodType(check, self) for name, check in checks.items() if name in filters)

    # -- the filters ---------------------------------------------------------------
    def negated(self, seg: Segments, cand: Candidate) -> bool:
        start, end = seg.clause(cand.start)
        before = seg.text[start:cand.start]
        m = self.negation_before.search(before)
        if m is not None and self._rhetorical(seg, cand, before, m.start()):
            return False
        if m is not None and not _a_not_a(before, m.start()):
            # 不赔钱就发出去 is a condition that demands the money, not a refusal of it; in
            # chat the consequence often follows after a space (不给点补偿 我就给差评), so
            # the rest of the sentence is read, not only the clause.
            _, sentence_end = seg.sentence(cand.start)
            if not self.conditional_after.match(seg.text[cand.end:sentence_end + 1]):
                return True
        return self.negation_after.match(seg.text[cand.end:_past(seg.text, end)]) is not None

    @staticmethod
    def _rhetorical(seg: Segments, cand: Candidate, before: str, cue: int) -> bool:
        """不是质量问题是啥, 这不是虚假宣传吗: the negation asks the seller to agree."""
        if _RHETORICAL_AFTER.match(seg.text, cand.end):
            return True
        if _RHETORICAL_NOT.search(before[max(0, cue - 3):cue + 2]) is None:
            return False
        s_start, s_end = seg.sentence(cand.start)
        return _RHETORICAL_END.search(seg.text[s_start:s_end + 1]) is not None

    def resolved_claim(self, seg: Segments, cand: Candidate) -> bool:
        """Gone (已经不过敏了) or let go (颜色不太喜欢……算了不退了)."""
        start, _ = seg.clause(cand.start)
        if self.resolved.search(seg.text, start, cand.start) is not None:
            return True
        return self.waiver.search(seg.text, cand.end, cand.end + REACH) is not None

    def hypothetical_claim(self, seg: Segments, cand: Candidate) -> bool:
        start, end = seg.clause(cand.start)
        if self.hypothetical.search(seg.text, start, cand.start):
            return True
        # A pattern with an open subject slot may start at the conjunction itself
        # (万一压坏了: the slot took 万一).
        if _CONDITIONAL.match(seg.text, cand.start, cand.end):
            return True
        if self.modal_before.search(seg.text[start:cand.start]):
            _, s_end = seg.sentence(cand.start)  # (a question before the clause asks another thing)
            if self._asks_outright(seg, start, end) or self.is_question(seg, start, s_end):
                return True  # 洗了会掉色吗: a worry, not a defect
        if self._perfective(seg.text, cand) and not _CASE_AFTER_PERFECTIVE.match(seg.text, cand.end):
            return False  # 过敏了怎么办 happened; 发错了的话 is still a case put
        return self.hypothetical_after.match(seg.text[cand.end:_past(seg.text, end)]) is not None

    def policy_question(self, seg: Segments, cand: Candidate) -> bool:
        s_start, s_end = seg.sentence(cand.start)
        c_start, c_end = seg.clause(cand.start)
        # In chat a space often ends the question (支持七天无理由吗 我家猫挑砂): the
        # trigger's own clause may be the question when the sentence runs on.
        clause_asks = self._asks_outright(seg, c_start, c_end)
        # Mood per clause: the question that can make a trigger a policy question is in
        # its own clause or after it (七天无理由退货运费谁出, 七天无理由 能退吗); a question
        # said before it (是七天无理由的么 而且商品有质量问题的) asks about something else.
        if not clause_asks and not self.is_question(seg, c_start, s_end):
            return False
        if clause_asks:
            s_end = c_end
        before = seg.text[c_start:cand.start]
        if self.policy_before.search(before):
            return True
        if self._perfective(seg.text, cand):
            return False
        if self._bare_question(seg, cand, s_start, s_end):
            return True
        if self.assertion.search(seg.text, s_start, cand.start):
            return False
        if _STATE.search(seg.text, max(c_start, cand.start - 3), cand.end):
            return False  # 质量这么差能退吗: a state the buyer is in, not a policy question
        return self.policy_after.match(seg.text[cand.end:_past(seg.text, s_end)]) is not None

    @staticmethod
    def _bare_question(seg: Segments, cand: Candidate, s_start: int, s_end: int) -> bool:
        rest = seg.text[cand.end:_past(seg.text, s_end)]
        a_not_a = re.match("不" + re.escape(seg.text[cand.end - 1]) + _QUESTION_TAIL, rest)
        if _BARE_QUESTION.match(rest) is None and a_not_a is None:
            return False
        if _STATE.search(seg.text, max(s_start, cand.start - 3), cand.end):
            return False
        return _HAPPENED.search(seg.text, s_start, cand.start) is None

    def quoted(self, seg: Segments, cand: Candidate) -> bool:
        s_start, _ = seg.sentence(cand.start)
        cue = None
        for found in self.quote.finditer(seg.text, s_start, cand.start):
            # 按你们说的冷水手洗的: the buyer followed the advice, nobody is quoted
            if seg.text[found.start() - 1:found.start()] not in ("按", "照"):
                cue = found
        # The quote runs on to the trigger unless the buyer takes the word back in
        # between (快递说只有0.1公斤，你们就是寄了个空包), or the quoted words end with a
        # closing quotation mark (你们写的"24小时锁臭" 根本锁不住).
        # A trigger that itself opens in the buyer's voice (详情页写的无味 这叫无味？) ends the
        # quote as a cue before it would.
        if cue is not None and self.own_voice.search(seg.text, cue.end(), cand.start) is None \
                and self.own_voice.match(seg.text, cand.start) is None \
                and not _closes_a_quote(seg.text[cue.end():cand.start]):
            return True
        reach = max(0, cand.start - REACH)
        if _QUOTE_MARK.search(seg.text, reach, cand.start) is None:
            return False
        before = seg.text[reach:cand.start]
        opened = sum(before.count(q) for q in _QUOTE_OPEN if q != '"')
        closed = sum(before.count(q) for q in _QUOTE_CLOSE if q != '"')
        return opened > closed or before.count('"') % 2 == 1

    def asks_about(self, seg: Segments, cand: Candidate) -> bool:
        """The trigger is what a question asks about (是没货了吗？ 是不是缺货了), not a
        complaint that happens to end in a question mark (缺货了你也不说一声？)."""
        start, end = seg.clause(cand.start)
        if not self.is_question(seg, start, end):
            return False
        if self.rhetorical.search(seg.text, start, cand.end):
            return False  # 又没货？ 所以就是没货嘛: a complaint, not a question
        if end - cand.end <= 4:
            return True
        return self.question_words.search(seg.text, start, cand.start) is not None

    def proposes(self, seg: Segments, cand: Candidate) -> bool:
        """A shipping time put to the buyer (明天给您发可以吗？ 周一发出可以吗) is a
        question, not a promise."""
        start, end = seg.clause(cand.start)
        if self.is_question(seg, start, end):
            return True
        _, sentence_end = seg.sentence(cand.start)
        return self.proposal.search(seg.text[cand.end:sentence_end + 1]) is not None

    def conditional(self, seg: Segments, cand: Candidate) -> bool:
        """A promise counted from an event still to come (寄回后…48小时内, 收到当天): its
        deadline cannot be known from the message."""
        sentence_start, _ = seg.sentence(cand.start)
        return self.condition.search(seg.text, sentence_start, cand.end) is not None

    def refused(self, seg: Segments, cand: Candidate) -> bool:
        start, end = seg.clause(cand.start)
        return any(m.start() < cand.end + 2 and cand.start - 4 < m.end()
                   for m in self.refusal.finditer(seg.text, start, end))

    def subordinate(self, seg: Segments, cand: Candidate) -> bool:
        start, end = seg.clause(cand.start)
        if self.subordinate_after.match(seg.text[cand.end:_past(seg.text, end)]):
            return True
        return self.subordinate_before.search(seg.text[start:cand.start]) is not None

    # -- helpers ---------------------------------------------------------------------
    def is_question(self, seg: Segments, start: int, end: int) -> bool:
        if seg.text[end:end + 1] in ("?", "？"):
            return True
        clause = seg.text[start:end].rstrip()
        if not clause:
            return False
        return self.question_end.search(clause) is not None or \
            self.question_words.search(clause) is not None or _A_NOT_A_END.search(clause) is not None

    @staticmethod
    def _asks_outright(seg: Segments, start: int, end: int) -> bool:
        """The clause ends as a question: a question mark or 吗 / 么 (not 嘛, which in
        chat mostly asserts: 七天无理由嘛)."""
        return seg.text[end:end + 1] in ("?", "？") or _OUTRIGHT_QUESTION.search(seg.text, start, end) is not None

    @staticmethod
    def _perfective(text: str, cand: Candidate) -> bool:
        return text[cand.end - 1:cand.end] in ("了", "啦") or text[cand.end:cand.end + 1] in ("了", "啦")

    def already_done(self, seg: Segments, cand: Candidate, future_time: Callable[[], bool],
                     tracking: Callable[[], bool]) -> bool:
        """A shipping verb that reports a fact (已经发出, 给您寄出了) rather than a promise.
        With a tracking number in the message, 就给您发出了 is done too.  (``future_time``:
        the clause names a time still to come; ``tracking``: the message has a tracking
        number.  Asked for only when needed: both cost more than the rest.)"""
        start, _ = seg.clause(cand.start)
        window = seg.text[max(start, cand.start - 8):cand.start]
        if _IN_PROGRESS.search(window):
            return False  # 已经在安排发货了: under way, not done
        if self.done.search(window) or self.done.match(seg.text, cand.start, cand.end):
            return True
        if _PERFECTIVE_AFTER.match(seg.text, cand.end) and not future_time():
            return tracking() or self.future.search(seg.text, start, cand.start) is None
        return False

    def committed(self, seg: Segments, cand: Candidate, has_time: bool) -> bool:
        """A shipping verb said as a commitment: a time, a future word, or 给您/帮您/安排."""
        if has_time:
            return True
        start, end = seg.clause(cand.start)
        if self.future.search(seg.text, start, cand.end):
            return True
        said = seg.text[cand.start:cand.end]
        return any(word in said for word in ("给", "帮", "为", "安排", "补发", "重新发"))

    def is_agreement(self, text: str) -> bool:
        return self.agreement.search(text.strip()) is not None

    def asks_about_shipping(self, text: str) -> bool:
        return self.ship_question.search(text) is not None

    def ship_question_end(self, text: str) -> int | None:
        """Where the first question about shipping in ``text`` ends (None: it asks none)."""
        m = self.ship_question.search(text)
        return None if m is None else m.end()


Check = Callable[[ContextJudge, Segments, Candidate], bool]
Veto = Callable[[Segments, Candidate], bool]

# What each filter of a rule checks: the one mapping from filter names to the judge's
# checks, for the context component and for the backoff's tags alike.  The order is the
# order they are asked in (the cheap and the frequent first): it only saves time, since
# any one check that says yes rejects the trigger.
FILTER_CHECKS: Mapping[str, Check] = {
    "negation": ContextJudge.negated,
    "resolved": ContextJudge.resolved_claim,
    "hypothetical": ContextJudge.hypothetical_claim,
    "policy_question": ContextJudge.policy_question,
    "quote": ContextJudge.quoted,
    "question": ContextJudge.asks_about,
    "refusal": ContextJudge.refused,
    "subordinate": ContextJudge.subordinate,
}
# A shipping promise put as a question (明天给您发可以吗？) proposes a time to the buyer;
# asks_about would let it through, since the question is not about the shipping itself.
PROMISE_CHECKS: Mapping[str, Check] = {**FILTER_CHECKS, "question": ContextJudge.proposes}
# Filters the text around the trigger cannot decide, and who does.
DECIDED_ELSEWHERE: Mapping[str, str] = {
    "overdue": "the conversation: whether a promised deadline has passed (Tagger)",
    "alone": "the message's other findings: whether it also promises to ship (ContextComponent)",
    "after_shipment": "the conversation: whether the goods were shipped before (Tagger)",
    "offered": "the conversation: whether the seller's turn before named a later date or asked the buyer to wait (nlp.agreed)",
}


def unchecked_filters(filters: frozenset[str] | set[str], checks: Mapping[str, Check] = FILTER_CHECKS) -> set[str]:
    """The names in ``filters`` that nothing checks.  A name the rule files accept
    (ruleset.FILTERS) but no check here knows would otherwise be ignored without a word:
    the pipeline refuses to build instead (see pipeline.compiled_rules)."""
    return set(filters) - checks.keys() - DECIDED_ELSEWHERE.keys()
