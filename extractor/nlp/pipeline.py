"""The spaCy pipeline: Chinese with the jieba segmenter and three components of our own.

``spacy.blank("zh")`` segments with jieba (configured, since spaCy's default for Chinese
is one token per character); the user dictionary of domain terms is loaded into jieba
once per process.  The components, registered with ``@Language.factory``, run in order
and pass one :class:`MessageState` along in ``doc._.evidence``:

- ``evidence_triggers``: terms (on word boundaries) and patterns of the speaker's rules;
- ``evidence_context``: negation, hypotheticals, policy questions, quotes, questions,
  refusals, subordinate clauses; a shipping verb already done becomes ``shipped``;
- ``evidence_attributes``: deadlines, tracking numbers, and the evidence words cut from
  the original text; one :class:`~extractor.model.Tag` per label (per reason).

``build_nlp()(text)`` works like any spaCy pipeline.  Who said the text and when are
two public extensions, set on a Doc before the components run::

    doc = nlp.make_doc("亲，明天下午给您发货")
    doc._.evidence_role = "seller"   # "buyer", "seller", "system"; None: both sides' rules
    doc._.evidence_time = sent       # an aware datetime; None: deadlines stay unresolved
    nlp(doc)._.evidence_tags         # (Tag('shipping_promise', ..., deadline=...),)

With no state on the Doc the first component makes one: the Doc's text normalized
(:mod:`.normalize`), the role and the time from the extensions.  With no role the rules
of both sides are tried, as if either could have said it (each label still belongs to
one side: a return claim is the buyer's); the tags are those of the text said by the
buyer and by the seller, together.  With no time nothing is resolved against anything:
a deadline stays None (never the clock's), and a time named with a shipping verb is
taken as one still to come (the time words have no day gone by).
:class:`~.tagger.Tagger` sets the state itself, for the normalized text it already has,
and hands it to each component's ``process``.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import warnings
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import accumulate
from operator import attrgetter
from typing import NamedTuple, Sequence

from ..labels import registry as label_registry
from ..errors import RulesError
from ..i18n import N_
from ..model import ROLES, Tag
from .context import FILTER_CHECKS, PROMISE_CHECKS, ContextJudge, Segments, Veto, unchecked_filters
from .deadlines import NOT_STATED, PastTime, TimeExpression, TimeGrammar
from .matcher import Candidate, Hits, TriggerIndex
from .normalize import Normalized, normalize
from .ruleset import DEFAULT_FILTERS, RuleSet, load_ruleset, user_dictionary_path

_LOCK = threading.Lock()
_JIEBA_READY = False


# The order of the labels on an event: the label registry's (TAGS.md's).
LABEL_ORDER = label_registry().names
_RANK = {label: n for n, label in enumerate(LABEL_ORDER)}


def _label_rank(tag: Tag) -> int:
    return _RANK.get(tag.label, len(_RANK))


def in_label_order(tags: tuple[Tag, ...]) -> tuple[Tag, ...]:
    """``tags`` sorted by label (stable: two tags of one label keep their order)."""
    return tuple(sorted(tags, key=_label_rank)) if len(tags) > 1 else tags


class Finding(NamedTuple):
    candidate: Candidate
    label: str


@dataclass(slots=True)
class MessageState:
    """What the components know about one message and what they have found so far.

    The one mutable object of the tagger, on purpose: it lives for one Doc, each
    component fills in its part, and copying it three times per message would cost more
    than the rules themselves.  It sits in ``doc._.evidence``; ``norm.text`` is the text
    the rules read, ``norm.original`` the Doc's own.  ``role`` None: both sides' rules;
    ``time`` None: no deadline is resolved."""

    role: str | None
    time: datetime | None
    norm: Normalized
    hits: Hits | None = None  # found before the Doc was made, when the caller prefiltered
    candidates: Sequence[Candidate] = ()
    findings: Sequence[Finding] = ()
    tags: tuple[Tag, ...] = ()
    # Tags whose only grounds need a promised deadline to have passed (还没发货): the
    # conversation decides, see Tagger.tag_events.
    if_overdue: tuple[Tag, ...] = ()
    # Tags that count only once the goods were shipped earlier in the conversation: an
    # arrival estimate alone (明天能到) is a shipment on its way, or before one, nothing.
    if_shipped: tuple[Tag, ...] = ()
    tracking: str | None = None  # the message's tracking number ("" for none), once looked for
    _segments: Segments | None = None
    _times: list[TimeExpression] | None = None

    @property
    def text(self) -> str:
        return self.norm.text

    def segments(self) -> Segments:
        if self._segments is None:
            self._segments = Segments.of(self.norm.text)
        return self._segments

    def times(self, grammar: TimeGrammar) -> list[TimeExpression]:
        if self._times is None:
            # Only a seller's words promise a time (a role of None may be a seller's).
            self._times = grammar.find(self.norm.text) if self.role != "buyer" else []
        return self._times


# Where our tokenizer leaves the character offsets at which its words end: it has them
# for free while building the Doc, and reading them back from the Doc's tokens costs a
# Python object per token.  A plain key of ours in ``doc.user_data`` (a public dict, and
# a dict read per Doc, where an extension costs over ten times as much).
WORD_ENDS_KEY = "evidence.word_ends"
_SPEAKERS = frozenset({*ROLES, None})


def message_state(doc) -> MessageState:
    """The state on ``doc`` (``doc._.evidence``), made from the Doc's extensions when
    there is none yet."""
    state = doc._.evidence
    if state is None:
        state = doc._.evidence = _new_state(doc, doc.text)
    return state


def _new_state(doc, text: str) -> MessageState:
    role, time = doc._.evidence_role, doc._.evidence_time
    if role not in _SPEAKERS:
        # a typo would otherwise find nothing, silently (the system's words carry no tags)
        raise ValueError(f"doc._.evidence_role must be one of {', '.join(ROLES)} or None, not {role!r}")
    if time is not None and not isinstance(time, datetime):
        raise TypeError(f"doc._.evidence_time must be a datetime or None, not {type(time).__name__}")
    return MessageState(role=role, time=time, norm=normalize(text))


def _tags_of(doc) -> tuple[Tag, ...]:
    """``doc._.evidence_tags``: the message's own tags (those that count only once a
    deadline has passed are the state's ``if_overdue``)."""
    state = doc._.evidence
    return state.tags if state is not None else ()


