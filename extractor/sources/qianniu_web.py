"""The seller centre's chat-record page (子账号 → 监控查询 → 聊天记录), copied as text or
printed to PDF::

    客户：tb_9527xiaoyu
    2022-07-05                 <- a date line opens a day
    10:02:13                   <- each message: its time,
    亲，您好，…                <- its text (one or more lines),
    悦颜美妆旗舰店:售后阿明    <- and its sender LAST

Reading the sender from the wrong end swaps the roles, so a message is everything
between one time line and the next boundary (time, date or 客户 line), and its sender is
the last of those lines.  Printed to PDF, the blank lines between messages are gone and
the browser adds a header (title, print time) and a footer (URL, page counter) to each
page; those are recognised at the page's edges and dropped, and the time/text/sender
structure carries the parse.  A long line that runs to the right margin of the page
continues on the next line without a line break (a wrap, not the writer's break).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time as dtime
from typing import Iterable, Iterator

from ..errors import FormatError
from ..model import Event
from .base import InputFile, ParseContext, SourceFormat, plausible_year, register
from .chat_common import (
    BARE_DATE_RE,
    MAX_SENDER,
    ChatCollector,
    excerpt,
    head_lines,
    is_notice,
    strip_blank_edges,
)
from .containers import first_page_text, open_pdf, pdf_pages

# Patterns here meet every line of a message, so none may backtrack over a run of blanks
# (a lazy ".*?" before "\s*$", or two "\s*" around an optional word, is quadratic).
CUSTOMER_RE = re.compile(r"^\s*客户\s*[:：]\s*(?P<nick>(?:.*\S)?)\s*$")
CLOCK_RE = re.compile(r"^\s*(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2})\s*$")
SENTENCE_END = tuple("。！？，,!?…")

# Browser header and footer lines, looked for only among the first and last lines of
# a PDF page (EDGE_LINES), never in the middle of one.
EDGE_LINES = 3
_PAGE_COUNTER = r"(?:第\s*)?\d+\s*/\s*(?:共\s*)?\d+\s*页?|第\s*\d+\s*页\s*(?:[,，/]\s*)?共\s*\d+\s*页|Page \d+ of \d+"
PAGE_NOISE_RES = tuple(re.compile(p) for p in (
    r"^(?:%s)$" % _PAGE_COUNTER,
    # print time, alone or before the title: 2025/7/7 10:15, 2025/7/7 下午3:05
    r"^\d{4}/\d{1,2}/\d{1,2}\s*(?:(?:上午|下午)\s*)?\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]M)?(?:\s+.*)?$",
    r"^(?:打印时间|导出时间|打印日期)\s*[:：].*$",
    r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}\s+\d{1,2}:\d{2}(?::\d{2})?$",
    # the page title: 千牛工作台 - 聊天记录, 聊天记录 | 子账号
    r"^(?:\S{1,16}\s*[-–—|]\s*)?聊天记录(?:\s*[-–—|]\s*\S{1,16})?$",
))
URL_FOOTER_RE = re.compile(r"^(?P<url>https?://(?P<host>[^/\s]+)(?:/\S*)?)(?:\s+(?:%s))?$" % _PAGE_COUNTER)
# Links a message can hold (product pages, short links): never taken for the footer.
PRODUCT_HOST_RE = re.compile(r"^(item\.|detail\.|chaoshi\.detail\.|m\.tb\.cn|s\.click\.|a\.m\.|h5\.m\.|market\.m\.|m\.intl\.)")


@dataclass(frozen=True)
class PageLine:
    """One line of the page: where it is, and whether it wrapped onto the next line."""

    text: str
    line: int | None = None
    page: int | None = None
    wraps: bool = False


def _is_page_noise(text: str) -> bool:
    text = text.strip()
    if any(p.match(text) for p in PAGE_NOISE_RES):
        return True
    url = URL_FOOTER_RE.match(text)
    return bool(url and not PRODUCT_HOST_RE.match(url["host"]))


def _looks_like_sender(text: str) -> bool:
    text = text.strip()
    return 0 < len(text) <= MAX_SENDER and not re.search(r"\s", text) and not text.endswith(SENTENCE_END)


def _is_web_head(lines: list[str]) -> bool:
    """A 客户 line, or a date line followed by a time line, near the top."""
    for i, line in enumerate(lines[:12]):
        if CUSTOMER_RE.match(line) and CUSTOMER_RE.match(line)["nick"]:
            return any(CLOCK_RE.match(x) for x in lines[i + 1:i + 8])
        if BARE_DATE_RE.match(line) and i + 1 < len(lines) and CLOCK_RE.match(lines[i + 1]):
            return True
    return False


class _Block:
    def __init__(self, start: PageLine, clock: dtime, day: date | None, customer: str | None) -> None:
        self.start = start
        self.clock = clock
        self.day = day
        self.customer = customer
        self.lines: list[PageLine] = []


def parse_page_lines(items: Iterable[PageLine], ctx: ParseContext, what: str) -> list[Event]:
    chat = ChatCollector(ctx)
    customer: str | None = None
    day: date | None = None
    block: _Block | None = None

    def where(item: PageLine) -> dict:
        return {"line": item.line, "page": item.page}

    def close() -> None:
        nonlocal block
        if block is None:
            return
        current, block = block, None
        lines = _strip_blank_items(current.lines)
        stamp = current.clock.isoformat()
        reason = None
        if current.day is None:
            reason = f"message at {stamp} comes before any date line"
        elif len(lines) < 2:
            reason = f"message at {stamp} needs a text line and a sender line after its time"
        elif not _looks_like_sender(lines[-1].text):
            reason = (f"message at {stamp}: its last line {excerpt(lines[-1].text)!r} is not an "
                      "account name, so the sender is unknown")
        if reason is not None:
            ctx.warn(reason + "; left out", **where(current.start))
            for item in lines:
                ctx.warn(f"part of the message at {stamp} left out: {excerpt(item.text)!r}", **where(item))
            return
        sender_item = lines[-1]
        text = _join(lines[:-1])
        event = ctx.message(time=ctx.at(current.day, current.clock), sender=sender_item.text.strip(),
                            text=text, buyer=current.customer,
                            source=ctx.source(line=current.start.line, page=current.start.page))
        chat.add(event, keyed=current.customer is not None)

    items = list(items)
    following = _next_texts(items)
    for index, item in enumerate(items):
        text = item.text.strip()
        clock = CLOCK_RE.match(text)
        date_line = BARE_DATE_RE.match(text)
        customer_line = CUSTOMER_RE.match(text)
        if block is not None:
            # Inside a message a line is a boundary only when what follows confirms it: the
            # line right after a time line is always text; a date line must be followed by
            # a time line, a 客户 line by a date line.  Buyers do type times and dates.
            ahead = following[index]
            if (clock and not _strip_blank_items(block.lines)
                    or date_line and not CLOCK_RE.match(ahead)
                    or customer_line and not BARE_DATE_RE.match(ahead)):
                block.lines.append(item)
                continue
        if clock:
            close()
            try:
                stamp = dtime(int(clock["h"]), int(clock["mi"]), int(clock["s"]))
            except ValueError:
                ctx.warn(f"impossible time of day: {excerpt(text)!r}", **where(item))
                continue
            block = _Block(item, stamp, day, customer)
            continue
        if date_line:
            close()
            try:
                day = date(int(date_line["y"]), int(date_line["mo"]), int(date_line["d"]))
                if not plausible_year(day.year):
                    raise ValueError(day)
            except ValueError:
                day = None
                ctx.warn(f"impossible date: {excerpt(text)!r}; messages up to the next date line "
                         "are left out", **where(item))
            continue
        if customer_line:
            close()
            customer = customer_line["nick"] or None
            if customer is None:
                ctx.warn("broken header: 客户 without a nick", **where(item))
            day = None
            continue
        if block is not None:
            block.lines.append(item)
            continue
        if not text:
            continue
        if is_notice(text) and chat.last_time is not None:
            chat.add_notice(text, ctx.source(line=item.line, page=item.page), customer)
            continue
        ctx.warn(f"not part of a message (no time line above it): {excerpt(text)!r}", **where(item))
    close()
    return chat.finish(what)


def _next_texts(items: list[PageLine]) -> list[str]:
    """For each line, the stripped text of the next non-blank line after it ("" at the end)."""
    out = [""] * len(items)
    ahead = ""
    for i in range(len(items) - 1, -1, -1):
        out[i] = ahead
        if items[i].text.strip():
            ahead = items[i].text.strip()
    return out


def _strip_blank_items(items: list[PageLine]) -> list[PageLine]:
    kept = strip_blank_edges([i.text for i in items])
    if not kept:
        return []
    start = next(i for i, item in enumerate(items) if item.text.strip())
    return items[start:start + len(kept)]


def _join(items: list[PageLine]) -> str:
    out: list[str] = []
    for i, item in enumerate(items):
        out.append(item.text)
        if i + 1 < len(items):
            out.append("" if item.wraps else "\n")
    return "".join(out)


@register
class QianniuWebText(SourceFormat):
    NAME = "qianniu-web"
    DESCRIPTION = "Qianniu web chat-record page copied as text (客户：, date, time, text, sender last)"
    PRIORITY = 35

    def sniff(self, file: InputFile) -> bool:
        if file.head.lstrip()[:5] == b"%PDF-":
            return False
        return _is_web_head(head_lines(file.head_text))

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:
        items = (PageLine(line, line=number) for number, line in enumerate(file.lines, start=1))
        yield from parse_page_lines(items, ctx, "web chat-record page")


@register
class QianniuWebPdf(SourceFormat):
    NAME = "qianniu-web-pdf"
    DESCRIPTION = "Qianniu web chat-record page printed to PDF (read page by page with pdfplumber)"
    PRIORITY = 20

    def sniff(self, file: InputFile) -> bool:
        if b"%PDF-" not in file.head[:1024]:
            return False
        text = first_page_text(file.data)
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        while lines and _is_page_noise(lines[0]):
            lines.pop(0)
        return _is_web_head(lines)

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:
        items = list(_pdf_lines(file, ctx))
        if not any(item.text.strip() for item in items):
            raise FormatError(f"{file.label}: the PDF has no text layer (a scan or an image?); "
                              "print the chat-record page from the browser again, or copy its text")
        yield from parse_page_lines(items, ctx, "web chat-record PDF")


def _pdf_lines(file: InputFile, ctx: ParseContext) -> Iterator[PageLine]:
    with open_pdf(file) as pdf:
        for number, page in pdf_pages(file, pdf):
            try:
                lines = page.extract_text_lines(return_chars=True)
                width = float(page.width)
            except Exception as exc:
                ctx.warn(f"page could not be read ({type(exc).__name__}); its messages are missing",
                         page=number)
                continue
            yield from _page_items(lines, width, number)


def _page_items(lines: list[dict], width: float, number: int) -> Iterator[PageLine]:
    start, end = 0, len(lines)
    while start < min(end, EDGE_LINES) and _is_page_noise(lines[start]["text"]):
        start += 1
    bottom = 0
    while end > start and bottom < EDGE_LINES and _is_page_noise(lines[end - 1]["text"]):
        end -= 1
        bottom += 1
    body = lines[start:end]
    if not body:
        return
    # Printed pages have equal left and right margins: a line whose next character would
    # cross the right margin was wrapped by the printer.
    right = width - min(float(line["x0"]) for line in body)
    for line in body:
        chars = line.get("chars") or []
        last_width = float(chars[-1]["width"]) if chars else 0.0
        wraps = float(line["x1"]) + last_width > right + 0.5
        yield PageLine(line["text"], page=number, wraps=wraps)
