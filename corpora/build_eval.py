"""Build the labelled evaluation corpus from its hand-written sources.

Each ``corpora/eval/src/<split>/*.conv`` file is one buyer's conversation with one shop,
written and labelled by hand (the authoring format is described in corpora/eval/README.md).
This script renders every conversation into the export format its header names (wangwang
layout A or B, Qianniu clipboard, chat sheet CSV, plus a call-notes file when the
conversation has call notes) under ``corpora/eval/<split>/`` and writes
``corpora/eval/<split>/gold.jsonl``: one object per event, with the hand labels and the
structural labels (seller_contact, seller_initiated, buyer_silence) derived here by a direct
reading of TAGS.md, independent of the tagger.

Usage:  python corpora/build_eval.py [--out DIR] [--stats] [--split NAME ...]

The output is deterministic: the same sources give the same bytes on every run.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
EVAL = HERE / "eval"
SPLITS = ("test", "dev", "dev2", "dev3", "dev4", "dev5", "dev6", "dev7", "dev8", "dev9", "dev10", "dev11", "dev12")
BEIJING = timezone(timedelta(hours=8))

MESSAGE_LABELS = (
    "shipping_promise",
    "shipped",
    "return_claim",
    "delay_claim",
    "compensation_demand",
    "threat",
    "delay_agreed",  # the project's extension of TAGS.md (docs/tags.md, issue 16)
)
STRUCTURAL_LABELS = ("seller_contact", "seller_initiated", "buyer_silence")
ALL_LABELS = STRUCTURAL_LABELS + MESSAGE_LABELS
RETURN_REASONS = (
    "ineffective",
    "allergy",
    "quality",
    "damaged",
    "wrong_item",
    "missing_item",
    "not_as_described",
    "no_reason",
)
DELAY_REASONS = ("out_of_stock", "late_shipment", "fake_shipment")
SELLER_LABELS = {"shipping_promise", "shipped"}
BUYER_LABELS = {"return_claim", "delay_claim", "compensation_demand", "threat", "delay_agreed"}

# Authoring metadata, never written to gold: what kind of decoy a message is, and which
# deadline convention of TAGS.md a shipping promise exercises (so coverage can be counted).
DECOY_KINDS = (
    "negation",  # 不是质量问题, 没有过敏, 已经不过敏了, 不会给差评
    "hypothetical",  # 如果过敏能退吗
    "policy_question",  # 支持七天无理由吗, 发什么快递
    "boilerplate",  # the seller's own 如有过敏请停用, 差评 / 投诉 wording in seller messages
    "quote",  # the buyer quoting the seller, a courier or the platform
    "question",  # 什么时候发货？ 是没货了吗？
    "transit",  # 物流太慢, 快递还没到 (after shipment)
    "arrival",  # 预计3号送达
    "refusal",  # 今天发不了 (no other time)
    "no_grounds",  # 我要退款, 申请退货 with no reason
    "auto_reply",  # promise-like or claim-like auto-replies
    "waived",  # a problem mentioned while explicitly not asking to return
    "seller_offer",  # the seller offering 补偿 / 红包 / 退差价
    "vague_reference",  # 还是那个问题 (no grounds stated)
    "seller_question",  # the seller asking or proposing a time (明天发可以吗？)
    "buyer_shipment",  # the buyer's own return parcel (寄回去了，单号…)
    "mention",  # a trigger word used for something else (我家狗对牛肉过敏)
    "postage",  # asking the shop to pay return postage in a defect case (ordinary after-sales)
    "praise",  # praise that uses claim words (效果很好, 质量没得说)
    "partial_refund",  # part of the price back (退一半, 部分退款, 退点钱): a refund, not compensation
)
PROMISE_FORMS = (
    "today",  # 今天 → 23:59:59
    "today_afternoon",  # 今天下午 → 18:00
    "today_morning",  # 今天上午 → 12:00 (a labelling decision)
    "tonight",  # 今晚 → 23:59:59
    "tomorrow",  # 明天 → next day 23:59:59
    "tomorrow_morning",  # 明天上午 → next day 12:00
    "tomorrow_early",  # 明天一早 → next day 10:00
    "tomorrow_afternoon",  # 明天下午 → next day 18:00 (a labelling decision)
    "day_after",  # 后天 → 23:59:59 two days on
    "n_hours",  # N小时内 → + N hours
    "n_days",  # N天内 → + N × 24 hours
    "friday",  # 周五前 / 周五之前 → coming Friday 23:59:59
    "asap",  # 尽快 → null
    "no_time",  # 给您发 with no time → null
    "conditional",  # 到货后尽快给您发 → null
    "hedged_today",  # 预计今天发货 → today's end
    "hedged_hours",  # 一般72小时内发货 → + 72 hours
    "agreement",  # 是的亲 in answer to 今天能发吗 → that day's end
    "clock_time",  # 下午5点前 → that time (a labelling decision)
    "named_date",  # 4月3号发货 → 23:59:59 that date (a labelling decision)
)

SPEAKERS = ("B", "S", "AUTO", "SYS", "INFO", "XFER", "RECALL", "NOTE")
FORMATS = {
    # format: {encoding: newline}
    "wangwang-a": {"gbk": "\r\n", "utf-8": "\r\n"},
    "wangwang-b": {"gbk": "\r\n", "utf-8": "\n"},
    "clipboard": {"utf-8": "\r\n", "utf-16": "\r\n"},
    "sheet": {"utf-8-sig": "\n", "gbk": "\r\n"},
}
CATEGORIES = (
    "cosmetics",
    "supplements",
    "clothing",
    "shoes",
    "electronics",
    "food",
    "home",
    "baby",
    "pets",
    "books",
    "toys",
    "sports",
)
BUYER_TYPES = ("honest", "malicious", "rival", "unclear")
SCRIPTS = ("simplified", "traditional", "mixed")

RULE_A = "=" * 64
SESSION_A = "-" * 64

_TOKEN = re.compile(r"(?:^|\s+)#([a-z_]+)(?::(\S+))?\s*$")
_ENTRY = re.compile(
    r"^(?P<time>\d\d:\d\d(?::\d\d)?) +(?P<speaker>[A-Z]+)\b *(?P<name>[^|]*?) *(?:\| ?(?P<text>.*))?$"
)
_DATE_LINE = re.compile(r"^\[(\d{4}-\d\d-\d\d)\]$")
_HEADER = re.compile(r"^([a-z_]+):\s*(.*?)\s*$")


class ConvError(ValueError):
    """A .conv file that does not follow the authoring format (names file and line)."""


@dataclass(frozen=True)
class GoldLabel:
    label: str
    value: str | None = None  # reason, deadline (ISO) or tracking; None where absent/null


@dataclass(frozen=True)
class Entry:
    speaker: str
    time: datetime
    name: str
    text: str
    src_line: int
    labels: tuple[GoldLabel, ...] = ()
    decoys: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    session_break: bool = False

    @property
    def is_note(self) -> bool:
        return self.speaker == "NOTE"

    @property
    def note_direction(self) -> str:
        return self.name.split()[0]

    @property
    def note_answered(self) -> bool:
        return self.name.split()[1] == "ans"

    def structural_role(self) -> str | None:
        """The role an event plays in TAGS.md's structural rules: system lines, transfers,
        recalls and auto-replies are nobody's contact (None)."""
        if self.speaker == "B":
            return "buyer"
        if self.speaker == "S":
            return "seller"
        if self.speaker == "NOTE":
            return "seller" if self.note_direction == "out" else "buyer"
        return None


