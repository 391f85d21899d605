"""Structural tags over one buyer's whole conversation: who reached out, and who went quiet.

TAGS.md defines them over "events": buyer and seller messages, calls and call notes of
every source and channel together.  System lines, auto-replies and order records are
nobody's contact and are left out before anything is counted.

- ``seller_contact``: every seller message, every outgoing call and every note of an
  outgoing call, answered or not.
- ``seller_initiated``: a contact that opens an exchange: the previous event is 30
  minutes or more earlier (or there is none), and it is not a buyer event of the last 12
  hours.
- ``buyer_silence``: the buyer's next event (a message, an incoming call, or an outgoing
  call the buyer answered) comes 24 hours or more after the contact; with no answer at
  all, the span runs to the conversation's last event.  ``hours`` has one decimal,
  rounded half up from whole seconds.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Sequence

from .model import Event, Tag

# Tags are immutable: the two without attributes are shared by every event that has them.
CONTACT = Tag("seller_contact")
INITIATED = Tag("seller_initiated")

OPENING_GAP = timedelta(minutes=30)
RECENT_BUYER = timedelta(hours=12)
SILENCE = timedelta(hours=24)
# A staff call note this close to a call record describes the same call.
SAME_CALL_WINDOW = timedelta(minutes=15)


def side(event: Event) -> str | None:
    """``seller`` or ``buyer`` for an event that takes part in the structure, else None."""
    if event.kind in ("system", "auto_reply", "order") or event.role == "system":
        return None
    if event.kind in ("call", "note") and event.call is not None:
        return "seller" if event.call.direction == "out" else "buyer"
    if event.role in ("seller", "buyer"):
        return event.role
    return None


def answered_call(event: Event) -> bool:
    """A call (or the note of one) the other side picked up: marked answered, or with a
    length."""
    call = event.call
    if call is None or event.kind not in ("call", "note"):
        return False
    return call.answered or (call.duration_s or 0) > 0


def is_answer(event: Event, event_side: str) -> bool:
    """Does this event end a buyer's silence?"""
    if event_side == "buyer":
        return True
    return event_side == "seller" and call_direction(event) == "out" and answered_call(event)


def answers(event: Event) -> bool:
    """Does this event, wherever it stands, end a buyer's silence?  The buyer's message,
    an incoming call or its note, an outgoing call the buyer answered or its note.  The
    one definition the tags and the case findings share."""
    event_side = side(event)
    return event_side is not None and is_answer(event, event_side)


def same_call(note: Event, call: Event) -> bool:
    """A staff note this close to a call record describes that call: one attempt."""
    return abs(note.time - call.time) <= SAME_CALL_WINDOW


def call_direction(event: Event) -> str | None:
    return event.call.direction if event.call is not None else None


def hours_between(start, end) -> float:
    seconds = int((end - start).total_seconds())
    return float((Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def structural_tags(conversation: Sequence[Event]) -> list[tuple[Tag, ...]]:
    """The structural tags of each event of ONE buyer's conversation, in the order given.

    The events may come in any order; they are taken in time order (ties kept in the
    order given)."""
    taking_part = [(i, e, s) for i, e in enumerate(conversation) if (s := side(e)) is not None]
    times = [e.time for _, e, _ in taking_part]
    if any(later < earlier for earlier, later in zip(times, times[1:])):
        taking_part.sort(key=lambda item: (item[1].time, item[0]))
        times = [e.time for _, e, _ in taking_part]
    result: list[tuple[Tag, ...]] = [()] * len(conversation)
    if not taking_part:
        return result
    last_time = times[-1]

    # The time of the next answer after each position, found in one backward pass.
    next_answer: list = [None] * len(taking_part)
    upcoming = None
    for position in range(len(taking_part) - 1, -1, -1):
        next_answer[position] = upcoming
        _, event, event_side = taking_part[position]
        if event_side == "buyer" or is_answer(event, event_side):
            upcoming = times[position]

    previous_time, previous_side = None, None
    for position, (index, event, event_side) in enumerate(taking_part):
        time = times[position]
        if event_side == "seller":
            if previous_time is None:
                opens = True
            else:
                gap = time - previous_time
                opens = gap >= OPENING_GAP and not (previous_side == "buyer" and gap < RECENT_BUYER)
            end = next_answer[position] or last_time
            silent = end - time >= SILENCE
            if silent:
                silence = Tag("buyer_silence", hours=hours_between(time, end))
                result[index] = (CONTACT, INITIATED, silence) if opens else (CONTACT, silence)
            else:
                result[index] = (CONTACT, INITIATED) if opens else (CONTACT,)
        previous_time, previous_side = time, event_side
    return result
