"""The tagger: message tags from the spaCy pipeline, conversation context, structure.

A :class:`Tagger` builds the pipeline once.  ``tag_events`` walks each buyer's
conversation in time order, because two message-level rules need what came before:

- the seller's bare agreement (是的亲) to a time the buyer proposed (今天能发吗) is a
  shipping promise for that time;
- a buyer's 还没发货 is a late-shipment claim only once a promised deadline has passed
  with no shipment since (inside the window it alleges nothing).

Structural tags come from :mod:`extractor.structure` over the same conversation.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from ..model import Event, Tag
from ..structure import structural_tags
from .normalize import normalize
from .pipeline import MessageState, build_nlp, compiled_rules

LABEL_ORDER = ("seller_contact", "seller_initiated", "buyer_silence", "shipping_promise", "shipped",
               "return_claim", "delay_claim", "compensation_demand", "threat")
_ORDER = {label: n for n, label in enumerate(LABEL_ORDER)}


@dataclass(frozen=True)
class Prompt:
    """The buyer's latest question about shipping with a time, awaiting the seller."""

    event: Event
    words: str


class Tagger:
    def __init__(self, rules_files: Sequence[str | Path] = ()) -> None:
        self.rules_files = tuple(str(p) for p in rules_files)
        self.rules = compiled_rules(self.rules_files)  # validates the files first
        self.nlp = build_nlp(self.rules_files)
        self._pipes = [proc for _, proc in self.nlp.pipeline]

    # -- one message -----------------------------------------------------------------
    def tag_text(self, text: str, role: str, time: datetime, *, overdue: bool = False) -> tuple[Tag, ...]:
        """Message-level tags of one text said by ``role`` at ``time``."""
        index = self.rules.indexes.get(role)
        if index is None:
            return ()
        norm = normalize(text)
        if not index.has_trigger(norm.text):
            return ()
        doc = self.nlp.make_doc(norm.text)
        doc._.evidence = MessageState(role=role, time=time, norm=norm, overdue=overdue)
        for proc in self._pipes:
            doc = proc(doc)
        return doc._.evidence.tags

    def message_tags(self, event: Event, *, overdue: bool = False, prompt: Prompt | None = None) -> tuple[Tag, ...]:
        if event.kind == "order":
            return self._order_tags(event)
        if event.kind != "message" or event.role not in ("buyer", "seller"):
            return ()  # system lines, auto-replies, calls and notes say nothing we tag
        tags = self.tag_text(event.text, event.role, event.time, overdue=overdue)
        if prompt is not None and event.role == "seller" and not any(t.label == "shipping_promise" for t in tags):
            agreed = self._agreement(event, prompt)
            if agreed is not None:
                tags = tags + (agreed,)
        return tags

    def _order_tags(self, event: Event) -> tuple[Tag, ...]:
        order = event.order
        if order is None or order.shipped is None:
            return ()
        evidence = [f"发货时间 {order.shipped:%Y-%m-%d %H:%M:%S}"]
        if order.tracking:
            evidence.append(f"物流单号 {order.tracking}")
        return (Tag("shipped", evidence=tuple(evidence), tracking=order.tracking or None),)

    def _agreement(self, event: Event, prompt: Prompt) -> Tag | None:
        judge = self.rules.judge
        if not judge.is_agreement(normalize(event.text).text):
            return None
        grammar = self.rules.grammar
        asked = normalize(prompt.event.text)
        times = grammar.find(asked.text)
        if not times:
            return None
        expr = times[-1]
        deadline = grammar.resolve(expr, prompt.event.time)
        return Tag("shipping_promise", evidence=(event.text.strip(), prompt.words), deadline=deadline)

    def _prompt(self, event: Event) -> Prompt | None:
        """A buyer message asking whether the goods ship at a time (今天能发吗)."""
        norm = normalize(event.text)
        if not self.rules.judge.asks_about_shipping(norm.text):
            return None
        if not self.rules.grammar.find(norm.text):
            return None
        return Prompt(event, event.text.strip())

    # -- a timeline --------------------------------------------------------------------
    def tag_events(self, events: Sequence[Event]) -> list[Event]:
        """Every event with its tags (message-level and structural), in the order given."""
        by_buyer: dict[str, list[int]] = {}
        loose: list[int] = []
        for i, event in enumerate(events):
            (by_buyer.setdefault(event.buyer, []) if event.buyer is not None else loose).append(i)
        tags: list[tuple[Tag, ...]] = [()] * len(events)
        for i in loose:
            tags[i] = self.message_tags(events[i])
        for indices in by_buyer.values():
            indices.sort(key=lambda i: (events[i].time, i))
            self._conversation(events, indices, tags)
        out = []
        for event, event_tags in zip(events, tags):
            ordered = tuple(sorted(event_tags, key=lambda t: _ORDER.get(t.label, len(_ORDER))))
            out.append(event if ordered == event.tags else replace(event, tags=ordered))
        return out

    def _conversation(self, events: Sequence[Event], indices: list[int], tags: list) -> None:
        prompt: Prompt | None = None
        open_deadlines: list[datetime] = []
        for i in indices:
            event = events[i]
            overdue = any(d < event.time for d in open_deadlines)
            found = self.message_tags(event, overdue=overdue, prompt=prompt)
            tags[i] = found
            if event.kind == "message" and event.role == "buyer":
                prompt = self._prompt(event) or prompt
            elif event.kind == "message" and event.role == "seller":
                prompt = None
            for tag in found:
                if tag.label == "shipping_promise" and tag.deadline is not None:
                    open_deadlines.append(tag.deadline)
                elif tag.label == "shipped":
                    open_deadlines.clear()
        conversation = [events[i] for i in indices]
        for i, extra in zip(indices, structural_tags(conversation)):
            if extra:
                tags[i] = extra + tags[i]


_CACHE_LOCK = threading.Lock()


@lru_cache(maxsize=8)
def _cached_tagger(rules_files: tuple[str, ...]) -> Tagger:
    return Tagger(rules_files)


def get_tagger(rules_files: Sequence[str | Path] = ()) -> Tagger:
    """One Tagger per process and rules tuple (spaCy, jieba and the rules load once)."""
    with _CACHE_LOCK:
        return _cached_tagger(tuple(str(p) for p in rules_files))