@dataclass(frozen=True)
class Conversation:
    path: Path
    header: dict[str, str]
    entries: tuple[Entry, ...]

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def buyer(self) -> str:
        return self.header["buyer"]

    @property
    def shop(self) -> str:
        return self.header["shop"]

    @property
    def colon(self) -> str:
        return "：" if self.header.get("colon") == "fullwidth" else ":"

    def account(self, sub: str) -> str:
        return f"{self.shop}{self.colon}{sub}"


# ---------------------------------------------------------------------------- parsing


def parse_conv(path: Path) -> Conversation:
    raw = path.read_text(encoding="utf-8").split("\n")
    where = lambda n: f"{path}:{n}"  # noqa: E731
    header: dict[str, str] = {}
    index = 0
    while index < len(raw) and raw[index].strip():
        line = raw[index]
        index += 1
        if line.startswith("//"):
            continue
        match = _HEADER.match(line)
        if not match:
            raise ConvError(f"{where(index)}: header line is not `key: value`")
        header[match.group(1)] = match.group(2)
    for key in ("shop", "buyer", "category", "buyer_type", "format", "encoding", "script", "date"):
        if key not in header:
            raise ConvError(f"{path}: header lacks `{key}:`")
    _check_header(path, header)

    day = date.fromisoformat(header["date"])
    entries: list[Entry] = []
    pending_break = False
    open_entry = False  # whether indented lines still continue entries[-1]
    for number, line in enumerate(raw[index:], start=index + 1):
        if line.startswith("//"):
            continue
        if not line.strip():
            open_entry = False
            continue
        if line.startswith("  ") and open_entry:
            text, labels, decoys, forms = _strip_tokens(line[2:], where(number))
            last = entries[-1]
            more_text = text or not (labels or decoys or forms)
            entries[-1] = replace(
                last,
                text=last.text + "\n" + text if more_text else last.text,
                labels=last.labels + labels,
                decoys=last.decoys + decoys,
                forms=last.forms + forms,
            )
            continue
        open_entry = False
        if (m := _DATE_LINE.match(line)):
            day = date.fromisoformat(m.group(1))
            continue
        if line.strip() == "---":
            pending_break = True
            continue
        m = _ENTRY.match(line)
        if not m or m.group("speaker") not in SPEAKERS:
            raise ConvError(f"{where(number)}: not an entry, date line, --- or indented continuation")
        clock = m.group("time") if len(m.group("time")) == 8 else m.group("time") + ":00"
        moment = datetime.fromisoformat(f"{day.isoformat()}T{clock}").replace(tzinfo=BEIJING)
        text, labels, decoys, forms = _strip_tokens(m.group("text") or "", where(number))
        entries.append(
            Entry(
                speaker=m.group("speaker"),
                time=moment,
                name=m.group("name").strip(),
                text=text,
                src_line=number,
                labels=labels,
                decoys=decoys,
                forms=forms,
                session_break=pending_break,
            )
        )
        pending_break = False
        open_entry = True
    conv = Conversation(path, header, tuple(entries))
    for entry in entries:
        _check_entry(conv, entry)
    _check_order(conv)
    return conv


