"""Call notes kept by shop staff: free text, one note a line.

    6月24日 10:20 打电话给买家tb_9527xiaoyu（138****5678），无人接听
    2022-06-25 09:35 再次致电买家，接通，买家说地址没问题，同意发货
    7月3日上午9点15分 售后阿明去电，关机

A note starts with a date (``2022-06-25``, ``2022/06/27``, ``6月24日``) and a time
(``10:20``, ``上午9点15分``, ``下午3点``, ``晚上9点半``) and says something about a phone
call.  The outcome words decide whether the call was answered; the call went out unless
the note says the buyer called.  The note itself is kept verbatim as the event's text.
Which buyer a note is about is decided later, by :mod:`extractor.join`, from the number
or nick written in it.

A date without a year takes the year of the neighbouring notes; a file with no dated
note at all takes the year of the run's other inputs (``ParseOptions.year_hint``, filled
in by the timeline, which parses such a file a second time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time as dtime, timedelta
from typing import Iterator

from ..model import Call, Event
from .base import InputFile, ParseContext, SourceFormat, plausible_year, register
from .call_records import fill_years

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_NUM = r"\d{1,2}|[零一二两三四五六七八九十]{1,3}"

NOTE_HEAD_RE = re.compile(
    r"""^\s*
    (?:
        (?P<y>\d{4})\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?
      | (?P<mo2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*[日号]
      | (?P<mo3>\d{1,2})[-/](?P<d3>\d{1,2})(?=\s)
    )
    [\s,，]*
    (?P<ap>凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间)?\s*
    (?:
        (?P<h>\d{1,2})\s*[:：]\s*(?P<mi>\d{2})(?:\s*[:：]\s*(?P<s>\d{2}))?
      | (?P<hc>"""
    + _NUM
    + r""")\s*[点點时]\s*(?:(?P<half>半)|(?P<quarter>[一三])刻|(?P<mc>"""
    + _NUM
    + r""")\s*分?)?
    )?
    """,
    re.VERBOSE,
)

# Words that make a dated line a note about a phone call.
_CALL_WORDS_RE = re.compile(
    r"电话|致电|去电|来电|回电|拨打|打给|通话|呼叫|接通|接听|无人接|未接|没接|关机|拒接|挂断|占线|停机|空号")
# Outcomes, strongest first: a definite "not answered" wins over 接通 (未接通 contains
# it); 接通 / 接听 win over a later 挂断 (接通后买家挂断 was answered).
_UNANSWERED_RE = re.compile(
    r"无人接听?|没人接|没有人接|未接通|没接通|没有接通|无法接通|打不通|未接听|没接听|拒接|拒听|关机|占线|停机|空号|忙音")
# A stated length of the call (通话3分钟, 通话约两分钟, 通话了半分钟) says it was answered.
_ANSWERED_RE = re.compile(r"接通|接听|已接|聊了|沟通了|"
                          r"通话\s*(?:了|时长|时间)?[:：]?\s*(?:约|大约|大概|将近|近|不到|了)?"
                          r"[\d一二两三四五六七八九十几半]+(?:多)?(?:个)?(?:分钟|分|秒|小时|min)")
_HUNG_UP_RE = re.compile(r"挂断|挂了|挂掉|不接|没接")
# The buyer called the shop (买家来电); not "给买家回电", which is the shop calling back.
_INCOMING_RE = re.compile(
    r"(?<![给向])(?:买家|对方|客户|顾客|用户)\s*(?:主动)?\s*(?:来电|回电|打来|打过来|打进来|来电话|打电话过来)"
    r"|^\s*来电|接到[^，,。；;]{0,12}(?:来电|电话)")
_STAFF_RE = re.compile(
    r"^\s*(?P<name>(?:售后|客服|店长|运营|主管|组长|仓库|财务)[\u4e00-\u9fffA-Za-z0-9]{0,4}?)"
    r"(?=去电|致电|打电话|打给|电话|拨打|回电|联系|给)")
_RECORDER_RE = re.compile(r"(?:记录人|经办人|记录)\s*[:：]\s*(?P<name>[^\s，,。)）]{1,12})")
# Phone numbers as staff write them: full (with +86, spaces or dashes), masked, a tail
# number (尾号5678), or a landline.
NUMBER_RE = re.compile(
    r"(?<![\d*＊])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?!\d)"
    r"|(?<!\d)1[3-9]\d[*＊xX×]{3,5}\d{3,4}(?!\d)"
    r"|尾号\s*\d{4}(?!\d)"
    r"|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")
# A chat export's message header (layout B: date, time with seconds, sender and a colon).
_CHAT_LINE_RE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}:\d{2}\s+[^\s:：]{1,40}[:：]")


def _cn_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    value = 0
    for ch in text:  # 零五 → 5
        value = value * 10 + _CN_DIGITS[ch]
    return value


@dataclass(frozen=True)
class _NoteHead:
    year: int | None
    month: int
    day: int
    clock: dtime | None
    next_day: bool  # 晚上12点: midnight, the start of the next day
    body: str       # the text after the date and time


def read_head(line: str) -> _NoteHead | None:
    """Date, time and the rest of a note line; None when it does not start with a date.
    Raises ValueError for a time that cannot be (25:00, 下午15点)."""
    match = NOTE_HEAD_RE.match(line)
    if match is None:
        return None
    year = int(match["y"]) if match["y"] else None
    if year is not None and not plausible_year(year):
        raise ValueError(f"{year} is not the year of a call note")
    month = int(match["mo"] or match["mo2"] or match["mo3"])
    day = int(match["d"] or match["d2"] or match["d3"])
    body = line[match.end():]
    next_day = False
    if match["h"] is not None:
        hour, minute, second = int(match["h"]), int(match["mi"]), int(match["s"] or 0)
    elif match["hc"] is not None:
        hour, minute, second = _cn_number(match["hc"]), 0, 0
        if match["half"]:
            minute = 30
        elif match["quarter"]:
            minute = 15 * _cn_number(match["quarter"])
        elif match["mc"]:
            minute = _cn_number(match["mc"])
    else:
        return _NoteHead(year, month, day, None, False, body)
    period = match["ap"]
    if period in ("下午", "傍晚", "晚上", "夜里", "夜间") and 1 <= hour < 12:
        hour += 12
    elif period == "中午" and 1 <= hour < 11:
        hour += 12
    elif period in ("晚上", "夜里", "夜间") and hour == 12:
        hour, next_day = 0, True
    elif period in ("凌晨", "早上", "早晨", "上午") and hour > 12:
        raise ValueError(f"{period}{hour}点 is not a time of day")
    return _NoteHead(year, month, day, dtime(hour, minute, second), next_day, body)


def outcome(body: str) -> bool | None:
    """True answered, False not answered, None when the note does not say."""
    if _UNANSWERED_RE.search(body):
        return False
    if _ANSWERED_RE.search(body):
        return True
    if _HUNG_UP_RE.search(body):
        return False
    return None


def staff_name(body: str, ctx: ParseContext) -> str | None:
    for account in ctx.options.staff:
        name = account.split(":")[-1].split("：")[-1].strip()
        if name and name in body:
            return name
    match = _STAFF_RE.match(body) or _RECORDER_RE.search(body)
    return match["name"] if match else None


def is_note_line(line: str) -> bool:
    """A dated line about a phone call (used by the sniff; the parser says why not)."""
    if _CHAT_LINE_RE.match(line) or line.count(",") >= 4 or line.count("\t") >= 3:
        return False
    try:
        head = read_head(line)
    except ValueError:
        return False
    return head is not None and head.clock is not None and bool(_CALL_WORDS_RE.search(head.body))


@register
class CallNotes(SourceFormat):
    NAME = "call-notes"
    DESCRIPTION = "staff call notes, free text, one note a line (6月24日 10:20 …，无人接听)"
    PRIORITY = 80  # liberal text format: after every format with a header of its own

    def sniff(self, file: InputFile) -> bool:
        if file.head.startswith((b"PK\x03\x04", b"%PDF", b"{", b"<")):
            return False
        lines = [ln for ln in file.head_text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")[:40]
                 if ln.strip()]
        if len(file.data) > len(file.head) and len(lines) > 1:
            lines = lines[:-1]  # the head cut the last line short
        if not lines or any(_CHAT_LINE_RE.match(ln) or ln.startswith("====") for ln in lines):
            return False
        notes = sum(is_note_line(ln) for ln in lines)
        return notes >= 1 and notes * 2 >= len(lines)

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:
        heads: list[tuple[int, str, _NoteHead]] = []
        for number, line in enumerate(file.lines, start=1):
            if not line.strip():
                continue
            try:
                head = read_head(line)
            except ValueError as exc:
                ctx.warn(f"not a call note: {exc}", line=number)
                continue
            if head is None:
                ctx.warn("not a call note (no date at the start of the line)", line=number)
                continue
            if head.clock is None:
                ctx.warn("call note without a time of day: not placed on the timeline", line=number)
                continue
            if not _CALL_WORDS_RE.search(head.body):
                ctx.warn("not a call note (nothing in it about a phone call)", line=number)
                continue
            heads.append((number, line, head))
        years = fill_years([(h.year, h.month, h.day) for _, _, h in heads])
        for (number, line, head), year in zip(heads, years):
            if year is not None and head.year is None:
                ctx.warn(f"{head.month}月{head.day}日 has no year: took {year} from the "
                         "neighbouring notes of this file", line=number)
            year = year or ctx.options.year_hint
            if year is None:
                ctx.missing_year = True
                ctx.warn(f"{head.month}月{head.day}日 has no year and no other note in this file "
                         "has one: note left out", line=number)
                continue
            try:
                when = datetime(year, head.month, head.day, head.clock.hour, head.clock.minute,
                                head.clock.second)
            except ValueError:
                ctx.warn(f"{year}-{head.month:02d}-{head.day:02d} is not a date: note left out", line=number)
                continue
            if head.next_day:
                when += timedelta(days=1)
            yield self._note(line, number, head, when, ctx)

    @staticmethod
    def _note(line: str, number: int, head: _NoteHead, when: datetime, ctx: ParseContext) -> Event:
        answered = outcome(head.body)
        if answered is None:
            ctx.warn("the note does not say whether the call was answered (接通, 无人接听, 挂断…): "
                     "recorded as not answered", line=number)
        numbers = list(dict.fromkeys(m.group(0) for m in NUMBER_RE.finditer(head.body)))
        if len(numbers) > 1:
            ctx.warn(f"several numbers in one note ({', '.join(numbers)}): the first is the call's",
                     line=number)
        return Event(
            time=ctx.localize(when),
            role="seller",
            kind="note",
            sender=staff_name(head.body, ctx),
            buyer=None,
            text=line,
            source=ctx.source(line=number),
            call=Call(
                direction="in" if _INCOMING_RE.search(head.body) else "out",
                duration_s=None,
                number=numbers[0] if numbers else None,
                answered=bool(answered),
            ),
        )
