"""Join calls and call notes to buyers, and make one event of one call seen twice.

Who a call was with comes from four places, and only from them:

- the order export's 联系手机: a call's number, or a number written in a note, that is
  some buyer's mobile (numbers compare after dropping +86, spaces and dashes);
- a masked number in a note (``138****5678``, ``尾号5678``): matched on its visible
  digits, and only when exactly one buyer fits;
- a buyer nick written in a note (``打电话给买家tb_9527xiaoyu``);
- a number written in a note beside exactly one buyer's nick (``致电买家tb_9527xiaoyu
  （138****5678）``): the staff tied the two, so a later note or call with that number is
  that buyer's, on the same terms as an order's number.

A note that names no buyer and no number (「09:35 再次致电买家，接通…」) is the call it
describes when exactly one call record of that direction (a bill's or a phone log's) lies
within minutes of it (:data:`extractor.structure.SAME_CALL_WINDOW`) and that call's
buyer is known: it joins that call, one event.  With two or more calls that near, it
stays unassigned with a warning naming them.

Anything else stays unassigned (``buyer`` None): kept, listed, never guessed; the user
may assign it by hand (``--assign``, :mod:`extractor.assign`).  A note
whose number fits several buyers, or whose nick and number disagree, is unassigned with
a warning that names the candidates.

One call often appears in several inputs: the carrier's bill, the phone's own log, and
the note staff wrote about it.  Records of the same call (same direction, same number or
buyer, starts within two minutes, from different files) become one event: the bill's
record leads (the carrier's record is the strongest evidence), the others' sources are
added, and a note's words are appended to the event's text.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Iterable

from .model import Event, ParseWarning, Source
from .structure import same_call

SAME_CALL_WINDOW = timedelta(minutes=2)
# A bill rounds durations its own way; a phone log counts from the first ring or the
# answer.  A few seconds apart is still the same call.
SAME_DURATION_TOLERANCE_S = 5
_MASK_CHARS_RE = re.compile(r"[*＊xX×]")
_ASCII_WORD = re.compile(r"[A-Za-z0-9_]")


# -- phone numbers -------------------------------------------------------------

@dataclass(frozen=True)
class PhoneNumber:
    """A number as digits, or the visible ends of a masked one (``138`` … ``5678``)."""

    digits: str | None   # the whole number when nothing is masked
    prefix: str = ""
    suffix: str = ""

    @property
    def masked(self) -> bool:
        return self.digits is None

    def fits(self, other: "PhoneNumber") -> bool:
        if not self.masked and not other.masked:
            return self.digits == other.digits
        if not self.masked or not other.masked:
            full, mask = (self, other) if not self.masked else (other, self)
            assert full.digits is not None
            return (len(full.digits) >= len(mask.prefix) + len(mask.suffix)
                    and full.digits.startswith(mask.prefix) and full.digits.endswith(mask.suffix))
        return ((self.prefix.startswith(other.prefix) or other.prefix.startswith(self.prefix))
                and (self.suffix.endswith(other.suffix) or other.suffix.endswith(self.suffix)))


def normalize_number(written: str | None) -> str | None:
    """Digits of a written number without the country code: ``+86 138-1234-5678`` →
    ``13812345678``; masked digits stay ``*``.  None when nothing number-like is left."""
    if not written:
        return None
    text = _MASK_CHARS_RE.sub("*", written.strip().replace("尾号", "*"))
    text = re.sub(r"[\s\-()（）.'\"=]", "", text)  # also Excel's ="…" and leading '

    if text.startswith("+"):
        text = text[1:]
        if text.startswith("86"):
            text = text[2:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13 and text[2] == "1":
        text = text[2:]
    return text if re.fullmatch(r"[\d*]+", text) and re.search(r"\d", text) else None


def parse_number(written: str | None) -> PhoneNumber | None:
    text = normalize_number(written)
    if text is None:
        return None
    if "*" not in text:
        return PhoneNumber(text)
    prefix = text[: text.index("*")]
    suffix = text[text.rindex("*") + 1:]
    # Fewer than four visible digits fit too many numbers to tell anyone apart.
    if len(prefix) + len(suffix) < 4:
        return None
    return PhoneNumber(None, prefix, suffix)


# -- who is who ------------------------------------------------------------------

class BuyerDirectory:
    """Buyers' mobile numbers (from order exports, and from notes that write one beside a
    buyer's nick) and nicks (from every input)."""

    def __init__(self, events: Iterable[Event], known_nicks: Iterable[str] = ()) -> None:
        self.by_digits: dict[str, set[str]] = {}
        self.masked: list[tuple[PhoneNumber, str]] = []
        self.nicks: set[str] = {n for n in known_nicks if _usable_nick(n)}
        for event in events:
            if event.buyer and event.kind not in ("call", "note") and _usable_nick(event.buyer):
                self.nicks.add(event.buyer)
            if event.kind == "order" and event.order and event.order.phone and event.buyer:
                number = parse_number(event.order.phone)
                if number is None:
                    continue
                if number.digits is not None:
                    self.by_digits.setdefault(number.digits, set()).add(event.buyer)
                else:
                    self.masked.append((number, event.buyer))
        self.longest_nick = max((len(n) for n in self.nicks), default=0)

    def learn_from_notes(self, events: Iterable[Event]) -> None:
        """Numbers that notes write beside one buyer's nick (and no other buyer's number)."""
        ties = []
        for event in events:
            if event.kind != "note" or event.call is None or event.buyer:
                continue
            number = parse_number(event.call.number)
            if number is None:
                continue
            resolution = resolve(event, self)
            if resolution.buyer is not None and len(self.nicks_in(event.text)) == 1:
                ties.append((number, resolution.buyer))
        for number, buyer in ties:  # after the loop: what one note taught does not vouch for another
            if number.digits is not None:
                self.by_digits.setdefault(number.digits, set()).add(buyer)
            else:
                self.masked.append((number, buyer))

    def buyers_of(self, number: PhoneNumber) -> set[str]:
        """Buyers whose number this is; a masked number (on either side) is matched on
        its visible digits, the full number first."""
        if number.digits is not None and number.digits in self.by_digits:
            return set(self.by_digits[number.digits])
        found = {b for n, b in self.masked if n.fits(number)}
        if number.masked:
            found |= {b for d, buyers in self.by_digits.items()
                      if number.fits(PhoneNumber(d)) for b in buyers}
        return found

    def nicks_in(self, text: str) -> set[str]:
        """Known nicks written in ``text`` (a nick inside a longer one found counts once)."""
        found: set[str] = set()
        for i in range(len(text)):
            for j in range(i + 2, min(len(text), i + self.longest_nick) + 1):
                nick = text[i:j]
                if nick in self.nicks and not _glued(text, i, j):
                    found.add(nick)
        return {n for n in found if not any(n != m and n in m for m in found)}


