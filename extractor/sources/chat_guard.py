"""Lines a buyer typed in the form of the export's own structure.

A chat export is text, and the text of a message is written by the other side.  A buyer
can send a message whose second line reads exactly like a line of the export itself: a
seller's message header with a time of the buyer's choosing, the header block of another
contact, a platform notice.  Read naively, that line becomes an event of its own (a
backdated shipping promise of the seller, every later message moved into another buyer's
case, 卖家已同意退款 as a system event).

Every text chat format reads through a :class:`Thread` here, which takes a line in the
form of a header as a new event only when it is consistent with the file around it:

- **time**: exports are in time order, so a header is not earlier than the message
  before it.  A header *later* than the message after it is caught too: when a header
  is earlier than the seller's message before it, and that message (or the run of
  seller and system events it ends) came right after a buyer's message and is later
  than the new header, it is that run which is out of place (a forward-dated line the
  buyer typed), not the new header.
- **parties**: the sender is a party of this conversation.  A seller account is one
  already seen, one of ``--shop`` / ``--staff``, or a first account of the same shop
  (``店铺名:`` prefix) as the accounts seen; an account of another shop is not.  A
  non-seller other than the conversation's buyer is not a party when the line cuts a
  buyer's message in a one-to-one conversation (a group chat, or a file already holding
  several buyers, such as two chat windows pasted together, has no single buyer).
- **notices** (sender-less lines): a transfer ``由 A 转交给 B`` hands the buyer over from
  the account serving the conversation, to an account of the shop; a recall names a
  party; a ``系统提示…`` / ``系统提醒…`` line never sits inside a buyer's message.
- **conversation headers** (a new ``消息对象`` / ``对象`` / ``客户`` block after messages):
  the buyer of the conversation it would end does not write again before a header that
  reopens that buyer's conversation (:class:`Rejoinders`): in a one-to-one export every
  message of a buyer after a header for someone else would otherwise be misfiled.

A line that fails stays part of the message it was typed in, verbatim; that event is
flagged ``forged_header`` and the file gets a warning naming the line and the reason.
What text alone cannot tell, and no check here claims to: a forged line that is in time
order and names a real party of the conversation (SECURITY.md).

Everything is linear in the input: each check is O(1) or a dictionary look-up, an event
is folded into another at most once, and :class:`Rejoinders` answers by bisection.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Sequence

from ..errors import FormatError
from ..i18n import N_, said
from ..model import Event, Source
from ..roles import SYSTEM_PREFIXES, shop_of, shoplike, transfer_parties
from .base import ParseContext
from .chat_common import Draft, assign_buyers, excerpt, strip_blank_edges

FORGED = "forged_header"
RECALL = "撤回了一条消息"
# Notices that are free text: nothing in them can be checked, so they are taken only
# where a buyer cannot have typed them (当前用户来自 is the platform's own session line
# and says nothing either side could use).
FREE_NOTICE_PREFIXES = tuple(p for p in SYSTEM_PREFIXES if p != "当前用户来自")


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


@dataclass(eq=False)
class Entry:
    """One event being read: a message (its text lines still growing) or a notice.

    ``raw`` is every line of the entry as the file has it (the structure lines read
    just before its header, the header, its text), so that the entry can be folded back
    into the message it was typed in."""

    kind: str  # "message" | "notice"
    sender: str | None
    role: str
    time: datetime
    source: Source
    buyer: str | None
    where: str
    lines: list[Any]
    raw: list[Any]
    # Accepted while a buyer's message was the latest event (or a suspect event was):
    # text alone cannot vouch for it.
    suspect: bool = False
    # Index of the latest non-suspect-seller event below the run this one belongs to.
    base: int = -1
    # Index of the latest message at or below this entry (notices are transparent).
    message_at: int = -1
    forged: bool = False
    undo: tuple = ()
    # Format-specific state (the web page keeps its sender line here).
    extra: dict = field(default_factory=dict)

    @property
    def in_run(self) -> bool:
        return self.suspect and self.role != "buyer"


def describe(role: str, sender: str | None) -> str:
    """What a header line claims to be, for a warning."""
    if role == "seller":
        return "a seller message header"
    if role == "system":
        return "a system message header"
    return f"a message header of {sender}"


def describe_notice(text: str) -> str:
    stripped = text.strip()
    if transfer_parties(stripped):
        return "a transfer notice"
    if stripped.endswith(RECALL):
        return "a recall notice"
    return "a system notice"


class Conversation:
    """Who takes part in one conversation, as far as the file has shown so far."""

    def __init__(self, ctx: ParseContext, buyer: str | None = None, group: bool = False,
                 previous: "Conversation | None" = None) -> None:
        self.roles = ctx.roles
        self.buyer = buyer
        self.group = group
        # Counts, so that an event folded back into another can be taken out again.
        self.nonsellers: dict[str, int] = {}
        # The shop's accounts carry over from one contact of an export to the next.
        self.accounts: dict[str, int] = dict(previous.accounts) if previous else {}
        self.shops: dict[str, int] = dict(previous.shops) if previous else {}
        self.given_shops = frozenset(self.roles.shop)
        self.given_accounts = frozenset(self.roles.staff) | self.given_shops
        # The account serving the buyer now: the seller who wrote last, or the account a
        # transfer handed the buyer to.
        self.serving: str | None = None

    # -- who is a party ------------------------------------------------------------
    def _shop_known(self) -> bool:
        return bool(self.shops or self.given_shops)

    def seller_problem(self, name: str) -> str | None:
        if name in self.accounts or name in self.given_accounts:
            return None
        shop = shop_of(name)
        if shop is not None and (shop in self.shops or shop in self.given_shops):
            return None  # a first message of another sub-account of the same shop
        if shop is None and name in self.shops:
            return None  # the shop's main account, written without a sub-account
        if not self._shop_known():
            return None  # the first seller account of the file
        shops = sorted(set(self.shops) | self.given_shops)
        return (f"{name} is not an account of this conversation's shop "
                f"({', '.join(shops[:3])}{'…' if len(shops) > 3 else ''})")

    def single_buyer(self) -> str | None:
        """The one buyer of a one-to-one conversation (the header's nick, or the one
        non-seller seen), or None: no buyer yet, a group chat, or several buyers."""
        if self.group:
            return None
        count = len(self.nonsellers)
        if self.buyer is None:
            return next(iter(self.nonsellers)) if count == 1 else None
        if count == 0 or (count == 1 and self.buyer in self.nonsellers):
            return self.buyer
        return None

    def sender_problem(self, sender: str, role: str, after: str | None) -> str | None:
        if role == "system":
            return None
        if role == "seller":
            return self.seller_problem(sender)
        if sender in self.shops or sender in self.given_accounts:
            return None
        only = self.single_buyer()
        if only is None or sender == only or after != "buyer":
            return None
        hint = f"; if {sender} is the shop's main account, run again with --shop {sender}" if shoplike(sender) else ""
        return f"{sender} is not a party of this conversation (its buyer is {only}){hint}"

    def notice_problem(self, text: str, after: str | None, *, bare: bool) -> str | None:
        """Why a platform notice cannot be where it is, or None.  ``bare``: a line of
        its own without a sender and a time (not the text of a 系统提示 header)."""
        stripped = text.strip()
        transfer = transfer_parties(stripped)
        if transfer is not None:
            source, target = transfer
            if self.serving is not None and source != self.serving:
                return (f"it hands the buyer over from {source}, but the account serving this "
                        f"conversation is {self.serving}")
            if self.serving is not None and self.roles.is_seller(target):
                return self.seller_problem(target)
            if self.serving is not None and target not in self.accounts and target not in self.given_accounts:
                return f"{target} is not an account of this conversation's shop"
            return None
        head, sep, tail = stripped.rpartition(RECALL)
        if sep and not tail:
            nick = head.strip()
            return self.sender_problem(nick, self.roles.role_of(nick), after)
        if bare and after == "buyer" and stripped.startswith(FREE_NOTICE_PREFIXES):
            return "a platform notice is never a line inside a buyer's message in this export"
        return None

    # -- what an accepted event teaches -------------------------------------------------
    def learn(self, sender: str | None, role: str, text: str | None) -> tuple:
        """Record an accepted event; returns what to hand to :meth:`forget`."""
        previous_serving = self.serving
        added: list[tuple[dict, str]] = []

        def count(table: dict[str, int], key: str) -> None:
            table[key] = table.get(key, 0) + 1
            added.append((table, key))

        if sender is not None and role == "seller":
            count(self.accounts, sender)
            shop = shop_of(sender)
            if shop is not None:
                count(self.shops, shop)
            self.serving = sender
        elif sender is not None and role == "buyer":
            count(self.nonsellers, sender)
        if text is not None:
            transfer = transfer_parties(text.strip())
            if transfer is not None:
                self.serving = transfer[1]
        return (previous_serving, tuple(added))

    def forget(self, undo: tuple) -> None:
        if not undo:
            return
        previous_serving, added = undo
        for table, key in added:
            table[key] -= 1
            if not table[key]:
                del table[key]
        self.serving = previous_serving


class Rejoinders:
    """Where each buyer writes in a file, and where a conversation header names them:
    read once before the parse, so that a conversation header met in the middle of a
    file can be checked against what follows it.

    A buyer's message counts as writing only when it follows a seller's or system line,
    the same buyer's message or a conversation header: a line in the form of X's
    header inside another buyer's message (which the parse rejects anyway) must not make
    X look like a party of that buyer's conversation."""

    def __init__(self) -> None:
        self.writes: dict[str, list[int]] = {}
        self.headers: dict[str, list[int]] = {}
        self._last: tuple[str, str] | None = None

    def header(self, index: int, nick: str | None) -> None:
        if nick:
            self.headers.setdefault(nick, []).append(index)
        self._last = None

    def writer(self, index: int, name: str, role: str) -> None:
        last = self._last
        self._last = (name, role)
        if role != "buyer":
            return
        if last is not None and last[1] == "buyer" and last[0] != name:
            return
        self.writes.setdefault(name, []).append(index)

    def writes_again(self, name: str, after: int) -> int | None:
        """The index where ``name`` next writes after ``after``, unless a conversation
        header for ``name`` comes first (its own conversation, later in the file)."""
        writes = self.writes.get(name)
        if not writes:
            return None
        i = bisect_right(writes, after)
        if i == len(writes):
            return None
        again = writes[i]
        headers = self.headers.get(name, ())
        j = bisect_right(headers, after)
        if j < len(headers) and headers[j] < again:
            return None
        return again


