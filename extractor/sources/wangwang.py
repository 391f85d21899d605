"""AliWangwang / Qianniu desktop exports (消息管理器 → 导出消息记录), layouts A and B.

Layout A::

    ================================================================
    消息记录（此消息记录为文本格式，不支持重新导入）
    ================================================================
    单聊
    ================================================================
    消息对象:tb_9527xiaoyu
    ================================================================
    悦颜美妆旗舰店:小雅(2022-06-24 10:02:13): 亲，您好
    浙江省杭州市西湖区文三路XX号                       <- continues the message above
    ----------------------------------------------------------------   <- session rule

Layout B (older exports)::

    消息记录
    对象: tb_9527xiaoyu
    即时消息
    2022-06-24 10:02:13 悦颜美妆旗舰店:小雅: 亲，您好
    2022-06-27                                          <- a bare date closes the block

Both read through :class:`~extractor.sources.chat_guard.Thread`: a line inside a message
in the form of a header (a message header, a ``----`` / ``====`` rule, a header block, a
closing date line, a platform notice) is taken as structure only when it is consistent
with the file around it, else it stays text of the message, flagged (chat_guard.py).
Rules, header blocks and closing dates met after a message are therefore *held* until
the next line that is not structure shows whether they were the export's or the
buyer's.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Iterator

from ..i18n import N_
from ..model import Event
from .base import InputFile, ParseContext, SourceFormat, register
from .chat_common import (
    DATE_RE,
    MAX_SENDER,
    TIME_RE,
    KnownSenders,
    excerpt,
    head_lines,
    is_notice,
    naive_time,
    split_sender_text,
)
from .chat_guard import Rejoinders, Thread, describe, describe_notice

EQ_RULE_RE = re.compile(r"^\s*={5,}\s*$")
DASH_RULE_RE = re.compile(r"^\s*-{5,}\s*$")
TITLE_RE = re.compile(r"^\s*消息记录")
CHAT_KIND_RE = re.compile(r"^\s*(单聊|群聊)\s*$")
# The nick is "(?:.*\S)?" rather than a lazy ".*?" before "\s*$": the lazy form retries
# the trailing blanks at every position, quadratic on a line with a long run of spaces.
OBJECT_RE = re.compile(r"^\s*(?:消息)?对象\s*[:：]\s*(?P<nick>(?:.*\S)?)\s*$")
BROKEN_OBJECT_RE = re.compile(r"^\s*(?:消息)?对象(?!\s*[:：])")
A_MESSAGE_RE = re.compile(
    r"^(?P<sender>[^\s(（][^\n]{0,%d}?)\s?[(（]%s[ T]%s[)）]\s?[:：] ?(?P<text>.*)$"
    % (MAX_SENDER - 1, DATE_RE, TIME_RE)
)
B_INSTANT_RE = re.compile(r"^\s*即时消息\s*$")
B_MESSAGE_RE = re.compile(r"^%s\s+%s\s+(?P<rest>\S.*)$" % (DATE_RE, TIME_RE))
B_DATE_RE = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}\s*$")


@register
class WangwangLayoutA(SourceFormat):
    NAME = "wangwang-a"
    DESCRIPTION = "Wangwang/Qianniu desktop export, layout A (==== header, SENDER(time): text)"
    PRIORITY = 30

    def sniff(self, file: InputFile) -> bool:
        lines = head_lines(file.head_text)
        if any(B_INSTANT_RE.match(line) for line in lines[:6]):
            return False
        messages = [i for i, line in enumerate(lines) if A_MESSAGE_RE.match(line)]
        if not messages:
            return False
        header = any(EQ_RULE_RE.match(line) or OBJECT_RE.match(line) for line in lines[:12])
        # Without the header block (a user trimmed it) the message lines themselves must
        # open the file, so that a quoted line inside another export is not enough.
        return header or (messages[0] == 0 and len(messages) >= 2)

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:
        yield from _LayoutA(file, ctx).run()


class _Export:
    """What layouts A and B share: the thread, the buyer key, the held structure lines."""

    what = N_("export")
    after = "after a session rule"

    def __init__(self, file: InputFile, ctx: ParseContext) -> None:
        self.file = file
        self.ctx = ctx
        self.chat = Thread(ctx)
        self.buyer: str | None = None
        # Structure lines read after an event, not yet taken: (line number, line).
        self.held: list[tuple[int, str]] = []
        self.rejoinders = self.read_rejoinders(file.lines)

    def read_rejoinders(self, lines: list[str]) -> Rejoinders:  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self) -> list[Event]:
        for number, line in enumerate(self.file.lines, start=1):
            self.line(number, line)
        self.settle()
        return self.chat.finish(self.what)

    def line(self, number: int, line: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- held structure ------------------------------------------------------------------
    @property
    def holding(self) -> bool:
        """Structure lines are held once the conversation has an event to fold them into."""
        return bool(self.held) or self.chat.top is not None

    def hold(self, number: int, line: str) -> None:
        self.held.append((number, line))

    def held_problem(self) -> tuple[int, str, str] | None:
        """(line, what, why) when the held lines cannot be the export's structure."""
        return None

    def settle(self) -> bool:
        """Take the held lines as structure, or fold them back into the event they
        follow when they do not fit.  True when they were taken."""
        if not self.held:
            return True
        problem = self.held_problem()
        if problem is not None:
            number, what, why = problem
            raw = [line for _, line in self.held]
            self.held = []
            self.chat.reject(raw, f"line {number}", what, why, self.ctx.source(line=number))
            return False
        held, self.held = self.held, []
        for number, line in held:
            self.take(number, line)
        return True

    def held_starts_conversation(self) -> bool:
        """Whether taking the held lines would open another contact's conversation."""
        return False

    def take(self, number: int, line: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def switch_problem(self, number: int, nick: str | None) -> str | None:
        """Why a conversation header for ``nick`` at ``number`` cannot end the current
        conversation: its buyer writes again after it."""
        old = self.chat.conversation.single_buyer()
        if old is None or nick == old or self.chat.top is None:
            return None
        again = self.rejoinders.writes_again(old, number)
        if again is None:
            return None
        return f"{old}, the buyer of the conversation it would end, writes again at line {again}"

    # -- events ---------------------------------------------------------------------------
    def header(self, number: int, line: str, sender: str, when, text: str) -> None:
        """A line in the form of a message header (with a possible date and time)."""
        if self.held and (self.held_problem() is not None or self.held_starts_conversation()):
            # Folded back with their own warning, or a header block taken: the message
            # is then the first of another contact's conversation.
            self.settle()
        role = self.ctx.roles.role_of(sender)
        problem = self.chat.judge_message(sender, when, text)
        if problem is not None:
            raw = [held for _, held in self.held] + [line]
            self.held = []
            self.chat.reject(raw, f"line {number}", describe(role, sender), problem, self.ctx.source(line=number))
            return
        raw = [held for _, held in self.held] + [line]
        self.settle()
        self.chat.open = None
        self.opened(sender)
        self.chat.push_message(sender, when, self.ctx.source(line=number), [text], self.buyer,
                               f"line {number}", raw)

    def opened(self, sender: str) -> None:
        """A message header was taken."""

    def text(self, line: str) -> None:
        entry = self.chat.open
        assert entry is not None
        entry.lines.append(line)
        entry.raw.append(line)

    def continue_or_warn(self, number: int, line: str) -> None:
        """A line that starts no message: a platform notice, the next line of the open
        message, or, with no message open, a warning."""
        chat = self.chat
        if is_notice(line) and (chat.open is not None or chat.last_time is not None):
            source = self.ctx.source(line=number)
            if chat.top is not None:
                problem = chat.judge_notice(line)
                if problem is not None:
                    chat.reject([line], f"line {number}", describe_notice(line), problem, source)
                    return
            chat.open = None
            chat.push_notice(line, source, self.buyer, f"line {number}", [line])
            return
        if chat.open is not None:
            self.text(line)
            return
        where = "before the first message" if chat.last_time is None else self.after
        self.ctx.warn(f"not a message line and no message to continue ({where}): {excerpt(line)!r}",
                      line=number)


class _LayoutA(_Export):
    what = N_("layout-A export")
    after = "after a session rule"

    def __init__(self, file: InputFile, ctx: ParseContext) -> None:
        super().__init__(file, ctx)
        self.group = False
        self.in_header = False
        self.keep_conversation = False

    def read_rejoinders(self, lines: list[str]) -> Rejoinders:
        found = Rejoinders()
        in_block = False
        for number, line in enumerate(lines, start=1):
            if EQ_RULE_RE.match(line):
                in_block = True
            elif DASH_RULE_RE.match(line):
                in_block = False
            elif not line.strip() or (in_block and (TITLE_RE.match(line) or CHAT_KIND_RE.match(line))):
                continue
            elif in_block and OBJECT_RE.match(line):
                found.header(number, OBJECT_RE.match(line)["nick"] or None)
            else:
                in_block = False
                match = A_MESSAGE_RE.match(line)
                if match:
                    sender = match["sender"].strip()
                    found.writer(number, sender, self.ctx.roles.role_of(sender))
        return found

    def line(self, number: int, line: str) -> None:
        if EQ_RULE_RE.match(line) or DASH_RULE_RE.match(line):
            if self.holding:
                self.hold(number, line)
            else:
                self.take(number, line)
            return
        match = A_MESSAGE_RE.match(line)
        if match:
            when = naive_time(match.groupdict())
            if when is None:
                self.settle()
                self.chat.open = None
                self.in_header = False
                self.ctx.warn(f"message header with an impossible date or time: {excerpt(line)!r}", line=number)
                return
            self.header(number, line, match["sender"].strip(), when, match["text"])
            return
        if not line.strip():
            if self.held:
                self.hold(number, line)
            elif self.chat.open is not None:
                self.text(line)
            return
        if self.held and self._held_in_header() and _header_block_line(line):
            self.hold(number, line)
            return
        self.settle()
        self.plain(number, line)

    def opened(self, sender: str) -> None:
        self.in_header = False

    def _held_in_header(self) -> bool:
        state = self.in_header
        for _, line in self.held:
            if EQ_RULE_RE.match(line):
                state = True
            elif DASH_RULE_RE.match(line):
                state = False
        return state

    def held_problem(self) -> tuple[int, str, str] | None:
        switch = self._held_switch()
        if switch is None:
            return None
        number, nick, group, shown = switch
        if group:
            return None
        why = self.switch_problem(number, nick)
        if why is None:
            return None
        return number, f"a conversation header ({excerpt(shown)})", why

    def _held_switch(self) -> tuple[int, str | None, bool, str] | None:
        """The header block among the held lines: (line, nick, group chat, line text)."""
        numbers = [n for n, line in self.held if EQ_RULE_RE.match(line)]
        if not numbers or self.in_header:
            return None
        at, nick, group, shown = numbers[0], None, False, self.held[0][1]
        for number, line in self.held:
            if number < numbers[0]:
                continue
            kind = CHAT_KIND_RE.match(line)
            obj = OBJECT_RE.match(line)
            if kind:
                group = line.strip() == "群聊"
                if group:
                    nick = None
            elif obj and obj["nick"] and not group:
                at, nick, shown = number, obj["nick"], line
        return at, nick, group, shown

    def held_starts_conversation(self) -> bool:
        switch = self._held_switch()
        return switch is not None and (switch[2] or switch[1] != self.chat.conversation.single_buyer())

    def settle(self) -> bool:
        switch = self._held_switch() if self.held else None
        same = switch is not None and not switch[2] and switch[1] == self.chat.conversation.single_buyer()
        self.keep_conversation = same
        try:
            return super().settle()
        finally:
            self.keep_conversation = False

    def take(self, number: int, line: str) -> None:
        if EQ_RULE_RE.match(line):
            self.chat.open = None
            if not self.in_header:
                # A new header block: the next contact of an "export all" file.
                self.buyer, self.group = None, False
                if not self.keep_conversation:
                    self.chat.new_conversation(None)
            self.in_header = True
        elif DASH_RULE_RE.match(line):
            self.chat.open = None
            self.in_header = False
        elif line.strip():
            self.plain(number, line)

    def plain(self, number: int, line: str) -> None:
        chat, ctx = self.chat, self.ctx
        if self.in_header or (chat.open is None and chat.last_time is None):
            if CHAT_KIND_RE.match(line):
                # In a group chat 消息对象 names the group, not a buyer: each
                # message is then keyed by its own non-seller sender.
                self.group = line.strip() == "群聊"
                if self.group:
                    self.buyer = None
                if not self.keep_conversation:
                    chat.conversation.group = self.group
                    chat.conversation.buyer = self.buyer
                return
            if TITLE_RE.match(line):
                return
            obj = OBJECT_RE.match(line)
            if obj:
                if not obj["nick"]:
                    ctx.warn("broken header: 消息对象 without a nick", line=number)
                elif not self.group:
                    self.buyer = obj["nick"]
                    if not self.keep_conversation:
                        chat.conversation.buyer = self.buyer
                return
            if BROKEN_OBJECT_RE.match(line):
                ctx.warn(f"broken header: 消息对象 line without a colon: {excerpt(line)!r}", line=number)
                return
            if self.in_header:
                ctx.warn(f"unrecognised line in the export header: {excerpt(line)!r}", line=number)
                return
        self.continue_or_warn(number, line)


def _header_block_line(line: str) -> bool:
    return bool(TITLE_RE.match(line) or CHAT_KIND_RE.match(line) or OBJECT_RE.match(line)
                or BROKEN_OBJECT_RE.match(line))


@register
class WangwangLayoutB(SourceFormat):
    NAME = "wangwang-b"
    DESCRIPTION = "Wangwang desktop export, older layout B (即时消息 header, time SENDER: text)"
    PRIORITY = 30

    def sniff(self, file: InputFile) -> bool:
        lines = head_lines(file.head_text)
        header = any(B_INSTANT_RE.match(line) for line in lines[:6])
        return header and any(B_MESSAGE_RE.match(line) for line in lines)

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:
        yield from _LayoutB(file, ctx).run()


class _LayoutB(_Export):
    what = N_("layout-B export")
    after = "after a closing date line"

    def __init__(self, file: InputFile, ctx: ParseContext) -> None:
        self.known = KnownSenders([*ctx.roles.shop, *sorted(ctx.roles.staff)])
        super().__init__(file, ctx)

    def read_rejoinders(self, lines: list[str]) -> Rejoinders:
        found = Rejoinders()
        known = KnownSenders([*self.ctx.roles.shop, *sorted(self.ctx.roles.staff)])
        structure = True
        for number, line in enumerate(lines, start=1):
            match = B_MESSAGE_RE.match(line)
            split = split_sender_text(match["rest"], known, self.ctx) if match else None
            if split is not None:
                sender = split[0]
                known.add(sender)
                found.writer(number, sender, self.ctx.roles.role_of(sender))
                structure = False
            elif B_DATE_RE.match(line):
                structure = True
            elif not line.strip() or (structure and (B_INSTANT_RE.match(line) or TITLE_RE.match(line))):
                continue
            elif structure and OBJECT_RE.match(line):
                nick = OBJECT_RE.match(line)["nick"]
                if nick:
                    known.add(nick)
                found.header(number, nick or None)
            else:
                structure = False
        return found

    def line(self, number: int, line: str) -> None:
        match = B_MESSAGE_RE.match(line)
        if match:
            split = split_sender_text(match["rest"], self.known, self.ctx)
            if split is not None:
                sender, text = split
                when = naive_time(match.groupdict())
                if when is None:
                    self.settle()
                    self.chat.open = None
                    self.ctx.warn(f"message with an impossible date or time: {excerpt(line)!r}", line=number)
                    return
                self.header(number, line, sender, when, text)
                return
        if B_DATE_RE.match(line):
            if self.holding:
                self.hold(number, line)
            else:
                self.chat.open = None  # a bare date closes the block
            return
        if not line.strip():
            if self.held:
                self.hold(number, line)
            elif self.chat.open is not None:
                self.text(line)
            return
        if ((self.held or (self.chat.open is None and self.chat.top is not None))
                and (B_INSTANT_RE.match(line) or TITLE_RE.match(line) or OBJECT_RE.match(line))):
            self.hold(number, line)
            return
        self.settle()
        self.plain(number, line)

    def opened(self, sender: str) -> None:
        self.known.add(sender)

    def held_starts_conversation(self) -> bool:
        for _, line in self.held:
            obj = OBJECT_RE.match(line)
            if obj and obj["nick"] and obj["nick"] != self.chat.conversation.single_buyer():
                return True
        return False

    def held_problem(self) -> tuple[int, str, str] | None:
        top = self.chat.top
        for number, line in self.held:
            if B_DATE_RE.match(line) and top is not None:
                written = _bare_date(line)
                if written is not None and written < top.time.date():
                    return (number, "a closing date line",
                            f"its date {written.isoformat()} is earlier than that of the event before it "
                            f"({top.time.date().isoformat()}, {top.where})")
            obj = OBJECT_RE.match(line)
            if obj and obj["nick"]:
                why = self.switch_problem(number, obj["nick"])
                if why is not None:
                    return number, f"a conversation header ({excerpt(line)})", why
        return None

    def take(self, number: int, line: str) -> None:
        if B_DATE_RE.match(line):
            self.chat.open = None
        elif line.strip():
            self.plain(number, line)

    def plain(self, number: int, line: str) -> None:
        if self.chat.open is None:
            if B_INSTANT_RE.match(line) or TITLE_RE.match(line):
                return
            obj = OBJECT_RE.match(line)
            if obj:
                if obj["nick"]:
                    nick = obj["nick"]
                    if self.chat.top is not None and nick != self.chat.conversation.single_buyer():
                        self.chat.new_conversation(nick)
                    self.buyer = nick
                    self.chat.conversation.buyer = nick
                    self.known.add(nick)
                else:
                    self.ctx.warn("broken header: 对象 without a nick", line=number)
                return
        self.continue_or_warn(number, line)


def _bare_date(line: str) -> date | None:
    try:
        y, mo, d = (int(part) for part in line.strip().split("-"))
        return date(y, mo, d)
    except ValueError:
        return None