def _usable_nick(nick: str) -> bool:
    return len(nick) >= 2 and "*" not in nick and nick != "账号信息保护显示"


def _glued(text: str, start: int, end: int) -> bool:
    """An ASCII nick inside a longer ASCII word (tb_lin8866 in tb_lin88667) is not it."""
    before = start > 0 and _ASCII_WORD.match(text[start - 1]) and _ASCII_WORD.match(text[start])
    after = end < len(text) and _ASCII_WORD.match(text[end]) and _ASCII_WORD.match(text[end - 1])
    return bool(before or after)


@dataclass(frozen=True)
class Resolution:
    buyer: str | None
    problem: str | None = None  # why the event stays unassigned although someone fits


def resolve(event: Event, directory: BuyerDirectory) -> Resolution:
    """The buyer a call or note is about, from its number and (for notes) a nick."""
    if event.buyer:
        return Resolution(event.buyer)
    written = event.call.number if event.call else None
    number = parse_number(written)
    by_number = directory.buyers_of(number) if number else set()
    by_nick = directory.nicks_in(event.text) if event.kind == "note" else set()
    if by_nick:
        if len(by_nick) == 1:
            (nick,) = by_nick
            if by_number and nick not in by_number:
                return Resolution(None, f"the note names {nick} but {written} is the number of "
                                        f"{_names(by_number)}: left unassigned")
            return Resolution(nick)
        both = by_nick & by_number
        if len(both) == 1:
            return Resolution(both.pop())
        return Resolution(None, f"the note names several buyers ({_names(by_nick)}): left unassigned")
    if len(by_number) == 1:
        return Resolution(by_number.pop())
    if len(by_number) > 1:
        what = "masked number" if number and number.masked else "number"
        return Resolution(None, f"{what} {written} fits several buyers ({_names(by_number)}): "
                                "left unassigned")
    return Resolution(None)