def _check_header(path: Path, header: dict[str, str]) -> None:
    fmt, enc = header["format"], header["encoding"]
    if fmt not in FORMATS or enc not in FORMATS[fmt]:
        raise ConvError(f"{path}: format {fmt!r} with encoding {enc!r} is not one we render")
    if header["category"] not in CATEGORIES:
        raise ConvError(f"{path}: unknown category {header['category']!r}")
    if header["buyer_type"] not in BUYER_TYPES:
        raise ConvError(f"{path}: unknown buyer_type {header['buyer_type']!r}")
    if header["script"] not in SCRIPTS:
        raise ConvError(f"{path}: unknown script {header['script']!r}")
    if header.get("colon", "halfwidth") not in ("halfwidth", "fullwidth"):
        raise ConvError(f"{path}: colon must be halfwidth or fullwidth")
    if header.get("status_lines", "no") not in ("yes", "no"):
        raise ConvError(f"{path}: status_lines must be yes or no")


def _strip_tokens(text: str, where: str) -> tuple[str, tuple[GoldLabel, ...], tuple[str, ...], tuple[str, ...]]:
    labels: list[GoldLabel] = []
    decoys: list[str] = []
    forms: list[str] = []
    while (m := _TOKEN.search(text)) and m.group(1) in (*MESSAGE_LABELS, "decoy", "form"):
        name, value = m.group(1), m.group(2)
        text = text[: m.start()]
        if name == "decoy":
            if value not in DECOY_KINDS:
                raise ConvError(f"{where}: unknown decoy kind {value!r}")
            decoys.insert(0, value)
        elif name == "form":
            if value not in PROMISE_FORMS:
                raise ConvError(f"{where}: unknown promise form {value!r}")
            forms.insert(0, value)
        else:
            labels.insert(0, GoldLabel(name, _label_value(name, value, where)))
    return text, tuple(labels), tuple(decoys), tuple(forms)


