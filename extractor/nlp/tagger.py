"""The tagger: message tags from the spaCy pipeline, conversation context, structure.

A :class:`Tagger` builds the pipeline once.  ``tag_events`` works in stages over chunks
of messages (normalize all, prefilter all, segment the ones left, run each component
over them), which keeps each stage's code and data hot; then it walks each buyer's
conversation in time order, because two rules need what came before:

- the seller's bare agreement (是的亲) to a time the buyer proposed (今天能发吗) is a
  shipping promise for that time;
- a buyer's 还没发货 is a late-shipment claim only once a promised deadline has passed
  with no shipment since;
- a seller's arrival estimate said alone (明天能到) is a shipment only once the goods were
  shipped earlier in the conversation (before that, 预计3天送达 tells a buyer how long
  delivery takes);
- a buyer's 好的 / 不急 agrees to a later ship date only in answer to a seller's turn that
  named one or asked the buyer to wait (:mod:`.agreed`).

Structural tags come from :mod:`extractor.structure` over the same conversation.
"""

from __future__ import annotations

import gc
import re
import threading
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from ..limits import TAG_WINDOW_CHARS, TAG_WINDOWS_AT_ONCE
from ..model import Event, Tag
from ..structure import structural_tags
from .agreed import DelayAgreements
from .backoff import BUILTIN, DETECTOR_OUTPUTS as BACKOFF_LABELS, MIN_CHARS as BACKOFF_MIN_CHARS, REASON_OUTPUTS, load_model
from .context import ContextJudge, Segments
from .matcher import Candidate, Hits
from .normalize import Normalized, normalize_many
from .pipeline import MessageState, build_nlp, compiled_rules, in_label_order
from .ruleset import DEFAULT_FILTERS

# Messages per stage: large enough to keep each stage hot, small enough that the Docs of
# one chunk stay small in memory.
CHUNK = 2048


class MessageResult(NamedTuple):
    """A message's own tags, those that count only after a missed deadline, those that
    count only after a shipment, and the trigger words and patterns the prefilter found
    (None: none at all)."""

    norm: Normalized
    tags: tuple[Tag, ...] = ()
    if_overdue: tuple[Tag, ...] = ()
    hits: Hits | None = None
    if_shipped: tuple[Tag, ...] = ()

    @property
    def triggered(self) -> frozenset[str]:
        """The labels the rules saw a trigger of, whatever became of it (a word inside
        a longer one, a negation, a question)."""
        if self.hits is None:
            return frozenset()
        return frozenset(c.rule.label for c in self.hits.terms + self.hits.patterns)