@dataclass(frozen=True)
class CompiledRules:
    ruleset: RuleSet
    indexes: dict[str, TriggerIndex]
    judge: ContextJudge
    grammar: TimeGrammar
    # The rules a message is tried on only when the conversation asks (the filter
    # "offered": a buyer's 好的 counts as agreeing to a delay only after the seller named
    # one), kept out of ``indexes`` so that no ordinary message is segmented for them.
    answers: TriggerIndex | None = None

    def index_for(self, rule) -> TriggerIndex:
        """The index a rule's triggers are found by."""
        return self.answers if CONVERSATION_FILTER in rule.filters else self.indexes[rule.role]


# See CompiledRules.answers: the filter of the rules the conversation runs.
CONVERSATION_FILTER = "offered"


@lru_cache(maxsize=16)
def compiled_rules(rules_files: tuple[str, ...] = ()) -> CompiledRules:
    ruleset = load_ruleset(rules_files)
    for rule in ruleset.rules:
        checks = PROMISE_CHECKS if rule.label == "shipping_promise" else FILTER_CHECKS
        unchecked = unchecked_filters(rule.filters, checks)
        if unchecked:
            raise RulesError(N_("rules file {file}: rule {id!r}: no context check for filter(s) "
                                "{filters} (see extractor/nlp/context.py, FILTER_CHECKS)"),
                             file=rule.file, id=rule.id, filters=", ".join(sorted(unchecked)))
    return CompiledRules(
        ruleset=ruleset,
        indexes={role: TriggerIndex([r for r in ruleset.for_role(role) if CONVERSATION_FILTER not in r.filters])
                 for role in ("buyer", "seller")},
        judge=ContextJudge(ruleset.cues),
        grammar=TimeGrammar(ruleset.time),
        answers=TriggerIndex([r for r in ruleset.rules if CONVERSATION_FILTER in r.filters]),
    )