def _label_value(name: str, value: str | None, where: str) -> str | None:
    if name == "return_claim":
        if value not in RETURN_REASONS:
            raise ConvError(f"{where}: return_claim needs one of {RETURN_REASONS}, got {value!r}")
        return value
    if name == "delay_claim":
        if value not in DELAY_REASONS:
            raise ConvError(f"{where}: delay_claim needs one of {DELAY_REASONS}, got {value!r}")
        return value
    if name in ("shipping_promise", "delay_agreed"):
        if value is None:
            raise ConvError(f"{where}: {name} needs :DEADLINE or :null")
        if value == "null":
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ConvError(f"{where}: deadline {value!r} is not ISO 8601") from None
        if moment.utcoffset() != timedelta(hours=8):
            raise ConvError(f"{where}: deadline {value!r} must carry +08:00")
        return moment.isoformat()
    if name == "shipped":
        return None if value in (None, "null") else value
    if value is not None:
        raise ConvError(f"{where}: {name} takes no value")
    return None


def _check_entry(conv: Conversation, entry: Entry) -> None:
    where = f"{conv.path}:{entry.src_line}"
    if entry.speaker in ("B", "S", "AUTO", "SYS", "INFO", "NOTE") and not entry.text.strip():
        raise ConvError(f"{where}: {entry.speaker} entry without text")
    if entry.speaker in ("S", "AUTO") and not entry.name:
        raise ConvError(f"{where}: seller entry without a sub-account name")
    if entry.speaker == "NOTE":
        parts = entry.name.split()
        if len(parts) != 2 or parts[0] not in ("out", "in") or parts[1] not in ("ans", "noans"):
            raise ConvError(f"{where}: NOTE needs `out|in ans|noans`")
    if entry.speaker == "XFER" and ">" not in entry.name:
        raise ConvError(f"{where}: XFER needs `FROM>TO`")
    allowed = {"B": BUYER_LABELS, "S": SELLER_LABELS}.get(entry.speaker, set())
    for label in entry.labels:
        if label.label not in allowed:
            raise ConvError(f"{where}: {label.label} is not possible on a {entry.speaker} entry")
        if label.label == "shipping_promise" and label.value is not None:
            deadline = datetime.fromisoformat(label.value)
            if not entry.time < deadline <= entry.time + timedelta(days=8):
                raise ConvError(f"{where}: deadline {label.value} is not within 8 days after the message")
        if label.label == "delay_agreed" and label.value is not None:
            # the seller named the day before the buyer agreed: a day or so before the message
            deadline = datetime.fromisoformat(label.value)
            if not entry.time - timedelta(days=2) < deadline <= entry.time + timedelta(days=31):
                raise ConvError(f"{where}: agreed deadline {label.value} is not within a month of the message")
    reasons = [(l.label, l.value) for l in entry.labels]
    if len(reasons) != len(set(reasons)):
        raise ConvError(f"{where}: a label with the same reason twice")
    promises = [l for l in entry.labels if l.label == "shipping_promise"]
    if len(promises) != len(entry.forms):
        raise ConvError(f"{where}: each shipping_promise needs exactly one #form:KIND (and only they)")
    for promise, form in zip(promises, entry.forms):
        problem = _form_mismatch(entry.time, form, promise.value)
        if problem:
            raise ConvError(f"{where}: deadline {promise.value} does not fit #form:{form}: {problem}")
    if conv.header["encoding"] == "gbk":
        try:
            (entry.text + entry.name + conv.buyer + conv.shop).encode("gbk")
        except UnicodeEncodeError as exc:
            raise ConvError(f"{where}: {exc.object[exc.start:exc.end]!r} cannot be written in GBK") from None


