"""What the chat-export parsers share: timestamps, a message being collected line by
line, system notices, splitting ``SENDER: TEXT``, and the buyer key of each message.

The buyer key rule (issue 2): the export's own 消息对象 / 客户 / 客户名 when it has one;
else the single non-seller party of the file; when a file without such a header has
several non-seller senders, each buyer message belongs to its sender and every other
message to the buyer of the nearest preceding buyer message, with a warning where that
cannot be decided.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Iterable, Sequence

from ..errors import FormatError
from ..i18n import N_, said
from ..model import Event
from ..roles import is_system_line
from .base import ParseContext, plausible_year

# Senders are account names: short.  Bounding them keeps every regex linear on a
# hostile multi-megabyte line.
MAX_SENDER = 64

DATE_RE = r"(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})"
TIME_RE = r"(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2})"
BARE_DATE_RE = re.compile(r"^\s*(?P<y>\d{4})[-/](?P<mo>\d{1,2})[-/](?P<d>\d{1,2})\s*$")
SHOP_SUFFIX_RE = re.compile(r"(店|旗舰店|专营店|专卖店|企业店|官方店)$")


def excerpt(text: str, limit: int = 40) -> str:
    """A short quote of a line for a warning (a 5 MB line must not become a 5 MB warning)."""
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "…"


def naive_time(parts: dict[str, str]) -> datetime | None:
    """A datetime from regex groups y/mo/d/h/mi/s, or None when it is no real date (or
    lies outside the years an export can hold)."""
    try:
        moment = datetime(int(parts["y"]), int(parts["mo"]), int(parts["d"]),
                          int(parts["h"]), int(parts["mi"]), int(parts["s"]))
    except (ValueError, KeyError, TypeError):
        return None
    return moment if plausible_year(moment.year) else None


# Platform notices are one short line; a longer line is a message's text even when it
# happens to start with 由 or end with 撤回了一条消息.
MAX_NOTICE = 200


def is_notice(line: str) -> bool:
    """A line with no sender of its own that stands for an event of the platform:
    由 A 转交给 B, NICK 撤回了一条消息, 当前用户来自…, 系统提示…"""
    return len(line) <= MAX_NOTICE and is_system_line(line)


def strip_blank_edges(lines: Sequence[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return list(lines[start:end])


@dataclass(frozen=True)
class Draft:
    """An event and whether its buyer key came from the export itself (a header or a
    客户名 cell) rather than from the senders."""

    event: Event
    keyed: bool


class ChatCollector:
    """Collects a chat sheet's events in file order and settles buyer keys at the end
    (the text formats read through chat_guard.Thread, which can still fold a forged
    line back into the message it was typed in)."""

    def __init__(self, ctx: ParseContext) -> None:
        self.ctx = ctx
        self.drafts: list[Draft] = []
        self.last_time: datetime | None = None

    def add(self, event: Event, *, keyed: bool) -> None:
        self.drafts.append(Draft(event, keyed))
        self.last_time = event.time

    def finish(self, what: str) -> list[Event]:
        """The events with buyer keys; FormatError when the file held no message."""
        if not self.drafts:
            # what: a msgid marked where it is named (N_), said in the language spoken
            raise FormatError(N_("{file}: no chat message found in this {what}"), file=self.ctx.file.label,
                              what=said(what))
        return assign_buyers(self.drafts, self.ctx)


def assign_buyers(drafts: Sequence[Draft], ctx: ParseContext) -> list[Event]:
    unkeyed = [d.event for d in drafts if not d.keyed]
    parties = list(dict.fromkeys(e.sender for e in unkeyed if e.role == "buyer" and e.sender))
    if len(parties) == 1:
        only = parties[0]
        return [d.event if d.keyed else replace(d.event, buyer=only) for d in drafts]
    if not parties:
        if unkeyed:
            first = unkeyed[0].source
            ctx.warn("no buyer in this file (no 消息对象/客户 header and every sender is a seller or "
                     f"the system): {len(unkeyed)} events have no buyer key",
                     line=first.line, row=first.row, page=first.page)
        return [d.event for d in drafts]
    out: list[Event] = []
    current: str | None = None
    names = ", ".join(parties[:5]) + ("…" if len(parties) > 5 else "")
    for draft in drafts:
        event = draft.event
        if draft.keyed:
            out.append(event)
            continue
        if event.role == "buyer" and event.sender:
            current = event.sender
            out.append(replace(event, buyer=current))
            continue
        if current is None:
            src = event.source
            ctx.warn(f"cannot tell which buyer this message is for: it comes before any buyer "
                     f"message and the file has several buyers ({names})",
                     line=src.line, row=src.row, page=src.page)
        out.append(replace(event, buyer=current))
    return out


class KnownSenders:
    """Sender names met so far in a file (header nick, --shop/--staff, earlier lines).

    A line is checked once per distinct name length, longest first, rather than once per
    name: a hostile file with 20,000 distinct senders must not make each line cost
    20,000 comparisons (senders read from lines are at most MAX_SENDER long, so there
    are few distinct lengths)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._names: set[str] = set()
        self._lengths: list[int] = []
        for name in names:
            self.add(name)

    def add(self, name: str) -> None:
        if name and name not in self._names:
            self._names.add(name)
            if len(name) not in self._lengths:
                self._lengths.append(len(name))
                self._lengths.sort(reverse=True)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def prefix_of(self, rest: str) -> int | None:
        """The length of the longest known sender that starts ``rest`` and is followed
        by a colon, or None."""
        for length in self._lengths:
            if rest[length:length + 1] in (":", "：") and rest[:length] in self._names:
                return length
        return None


def split_sender_text(rest: str, known: KnownSenders, ctx: ParseContext) -> tuple[str, str] | None:
    """Split ``SENDER: TEXT`` where SENDER may itself be ``店铺名:子账号``.

    In order: the longest sender already known followed by a colon; the first colon
    followed by a space (exports write ``SENDER: TEXT``); two colons whose first part
    names a shop; the first colon.
    """
    colon = known.prefix_of(rest)
    if colon is not None:
        return rest[:colon], _drop_one_space(rest[colon + 1:])
    window = rest[:MAX_SENDER + 2]
    spaced = re.search(r"[:：] ", window)
    if spaced and spaced.start() > 0 and not re.search(r"\s", window[:spaced.start()]):
        return window[:spaced.start()], rest[spaced.end():]
    colons = [i for i, ch in enumerate(window) if ch in ":："]
    colons = [i for i in colons if i > 0 and not re.search(r"\s", window[:i])]
    if len(colons) >= 2:
        shop = window[:colons[0]]
        if SHOP_SUFFIX_RE.search(shop) or shop in ctx.roles.shop:
            return window[:colons[1]], _drop_one_space(rest[colons[1] + 1:])
    if colons:
        return window[:colons[0]], _drop_one_space(rest[colons[0] + 1:])
    return None


def _drop_one_space(text: str) -> str:
    return text[1:] if text.startswith(" ") else text


def head_lines(text: str, limit: int = 40) -> list[str]:
    """The first non-blank lines of a decoded head, stripped, for sniffing."""
    out: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip().lstrip("\ufeff")
        if line:
            out.append(line)
            if len(out) >= limit:
                break
    return out
