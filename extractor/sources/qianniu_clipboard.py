"""The Qianniu chat window copied with Ctrl+A / Ctrl+C and pasted into a text file::

    tb_9527xiaoyu 2022-7-2 20:57:11
    在吗
    悦颜美妆旗舰店:小雅2022-7-2 20:58:02        <- the sender may abut the time
    亲 在的呢，请问有什么可以帮您
    已读                                      <- read status: window chrome, not text
    tb_9527xiaoyu 撤回了一条消息              <- a system event at the previous time
    由 悦颜美妆旗舰店:小雅 转交给 悦颜美妆旗舰店:售后阿明

A header line is the sender and the time, month/day/hour not zero-padded; the text is
every following line up to the next header.  Links and product cards are text.

The window's status under a message (已读, 未读, 发送中) is left out of the text only where
the window puts it: after the message's text, as its last lines.  The file gets one
warning counting them and naming their lines.  The same word as the first line of a
message, or with more text after it, is the writer's text.  发送失败 is kept as text
with a warning of its own: it says the message may not have reached the buyer.

A header or notice line inside a message is taken as one only when it fits the file
(time order, a party of the conversation, a transfer from the serving account): else it
stays text of the message, flagged (chat_guard.py).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterator

from ..i18n import N_
from ..model import Event
from .base import InputFile, ParseContext, SourceFormat, register
from .chat_common import (
    MAX_SENDER,
    excerpt,
    head_lines,
    is_notice,
    naive_time,
)
from .chat_guard import Thread, describe, describe_notice

HEADER_RE = re.compile(
    r"^(?P<sender>\S.{0,%d}?)\s*(?P<y>(?:19|20)\d\d)[-/](?P<mo>\d{1,2})[-/](?P<d>\d{1,2})"
    r"\s+(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2})\s*$" % (MAX_SENDER - 1)
)
# Read receipts and the sending spinner the window shows under a message.
STATUS_LINES = frozenset({"已读", "未读", "发送中"})
# A failed send (发送失败, 发送失败，点击重发): evidence about the message, kept as its text.
FAILED_RE = re.compile(r"^发送失败[，,\s]*(?:点击)?(?:重发|重试|重新发送)?$")
# How many line numbers the status warning lists (a file of a million 已读 lines stays one warning).
MAX_LISTED = 20


def _header(line: str) -> re.Match[str] | None:
    match = HEADER_RE.match(line)
    if match is None or not match["sender"].strip():
        return None
    return match


@register
class QianniuClipboard(SourceFormat):
    NAME = "qianniu-clipboard"
    DESCRIPTION = "Qianniu chat window copied to the clipboard (SENDER Y-M-D H:MM:SS, then text lines)"
    # Liberal (any "name + time" line), so tried after the exports with a header.
    PRIORITY = 60

    def sniff(self, file: InputFile) -> bool:
        lines = head_lines(file.head_text, limit=20)
        headers = [i for i, line in enumerate(lines) if _header(line)]
        if not headers:
            return False
        return headers[0] == 0 or (headers[0] < 3 and len(headers) >= 2)

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:
        chat = Thread(ctx)
        status = _StatusLines()

        for number, line in enumerate(file.lines, start=1):
            header = _header(line.lstrip("\ufeff"))
            if header:
                when = naive_time(header.groupdict())
                if when is None:
                    status.settle(chat, as_text=False)
                    chat.open = None
                    ctx.warn(f"message header with an impossible date or time: {excerpt(line)!r}",
                             line=number)
                    continue
                sender = header["sender"].strip()
                problem = chat.judge_message(sender, when)
                status.settle(chat, as_text=problem is not None)
                if problem is not None:
                    chat.reject([line], f"line {number}", describe(ctx.roles.role_of(sender), sender), problem,
                                ctx.source(line=number))
                    continue
                chat.push_message(sender, when, ctx.source(line=number), [], None, f"line {number}", [line])
                continue
            stripped = line.strip()
            if not stripped:
                if status.pending:
                    status.pending.append((number, line))
                elif chat.open is not None:
                    chat.open.lines.append(line)
                    chat.open.raw.append(line)
                continue
            if stripped in STATUS_LINES and chat.open is not None and any(x.strip() for x in chat.open.lines):
                status.pending.append((number, line))  # the window's, if the message ends here
                continue
            if is_notice(stripped):
                problem = chat.judge_notice(stripped) if chat.top is not None else None
                status.settle(chat, as_text=problem is not None)
                if problem is not None:
                    chat.reject([line], f"line {number}", describe_notice(stripped), problem,
                                ctx.source(line=number))
                    continue
                chat.open = None
                chat.push_notice(stripped, ctx.source(line=number), None, f"line {number}", [line])
                continue
            status.settle(chat, as_text=True)
            if chat.open is not None:
                if FAILED_RE.match(stripped) and any(x.strip() for x in chat.open.lines):
                    ctx.warn(f"{stripped!r} is the chat window's send status: the message from "
                             f"{chat.open.sender} above it may not have reached the buyer; kept as its "
                             "last line", line=number)
                chat.open.lines.append(line)
                chat.open.raw.append(line)
                continue
            where = "before the first message" if chat.last_time is None else "after a system notice"
            ctx.warn(f"text with no message header above it ({where}): {excerpt(line)!r}", line=number)
        status.settle(chat, as_text=False)
        status.report(ctx)
        yield from chat.finish(N_("Qianniu clipboard copy"))


class _StatusLines:
    """Status lines seen after a message's text, held until the next line says whose
    they are: a header or notice (or the end) makes them the window's; more text makes
    them the writer's."""

    def __init__(self) -> None:
        self.pending: list[tuple[int, str]] = []  # status lines, and the blank lines among them
        self.left_out: list[tuple[int, str]] = []

    def settle(self, chat: Thread, *, as_text: bool) -> None:
        if not self.pending:
            return
        if as_text and chat.open is not None:
            for _, line in self.pending:
                chat.open.lines.append(line)
                chat.open.raw.append(line)
        else:
            self.left_out += [(n, line.strip()) for n, line in self.pending if line.strip()]
        self.pending = []

    def report(self, ctx: ParseContext) -> None:
        if not self.left_out:
            return
        counts = ", ".join(f"{word} ×{n}" for word, n in Counter(w for _, w in self.left_out).items())
        numbers = [str(n) for n, _ in self.left_out[:MAX_LISTED]]
        more = len(self.left_out) - MAX_LISTED
        listed = ", ".join(numbers) + (f" and {more} more" if more > 0 else "")
        ctx.warn(f"{len(self.left_out)} read/sending status line(s) of the chat window ({counts}) "
                 f"left out of the messages' text: line(s) {listed}", line=self.left_out[0][0])