class Tagger:
    """``backoff``: the statistical backoff's model file, :data:`BUILTIN` for the one
    shipped, or None for the rules alone."""

    def __init__(self, rules_files: Sequence[str | Path] = (), backoff: str | Path | None = BUILTIN) -> None:
        self.rules_files = tuple(str(p) for p in rules_files)
        self.rules = compiled_rules(self.rules_files)  # validates the files first
        self.backoff = None if backoff is None else load_model(None if backoff == BUILTIN else backoff)
        self.nlp = build_nlp(self.rules_files)
        self._pipes = [proc for _, proc in self.nlp.pipeline]

    # -- messages ----------------------------------------------------------------------
    def tag_text(self, text: str, role: str, time: datetime, *, overdue: bool = False,
                 after_shipment: bool = True) -> tuple[Tag, ...]:
        """Message-level tags of one text said by ``role`` at ``time`` (``overdue``: a
        promised shipping deadline has passed; ``after_shipment``: the goods were shipped
        before, as a text with no conversation around it is read)."""
        (result,) = self.analyse_messages([(text, role, time)])
        extra = (result.if_overdue if overdue else ()) + (result.if_shipped if after_shipment else ())
        return in_label_order(result.tags + extra) if extra else result.tags

    def analyse_messages(self, messages: Sequence[tuple[str, str, datetime]]) -> list[MessageResult]:
        """Message-level analysis of (text, role, time) triples, stage by stage."""
        norms = normalize_many([text for text, _, _ in messages])
        indexes = self.rules.indexes
        # The prefilter: the rules' regular expressions on the normalized text.  Most chat
        # lines have no trigger at all and never reach the segmenter.
        hits = [indexes[role].hits(norm.text) if role in indexes else None
                for norm, (_, role, _) in zip(norms, messages)]
        results = [MessageResult(norm) for norm in norms]
        todo = [i for i, h in enumerate(hits) if h is not None and h.found]
        make_doc = self.nlp.make_doc
        docs = [make_doc(norms[i].text) for i in todo]
        states = []
        for i, doc in zip(todo, docs):
            _, role, time = messages[i]
            # The state for the normalized text the Doc is made of, with the prefilter's
            # hits; on the Doc (public, as after nlp(text)), and kept here to hand to each
            # component directly, rather than have three of them read it back.
            state = doc._.evidence = MessageState(role=role, time=time, norm=norms[i], hits=hits[i])
            states.append(state)
        for proc in self._pipes:
            process = proc.process
            for doc, state in zip(docs, states):
                process(doc, state)
        for i, state in zip(todo, states):
            results[i] = MessageResult(norms[i], state.tags, state.if_overdue, hits[i], state.if_shipped)
        if self.backoff is not None:
            self._back_off(messages, results)
        return results

    def _analyse_bounded(self, messages: Sequence[tuple[str, str, datetime]]) -> list[MessageResult]:
        """:meth:`analyse_messages`, with a message longer than TAG_WINDOW_CHARS read in
        windows (see extractor.limits): one 50 MB message costs what a few windows do."""
        long = [i for i, (text, _, _) in enumerate(messages) if len(text) > TAG_WINDOW_CHARS]
        if not long:
            return self.analyse_messages(messages)
        results = self.analyse_messages([(text if i not in long else "", role, time)
                                         for i, (text, role, time) in enumerate(messages)])
        for i in long:
            text, role, time = messages[i]
            windows = _windows(text, TAG_WINDOW_CHARS)
            parts: list[MessageResult] = []
            for start in range(0, len(windows), TAG_WINDOWS_AT_ONCE):
                parts += self.analyse_messages([(w, role, time) for w in windows[start:start + TAG_WINDOWS_AT_ONCE]])
            results[i] = _union(parts)
        return results

    def _back_off(self, messages: Sequence[tuple[str, str, datetime]], results: list[MessageResult]) -> None:
        """The backoff's tags on buyer messages (of MIN_CHARS or more) where the rules
        found no trigger for the label at all (a trigger they rejected stays rejected)."""
        # Most buyer messages have no trigger at all: every label is open to the backoff.
        buyers = [i for i, (message, result) in enumerate(zip(messages, results))
                  if message[1] == "buyer" and len(result.norm.text) >= BACKOFF_MIN_CHARS]
        rows = [i for i in buyers if results[i].hits is None]
        closed: list[tuple[int, int]] = []  # (row, label column) the rules already answered
        claim, demand = BACKOFF_LABELS
        for i in buyers:
            result = results[i]
            hits = result.hits
            if hits is None:
                continue
            seen = {c.rule.label for c in hits.terms}
            if hits.patterns:
                seen.update(c.rule.label for c in hits.patterns)
            if result.tags:
                seen.update(t.label for t in result.tags)
            if claim in seen:
                if demand in seen:
                    continue
                closed.append((len(rows), 0))
            elif demand in seen:
                closed.append((len(rows), 1))
            rows.append(i)
        if not rows:
            return
        model = self.backoff
        limits = np.array([model.thresholds[label] for label in BACKOFF_LABELS])
        detector = model.detect([results[i].norm.text for i in rows])
        fired = (detector >= limits) & (limits < 1.0)
        for row, column in closed:
            fired[row, column] = False
        hits = np.flatnonzero(fired.any(axis=1))
        if not len(hits):
            return
        reasons = model.reasons([results[rows[h]].norm.text for h in hits])
        judge = self.rules.judge
        for h, reason_probs in zip(hits, reasons):
            i = rows[h]
            norm = results[i].norm
            seg = Segments.of(norm.text)
            found = []
            for column in np.flatnonzero(fired[h]):
                label = BACKOFF_LABELS[column]
                reason = None
                if label == "return_claim":
                    best = int(reason_probs.argmax())
                    if reason_probs[best] < model.thresholds["reason"]:
                        continue
                    reason = REASON_OUTPUTS[best]
                spans = model.evidence_spans(norm.text, label)
                if not backoff_stands(judge, seg, spans, label):
                    continue
                # (no n-gram for it at all only under a threshold near 0: then the message is the evidence)
                evidence = tuple(norm.original_span(a, b) for a, b in _clauses_around(seg, spans)) \
                    or (norm.original.strip(),)
                found.append(Tag(label, evidence=evidence, reason=reason, score=round(float(detector[h, column]), 3)))
            if found:
                results[i] = results[i]._replace(tags=in_label_order(results[i].tags + tuple(found)))

    def _order_tags(self, event: Event) -> tuple[Tag, ...]:
        """An order record's shipping time is a shipment: the record dated at that time
        (the export gives one record for the payment and one for the shipment)."""
        order = event.order
        if order is None or order.shipped is None or event.time != order.shipped:
            return ()
        evidence = [f"发货时间 {order.shipped:%Y-%m-%d %H:%M:%S}"]
        if order.tracking:
            evidence.append(f"物流单号 {order.tracking}")
        return (Tag("shipped", evidence=tuple(evidence), tracking=order.tracking or None,
                    shipped_at=order.shipped, shipped_at_latest=order.shipped, precision="exact"),)

    def _agreement(self, event: Event, norm: Normalized, asked: Sequence[tuple[Event, Normalized]]) -> Tag | None:
        """是的亲 / 好的呢 / 嗯嗯 after the buyer's 今天能发吗: a promise for the time the
        buyer named, counted from the buyer's message (the time of the shipping question,
        not a later one: 明天能发货吗 我后天出差 is tomorrow).  会尽快的 agrees to ship
        but not to the time: a promise with no deadline, as 尽快 is."""
        judge = self.rules.judge
        if not judge.is_agreement(norm.text):
            return None
        grammar = self.rules.grammar
        hedged = _HEDGED_AGREEMENT.search(norm.text) is not None
        for question, question_norm in reversed(asked):
            asked_at = judge.ship_question_end(question_norm.text)
            if asked_at is None:
                continue
            times = [t for t in grammar.find(question_norm.text) if not t.vague]
            if not times:
                continue
            evidence = (event.text.strip(), question.text.strip())
            if hedged:
                return Tag("shipping_promise", evidence=evidence, deadline=None)
            before = [t for t in times if t.start < asked_at]
            deadline = grammar.resolve(before[-1] if before else times[0], question.time)
            return Tag("shipping_promise", evidence=evidence, deadline=deadline)
        return None

    # -- a timeline --------------------------------------------------------------------
    def tag_events(self, events: Sequence[Event]) -> list[Event]:
        """Every event with its tags (message-level and structural), in the order given."""
        with _cyclic_collector_paused():
            return self._tag_events(events)

    def _tag_events(self, events: Sequence[Event]) -> list[Event]:
        speaking = [i for i, e in enumerate(events) if e.kind == "message" and e.role in ("buyer", "seller")]
        # Indexed like ``events``: a list, not a dict, since it is read once per event.
        analysed: list[MessageResult | None] = [None] * len(events)
        for start in range(0, len(speaking), CHUNK):
            chunk = speaking[start:start + CHUNK]
            found = self._analyse_bounded([(events[i].text, events[i].role, events[i].time) for i in chunk])
            for i, result in zip(chunk, found):
                analysed[i] = result

        tags: list[tuple[Tag, ...]] = [()] * len(events)
        by_buyer: dict[str, list[int]] = {}
        for i, event in enumerate(events):
            if event.kind == "order":
                tags[i] = self._order_tags(event)
            if event.buyer is not None:
                by_buyer.setdefault(event.buyer, []).append(i)
        time_of = [event.time for event in events]
        for indices in by_buyer.values():
            indices.sort(key=time_of.__getitem__)  # stable: ties stay in the order given
            self._conversation(events, indices, analysed, tags)
        for i in speaking:  # a message without a buyer is in no conversation
            if events[i].buyer is None:
                tags[i] = analysed[i].tags

        # Every event's tags are in label order by construction: structural tags first,
        # then the message's own (ordered by the attribute component), re-sorted where
        # the conversation adds one.
        return [event if event_tags == event.tags else _with_tags(event, event_tags)
                for event, event_tags in zip(events, tags)]

    def _conversation(self, events: Sequence[Event], indices: list[int],
                      analysed: list[MessageResult | None], tags: list) -> None:
        asked: list[tuple[Event, Normalized]] = []  # the buyer's messages since the seller spoke
        open_deadlines: list[datetime] = []
        shipped_before = False
        agreements = DelayAgreements(self.rules, self.nlp.make_doc)
        for i in indices:
            result = analysed[i]
            if result is not None:
                event = events[i]
                found = result.tags
                if result.if_overdue and any(d < event.time for d in open_deadlines):
                    found = in_label_order(found + result.if_overdue)
                if result.if_shipped and shipped_before:
                    found = in_label_order(found + result.if_shipped)
                if event.role == "seller":
                    if asked and not any(t.label == "shipping_promise" for t in found):
                        agreed = self._agreement(event, result.norm, asked)
                        if agreed is not None:
                            found = in_label_order(found + (agreed,))
                    asked = []
                    agreements.seller(event, result.norm, found)
                else:
                    asked.append((event, result.norm))
                    agreed = agreements.buyer(event, result.norm)
                    if agreed is not None:
                        found = in_label_order(found + (agreed,))
                tags[i] = found
            for tag in tags[i]:
                if tag.label == "shipping_promise" and tag.deadline is not None:
                    open_deadlines.append(tag.deadline)
                elif tag.label == "shipped":
                    open_deadlines.clear()
                    shipped_before = True
        conversation = [events[i] for i in indices]
        for i, extra in zip(indices, structural_tags(conversation)):
            if extra:
                tags[i] = extra + tags[i]