def _form_mismatch(sent: datetime, form: str, value: str | None) -> str | None:
    """Arithmetic check of a hand-computed deadline against the convention the author
    says it follows (catches slips such as a wrong day; it does not read the text)."""
    if form in ("asap", "no_time", "conditional"):
        return None if value is None else "this convention has no deadline"
    if value is None:
        return "this convention needs a deadline"
    deadline = datetime.fromisoformat(value)
    days = (deadline.date() - sent.date()).days
    clock = deadline.strftime("%H:%M:%S")
    fixed = {
        "today": (0, "23:59:59"),
        "tonight": (0, "23:59:59"),
        "hedged_today": (0, "23:59:59"),
        "today_afternoon": (0, "18:00:00"),
        "today_morning": (0, "12:00:00"),
        "tomorrow": (1, "23:59:59"),
        "tomorrow_morning": (1, "12:00:00"),
        "tomorrow_early": (1, "10:00:00"),
        "tomorrow_afternoon": (1, "18:00:00"),
        "day_after": (2, "23:59:59"),
    }
    if form in fixed:
        return None if (days, clock) == fixed[form] else f"expected +{fixed[form][0]} day(s) at {fixed[form][1]}"
    delta = deadline - sent
    if form in ("n_hours", "hedged_hours"):
        return None if delta.total_seconds() % 3600 == 0 else "not a whole number of hours after the message"
    if form == "n_days":
        return None if delta.total_seconds() % 86400 == 0 else "not a whole number of days after the message"
    if form == "friday":
        if sent.weekday() == 4:
            return "周五前 said on a Friday is ambiguous; not used"
        ok = deadline.weekday() == 4 and clock == "23:59:59" and 0 < days <= 7
        return None if ok else "expected the coming Friday at 23:59:59"
    if form == "named_date":
        return None if clock == "23:59:59" and days >= 0 else "expected 23:59:59 on the named date"
    if form == "agreement":
        return None if clock == "23:59:59" and 0 <= days <= 2 else "expected the end of the agreed day"
    return None


def _check_order(conv: Conversation) -> None:
    for before, after in zip(conv.entries, conv.entries[1:]):
        if after.time < before.time:
            raise ConvError(f"{conv.path}:{after.src_line}: time goes backwards")


def load_split(split: str, src_root: Path | None = None) -> list[Conversation]:
    root = (src_root or EVAL / "src") / split
    convs = [parse_conv(path) for path in sorted(root.glob("*.conv"))]
    seen: dict[str, Path] = {}
    for conv in convs:
        if conv.buyer in seen:
            raise ConvError(f"{conv.path}: buyer {conv.buyer} already used in {seen[conv.buyer]}")
        seen[conv.buyer] = conv.path
    return convs


# ------------------------------------------------------------------- structural labels


def structural_labels(conv: Conversation) -> dict[int, list[GoldLabel]]:
    """seller_contact, seller_initiated and buyer_silence per TAGS.md, keyed by entry index.

    Only buyer and seller events take part (messages and call notes); system lines,
    transfers, recalls and auto-replies are skipped entirely, as TAGS.md says.
    """
    events = [(i, e) for i, e in enumerate(conv.entries) if e.structural_role() is not None]
    result: dict[int, list[GoldLabel]] = {}
    last_time = events[-1][1].time if events else None
    for position, (index, entry) in enumerate(events):
        if entry.structural_role() != "seller":
            continue
        labels = [GoldLabel("seller_contact")]
        previous = events[position - 1][1] if position else None
        if previous is None or (
            entry.time - previous.time >= timedelta(minutes=30)
            and not (
                previous.structural_role() == "buyer"
                and entry.time - previous.time < timedelta(hours=12)
            )
        ):
            labels.append(GoldLabel("seller_initiated"))
        answer = next(
            (
                later
                for _, later in events[position + 1 :]
                if later.structural_role() == "buyer"
                or (later.is_note and later.note_direction == "out" and later.note_answered)
            ),
            None,
        )
        end = answer.time if answer is not None else last_time
        span = end - entry.time
        if span >= timedelta(hours=24):
            hours = (Decimal(int(span.total_seconds())) / Decimal(3600)).quantize(
                Decimal("0.1"), rounding=ROUND_HALF_UP
            )
            labels.append(GoldLabel("buyer_silence", str(hours)))
        result[index] = labels
    return result


# ----------------------------------------------------------------------- rendering


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _clip_stamp(moment: datetime) -> str:
    return f"{moment.year}-{moment.month}-{moment.day} {moment.hour}:{moment.minute:02d}:{moment.second:02d}"