class Thread:
    """The events of one file in file order, each still open to have a forged line (or
    a forged event) folded into it until the file is read."""

    def __init__(self, ctx: ParseContext) -> None:
        self.ctx = ctx
        self.entries: list[Entry] = []
        self.floor = 0  # entries below belong to earlier conversations
        self.open: Entry | None = None  # the entry continuation lines go to
        self.conversation = Conversation(ctx)

    # -- state ----------------------------------------------------------------------
    @property
    def top(self) -> Entry | None:
        return self.entries[-1] if len(self.entries) > self.floor else None

    @property
    def last_time(self) -> datetime | None:
        return self.entries[-1].time if self.entries else None

    def after_role(self) -> str | None:
        """Role of the latest message of this conversation (notices are transparent)."""
        top = self.top
        if top is None or top.message_at < self.floor:
            return None
        return self.entries[top.message_at].role

    def new_conversation(self, buyer: str | None, group: bool = False) -> None:
        self.floor = len(self.entries)
        self.open = None
        self.conversation = Conversation(self.ctx, buyer, group, self.conversation)

    # -- judging ----------------------------------------------------------------------
    def judge(self, sender: str | None, role: str, time: datetime | None, text: str | None = None,
              *, bare: bool = False, pop: bool = True) -> str | None:
        """Why an event with this sender, time and text cannot come next, or None.

        May fold the run of events before it back into the buyer's message they were
        typed in, when it is that run whose time is out of place (a forward-dated line)."""
        top = self.top
        if top is None:
            return None
        after = self.after_role()
        run_base: Entry | None = None
        if time is not None and time < top.time:
            base = self.entries[top.base] if top.in_run and top.base >= self.floor else None
            if base is None or time < base.time:
                return f"its time {stamp(time)} is earlier than that of the event before it ({stamp(top.time)}, {top.where})"
            run_base = base
        if sender is not None:
            problem = self.conversation.sender_problem(sender, role, after)
            if problem is not None:
                return problem
        if text is not None:
            problem = self.conversation.notice_problem(text, after, bare=bare)
            if problem is not None:
                return problem
        if run_base is not None and pop:
            self._fold_later_than(time)
        return None

    def judge_message(self, sender: str, time: datetime, text: str | None = None) -> str | None:
        role = self.ctx.roles.role_of(sender)
        return self.judge(sender, role, self.ctx.localize(time), text if role == "system" else None)

    def judge_notice(self, text: str) -> str | None:
        return self.judge(None, "system", None, text, bare=True)

    def _fold_later_than(self, time: datetime) -> None:
        """Fold the events of the run on top that are later than ``time`` into the event
        below them (they were typed inside it), oldest first."""
        popped: list[Entry] = []
        while (len(self.entries) > self.floor + 1 and self.entries[-1].in_run
               and self.entries[-1].time > time):
            popped.append(self.entries.pop())
        if not popped:
            return
        for entry in popped:
            self.conversation.forget(entry.undo)
        target = self.entries[-1]
        for entry in reversed(popped):
            if entry.kind == "message":
                what = describe(entry.role, entry.sender)
                why = f"its time {stamp(entry.time)} is later than that of the event after it ({stamp(time)})"
            else:
                what = describe_notice(self._notice_text(entry))
                why = (f"it follows a line dated {stamp(entry.time)}, later than the event after it "
                       f"({stamp(time)})")
            self._warn_kept(entry.where, what, why, target, entry.source)
            self.merge(target, entry)
        target.forged = True
        if any(entry is self.open for entry in popped):
            self.open = target

    def _warn_kept(self, where: str, what: str, why: str, target: Entry, source: Source) -> None:
        owner = f"the message from {target.sender}" if target.kind == "message" else "the notice"
        self.ctx.warn(f"{where} has the form of {what} but {why}: kept as part of {owner} at "
                      f"{target.where}, marked suspicious",
                      line=source.line, row=source.row, page=source.page)

    # -- adding -------------------------------------------------------------------------
    def _push(self, entry: Entry, text: str | None) -> Entry:
        below = self.top
        if below is not None:
            entry.suspect = below.role == "buyer" or below.suspect
            entry.base = below.base if below.in_run else len(self.entries) - 1
            entry.message_at = below.message_at
        if entry.kind == "message":
            entry.message_at = len(self.entries)
        entry.undo = self.conversation.learn(entry.sender, entry.role, text)
        self.entries.append(entry)
        return entry

    def push_message(self, sender: str, time: datetime, source: Source, lines: list[Any], buyer: str | None,
                     where: str, raw: list[Any], *, text: str | None = None, extra: dict | None = None) -> Entry:
        role = self.ctx.roles.role_of(sender)
        entry = Entry("message", sender, role, self.ctx.localize(time), source, buyer, where, lines, raw,
                      extra=extra or {})
        self._push(entry, text if role == "system" else None)
        self.open = entry
        return entry

    def push_notice(self, text: str, source: Source, buyer: str | None, where: str, raw: list[Any]) -> bool:
        """A sender-less platform line, timed at the previous event.  Returns False (and
        warns) when no event precedes it, so there is no time to give it."""
        if self.last_time is None:
            self.ctx.warn(f"system notice before any message, so it has no time: {excerpt(text)!r}",
                          line=source.line, row=source.row, page=source.page)
            return False
        entry = Entry("notice", None, "system", self.last_time, source, buyer, where,
                      [text.strip()], raw)
        self._push(entry, text)
        self.open = None
        return True

    def reject(self, raw: Sequence[Any], where: str, what: str, why: str, source: Source) -> Entry:
        """Keep lines that failed a check as text of the event they were typed in."""
        target = self.top
        assert target is not None, "a line is judged only when an event precedes it"
        self._warn_kept(where, what, why, target, source)
        self.extend(target, raw)
        target.forged = True
        self.open = target
        return target

    # -- format hooks -----------------------------------------------------------------------
    def extend(self, target: Entry, raw: Sequence[Any]) -> None:
        target.lines.extend(raw)
        target.raw.extend(raw)

    def merge(self, target: Entry, entry: Entry) -> None:
        self.extend(target, entry.raw)

    def _notice_text(self, entry: Entry) -> str:
        return entry.lines[0] if entry.lines else ""

    def text_of(self, entry: Entry) -> str:
        return "\n".join(strip_blank_edges(entry.lines))

    def event_of(self, entry: Entry) -> Event:
        text = self.text_of(entry)
        if entry.kind == "notice":
            event = Event(time=entry.time, role="system", kind="system", sender=None, buyer=entry.buyer,
                          text=text, source=entry.source)
        else:
            event = self.ctx.message(time=entry.time, sender=entry.sender, text=text, buyer=entry.buyer,
                                     source=entry.source)
        return replace(event, flags=(*event.flags, FORGED)) if entry.forged else event

    # -- the end ------------------------------------------------------------------------------
    def finish(self, what: str) -> list[Event]:
        """The events with buyer keys; FormatError when the file held no message."""
        if not self.entries:
            # what: a msgid marked where it is named (N_), said in the language spoken
            raise FormatError(N_("{file}: no chat message found in this {what}"), file=self.ctx.file.label,
                              what=said(what))
        drafts = [Draft(self.event_of(e), e.buyer is not None) for e in self.entries]
        return assign_buyers(drafts, self.ctx)