def backoff_stands(judge: ContextJudge, seg: Segments, spans: Sequence[tuple[int, int]], label: str) -> bool:
    """Whether a tag the backoff would make stands, given its evidence ``spans`` in the
    segmented text (strongest first):

    - the strongest words contain a Chinese character: a tag a reader cannot be shown a
      reason for in words (digits, a letter, an emoji) is not made;
    - the context rules would not set a trigger there aside for the label (negated,
      resolved, hypothetical, a policy question, a quote: its default filters).

    (No spans at all happens only under a threshold near 0: nothing to judge.)"""
    if not spans:
        return True
    start, end = spans[0]
    if not _HAN.search(seg.text, start, end):
        return False
    cand = Candidate(None, start, end)
    # the same checks, by the same mapping, as a rule trigger of the label (context.FILTER_CHECKS)
    return not any(veto(seg, cand) for veto in judge.vetoes(DEFAULT_FILTERS[label]))


def _clauses_around(seg: Segments, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The evidence a reader is shown for a backoff tag: the clause around each of its
    strongest n-grams (an n-gram alone, 就 or 盒子, says little), at most
    CLAUSE_CONTEXT characters either side of it, in text order, overlaps merged."""
    text = seg.text
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        c_start, c_end = seg.clause(start)
        c_start, c_end = max(c_start, start - CLAUSE_CONTEXT), min(max(c_end, end), end + CLAUSE_CONTEXT)
        while c_start < start and text[c_start].isspace():
            c_start += 1
        while c_end > end and text[c_end - 1].isspace():
            c_end -= 1
        if out and c_start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], c_end))
        else:
            out.append((c_start, c_end))
    return out


CLAUSE_CONTEXT = 16
# 会尽快的 / 尽量: agreeing to ship, not to the buyer's time.
_HEDGED_AGREEMENT = re.compile(r"尽快|尽量|马上")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


# Event is a frozen dataclass whose __init__ only stores its fields, so a copy of its
# fields with other tags is the event dataclasses.replace would build, at a fifth of the
# cost (paid for most events of a timeline).  Should Event ever check its fields in a
# __post_init__ or keep them in slots, replace is used again.
_EVENT_INIT_ONLY_STORES = not hasattr(Event, "__post_init__") and not hasattr(Event, "__slots__")


def _with_tags(event: Event, tags: tuple[Tag, ...]) -> Event:
    if not _EVENT_INIT_ONLY_STORES:
        return replace(event, tags=tags)
    tagged = object.__new__(type(event))
    fields = tagged.__dict__
    fields.update(event.__dict__)
    fields["tags"] = tags
    return tagged


@contextmanager
def _cyclic_collector_paused():
    """Tagging allocates a few objects per message and keeps them to the end of the run,
    none of them in a reference cycle (a run leaves nothing for ``gc.collect`` to find).
    With the collector on, those survivors set off full collections, each of which
    walks the caller's whole heap, the timeline included: a fifth of the time of a
    large run.  Reference counting still frees everything as usual; the collector is on
    again when the run ends, also when it fails.  (Left alone if someone else turned
    it off.)"""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


_CACHE_LOCK = threading.Lock()


@lru_cache(maxsize=8)
def _cached_tagger(rules_files: tuple[str, ...], backoff: str | None) -> Tagger:
    return Tagger(rules_files, backoff)


def get_tagger(rules_files: Sequence[str | Path] = (), backoff: str | Path | None = BUILTIN) -> Tagger:
    """One Tagger per process, rules tuple and backoff (spaCy, jieba and the rules load
    once)."""
    with _CACHE_LOCK:
        return _cached_tagger(tuple(str(p) for p in rules_files), None if backoff is None else str(backoff))


_CLAUSE_END_RE = re.compile(r"[。！？!?\n；;，,]")


def _windows(text: str, size: int) -> list[str]:
    """``text`` in pieces of at most ``size`` characters, each cut after the last clause
    end of its stretch (a hard cut where a stretch has none)."""
    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = max((m.end() for m in _CLAUSE_END_RE.finditer(text, start + size // 2, end)), default=None)
            end = cut or end
        out.append(text[start:end])
        start = end
    return out


def _union(parts: Sequence[MessageResult]) -> MessageResult:
    """One message's result from its windows': every distinct tag once, in label order;
    the first window's text stands for the message where one text is needed."""
    def merged(groups) -> tuple[Tag, ...]:
        seen, out = set(), []
        for tags in groups:
            for tag in tags:
                key = (tag.label, tag.reason, tag.deadline, tag.tracking)
                if key not in seen:
                    seen.add(key)
                    out.append(tag)
        return in_label_order(tuple(out))

    first = parts[0]
    hits = next((p.hits for p in parts if p.hits is not None), None)
    return first._replace(tags=merged(p.tags for p in parts), if_overdue=merged(p.if_overdue for p in parts),
                          if_shipped=merged(p.if_shipped for p in parts), hits=hits)
