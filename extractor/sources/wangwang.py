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
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

from ..model import Event
from .base import InputFile, ParseContext, SourceFormat, register
from .chat_common import (
    DATE_RE,
    MAX_SENDER,
    TIME_RE,
    ChatCollector,
    KnownSenders,
    PendingMessage,
    excerpt,
    head_lines,
    is_notice,
    naive_time,
    split_sender_text,
)

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
        chat = ChatCollector(ctx)
        buyer: str | None = None
        group = False
        in_header = False
        pending: PendingMessage | None = None

        def close() -> None:
            nonlocal pending
            if pending is not None:
                chat.add_message(pending)
                pending = None

        for number, line in enumerate(file.lines, start=1):
            if EQ_RULE_RE.match(line):
                close()
                if not in_header:
                    # A new header block: the next contact of an "export all" file.
                    buyer, group = None, False
                in_header = True
                continue
            if DASH_RULE_RE.match(line):
                close()
                in_header = False
                continue
            match = A_MESSAGE_RE.match(line)
            if match:
                close()
                in_header = False
                when = naive_time(match.groupdict())
                if when is None:
                    ctx.warn(f"message header with an impossible date or time: {excerpt(line)!r}",
                             line=number)
                    continue
                pending = PendingMessage(match["sender"].strip(), when, ctx.source(line=number),
                                         match["text"], buyer)
                continue
            if not line.strip():
                if pending is not None:
                    pending.add(line)
                continue
            if in_header or (pending is None and chat.last_time is None):
                if CHAT_KIND_RE.match(line):
                    # In a group chat 消息对象 names the group, not a buyer: each
                    # message is then keyed by its own non-seller sender.
                    group = line.strip() == "群聊"
                    if group:
                        buyer = None
                    continue
                if TITLE_RE.match(line):
                    continue
                obj = OBJECT_RE.match(line)
                if obj:
                    if not obj["nick"]:
                        ctx.warn("broken header: 消息对象 without a nick", line=number)
                    elif not group:
                        buyer = obj["nick"]
                    continue
                if BROKEN_OBJECT_RE.match(line):
                    ctx.warn(f"broken header: 消息对象 line without a colon: {excerpt(line)!r}", line=number)
                    continue
                if in_header:
                    ctx.warn(f"unrecognised line in the export header: {excerpt(line)!r}", line=number)
                    continue
            _continue_or_warn(chat, pending, close, line, number, buyer, ctx, "after a session rule")
        close()
        yield from chat.finish("layout-A export")


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
        chat = ChatCollector(ctx)
        buyer: str | None = None
        known = KnownSenders([*ctx.roles.shop, *sorted(ctx.roles.staff)])
        pending: PendingMessage | None = None

        def close() -> None:
            nonlocal pending
            if pending is not None:
                chat.add_message(pending)
                pending = None

        for number, line in enumerate(file.lines, start=1):
            match = B_MESSAGE_RE.match(line)
            if match:
                split = split_sender_text(match["rest"], known, ctx)
                if split is not None:
                    close()
                    sender, text = split
                    when = naive_time(match.groupdict())
                    if when is None:
                        ctx.warn(f"message with an impossible date or time: {excerpt(line)!r}",
                                 line=number)
                        continue
                    known.add(sender)
                    pending = PendingMessage(sender, when, ctx.source(line=number), text, buyer)
                    continue
            if B_DATE_RE.match(line):
                close()  # a bare date closes the block
                continue
            if not line.strip():
                if pending is not None:
                    pending.add(line)
                continue
            if pending is None:
                if B_INSTANT_RE.match(line) or TITLE_RE.match(line):
                    continue
                obj = OBJECT_RE.match(line)
                if obj:
                    if obj["nick"]:
                        buyer = obj["nick"]
                        known.add(buyer)
                    else:
                        ctx.warn("broken header: 对象 without a nick", line=number)
                    continue
            _continue_or_warn(chat, pending, close, line, number, buyer, ctx, "after a closing date line")
        close()
        yield from chat.finish("layout-B export")


def _continue_or_warn(chat: ChatCollector, pending: PendingMessage | None, close: Callable[[], None],
                      line: str, number: int, buyer: str | None, ctx: ParseContext, after: str) -> None:
    """A line that starts no message, in either layout: a platform notice, the next line
    of the open message, or, with no message open, a warning."""
    if pending is not None:
        if is_notice(line):
            close()
            chat.add_notice(line, ctx.source(line=number), buyer)
        else:
            pending.add(line)
        return
    if is_notice(line) and chat.last_time is not None:
        chat.add_notice(line, ctx.source(line=number), buyer)
        return
    where = "before the first message" if chat.last_time is None else after
    ctx.warn(f"not a message line and no message to continue ({where}): {excerpt(line)!r}", line=number)