def prepare_jieba(extra_words: Sequence[str] = ()) -> None:
    """Load jieba's dictionary and ours once per process (jieba's state is global)."""
    global _JIEBA_READY
    with _LOCK:
        import jieba

        if not _JIEBA_READY:
            jieba.setLogLevel(logging.WARNING)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                jieba.initialize()
            jieba.load_userdict(str(user_dictionary_path()))
            _JIEBA_READY = True
        for word in extra_words:
            if len(word) > 1 and word not in jieba.dt.FREQ:
                jieba.add_word(word)


# ---------------------------------------------------------------------------
# Components


class _Component:
    """A component is called by spaCy with a Doc (``__call__``), or by the Tagger, which
    made the Doc and its state and keeps them side by side, with both (``process``): an
    extension costs a couple of microseconds per read, which for three components on
    every message with a trigger is a few percent of the whole run."""

    def __init__(self, rules_files: Sequence[str]) -> None:
        self.rules = compiled_rules(tuple(rules_files))

    def __call__(self, doc):
        self.process(doc, message_state(doc))
        return doc

    def process(self, doc, state: MessageState) -> None:
        raise NotImplementedError


class TriggerComponent(_Component):
    def __init__(self, rules_files: Sequence[str], tokenizer) -> None:
        super().__init__(rules_files)
        self.tokenizer = tokenizer
        # No role: both sides' rules, each side's triggers found as if it alone spoke.
        self._indexes = {None: tuple(self.rules.indexes.values()),
                         **{role: (index,) for role, index in self.rules.indexes.items()}}

    def __call__(self, doc):
        state = doc._.evidence
        words = doc
        if state is None:
            text = doc.text
            state = doc._.evidence = _new_state(doc, text)
            if state.text != text:
                # The rules read the normalized copy (简体, half-width, runs of whitespace
                # squeezed): a term must end where a word of that copy ends.
                words = self.tokenizer(state.text)
        self.process(words, state)
        return doc

    def process(self, doc, state: MessageState) -> None:
        """``doc``: a Doc of ``state.text``, whose words the terms must end on."""
        indexes = self._indexes.get(state.role, ())
        if len(indexes) != 1:
            state.candidates = [cand for index in indexes
                                for cand in self._candidates(doc, state, index, index.hits(state.text))]
            return
        index = indexes[0]
        hits = state.hits if state.hits is not None else index.hits(state.text)
        state.candidates = self._candidates(doc, state, index, hits)

    @staticmethod
    def _candidates(doc, state: MessageState, index: TriggerIndex, hits: Hits) -> list[Candidate]:
        word_ends: set[int] | None = doc.user_data.get(WORD_ENDS_KEY)

        def ends_word(start: int, end: int) -> bool:
            # A word of the Doc ends at ``end``.  (The same as asking doc.char_span for the
            # expanded span and comparing its end, at a fraction of the cost; a term
            # ending in whitespace, which the set cannot tell about, still asks.)
            nonlocal word_ends
            if state.text[end - 1].isspace():
                span = doc.char_span(start, end, alignment_mode="expand")
                return span is not None and span.end_char == end
            if word_ends is None:  # a Doc from another tokenizer
                word_ends = {token.idx + len(token) for token in doc}
            return end in word_ends

        return index.candidates(state.text, hits, ends_word)


