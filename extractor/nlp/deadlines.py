"""Time expressions in a message, resolved against the message's own time.

A promise's time resolves forward: TAGS.md fixes the conventions (今天 → 23:59:59 that
day, 今天下午 → 18:00, N小时内 → plus N hours, 周五前 → the coming Friday 23:59:59,
尽快 → null, ...).  A shipment already made (您的包裹6月25日下午已经发出了) resolves
backward, to the window the words name (:meth:`TimeGrammar.resolve_past`).  The words
themselves come from ``rules/time.json``.  Nothing here reads the clock: every time is
computed from the time of the message that states it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from typing import Mapping
from datetime import date, datetime, time as dtime, timedelta

from .ruleset import TimeWords

END_OF_DAY = dtime(23, 59, 59)
_EVENING_PARTS = {"下午", "傍晚", "晚上", "晚间", "夜里"}
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}


def chinese_number(text: str) -> float | None:
    """0-999 written in digits or Chinese numerals (两, 十二, 二十四, 四十八); 半 is 0.5."""
    if not text:
        return None
    if text[0].isdigit():
        try:
            return float(text)
        except ValueError:
            return None
    if text == "半":
        return 0.5
    total = 0
    current = 0
    for char in text:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return float(total + current)


def _char_class(chars: str) -> str:
    return "[" + "".join(re.escape(c) for c in sorted(set(chars))) + "]"


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# 等 (等待, 等个) right before a duration: the wait a seller asks of the buyer (要等三天).
_WAIT_BEFORE = re.compile(r"等(?:待|个|上)?$")
# Where a part of the day begins, for a shipment dated by one (6月25日下午 → 12:00 to
# 18:00; the end is time.json's).  An unknown part begins at midnight: a window too wide
# never makes a shipment look later than it was.
PART_STARTS = {"上午": dtime(0), "中午": dtime(11), "下午": dtime(12), "傍晚": dtime(17),
               "晚上": dtime(18), "晚间": dtime(18), "夜里": dtime(18), "一早": dtime(5),
               "早上": dtime(5), "早晨": dtime(5), "一大早": dtime(5), "白天": dtime(6)}
# How exactly a past time is known: a clock time, a part of a day, a whole day.
EXACT, PART_OF_DAY, DAY = "exact", "part_of_day", "day"
NOT_STATED = "not_stated"  # no time in the words: done not later than the message


@dataclass(frozen=True)
class PastTime:
    """The window a statement about the past names: it happened at or after ``start``
    and at or before ``end`` (never later than the message)."""

    start: datetime
    end: datetime
    precision: str  # EXACT, PART_OF_DAY or DAY


@dataclass(frozen=True)
class TimeExpression:
    """One time expression found in a normalized text, with how to resolve it."""

    start: int
    end: int
    text: str
    groups: Mapping[str, str]

    def group(self, name: str) -> str | None:
        return self.groups.get(name)

    @property
    def vague(self) -> bool:
        return self.group("vague") is not None


class TimeGrammar:
    def __init__(self, words: TimeWords) -> None:
        self.words = words
        num = r"[0-9]+(?:\.[0-9]+)?|[零一二两三四五六七八九十百]+半?|半"
        day = _alternation([*words.days, *words.past_days, *words.fused]) or "(?!)"
        part = _alternation(words.parts) or "(?!)"
        clock_num = r"[0-9]{1,2}|[一二两三四五六七八九十]{1,3}"
        minute = r"半|[0-9]{1,2}|[一二三四五]?十[一二三四五六七八九]?|[一二三四五六七八九]"
        clock = rf"(?P<hour>{clock_num})(?:点钟?|:|：|时)(?P<minute>{minute})?分?"
        bare_clock = rf"(?P<bhour>[0-9]{{1,2}})(?:点钟?|:|：)(?P<bminute>半|[0-9]{{1,2}})?分?(?=前|之前|以前|钟|半|左右)"
        by = r"(?:前|之前|以前|内|之内|以内|为止)?"
        weekday_chars = "".join(words.weekdays) or "一"
        vague = _alternation(words.vague) or "(?!)"
        numerals = "0123456789零一二两三四五六七八九十百半"
        first = {
            "point": "".join(w[0] for w in [*words.days, *words.past_days, *words.fused]),
            "ppoint": "".join(w[0] for w in words.parts),
            "clock": "0123456789",
            "dur": numerals,
            "week": "下这本周星礼",
            "thisweek": "这本",
            "date": numerals,
            "monthend": "月",
            "lunar": "正大初",
            "vague": "".join(w[0] for w in words.vague),
        }
        alternatives = {
            "point": rf"(?P<point>(?P<day>{day})(?:的)?(?P<part>{part})?(?:{clock})?{by})",
            "ppoint": rf"(?P<ppoint>(?P<ppart>{part})(?:{clock.replace('hour', 'phour').replace('minute', 'pminute')})?{by})",
            "clock": rf"(?P<clock>{bare_clock}{by})",
            "dur": rf"(?P<dur>(?P<n>{num})(?:个)?(?P<unit>小时|钟头|h|H|天|日|工作日|周|星期|礼拜|月(?![0-9一二三四五六七八九十]))(?P<within>内|之内|以内|左右)?)",
            "week": rf"(?P<week>(?P<wprefix>下个|下|这个|这|本)?(?:周|星期|礼拜)(?P<wd>[{re.escape(weekday_chars)}]){by})",
            "thisweek": rf"(?P<thisweek>(?:这周|本周|这个星期|这星期|本星期|这礼拜|这个礼拜)(?:内|之内)?)",
            "date": rf"(?P<date>(?<![单编型尺码账房])(?:(?P<month>[0-9]{{1,2}}|[一二三四五六七八九十]{{1,3}})月)?(?P<dom>[0-9]{{1,2}}|[一二三四五六七八九十]{{1,3}})(?:日|号){by})",
            "monthend": rf"(?P<monthend>月底(?:前|之前)?)",
            "lunar": rf"(?P<lunar>(?:正月|大年)?初(?P<lday>[一二三四五六七八九十]){by})",
            "vague": rf"(?P<vague>{vague})",
        }
        # Each alternative is guarded by the characters it can start with, and the whole
        # by all of them, so most positions of a message are rejected by one set lookup.
        guarded = [f"(?={_char_class(first[name])}){alt}" for name, alt in alternatives.items() if first[name]]
        every = "".join(sorted(set("".join(first.values()))))
        self.pattern = re.compile(f"(?={_char_class(every)})(?:{'|'.join(guarded)})")

    def find(self, text: str, *, waits: bool = False) -> list[TimeExpression]:
        """The time expressions of ``text``.  ``waits``: a duration right after 等 (要等三天,
        再等两天) also counts, as the wait asked of a buyer (a window, like 3天内)."""
        found = []
        for m in self.pattern.finditer(text):
            expr = TimeExpression(m.start(), m.end(), m.group(), m.groupdict())
            if expr.group("dur") is not None and not self._bounded_duration(expr, text) \
                    and not (waits and _WAIT_BEFORE.search(text, max(0, expr.start - 3), expr.start)):
                continue
            if expr.group("date") is not None and expr.group("month") is None \
                    and not expr.group("dom")[0].isdigit():
                continue  # 一号 without a month is too often something else
            found.append(expr)
        return found

    @staticmethod
    def _bounded_duration(expr: TimeExpression, text: str) -> bool:
        """``3天内`` is a window; ``3天了`` is elapsed time.  A duration without 内 counts
        only when a shipping verb follows it directly (``48小时发货``)."""
        if expr.group("within") is not None:
            return True
        return re.match(r"(就|会|给您|给你|帮您|为您)?(发|寄|出库)", text[expr.end:expr.end + 4]) is not None

    def resolve(self, expr: TimeExpression, sent: datetime,
                day_from: TimeExpression | None = None) -> datetime | None:
        """The END of the window the expression names, or None for a vague one.
        ``day_from``: a day written just before a part of the day (6月28日 before 下午)."""
        tz = sent.tzinfo
        if expr.vague:
            return None
        if expr.group("ppoint") is not None and day_from is not None:
            day_end = self.resolve(day_from, sent)
            if day_end is not None:
                return self._point(sent, (day_end.date() - sent.date()).days, expr.group("ppart"),
                                   expr.group("phour"), expr.group("pminute"), True)
        if expr.group("dur") is not None:
            n = chinese_number(expr.group("n") or "")
            if n is None:
                return None
            unit = expr.group("unit")
            hours = {"小时": 1, "钟头": 1, "h": 1, "H": 1, "天": 24, "日": 24, "工作日": 24, "周": 168,
                     "星期": 168, "礼拜": 168, "月": 720}[unit]
            return sent + timedelta(hours=n * hours)
        if expr.group("point") is not None:
            word = expr.group("day")
            part = expr.group("part")
            if word in self.words.past_days:
                return None  # 昨天 names no deadline still to come
            if word in self.words.fused:
                days, clock = self.words.fused[word]
                if days < 0:
                    return None  # 昨晚 names no deadline still to come
                if part is None and expr.group("hour") is None:
                    return datetime.combine(sent.date() + timedelta(days=days), clock, tzinfo=tz)
                # 今晚8点: the fused word's part decides whether 8 means 20:00.
                part = part or ("晚上" if clock >= dtime(18) else None)
            else:
                days = self.words.days[word]
            return self._point(sent, days, part, expr.group("hour"), expr.group("minute"), True)
        if expr.group("ppoint") is not None:
            return self._point(sent, 0, expr.group("ppart"), expr.group("phour"),
                               expr.group("pminute"), False)
        if expr.group("clock") is not None:
            return self._point(sent, 0, None, expr.group("bhour"), expr.group("bminute"), False)
        if expr.group("week") is not None:
            weekday = self.words.weekdays[expr.group("wd")]
            prefix = expr.group("wprefix") or ""
            today = sent.date()
            if prefix.startswith("下"):
                monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
                target = monday + timedelta(days=weekday)
            elif prefix:
                target = today - timedelta(days=today.weekday()) + timedelta(days=weekday)
            else:
                target = today + timedelta(days=(weekday - today.weekday()) % 7)
            return datetime.combine(target, END_OF_DAY, tzinfo=tz)
        if expr.group("thisweek") is not None:
            today = sent.date()
            return datetime.combine(today + timedelta(days=6 - today.weekday()), END_OF_DAY, tzinfo=tz)
        if expr.group("date") is not None:
            return self._date(sent, expr.group("month"), expr.group("dom"))
        if expr.group("lunar") is not None:
            return self._lunar(sent, int(chinese_number(expr.group("lday")) or 1))
        if expr.group("monthend") is not None:
            today = sent.date()
            last = calendar.monthrange(today.year, today.month)[1]
            return datetime.combine(today.replace(day=last), END_OF_DAY, tzinfo=tz)
        return None

    # -- backward: when something already done was done -------------------------------
    def resolve_past(self, expr: TimeExpression, sent: datetime,
                     day_from: TimeExpression | None = None) -> PastTime | None:
        """The window a time names for something already done (已经发出), counted back
        from the message: 昨天 → yesterday 00:00-23:59:59, 6月25日下午 → that day 12:00-18:00,
        25号 → the latest 25th not after the message, 周五 → the latest Friday.
        ``day_from``: a day written just before a part of the day (6月25日 before 下午).
        None when the words name no day gone by (明天, 3天内, 尽快, 25号前) or a window
        that begins after the message."""
        if expr.vague or expr.group("dur") is not None or expr.group("clock") is not None:
            return None
        if expr.text.endswith(("前", "内", "为止")):
            return None  # 25号前已经发了: a bound, not a date
        part = hour = minute = None
        if expr.group("ppoint") is not None:
            day = self._past_day(day_from, sent) if day_from is not None else sent.date()
            part, hour, minute = expr.group("ppart"), expr.group("phour"), expr.group("pminute")
        else:
            day = self._past_day(expr, sent)
            if expr.group("point") is not None:
                part, hour, minute = expr.group("part"), expr.group("hour"), expr.group("minute")
                fused = self.words.fused.get(expr.group("day"))
                if fused is not None and part is None:
                    part = next((p for p, end in self.words.parts.items() if end == fused[1]), None)
        if day is None:
            return None
        tz = sent.tzinfo
        if hour is not None:
            h = chinese_number(hour)
            if h is None or h >= 24:
                return None
            h = int(h) + (12 if part in _EVENING_PARTS and h < 12 else 0)
            m = 30 if minute == "半" else (int(chinese_number(minute) or 0) if minute else 0)
            start = end = datetime.combine(day, dtime(h, min(m, 59)), tzinfo=tz)
            precision = EXACT
        elif part is not None:
            start = datetime.combine(day, PART_STARTS.get(part, dtime(0)), tzinfo=tz)
            end = datetime.combine(day, self.words.parts[part], tzinfo=tz)
            precision = PART_OF_DAY
        else:
            start = datetime.combine(day, dtime(0), tzinfo=tz)
            end = datetime.combine(day, END_OF_DAY, tzinfo=tz)
            precision = DAY
        if start > sent:
            return None
        return PastTime(start, min(end, sent), precision)

    def _past_day(self, expr: TimeExpression, sent: datetime) -> date | None:
        """The day an expression names, counted back from the message's day."""
        today = sent.date()
        if expr.group("point") is not None and expr.group("ppoint") is None:
            word = expr.group("day")
            if word in self.words.past_days:
                return today - timedelta(days=self.words.past_days[word])
            days = self.words.fused[word][0] if word in self.words.fused else self.words.days.get(word)
            return today + timedelta(days=days) if days is not None and days <= 0 else None
        if expr.group("date") is not None:
            return _past_date(today, expr.group("month"), expr.group("dom"))
        if expr.group("week") is not None:
            weekday = self.words.weekdays[expr.group("wd")]
            prefix = expr.group("wprefix") or ""
            if prefix.startswith("下"):
                return None
            if prefix:
                target = today - timedelta(days=today.weekday()) + timedelta(days=weekday)
                return target if target <= today else None
            return today - timedelta(days=(today.weekday() - weekday) % 7)
        return None

    def day_before_part(self, times: list[TimeExpression], expr: TimeExpression,
                        text: str) -> TimeExpression | None:
        """The day written right before a part of the day (6月25日下午, 周五的晚上)."""
        if expr.group("ppoint") is None:
            return None
        before = [t for t in times if t.end <= expr.start]
        if not before:
            return None
        prior = before[-1]
        joined = text[prior.end:expr.start] in ("", "的")
        names_day = prior.group("date") is not None or prior.group("week") is not None or (
            prior.group("point") is not None and prior.group("part") is None and prior.group("hour") is None)
        return prior if joined and names_day else None

    def _point(self, sent: datetime, days: int, part: str | None, hour: str | None,
               minute: str | None, has_day: bool) -> datetime | None:
        day = sent.date() + timedelta(days=days)
        tz = sent.tzinfo
        if hour is not None:
            h = chinese_number(hour)
            if h is None or h > 24:
                return None
            m = 30 if minute == "半" else (int(chinese_number(minute) or 0) if minute else 0)
            h = int(h)
            if part in _EVENING_PARTS and h < 12:
                h += 12
            elif part is None and not has_day and h < 12:
                # 5点前 said in the afternoon means 17:00, not 05:00 already gone.
                if dtime(h, min(m, 59)) <= sent.time() < dtime(h + 12, min(m, 59)):
                    h += 12
            if h == 24:
                return datetime.combine(day, END_OF_DAY, tzinfo=tz)
            return datetime.combine(day, dtime(h, min(m, 59)), tzinfo=tz)
        if part is not None:
            return datetime.combine(day, self.words.parts[part], tzinfo=tz)
        return datetime.combine(day, END_OF_DAY, tzinfo=tz)

    def _lunar(self, sent: datetime, day: int) -> datetime | None:
        """初八 near the Spring Festival: that day of the first lunar month.  Away from
        the festival, or in a year the table does not cover, the day is unknown."""
        for year in (sent.year, sent.year + 1):
            new_year = self.words.lunar_new_year.get(year)
            if new_year is not None and -40 <= (sent.date() - new_year).days <= 30:
                return datetime.combine(new_year + timedelta(days=day - 1), END_OF_DAY, tzinfo=sent.tzinfo)
        return None

    @staticmethod
    def _date(sent: datetime, month: str | None, dom: str | None) -> datetime | None:
        today = sent.date()
        found = _day_this_year(today, month, dom)
        if found is None:
            return None
        target, month_number, day_number = found
        year = today.year
        if month is None and target < today:
            # 25号 said on the 27th means next month's 25th.
            next_month = month_number % 12 + 1
            next_year = year + (1 if month_number == 12 else 0)
            try:
                target = date(next_year, next_month, int(day_number))
            except ValueError:
                return None
        elif month is not None and (today - target).days > 180:
            target = target.replace(year=year + 1)
        return datetime.combine(target, END_OF_DAY, tzinfo=sent.tzinfo)


def _day_this_year(today: date, month: str | None, dom: str | None) -> tuple[date, int, int] | None:
    """The day 6月25日 / 25号 names in ``today``'s year (its month when none is said), with
    the month and day numbers; None when the words name no real day."""
    day_number = chinese_number(dom or "")
    if day_number is None:
        return None
    month_number = today.month
    if month is not None:
        parsed = chinese_number(month)
        if parsed is None or not 1 <= parsed <= 12:
            return None
        month_number = int(parsed)
    try:
        return date(today.year, month_number, int(day_number)), month_number, int(day_number)
    except ValueError:
        return None


def _past_date(today: date, month: str | None, dom: str | None) -> date | None:
    """6月25日 / 25号 said on a later day: the latest such day not after ``today``."""
    found = _day_this_year(today, month, dom)
    if found is None:
        return None
    target, month_number, day_number = found
    year = today.year
    if target <= today:
        return target
    try:
        if month is not None:
            return target.replace(year=year - 1)  # 12月30日 said on 1月2日
        previous = (month_number - 2) % 12 + 1  # 25号 said on the 3rd: last month's
        return date(year - (1 if month_number == 1 else 0), previous, int(day_number))
    except ValueError:
        return None
