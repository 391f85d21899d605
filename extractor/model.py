"""The data model: frozen dataclasses shared by every stage.

An :class:`Event` is one thing that happened in a dispute (a chat message, a call, a
call note, an order record).  It never changes after it is made; later stages make new
events with :func:`dataclasses.replace` (tags added, buyer joined, sources merged).

The JSON Lines contract of ``evidence parse`` / ``evidence tag`` is the output of
:func:`event_to_dict`; :func:`event_from_dict` reads it back.  Field names here are the
contract's names, so the mapping stays one-to-one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, Mapping

from .labels import registry

Role = Literal["seller", "buyer", "system"]
Kind = Literal["message", "auto_reply", "system", "call", "note", "order"]

ROLES: tuple[str, ...] = ("seller", "buyer", "system")
# Event flags, each shown to a reader as 可疑 with its reason (the render's FLAG_ZH).
FLAGS: tuple[str, ...] = (
    "forged_header",  # a line inside the message has the form of a header but does not fit the file
    "missing_in_other_export",  # the conversation is in another export too, which lacks this message
    "forged_auto_reply",  # a buyer's message that starts like the shop's auto-reply (【自动回复】)
    "off_platform",  # the buyer asks to move to WeChat, QQ or a private phone (extractor.patterns)
)
KINDS: tuple[str, ...] = ("message", "auto_reply", "system", "call", "note", "order")


@dataclass(frozen=True, order=True)
class Source:
    """Where an event came from: the file as given, its bytes' hash, and the position.

    Exactly one of ``line`` (text formats), ``row`` (sheets) or ``page`` (PDF) is set;
    ``sheet`` names the worksheet for XLSX files with several sheets.
    """

    file: str
    sha256: str
    format: str
    line: int | None = None
    row: int | None = None
    page: int | None = None
    sheet: str | None = None

    def where(self) -> str:
        """Human-readable position, e.g. ``chat.txt:12`` or ``bill.pdf p.2``."""
        if self.line is not None:
            return f"{self.file}:{self.line}"
        if self.row is not None:
            sheet = f"[{self.sheet}]" if self.sheet else ""
            return f"{self.file}{sheet} row {self.row}"
        if self.page is not None:
            return f"{self.file} p.{self.page}"
        return self.file


@dataclass(frozen=True)
class Call:
    """A phone call from a bill or call log, or the call a staff note describes."""

    direction: Literal["out", "in"]
    duration_s: int | None
    number: str | None
    answered: bool


@dataclass(frozen=True)
class Order:
    """An order record from the seller-centre export.

    ``phone`` is the buyer's mobile (联系手机) as written; it is what joins calls to the
    buyer.  Times are ISO strings in the event's zone, kept as datetimes here.
    """

    id: str
    paid: datetime | None
    shipped: datetime | None
    tracking: str | None = None
    carrier: str | None = None
    phone: str | None = None
    # 店铺名称: which shop sold it; with the buyer's nick it is the order's case key.
    shop: str | None = None
    # 宝贝标题, 收货地址 and 联系电话 as written: what the run's order patterns compare
    # (extractor.patterns); never shown for another buyer's case.
    item: str | None = None
    address: str | None = None
    tel: str | None = None


@dataclass(frozen=True)
class Tag:
    """One moment found in an event.  ``evidence`` holds the words that triggered it."""

    label: str
    evidence: tuple[str, ...] = ()
    reason: str | None = None
    deadline: datetime | None = None
    tracking: str | None = None
    hours: float | None = None
    # A `shipped` tag's time: the window the words date the shipment to (6月25日下午 →
    # 12:00 to 18:00 that day), or, when they state no time, only that it was not later
    # than the message (``shipped_at`` None, ``shipped_at_latest`` the message's time).
    shipped_at: datetime | None = None
    shipped_at_latest: datetime | None = None
    precision: str | None = None  # "exact", "part_of_day", "day" or "not_stated"
    # The statistical backoff's probability, for a tag it made (None for a rule's tag).
    score: float | None = None
    # A person's review (extractor.review): "confirmed" or "added"; None: the tagger's alone.
    reviewed: str | None = None
    # How often a claim like this was right on real chats (extractor.nlp.calibration).
    confidence: float | None = None


@dataclass(frozen=True)
class Event:
    time: datetime
    role: Role
    kind: Kind
    sender: str | None
    buyer: str | None
    text: str
    source: Source
    sources: tuple[Source, ...] = ()
    call: Call | None = None
    order: Order | None = None
    tags: tuple[Tag, ...] = ()
    # What a reader must be warned of about this event itself, by code (FLAGS): e.g. a
    # line inside the message looked like a header of the export but did not fit the file.
    flags: tuple[str, ...] = ()
    # The sources an imported timeline (evidence's own JSON Lines) SAYS the event came
    # from: kept for the reader, never verified; ``source`` is the file it was read from.
    recorded: tuple[Source, ...] = ()

    def all_sources(self) -> tuple[Source, ...]:
        return self.sources or (self.source,)

    def with_tags(self, tags: tuple[Tag, ...]) -> "Event":
        return replace(self, tags=tags)


@dataclass(frozen=True)
class ParseWarning:
    """A line, row or page that could not be read, or a guess the parser had to make."""

    file: str
    reason: str
    line: int | None = None
    row: int | None = None
    page: int | None = None

    def where(self) -> str:
        return Source(self.file, "", "", self.line, self.row, self.page).where()

    def __str__(self) -> str:
        return f"{self.where()}: {self.reason}"


@dataclass(frozen=True)
class FileReport:
    """What happened to one input file: its format, hash, counts and error if any."""

    file: str
    sha256: str | None
    size: int | None
    format: str | None
    events: int = 0
    warnings: tuple[ParseWarning, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class ParseResult:
    events: tuple[Event, ...]
    files: tuple[FileReport, ...] = field(default=())
    skipped: tuple[Any, ...] = field(default=())  # extractor.fsutil.Skip: what the walk did not read

    @property
    def warnings(self) -> tuple[ParseWarning, ...]:
        return tuple(w for f in self.files for w in f.warnings)

    @property
    def failed(self) -> tuple[FileReport, ...]:
        return tuple(f for f in self.files if not f.ok)


# ---------------------------------------------------------------------------
# JSON mapping (the stable contract)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"time without a UTC offset: {value!r}")
    return parsed


def source_to_dict(source: Source) -> dict[str, Any]:
    out: dict[str, Any] = {"file": source.file, "sha256": source.sha256, "format": source.format}
    for key in ("line", "row", "page", "sheet"):
        value = getattr(source, key)
        if value is not None:
            out[key] = value
    return out


def source_from_dict(data: Mapping[str, Any]) -> Source:
    return Source(
        file=str(data["file"]),
        sha256=str(data["sha256"]),
        format=str(data["format"]),
        line=data.get("line"),
        row=data.get("row"),
        page=data.get("page"),
        sheet=data.get("sheet"),
    )


def tag_to_dict(tag: Tag) -> dict[str, Any]:
    """A tag's JSON: the attributes the registry lists for its label always (null when
    unset); for a label that lists none, whichever are set."""
    out: dict[str, Any] = {"label": tag.label, "evidence": list(tag.evidence)}
    label = registry().get(tag.label)
    if label is not None and label.attributes:
        for key in label.attributes:
            value = getattr(tag, key)
            out[key] = _iso(value) if isinstance(value, datetime) else value
    else:
        for key in ("reason", "tracking", "hours"):
            if getattr(tag, key) is not None:
                out[key] = getattr(tag, key)
        if tag.deadline is not None:
            out["deadline"] = _iso(tag.deadline)
    if tag.score is not None:
        out["score"] = tag.score
    if tag.reviewed is not None:
        out["reviewed"] = tag.reviewed
    if tag.confidence is not None:
        out["confidence"] = tag.confidence
    return out


def tag_from_dict(data: Mapping[str, Any]) -> Tag:
    return Tag(
        label=str(data["label"]),
        evidence=tuple(data.get("evidence") or ()),
        reason=data.get("reason"),
        deadline=_time(data.get("deadline")),
        tracking=data.get("tracking"),
        hours=data.get("hours"),
        shipped_at=_time(data.get("shipped_at")),
        shipped_at_latest=_time(data.get("shipped_at_latest")),
        precision=data.get("precision"),
        score=data.get("score"),
        reviewed=data.get("reviewed") if data.get("reviewed") in ("confirmed", "added") else None,
        confidence=data.get("confidence") if isinstance(data.get("confidence"), (int, float)) else None,
    )


def event_to_dict(event: Event, *, with_tags: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "time": _iso(event.time),
        "role": event.role,
        "kind": event.kind,
        "sender": event.sender,
        "buyer": event.buyer,
        "text": event.text,
    }
    if event.call is not None:
        out["call"] = {
            "direction": event.call.direction,
            "duration_s": event.call.duration_s,
            "number": event.call.number,
            "answered": event.call.answered,
        }
    if event.order is not None:
        o = event.order
        out["order"] = {
            "id": o.id,
            "paid": _iso(o.paid),
            "shipped": _iso(o.shipped),
            "tracking": o.tracking,
            "carrier": o.carrier,
            "phone": o.phone,
            "shop": o.shop,
        }
        # Only when the export has them: a timeline of an export without these columns
        # keeps the shape it always had.
        for key in ("item", "address", "tel"):
            if getattr(o, key) is not None:
                out["order"][key] = getattr(o, key)
    out["source"] = source_to_dict(event.source)
    if event.sources:
        out["sources"] = [source_to_dict(s) for s in event.sources]
    if with_tags or event.tags:
        out["tags"] = [tag_to_dict(t) for t in event.tags]
    if event.flags:
        out["flags"] = list(event.flags)
    if event.recorded:
        out["recorded_sources"] = [source_to_dict(s) for s in event.recorded]
    return out


def event_from_dict(data: Mapping[str, Any]) -> Event:
    """Inverse of :func:`event_to_dict`; raises ``KeyError``/``ValueError`` on bad data."""
    role = data["role"]
    kind = data["kind"]
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    time = _time(data["time"])
    assert time is not None
    call = None
    if data.get("call") is not None:
        c = data["call"]
        call = Call(
            direction=c["direction"],
            duration_s=c.get("duration_s"),
            number=c.get("number"),
            answered=bool(c.get("answered", (c.get("duration_s") or 0) > 0)),
        )
    order = None
    if data.get("order") is not None:
        o = data["order"]
        order = Order(
            id=str(o["id"]),
            paid=_time(o.get("paid")),
            shipped=_time(o.get("shipped")),
            tracking=o.get("tracking"),
            carrier=o.get("carrier"),
            phone=o.get("phone"),
            shop=o.get("shop"),
            item=o.get("item"),
            address=o.get("address"),
            tel=o.get("tel"),
        )
    text = data.get("text")
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    return Event(
        time=time,
        role=role,
        kind=kind,
        sender=data.get("sender"),
        buyer=data.get("buyer"),
        text=text,
        source=source_from_dict(data["source"]),
        sources=tuple(source_from_dict(s) for s in data.get("sources") or ()),
        call=call,
        order=order,
        tags=tuple(tag_from_dict(t) for t in data.get("tags") or ()),
        flags=tuple(str(f) for f in data.get("flags") or ()),
        recorded=tuple(source_from_dict(s) for s in data.get("recorded_sources") or ()),
    )