class ContextComponent(_Component):
    def process(self, doc, state: MessageState) -> None:
        if not state.candidates:
            return
        judge = self.rules.judge
        seg = state.segments()
        findings = []
        for cand in state.candidates:
            label = self._judge(judge, seg, cand, state)
            if label is not None:
                findings.append(Finding(cand, label))
        if any(f.label == "shipping_promise" for f in findings):
            findings = [f for f in findings if "alone" not in f.candidate.rule.filters]
            # 补发的3袋已经寄出: a clause that reports the shipment promises nothing more.
            done_clauses = {seg.clause(f.candidate.start) for f in findings if f.label == "shipped"}
            findings = [f for f in findings if f.label != "shipping_promise"
                        or seg.clause(f.candidate.start) not in done_clauses]
        state.findings = findings

    def _judge(self, judge: ContextJudge, seg: Segments, cand: Candidate, state: MessageState) -> str | None:
        rule = cand.rule
        if rule.label == "shipping_promise":
            return self._judge_promise(judge, seg, cand, state)
        return None if _vetoed(judge.vetoes(rule.filters), seg, cand) else rule.label

    def _judge_promise(self, judge: ContextJudge, seg: Segments, cand: Candidate,
                       state: MessageState) -> str | None:
        """A shipping verb: a promise, a shipment already done, or neither."""
        rule = cand.rule
        grammar = self.rules.grammar
        times = state.times(grammar)
        clause_start, clause_end = seg.clause(cand.start)
        in_clause = _starting_between(times, clause_start, clause_end)

        def future_time() -> bool:
            if state.time is None:
                # Nothing to compare with: a time said with the verb is one to come (明天
                # 就给您发了).  Only a date or an hour of today can lie before a message.
                return bool(in_clause)
            return any(t.vague or (grammar.resolve(t, state.time) or state.time) > state.time for t in in_clause)

        def tracking() -> bool:
            if state.tracking is None:
                state.tracking = _tracking_number(self.rules.ruleset.tracking, state.text) or ""
            return bool(state.tracking)

        if judge.already_done(seg, cand, future_time, tracking):
            if rule.done_label is None:
                return None
            # A shipment reported: judged as a trigger of that label would be, by the
            # label's default filters.
            return None if _vetoed(judge.vetoes(DEFAULT_FILTERS[rule.done_label]), seg, cand) else rule.done_label
        if _vetoed(judge.promise_vetoes(rule.filters), seg, cand):
            return None
        has_time = bool(in_clause) or _time_before(seg, cand, times) is not None
        if not judge.committed(seg, cand, has_time):
            return None
        return rule.label


def _vetoed(vetoes: Sequence[Veto], seg: Segments, cand: Candidate) -> bool:
    for veto in vetoes:  # a loop, not any(): this runs for every trigger
        if veto(seg, cand):
            return True
    return False


def _tracking_number(patterns, text: str) -> str | None:
    for pattern in patterns:
        m = pattern.search(text)
        if m:
            return m.group("number")
    return None


def _time_before(seg: Segments, cand: Candidate, times: list[TimeExpression]) -> TimeExpression | None:
    """The time a promise names: the nearest concrete time in its clause (before the verb
    first), else the nearest in an earlier clause of the same sentence."""
    clause_start, clause_end = seg.clause(cand.start)
    in_clause = [t for t in _starting_between(times, clause_start, clause_end) if not t.vague]
    if in_clause:
        before = [t for t in in_clause if t.start < cand.end]
        return before[-1] if before else in_clause[0]
    sentence_start, _ = seg.sentence(cand.start)
    earlier = [t for t in _starting_between(times, sentence_start, clause_start) if not t.vague]
    return earlier[-1] if earlier else None


_START = attrgetter("start")


def _starting_between(times: list[TimeExpression], start: int, end: int) -> list[TimeExpression]:
    """The times (in text order) that start in ``[start, end)``: by bisection, since a
    message may hold thousands of them."""
    return times[bisect_left(times, start, key=_START):bisect_left(times, end, key=_START)]