def _display_text(conv: Conversation, entry: Entry) -> str:
    if entry.speaker == "AUTO" and "自动回复" not in entry.text:
        return "[自动回复]" + entry.text
    if entry.speaker == "XFER":
        source, target = (part.strip() for part in entry.name.split(">"))
        return f"由 {conv.account(source)} 转交给 {conv.account(target)}"
    if entry.speaker == "RECALL":
        who = conv.buyer if entry.name in ("", "B") else conv.account(entry.name)
        return f"{who} 撤回了一条消息"
    return entry.text


def _sender(conv: Conversation, entry: Entry) -> str:
    if entry.speaker == "B":
        return conv.buyer
    if entry.speaker in ("S", "AUTO"):
        return conv.account(entry.name)
    if entry.speaker == "SYS":
        return entry.name or "系统提示"
    return "系统提示"


def render_wangwang_a(conv: Conversation, chat: list[Entry]) -> tuple[list[str], list[int]]:
    lines = [
        RULE_A,
        "消息记录（此消息记录为文本格式，不支持重新导入）",
        RULE_A,
        "单聊",
        RULE_A,
        f"消息对象:{conv.buyer}",
        RULE_A,
    ]
    positions = []
    for number, entry in enumerate(chat):
        if entry.session_break and number:
            lines.append(SESSION_A)
        first, *rest = _display_text(conv, entry).split("\n")
        positions.append(len(lines) + 1)
        lines.append(f"{_sender(conv, entry)}({_stamp(entry.time)}): {first}")
        lines.extend(rest)
    return lines, positions


def render_wangwang_b(conv: Conversation, chat: list[Entry]) -> tuple[list[str], list[int]]:
    lines = ["消息记录", f"对象: {conv.buyer}", "即时消息"]
    positions = []
    for number, entry in enumerate(chat):
        if entry.session_break and number:
            lines.append(chat[number - 1].time.date().isoformat())
        first, *rest = _display_text(conv, entry).split("\n")
        positions.append(len(lines) + 1)
        lines.append(f"{_stamp(entry.time)} {_sender(conv, entry)}: {first}")
        lines.extend(rest)
    if chat:
        lines.append(chat[-1].time.date().isoformat())
    return lines, positions


def render_clipboard(conv: Conversation, chat: list[Entry]) -> tuple[list[str], list[int]]:
    """Qianniu clipboard: seller headers abut the time (as the client pastes them), status
    lines follow seller messages when the header asks for them, and transfers, recalls and
    INFO lines stand alone without a time."""
    abut = conv.header.get("abut", "seller")
    status = conv.header.get("status_lines", "no") == "yes"
    lines: list[str] = []
    positions = []
    for number, entry in enumerate(chat):
        positions.append(len(lines) + 1)
        if entry.speaker in ("XFER", "RECALL", "INFO"):
            lines.append(_display_text(conv, entry))
            continue
        seller_side = entry.speaker in ("S", "AUTO")
        gap = "" if abut == "all" or (abut == "seller" and seller_side) else " "
        lines.append(f"{_sender(conv, entry)}{gap}{_clip_stamp(entry.time)}")
        lines.extend(_display_text(conv, entry).split("\n"))
        if status and entry.speaker == "S":
            answered = any(later.speaker == "B" for later in chat[number + 1 :])
            lines.append("已读" if answered else "未读")
    return lines, positions


def render_sheet(conv: Conversation, chat: list[Entry], newline: str) -> tuple[str, list[int]]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(["客户名", "消息序号", "发送时间", "发送内容", "发送账号", "账号类型"])
    positions = []
    for number, entry in enumerate(chat, start=1):
        kind = {"B": "客户", "S": "客服", "AUTO": "客服"}.get(entry.speaker, "系统")
        writer.writerow(
            [conv.buyer, number, _stamp(entry.time), _display_text(conv, entry), _sender(conv, entry), kind]
        )
        positions.append(number + 1)
    return buffer.getvalue(), positions


_PERIODS = ((0, 6, "凌晨"), (6, 12, "上午"), (12, 13, "中午"), (13, 19, "下午"), (19, 24, "晚上"))