def _names(buyers: set[str]) -> str:
    return ", ".join(sorted(buyers))


# -- one call, several records ----------------------------------------------------

def _rank(event: Event) -> int:
    """Which record of a call leads: the carrier's bill, then the phone's log, then any
    other call record (a timeline read back), and a note never."""
    fmt = event.source.format
    return 0 if "bill" in fmt else 1 if fmt == "android-calls-xml" else 2


def _files(event: Event) -> set[str]:
    return {s.file for s in event.all_sources()}


class _Call:
    """A call being assembled from its records."""

    def __init__(self, lead: Event, buyer: str | None) -> None:
        self.lead = lead
        self.buyer = buyer
        self.others: list[Event] = []
        self.notes: list[Event] = []
        self.files = _files(lead)
        self.number = parse_number(lead.call.number if lead.call else None)

    def same_duration(self, event: Event) -> bool:
        a = self.lead.call.duration_s if self.lead.call else None
        b = event.call.duration_s if event.call else None
        return a is None or b is None or abs(a - b) <= SAME_DURATION_TOLERANCE_S

    def event(self) -> Event:
        sources: list[Source] = list(self.lead.all_sources())
        for other in self.others + self.notes:
            sources.extend(s for s in other.all_sources() if s not in sources)
        if not self.others and not self.notes:
            return replace(self.lead, buyer=self.buyer)
        notes = sorted(self.notes, key=lambda e: e.time)
        return replace(
            self.lead,
            buyer=self.buyer,
            sender=self.lead.sender or next((n.sender for n in notes if n.sender), None),
            text="\n".join([self.lead.text] + [n.text for n in notes]),
            sources=tuple(sources),
        )


def _merge_call_records(calls: list[tuple[Event, Resolution]]) -> list[_Call]:
    """Group bill and log records of the same call: same direction and number, from
    different files, starts within the window, durations alike."""
    by_key: dict[tuple[str, str], list[_Call]] = {}
    assembled: list[_Call] = []
    for event, res in sorted(calls, key=lambda c: _rank(c[0])):
        number = parse_number(event.call.number if event.call else None)
        key = (event.call.direction, number.digits) if event.call and number and number.digits else None
        match = None
        if key is not None:
            candidates = [c for c in by_key.get(key, [])
                          if abs(c.lead.time - event.time) <= SAME_CALL_WINDOW
                          and not (c.files & _files(event)) and c.same_duration(event)]
            match = min(candidates, key=lambda c: abs(c.lead.time - event.time), default=None)
        if match is None:
            call = _Call(event, res.buyer)
            assembled.append(call)
            if key is not None:
                by_key.setdefault(key, []).append(call)
        else:
            match.others.append(event)
            match.files |= _files(event)
            match.buyer = match.buyer or res.buyer
    return assembled