class AttributeComponent(_Component):
    def process(self, doc, state: MessageState) -> None:
        if not state.findings:
            return
        seg = state.segments()
        grammar = self.rules.grammar
        times = state.times(grammar)
        norm = state.norm
        grouped: dict[tuple[str, str | None], dict] = {}
        for finding in state.findings:
            cand = finding.candidate
            reason = cand.rule.reason if finding.label == cand.rule.label else None
            slot = grouped.setdefault((finding.label, reason),
                                      {"words": [], "deadlines": [], "tracking": None, "overdue_only": True,
                                       "shipped_only": True, "shipped": None})
            slot["overdue_only"] = slot["overdue_only"] and "overdue" in cand.rule.filters
            slot["shipped_only"] = slot["shipped_only"] and "after_shipment" in cand.rule.filters
            _add_word(slot["words"], norm.original_span(cand.start, cand.end))
            if finding.label == "shipping_promise":
                expr = _time_before(seg, cand, times)
                if expr is not None:
                    day = grammar.day_before_part(times, expr, norm.text)  # 6月28日 of 6月28日下午
                    _add_word(slot["words"], norm.original_span(day.start if day else expr.start, expr.end))
                    # no time of the message: no deadline (never one counted from the clock)
                    deadline = grammar.resolve(expr, state.time, day) if state.time is not None else None
                    if deadline is not None and not self.rules.judge.conditional(seg, cand):
                        slot["deadlines"].append(deadline)
            elif finding.label == "shipped":
                if state.tracking is None:
                    state.tracking = _tracking_number(self.rules.ruleset.tracking, state.text) or ""
                # the longest number found wins (SF1234567890123 over 1234567890123)
                number = cand.number or state.tracking or None
                if number and len(number) > len(slot["tracking"] or ""):
                    slot["tracking"] = number
                if slot["shipped"] is None and state.time is not None:
                    # 6月25日下午已经发出了: dated by its words, counted back from the message
                    expr = _time_before(seg, cand, times)
                    when = grammar.resolve_past(expr, state.time, grammar.day_before_part(times, expr, norm.text)) \
                        if expr is not None else None
                    if when is not None:
                        slot["shipped"] = when
                        day = grammar.day_before_part(times, expr, norm.text)
                        _add_word(slot["words"], norm.original_span(day.start if day else expr.start, expr.end))
        tags, if_overdue, if_shipped = [], [], []
        for (label, reason), slot in grouped.items():
            tag = Tag(
                label=label,
                evidence=tuple(slot["words"]),
                reason=reason,
                # The END of the promised window: with two times stated, the later one.
                deadline=max(slot["deadlines"]) if slot["deadlines"] else None,
                tracking=slot["tracking"],
                **(_shipped_time(slot["shipped"], state.time) if label == "shipped" else {}),
            )
            if slot["overdue_only"]:
                if_overdue.append(tag)
            elif slot["shipped_only"]:
                if_shipped.append(tag)
            else:
                tags.append(tag)
        state.tags = in_label_order(tuple(tags))
        state.if_overdue = in_label_order(tuple(if_overdue))
        state.if_shipped = in_label_order(tuple(if_shipped))


def _shipped_time(when: PastTime | None, sent: datetime | None) -> dict:
    """A `shipped` tag's time: the window its words name, else not later than the
    message (nothing at all without the message's time)."""
    if when is not None:
        return {"shipped_at": when.start, "shipped_at_latest": when.end, "precision": when.precision}
    if sent is None:
        return {}
    return {"shipped_at_latest": sent, "precision": NOT_STATED}


# Evidence words kept per tag.  A reader needs a few; a message that repeats its trigger
# thousands of times would otherwise cost the square of that in comparisons.
MAX_EVIDENCE_WORDS = 32


def _add_word(words: list[str], word: str) -> None:
    """Keep each piece of evidence once: a word inside one already kept adds nothing, and
    a longer word replaces the pieces it contains."""
    if not word or len(words) >= MAX_EVIDENCE_WORDS or any(word in kept for kept in words):
        return
    words[:] = [kept for kept in words if kept not in word]
    words.append(word)


# ---------------------------------------------------------------------------
# Registration and the pipeline


TOKENIZER = "evidence.zh_jieba.v1"
# Any whitespace: where spaCy's own alignment of words and spaces is needed.
_WHITESPACE = re.compile(r"\s")