def _note_prefix(moment: datetime, number: int) -> str:
    """Staff write note dates in several ways; the first note of a file always carries the
    year so that the 月/日 forms that follow have one to take from context."""
    style = 0 if number == 0 else (number - 1) % 4 + 1
    hm = f"{moment.hour:02d}:{moment.minute:02d}"
    if style in (0, 4):
        return f"{moment:%Y-%m-%d} {hm}"
    if style == 1:
        return f"{moment.month}月{moment.day}日 {hm}"
    if style == 2:
        return f"{moment:%Y/%m/%d} {hm}"
    period = next(name for low, high, name in _PERIODS if low <= moment.hour < high)
    hour = moment.hour - 12 if moment.hour > 12 else moment.hour
    minutes = f"{moment.minute}分" if moment.minute else ""
    return f"{moment.month}月{moment.day}日{period}{hour}点{minutes}"


def render_call_notes(notes: list[Entry]) -> tuple[list[str], list[int]]:
    lines = [f"{_note_prefix(n.time, i)} {n.text}" for i, n in enumerate(notes)]
    return lines, list(range(1, len(lines) + 1))


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16":
        return b"\xff\xfe" + text.encode("utf-16-le")
    if encoding == "gbk":
        return text.encode("gbk")
    return text.encode(encoding)


@dataclass(frozen=True)
class Rendered:
    files: dict[str, bytes]
    # one (file, position key, position) per entry, in entry order
    positions: list[tuple[str, str, int]]


def render(conv: Conversation) -> Rendered:
    fmt, encoding = conv.header["format"], conv.header["encoding"]
    newline = FORMATS[fmt][encoding]
    chat = [e for e in conv.entries if not e.is_note]
    notes = [e for e in conv.entries if e.is_note]
    files: dict[str, bytes] = {}
    where: dict[int, tuple[str, str, int]] = {}
    if fmt == "sheet":
        name = f"{conv.stem}.csv"
        text, rows = render_sheet(conv, chat, newline)
        files[name] = _encode(text, encoding)
        chat_positions = [(name, "row", row) for row in rows]
    else:
        name = f"{conv.stem}.txt"
        renderer = {
            "wangwang-a": render_wangwang_a,
            "wangwang-b": render_wangwang_b,
            "clipboard": render_clipboard,
        }[fmt]
        lines, numbers = renderer(conv, chat)
        files[name] = _encode(newline.join(lines) + newline, encoding)
        chat_positions = [(name, "line", n) for n in numbers]
    for entry, position in zip(chat, chat_positions):
        where[id(entry)] = position
    if notes:
        name = f"{conv.stem}-call-notes.txt"
        lines, numbers = render_call_notes(notes)
        files[name] = ("\n".join(lines) + "\n").encode("utf-8")
        for entry, number in zip(notes, numbers):
            where[id(entry)] = (name, "line", number)
    return Rendered(files, [where[id(e)] for e in conv.entries])


# ------------------------------------------------------------------------------ gold


def _label_json(label: GoldLabel) -> dict:
    out: dict = {"label": label.label}
    if label.label in ("return_claim", "delay_claim"):
        out["reason"] = label.value
    elif label.label in ("shipping_promise", "delay_agreed"):
        out["deadline"] = label.value
    elif label.label == "shipped":
        out["tracking"] = label.value
    elif label.label == "buyer_silence":
        out["hours"] = float(label.value)
    return out


def gold_records(conv: Conversation, rendered: Rendered) -> list[dict]:
    structural = structural_labels(conv)
    records = []
    for index, (entry, (name, key, position)) in enumerate(zip(conv.entries, rendered.positions)):
        labels = structural.get(index, []) + list(entry.labels)
        order = {label: n for n, label in enumerate(ALL_LABELS)}
        labels = sorted(labels, key=lambda l: (order[l.label], l.value or ""))
        records.append({"file": name, key: position, "labels": [_label_json(l) for l in labels]})
    return records