def _attach_notes(calls: list[_Call], notes: list[tuple[Event, Resolution]]) -> list[tuple[Event, Resolution]]:
    """Put each note on the record of the call it describes; return the notes left over."""
    calls_by_time = sorted(calls, key=lambda c: c.lead.time)
    times = [c.lead.time for c in calls_by_time]
    left: list[tuple[Event, Resolution]] = []
    for note, res in notes:
        assert note.call is not None
        number = parse_number(note.call.number)
        lo = bisect.bisect_left(times, note.time - SAME_CALL_WINDOW)
        hi = bisect.bisect_right(times, note.time + SAME_CALL_WINDOW)
        candidates = []
        for call in calls_by_time[lo:hi]:
            if call.lead.call is None or call.lead.call.direction != note.call.direction:
                continue
            if note.source.file in call.files:
                continue
            same_number = number is not None and call.number is not None and number.fits(call.number)
            same_buyer = res.buyer is not None and res.buyer == call.buyer
            disagree = res.buyer is not None and call.buyer is not None and res.buyer != call.buyer
            if (same_number or same_buyer) and not disagree:
                candidates.append(call)
        call = min(candidates, key=lambda c: abs(c.lead.time - note.time), default=None)
        if call is None and number is None and res.buyer is None and not res.problem:
            call, res = _nearby_call(calls_by_time, note, res)
        if call is None:
            left.append((note, res))
            continue
        call.notes.append(note)
        call.files |= _files(note)
        call.buyer = call.buyer or res.buyer
    return left


def _nearby_call(calls: list[_Call], note: Event, res: Resolution) -> tuple[_Call | None, Resolution]:
    """The call a note without nick or number describes: the one call record of its
    direction within minutes of it, when that call's buyer is known.  Two or more such
    calls: none, and a problem naming them."""
    assert note.call is not None
    near = [c for c in calls if c.lead.call is not None and c.lead.call.direction == note.call.direction
            and note.source.file not in c.files and same_call(note, c.lead)]
    if len(near) == 1:
        return (near[0], res) if near[0].buyer is not None else (None, res)
    if len(near) > 1 and any(c.buyer for c in near):
        listed = "; ".join(f"{c.lead.time:%H:%M:%S} with {c.buyer or 'an unknown number'} "
                           f"({c.lead.source.where()})" for c in sorted(near, key=lambda c: c.lead.time))
        return None, Resolution(None, f"the note names no buyer and no number, and {len(near)} calls are "
                                      f"within minutes of it ({listed}): left unassigned")
    return None, res


def _warning(event: Event, reason: str) -> ParseWarning:
    s = event.source
    return ParseWarning(s.file, reason, s.line, s.row, s.page)


def join_calls(events: list[Event], known_nicks: Iterable[str] = ()) -> tuple[list[Event], list[ParseWarning]]:
    """Events with calls and notes joined to buyers and one call's records made one
    event; the warnings belong to the files of the calls and notes left unassigned.
    ``known_nicks`` adds buyers whose events are not passed in (a batch passes only the
    orders, calls and notes, and names the chat buyers here)."""
    directory = BuyerDirectory(events, known_nicks)
    directory.learn_from_notes(events)
    calls: list[tuple[Event, Resolution]] = []
    notes: list[tuple[Event, Resolution]] = []
    others: list[Event] = []
    for event in events:
        if event.call is not None and event.kind == "call":
            calls.append((event, resolve(event, directory)))
        elif event.call is not None and event.kind == "note":
            notes.append((event, resolve(event, directory)))
        else:
            others.append(event)

    assembled = _merge_call_records(calls)
    lone_notes = _attach_notes(assembled, notes)

    warnings: list[ParseWarning] = []
    problems = {id(e): r.problem for e, r in calls + notes if r.problem}
    out = list(others)
    for call in assembled:
        joined = call.event()
        out.append(joined)
        if joined.buyer is None:
            for record in [call.lead] + call.others + call.notes:
                if id(record) in problems:
                    warnings.append(_warning(record, problems[id(record)]))
    for note, res in lone_notes:
        out.append(replace(note, buyer=res.buyer))
        if res.problem:
            warnings.append(_warning(note, res.problem))
    return out, warnings
