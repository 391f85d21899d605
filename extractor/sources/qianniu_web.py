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
page; those are recognised at the page's edges and left out, and the time/text/sender
structure carries the parse.  A line at an edge is the browser's only when it fits the
print: a page counter names its own page, and a title, print time or URL stands at the
edge of every page (of a PDF of two pages or more).  A line that has the form but not
the fit is a message's line, kept with a warning; the lines left out are counted in one
warning per file.  A long line that runs to the right margin of the page
continues on the next line without a line break (a wrap, not the writer's break).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time as dtime
from typing import Iterable, Iterator

from ..errors import FormatError
from ..i18n import N_
from ..model import Event
from .base import InputFile, ParseContext, SourceFormat, plausible_year, register
from .chat_common import (
    BARE_DATE_RE,
    MAX_SENDER,
    excerpt,
    head_lines,
    is_notice,
    strip_blank_edges,
)
from .chat_guard import Entry, Rejoinders, Thread, describe, describe_notice
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
    """A message being read: its time line, the lines after it, and what the boundary
    lines before it (a date line, a 客户 line) would set if it is taken."""

    def __init__(self, start: PageLine, index: int, clock: dtime, day: date | None, customer: str | None,
                 prelude: list[PageLine], dated: int | None, switched: int | None) -> None:
        self.start = start
        self.index = index
        self.clock = clock
        self.day = day
        self.customer = customer
        self.lines: list[PageLine] = []
        self.prelude = prelude
        self.dated = dated  # index of the date line that set ``day``, if one came before it
        self.switched = switched  # index of the 客户 line before it, if one came
        self.forged = False

    def raw(self) -> list[PageLine]:
        return [*self.prelude, self.start, *self.lines]


def _where(item: PageLine) -> str:
    return f"line {item.line}" if item.line is not None else f"page {item.page}"


class _WebThread(Thread):
    """The web page's events: a message's sender is its LAST line, so folding a block
    into the message before it makes that block's last line the sender, unless it is
    no account name or one of the other side (a buyer's message never becomes the
    seller's, nor the other way round): then every line is text."""

    def extend(self, target: Entry, raw) -> None:
        target.lines.extend(raw)
        target.raw.extend(raw)
        if target.kind != "message":
            return
        last = next((item for item in reversed(raw) if item.text.strip()), None)
        sender = last.text.strip() if last is not None and _looks_like_sender(last.text) else None
        role = self.ctx.roles.role_of(sender) if sender is not None else None
        if sender is None or role != target.role:
            target.extra["inside"] = True
        else:
            target.sender, target.role = sender, role
            target.extra["inside"] = False

    def _notice_text(self, entry: Entry) -> str:
        first = entry.lines[0] if entry.lines else ""
        return first if isinstance(first, str) else first.text

    def text_of(self, entry: Entry) -> str:
        if entry.kind == "notice":
            texts = [x if isinstance(x, str) else x.text for x in entry.lines]
            return "\n".join(strip_blank_edges(texts))
        items = _strip_blank_items(entry.lines)
        return _join(items if entry.extra.get("inside") else items[:-1])


def _web_rejoinders(items: list[PageLine], following: list[str], ctx: ParseContext) -> Rejoinders:
    """Who writes where (the last line before each boundary) and where 客户 lines name
    whom, for checking a 客户 line met after messages."""
    found = Rejoinders()
    last: tuple[int, str] | None = None
    for index, item in enumerate(items):
        text = item.text.strip()
        if not text:
            continue
        customer = CUSTOMER_RE.match(text)
        customer = customer if customer and BARE_DATE_RE.match(following[index]) else None
        if CLOCK_RE.match(text) or (BARE_DATE_RE.match(text) and CLOCK_RE.match(following[index])) or customer:
            if last is not None and _looks_like_sender(last[1]):
                found.writer(last[0], last[1], ctx.roles.role_of(last[1]))
            last = None
            if customer:
                found.header(index, customer["nick"] or None)
            continue
        last = (index, text)
    if last is not None and _looks_like_sender(last[1]):
        found.writer(last[0], last[1], ctx.roles.role_of(last[1]))
    return found


def _key(when: datetime, sender: str, block: _Block) -> tuple:
    return (when, sender, _join(_strip_blank_items(block.lines)[:-1]))


def _date_of(match: re.Match[str]) -> date | None:
    try:
        day = date(int(match["y"]), int(match["mo"]), int(match["d"]))
    except ValueError:
        return None
    return day if plausible_year(day.year) else None


def parse_page_lines(items: Iterable[PageLine], ctx: ParseContext, what: str) -> list[Event]:
    items = list(items)
    following = _next_texts(items)
    rejoinders = _web_rejoinders(items, following, ctx)
    chat = _WebThread(ctx)
    # What is in force (set by the boundary lines of the last message taken) and what the
    # boundary lines read since would set for the next message.
    customer: str | None = None
    day: date | None = None
    next_customer: str | None = None
    next_day: date | None = None
    prelude: list[PageLine] = []
    dated: int | None = None
    switched: int | None = None
    block: _Block | None = None
    # A message read but unreadable (no sender, no date): kept until the next message
    # shows whether a forged boundary cut it short.
    limbo: _Block | None = None
    # The latest time of the conversation, and its messages by (time, sender, text): a
    # page copied twice into one file repeats messages, a forged line adds new ones.
    high: datetime | None = None
    seen: set[tuple] = set()
    day_line: int | None = None  # the date line that opened the day in force

    def where(item: PageLine) -> dict:
        return {"line": item.line, "page": item.page}

    def problem_of(current: _Block) -> str | None:
        lines = _strip_blank_items(current.lines)
        stamp = current.clock.isoformat()
        if current.day is None:
            return f"message at {stamp} comes before any date line"
        if len(lines) < 2:
            return f"message at {stamp} needs a text line and a sender line after its time"
        if not _looks_like_sender(lines[-1].text):
            return (f"message at {stamp}: its last line {excerpt(lines[-1].text)!r} is not an "
                    "account name, so the sender is unknown")
        return None

    def leave_out(current: _Block, reason: str) -> None:
        stamp = current.clock.isoformat()
        ctx.warn(reason + "; left out", **where(current.start))
        for item in _strip_blank_items(current.lines):
            ctx.warn(f"part of the message at {stamp} left out: {excerpt(item.text)!r}", **where(item))

    def push(current: _Block) -> None:
        nonlocal high
        lines = _strip_blank_items(current.lines)
        when = ctx.at(current.day, current.clock)
        seen.add(_key(when, lines[-1].text.strip(), current))
        high = when if high is None or when > high else high
        entry = chat.push_message(lines[-1].text.strip(), datetime.combine(current.day, current.clock),
                                  ctx.source(line=current.start.line, page=current.start.page),
                                  list(current.lines), current.customer, _where(current.start),
                                  current.raw(), text=_join(lines[:-1]))
        entry.forged = current.forged
        flag_notices(entry, lines[:-1])

    def flag_notices(entry: Entry, lines: list[PageLine]) -> None:
        """Notice lines inside a buyer's message are its text here (the page shows
        notices apart), but one that could not be a notice at all is still marked."""
        if entry.role != "buyer":
            return
        for item in lines:
            text = item.text.strip()
            if is_notice(text):
                why = chat.conversation.notice_problem(text, "buyer", bare=True)
                if why is not None:
                    entry.forged = True
                    ctx.warn(f"{_where(item)} has the form of {describe_notice(text)} but {why}: kept as "
                             f"part of the message from {entry.sender} at {entry.where}, marked suspicious",
                             **where(item))

    def judge(current: _Block, sender: str | None) -> tuple[str, str, PageLine] | None:
        """(what, why, line) when the block cannot be a message of its own."""
        if current.switched is not None and current.customer != customer and chat.top is not None:
            old = chat.conversation.single_buyer()
            line = items[current.switched]
            if old is not None and old != current.customer:
                again = rejoinders.writes_again(old, current.switched)
                if again is not None:
                    return (f"a conversation header ({excerpt(line.text)})",
                            f"{old}, the buyer of the conversation it would end, writes again at "
                            f"{_where(items[again])}", line)
            return None  # another customer's page: its first message
        when = ctx.at(current.day, current.clock) if current.day is not None else None
        late: tuple[str, str, PageLine] | None = None
        if current.dated is not None and day is not None and current.day is not None and current.day <= day:
            # A date line opens a new day: one that is not later than the day of the
            # message before it was typed inside that message...
            opened = f", opened by the date line at {_where(items[day_line])}" if day_line is not None else ""
            late = ("a date line", f"its date {current.day.isoformat()} is not later than that of the "
                    f"message before it ({day.isoformat()}{opened})", items[current.dated])
        elif when is not None and high is not None and when < high:
            late = (describe(ctx.roles.role_of(sender), sender) if sender is not None else "a message time line",
                    f"its time {when.strftime('%Y-%m-%d %H:%M:%S')} is earlier than that of a message before it "
                    f"({high.strftime('%Y-%m-%d %H:%M:%S')})", current.start)
        if late is not None:
            # ...unless the page was copied twice: a message read already, repeated.
            if sender is not None and when is not None and _key(when, sender, current) in seen:
                return None
            return late
        role = ctx.roles.role_of(sender) if sender is not None else "buyer"
        what = describe(role, sender) if sender is not None else "a message time line"
        if limbo is not None:
            if when is not None and limbo.day is not None and when < ctx.at(limbo.day, limbo.clock):
                return what, (f"its time {when.strftime('%Y-%m-%d %H:%M:%S')} is earlier than that of the "
                              f"message before it"), current.start
            return None
        text = None
        if sender is not None and role == "system":
            text = _join(_strip_blank_items(current.lines)[:-1])
        why = chat.judge(sender, role, when, text)
        return (what, why, current.start) if why is not None else None

    def close() -> None:
        nonlocal block, limbo, day, customer, next_day, next_customer, prelude, dated, switched, high, day_line
        if block is None:
            return
        current, block = block, None
        problem = problem_of(current)
        sender = _strip_blank_items(current.lines)[-1].text.strip() if problem is None else None
        verdict = judge(current, sender) if (chat.top is not None or limbo is not None) else None
        if verdict is not None:
            what, why, line = verdict
            if limbo is not None:
                ctx.warn(f"{_where(line)} has the form of {what} but {why}: kept as part of the message at "
                         f"{_where(limbo.start)}, marked suspicious", **where(line))
                limbo.lines.extend(current.raw())
                limbo.forged = True
            else:
                target = chat.reject(current.raw(), _where(line), what, why,
                                     ctx.source(line=line.line, page=line.page))
                flag_notices(target, _strip_blank_items(current.lines))
            next_day, next_customer = day, customer
            return
        if limbo is not None:
            held, limbo = limbo, None
            reason = problem_of(held)
            if reason is None:
                push(held)
            else:
                leave_out(held, reason)
        if current.switched is not None and current.customer != customer and chat.top is not None:
            chat.new_conversation(current.customer)
            high = None
            seen.clear()
        if current.dated is not None or current.switched is not None:
            day_line = current.dated
        day, customer = current.day, current.customer
        if chat.top is None:
            chat.conversation.buyer = customer
        if problem is not None:
            limbo = current
            return
        push(current)

    def boundary_inside(item: PageLine, why: str) -> None:
        """A line in the form of a boundary inside a message that cannot be one: text."""
        assert block is not None
        ctx.warn(f"{_where(item)} has the form of {why}: kept as part of the message at "
                 f"{_where(block.start)}, marked suspicious", **where(item))
        block.lines.append(item)
        block.forged = True

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
            try:
                stamp = dtime(int(clock["h"]), int(clock["mi"]), int(clock["s"]))
            except ValueError:
                if block is not None:
                    boundary_inside(item, f"a time line but {excerpt(text)!r} is no time of day")
                    continue
                ctx.warn(f"impossible time of day: {excerpt(text)!r}", **where(item))
                continue
            close()
            block = _Block(item, index, stamp, next_day, next_customer, prelude, dated, switched)
            prelude, dated, switched = [], None, None
            continue
        if date_line:
            parsed = _date_of(date_line)
            if parsed is None and block is not None:
                boundary_inside(item, f"a date line but {excerpt(text)!r} is no date of a chat record")
                continue
            close()
            prelude.append(item)
            next_day, dated = parsed, index
            if parsed is None:
                dated = None
                ctx.warn(f"impossible date: {excerpt(text)!r}; messages up to the next date line "
                         "are left out", **where(item))
            continue
        if customer_line:
            close()
            prelude.append(item)
            next_customer = customer_line["nick"] or None
            switched = index
            if next_customer is None:
                ctx.warn("broken header: 客户 without a nick", **where(item))
            next_day, dated = None, None
            continue
        if block is not None:
            block.lines.append(item)
            continue
        if not text:
            if prelude:
                prelude.append(item)
            continue
        if is_notice(text) and chat.last_time is not None:
            chat.push_notice(text, ctx.source(line=item.line, page=item.page), next_customer, _where(item), [text])
            continue
        ctx.warn(f"not part of a message (no time line above it): {excerpt(text)!r}", **where(item))
    close()
    if limbo is not None:
        reason = problem_of(limbo)
        if reason is None:
            push(limbo)
        else:
            leave_out(limbo, reason)
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
        yield from parse_page_lines(items, ctx, N_("web chat-record page"))


@register
class QianniuWebPdf(SourceFormat):
    NAME = "qianniu-web-pdf"
    DESCRIPTION = "Qianniu web chat-record page printed to PDF (read page by page with pdfplumber)"
    PRIORITY = 20

    def sniff(self, file: InputFile) -> bool:
        if b"%PDF-" not in file.head[:1024]:
            return False
        text = first_page_text(file)
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        while lines and _is_page_noise(lines[0]):
            lines.pop(0)
        return _is_web_head(lines)

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:
        items = list(_pdf_lines(file, ctx))
        if not any(item.text.strip() for item in items):
            raise FormatError(N_("{file}: the PDF has no text layer (a scan or an image?); "
                                 "print the chat-record page from the browser again, or copy its text"),
                              file=file.label)
        yield from parse_page_lines(items, ctx, N_("web chat-record PDF"))


def _pdf_lines(file: InputFile, ctx: ParseContext) -> Iterator[PageLine]:
    pages: list[tuple[int, list[PageLine], list[PageLine], list[PageLine]]] = []
    with open_pdf(file) as pdf:
        for number, page in pdf_pages(file, pdf, ctx):
            try:
                lines = page.extract_text_lines(return_chars=True)
                width = float(page.width)
            except Exception as exc:
                ctx.warn(f"page could not be read ({type(exc).__name__}); its messages are missing",
                         page=number)
                continue
            pages.append((number, *_page_items(lines, width, number)))
    # Whether an edge line is the browser's is known only once every page is read: the
    # page's text is held as PageLines (not pdfplumber's characters) until then.
    edges = Counter(_split_counter(line.text)[0] for _, top, _, bottom in pages for line in (*top, *bottom))
    left_out: list[PageLine] = []
    for number, top, body, bottom in pages:
        for edge, edge_lines in (("top", top), ("body", body), ("bottom", bottom)):
            if edge == "body":
                yield from body
                continue
            for line in edge_lines:
                why = _misfit(line, edges, len(pages))
                if why is None:
                    left_out.append(line)
                else:
                    _warn_kept(ctx, line, edge, why)
                    yield line
    if left_out:
        kinds = dict.fromkeys(_split_counter(x.text)[0] or x.text.strip() for x in left_out)
        shown = ", ".join(repr(excerpt(t)) for t in list(kinds)[:3])
        numbers = sorted({x.page for x in left_out if x.page is not None})
        span = f"{numbers[0]}" if len(numbers) == 1 else f"{numbers[0]}–{numbers[-1]}"
        ctx.warn(f"{len(left_out)} header/footer line(s) the browser printed at the page edges (page title, "
                 f"print time, URL, page counter) left out of the messages' text, on page(s) {span}: "
                 f"e.g. {shown}", page=left_out[0].page)


_COUNTER_RE = re.compile(r"^(?:%s)$" % _PAGE_COUNTER)
_TRAILING_COUNTER_RE = re.compile(r"^(?P<rest>.*?\S)\s+(?P<counter>%s)$" % _PAGE_COUNTER)


def _split_counter(text: str) -> tuple[str | None, list[int] | None]:
    """An edge line as (the part that repeats on every page, the page counter's numbers):
    ``https://… 2/3`` is the URL and [2, 3]; ``2/3`` alone has no repeating part."""
    text = text.strip()
    if _COUNTER_RE.match(text):
        return None, [int(n) for n in re.findall(r"\d+", text)]
    tail = _TRAILING_COUNTER_RE.match(text) if text[-1:].isdigit() or text.endswith(("页", "f")) else None
    if tail and URL_FOOTER_RE.match(text):
        return tail["rest"], [int(n) for n in re.findall(r"\d+", tail["counter"])]
    return text, None


def _misfit(line: PageLine, edges: Counter, pages: int) -> str | None:
    """Why an edge line that looks like the browser's header or footer does not fit the
    print (None when it fits): a counter names its own page; the rest repeats on every page."""
    key, counter = _split_counter(line.text)
    if counter is not None and (counter[0] != line.page or (len(counter) > 1 and counter[1] < counter[0])):
        return f"its page counter names another page than {line.page}"
    if key is not None and pages >= 2 and edges[key] < pages:
        return f"it is not at the edge of every page ({edges[key]} of {pages})"
    return None


def _warn_kept(ctx: ParseContext, line: PageLine, edge: str, why: str) -> None:
    ctx.warn(f"{excerpt(line.text.strip())!r} at the {edge} of the page has the form of the browser's header "
             f"or footer but {why}: kept as a line of the chat", page=line.page)


def _page_items(lines: list[dict], width: float, number: int) -> tuple[list[PageLine], list[PageLine], list[PageLine]]:
    """The page's lines: those at the top edge that look like the browser's header, the
    body, and those at the bottom edge that look like its footer."""
    start, end = 0, len(lines)
    while start < min(end, EDGE_LINES) and _is_page_noise(lines[start]["text"]):
        start += 1
    bottom = 0
    while end > start and bottom < EDGE_LINES and _is_page_noise(lines[end - 1]["text"]):
        end -= 1
        bottom += 1
    if not lines:
        return [], [], []
    # Printed pages have equal left and right margins: a line whose next character would
    # cross the right margin was wrapped by the printer.
    body = lines[start:end] or lines
    right = width - min(float(line["x0"]) for line in body)

    def item(line: dict) -> PageLine:
        chars = line.get("chars") or []
        last_width = float(chars[-1]["width"]) if chars else 0.0
        wraps = float(line["x1"]) + last_width > right + 0.5
        return PageLine(line["text"], page=number, wraps=wraps)

    return ([item(x) for x in lines[:start]], [item(x) for x in lines[start:end]],
            [item(x) for x in lines[end:]])