@lru_cache(maxsize=1)
def _jieba_tokenizer_class():
    from spacy.lang.zh import ChineseTokenizer
    from spacy.tokens import Doc

    class JiebaTokenizer(ChineseTokenizer):
        """spaCy's Chinese tokenizer with the jieba segmenter, the same words made cheaper:
        one ``jieba.lcut`` (default mode, HMM on, as spaCy calls it), and for a text without
        whitespace, which is most chat lines, the Doc built straight from jieba's words
        (they are the text cut in pieces, so there is nothing to align).  A text with
        whitespace goes through spaCy's own alignment of words and spaces."""

        def __call__(self, text: str):
            words = self.jieba_seg.lcut(text)
            if _WHITESPACE.search(text) is None:
                doc = Doc(self.vocab, words=words, spaces=[False] * len(words))
                doc.user_data[WORD_ENDS_KEY] = set(accumulate(map(len, words)))
                return doc
            words, spaces = _words_and_spaces(words, text)
            doc = Doc(self.vocab, words=words, spaces=spaces)
            ends, position = set(), 0
            for word, space in zip(words, spaces):
                position += len(word)
                ends.add(position)
                position += space
            doc.user_data[WORD_ENDS_KEY] = ends
            return doc

    return JiebaTokenizer


def _words_and_spaces(words: Sequence[str], text: str) -> tuple[list[str], list[bool]]:
    """spaCy's ``get_words_and_spaces`` for words cut from ``text`` in order, the same
    words and spaces in time linear in the length (spaCy's copies the rest of the text
    for every word: minutes for a message of a few hundred thousand spaced words).  A
    single space after a word is that word's trailing space; any other whitespace is a
    word of its own."""
    out_words: list[str] = []
    out_spaces: list[bool] = []
    position = 0
    for word in words:
        if not word or word.isspace():
            continue
        start = text.index(word, position)
        if start > position:
            out_words.append(text[position:start])
            out_spaces.append(False)
        out_words.append(word)
        position = start + len(word)
        has_space = position < len(text) and text[position] == " "
        out_spaces.append(has_space)
        position += has_space
    if position < len(text):
        out_words.append(text[position:])
        out_spaces.append(False)
    return out_words, out_spaces


def _register() -> None:
    from spacy.language import Language
    from spacy.tokens import Doc
    from spacy.util import registry

    # The Doc's public extensions, prefixed: extension names are one namespace per
    # process, shared with any other package that adds some.
    for name, spec in (("evidence", {"default": None}), ("evidence_role", {"default": None}),
                       ("evidence_time", {"default": None}), ("evidence_tags", {"getter": _tags_of})):
        if not Doc.has_extension(name):
            Doc.set_extension(name, **spec)
    if "evidence_triggers" in Language.factories:
        return

    @registry.tokenizers(TOKENIZER)
    def make_tokenizer(segmenter: str = "jieba"):
        if segmenter != "jieba":
            raise ValueError(f"{TOKENIZER} segments with jieba only (got segmenter={segmenter!r})")

        def create(nlp):
            return _jieba_tokenizer_class()(nlp.vocab, segmenter="jieba")

        return create

    @Language.factory("evidence_triggers", default_config={"rules_files": []})
    def make_triggers(nlp, name, rules_files):
        return TriggerComponent(rules_files, nlp.tokenizer)

    @Language.factory("evidence_context", default_config={"rules_files": []})
    def make_context(nlp, name, rules_files):
        return ContextComponent(rules_files)

    @Language.factory("evidence_attributes", default_config={"rules_files": []})
    def make_attributes(nlp, name, rules_files):
        return AttributeComponent(rules_files)


COMPONENTS = ("evidence_triggers", "evidence_context", "evidence_attributes")


def build_nlp(rules_files: Sequence[str] = ()):
    """spaCy zh + jieba with the three components; costs paid once per rules tuple."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # jieba imports pkg_resources, which warns
        import spacy

        rules = compiled_rules(tuple(rules_files))
        prepare_jieba(rules.ruleset.terms())
        _register()
        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": TOKENIZER, "segmenter": "jieba"}}})
    # spaCy refuses texts over a million characters to protect the memory of its parser
    # and entity recogniser; this pipeline has neither, and its work grows with the length
    # of the text, so a long message (hostile or pasted) is tagged like any other.
    nlp.max_length = sys.maxsize
    config = {"rules_files": list(rules_files)}
    for name in COMPONENTS:
        nlp.add_pipe(name, config=config)
    return nlp