def build_split(split: str, out_root: Path, src_root: Path | None = None) -> list[Conversation]:
    convs = load_split(split, src_root)
    target = out_root / split
    target.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    records: list[dict] = []
    for conv in convs:
        rendered = render(conv)
        for name, data in rendered.files.items():
            if name in files:
                raise ConvError(f"{conv.path}: output file {name} produced twice")
            files[name] = data
        records += gold_records(conv, rendered)
    records.sort(key=lambda r: (r["file"], r.get("line") or r.get("row")))
    files["gold.jsonl"] = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    for stale in target.iterdir():
        if stale.is_file() and stale.name not in files:
            stale.unlink()
    for name, data in sorted(files.items()):
        path = target / name
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    return convs


# ----------------------------------------------------------------------------- stats


def split_stats(convs: list[Conversation]) -> dict[str, Counter]:
    labels: Counter = Counter()
    decoys: Counter = Counter()
    forms: Counter = Counter()
    shape: Counter = Counter()
    events = 0
    for conv in convs:
        structural = structural_labels(conv)
        shape[f"format {conv.header['format']} / {conv.header['encoding']}"] += 1
        shape[f"category {conv.header['category']}"] += 1
        shape[f"buyer {conv.header['buyer_type']}"] += 1
        shape[f"script {conv.header['script']}"] += 1
        if any(e.is_note for e in conv.entries):
            shape["with call notes"] += 1
        shape["conversations"] += 1
        for index, entry in enumerate(conv.entries):
            events += 1
            shape[f"events {entry.speaker}"] += 1
            for label in structural.get(index, []) + list(entry.labels):
                labels[label.label] += 1
                if label.label in ("return_claim", "delay_claim"):
                    labels[f"{label.label}:{label.value}"] += 1
                if label.label in ("shipping_promise", "delay_agreed") and label.value is None:
                    labels[f"{label.label} (deadline null)"] += 1
                if label.label == "shipped" and label.value is not None:
                    labels["shipped (with tracking)"] += 1
            for kind in entry.decoys:
                decoys[kind] += 1
            if entry.decoys:
                decoys["messages with a decoy"] += 1
            forms.update(entry.forms)
    shape["events"] = events
    return {"labels": labels, "decoys": decoys, "forms": forms, "shape": shape}


def print_stats(stats_by_split: dict[str, dict[str, Counter]], out=sys.stdout) -> None:
    def table(title: str, key: str, names: list[str]) -> None:
        print(f"\n{title}", file=out)
        splits = list(stats_by_split)
        print(f"  {'':38s}" + "".join(f"{s:>7s}" for s in splits) + f"{'total':>7s}", file=out)
        for name in names:
            counts = [stats_by_split[s][key][name] for s in splits]
            print(f"  {name:38s}" + "".join(f"{c:7d}" for c in counts) + f"{sum(counts):7d}", file=out)

    label_names = []
    for label in ALL_LABELS:
        label_names.append(label)
        if label == "return_claim":
            label_names += [f"return_claim:{r}" for r in RETURN_REASONS]
        if label == "delay_claim":
            label_names += [f"delay_claim:{r}" for r in DELAY_REASONS]
        if label == "shipping_promise":
            label_names.append("shipping_promise (deadline null)")
        if label == "shipped":
            label_names.append("shipped (with tracking)")
        if label == "delay_agreed":
            label_names.append("delay_agreed (deadline null)")
    table("Labels (gold tags)", "labels", label_names)
    table("Decoys (messages that must stay untagged for the named reason)", "decoys",
          list(DECOY_KINDS) + ["messages with a decoy"])
    table("Shipping-promise deadline conventions", "forms", list(PROMISE_FORMS))
    shape_names = sorted({k for s in stats_by_split for k in stats_by_split[s]["shape"]})
    table("Shape", "shape", shape_names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=EVAL, help="output root (default corpora/eval)")
    parser.add_argument("--src", type=Path, default=None, help="source root (default corpora/eval/src)")
    parser.add_argument("--stats", action="store_true", help="print label, decoy and shape counts")
    parser.add_argument(
        "--split", action="append", choices=SPLITS, help="build only this split (repeatable; default all)"
    )
    args = parser.parse_args(argv)
    try:
        built = {split: build_split(split, args.out, args.src) for split in (args.split or SPLITS)}
    except ConvError as exc:
        print(f"build_eval: {exc}", file=sys.stderr)
        return 1
    if args.stats:
        print_stats({split: split_stats(convs) for split, convs in built.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
