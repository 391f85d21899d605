"""The upload pack: a case's evidence in the shape the complaint form takes.

Complaint and refund forms take pictures (a few per upload) and a short text, not a PDF.
For one case and one platform profile (:mod:`extractor.pack.profiles`) the pack is a
folder and a .zip of it holding:

- ``第1次上传/01-摘要.jpg``: one page a reviewer grasps at a glance (order, payment, the
  shipping deadline, the shipment, a timeline bar, the key counts, the risk line);
- the chat as pictures in the Qianniu layout (buyer left, seller right, nick and time on
  every bubble, day separators, auto-replies and system lines marked, trigger words
  highlighted, event ids), and a shipment picture;
- as many pictures per upload folder as the profile takes: the first folder holds the
  summary and the pages that matter most (first contacts before the deadline, the
  promises, the shipment, the claims), later folders the rest, in order;
- ``申诉说明.txt``: the text for each of the profile's text fields, within its limit;
- the PDF report as the archive copy, and ``pack-manifest.json`` with every file's
  SHA-256.

A pack holds only its own case: the case's events are the one buyer's, masked as the
report is.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

from .. import __version__
from ..cases import PHONE, Case, claims_phrase_zh
from ..render.env import zh_datetime
from ..errors import PackError
from ..i18n import N_
from ..render.view import case_view, masker
from .appeal import AppealText, claim_groups, appeal_texts
from .images import Picture, pictures
from .profiles import Profile, get_profile, load_profiles

__all__ = ["PackResult", "write_pack", "build_pack", "Profile", "get_profile", "load_profiles"]

STYLESHEET = "pack.css"
MANIFEST = "pack-manifest.json"
APPEAL_FILE = "申诉说明.txt"


@dataclass(frozen=True)
class PackFile:
    path: str  # inside the pack folder, "/"-separated
    data: bytes
    round: int | None = None  # the upload round of a picture
    picture: Picture | None = None
    role: str = ""  # summary, chat, shipment, text, pdf


@dataclass(frozen=True)
class PackResult:
    folder: Path
    zip: Path
    files: tuple[PackFile, ...]
    texts: tuple[AppealText, ...]


# ---------------------------------------------------------------------------
# what the pictures show


def _pos(t: datetime, start: datetime, end: datetime) -> float:
    span = (end - start).total_seconds() or 1.0
    return max(0.0, min(100.0, (t - start).total_seconds() / span * 100))


def summary_view(case: Case, view: dict[str, Any], mask: bool = True) -> dict[str, Any]:
    attempts = [a for o in case.orders for a in (*o.before_deadline.attempts, *o.after_deadline.attempts)]
    attempts += list(case.other_contacts.attempts)
    times = [ce.event.time for ce in case.events]
    for o in case.orders:
        times += [t for t in (o.paid, o.deadline) if t is not None]
    start, end = min(times), max(times)
    marks: list[dict[str, Any]] = []

    def mark(t: datetime | None, kind: str, label: str = "") -> None:
        if t is not None:
            marks.append({"pos": _pos(t, start, end), "kind": kind, "label": label, "up": False, "align": "mid"})

    for p in case.promises:
        mark(p.time, "promise")
    for o in case.orders:
        mark(o.paid, "paid", f"付款 {o.paid:%m-%d}" if o.paid else "")
        mark(o.deadline, "deadline", f"时限 {o.deadline:%m-%d %H:%M}" if o.deadline else "")
        if o.shipment:
            mark(o.shipment.time, "shipped", f"发货 {o.shipment.time:%m-%d}")
    for i, c in enumerate(dict((c.event_id, c) for c in case.claims).values()):
        mark(c.time, "claim", "买家主张" if i == 0 else "")
    for a in attempts:  # last, so the thin contact marks stay visible over the others
        mark(a.time, "call" if a.channel == PHONE else "contact")
    labelled = sorted((m for m in marks if m["label"]), key=lambda m: m["pos"])
    for i, m in enumerate(labelled):
        m["up"] = i % 2 == 1  # alternate above and below the bar so labels do not overlap
        m["align"] = "start" if m["pos"] < 10 else "end" if m["pos"] > 90 else "mid"
    for a in case.agreements:
        mark(a.time, "agreed")  # unlabelled: the facts above say when, the legend what
    orders = []
    for o, ov in zip(case.orders, view["orders"]):
        # the buyer's agreement to a later day this order's shipment is judged against
        agreed = next((a for a in case.agreements if a.deadline is not None
                       and (a.shipment is None or a.shipment == o.shipment)), None)
        orders.append({**ov, "via": " ".join(x for x in (ov["carrier"], ov["tracking"]) if x),
                       "agreed": None if agreed is None else {
                           "id": agreed.event_id, "time": zh_datetime(agreed.time),
                           "until": zh_datetime(agreed.deadline), "kept": agreed.on_time}})
    silence = case.silence
    return {
        "shop": view["shop"], "buyer": view["buyer"], "ship_within": view["ship_within"],
        "orders": orders, "marks": marks, "agreed_any": bool(case.agreements),
        "contacts": len(attempts), "replies": sum(1 for a in attempts if a.answered),
        "silence": f"{silence.hours:g}小时" if silence is not None and silence.hours > 0 else "无",
        "risk": case.risk, "risk_text": "风险提示：无" if case.risk == "无" else case.risk,
        "claims": [{"id": group[0].event_id, "time": zh_datetime(group[0].time),
                    "name": masker(mask)(claims_phrase_zh(group))} for group in claim_groups(case.claims)],
    }


def chat_events(view: dict[str, Any]) -> list[dict[str, Any]]:
    out, day = [], None
    for e in view["events"]:
        date, clock = (e["time"].split(" ") + [""])[:2]
        out.append({**e, "day": date if date != day else None, "clock": clock,
                    "tags": [t["zh"] + (f"：{t['detail']}" if t["detail"] else "") + (f"（{t['reviewed']}）" if t.get("reviewed") else "")
                             for t in e["tags"]]})
        day = date
    return out


def logistics_view(case: Case, view: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for o, ov in zip(case.orders, view["orders"]):
        ship = o.shipment
        if ship is None:
            basis = "订单导出与聊天中均未见发货"
        else:
            event = case.event(ship.event_id)
            where = "；".join(s.where() for s in event.all_sources()[:1])
            basis = f"{ship.event_id}（{'订单导出' if ship.via == 'order' else '卖家消息'}，{Path(where).name}）"
        out.append({**ov, "basis": basis})
    return out


def key_event_ids(case: Case) -> dict[str, set[str]]:
    """The events a reviewer looks for first, by why they matter."""
    first_contacts = {i for o in case.orders for a in o.before_deadline.attempts[:2] for i in a.event_ids}
    if not case.orders:
        first_contacts = {i for a in case.other_contacts.attempts[:2] for i in a.event_ids}
    return {
        "contacts": first_contacts,
        "promises": {p.event_id for p in case.promises},
        "shipment": {o.shipment.event_id for o in case.orders if o.shipment},
        "claims": {c.event_id for c in case.claims},
    }


def _rounds(summary: Picture, chats: Sequence[Picture], shipment: Picture | None, case: Case,
            per_upload: int) -> list[list[tuple[str, Picture]]]:
    keys = key_event_ids(case)
    weight = [sum(1 for ids in keys.values() if ids & set(p.anchors)) for p in chats]
    first: list[tuple[str, Picture]] = [("摘要", summary)]
    room = per_upload - 1 - (1 if shipment is not None and per_upload >= 3 else 0)
    ranked = sorted((i for i, w in enumerate(weight) if w), key=lambda i: (-weight[i], i))[:max(room, 0)]
    chosen = sorted(ranked)
    first += [(f"聊天{i + 1}", chats[i]) for i in chosen]
    rest: list[tuple[str, Picture]] = [(f"聊天{i + 1}", p) for i, p in enumerate(chats) if i not in chosen]
    if shipment is not None:
        (first if per_upload >= 3 else rest).append(("物流", shipment))
    rounds = [first]
    for k in range(0, len(rest), per_upload):
        rounds.append(rest[k:k + per_upload])
    return rounds


# ---------------------------------------------------------------------------
# the pack


def build_pack(case: Case, renderer: Any, name: str, profile: Profile) -> tuple[list[PackFile], list[AppealText]]:
    view = case_view(case, renderer.mask)
    ctx = renderer.context(name, ("html", "pdf", "json"))
    env = ctx.env
    css = [ctx.render_template(STYLESHEET)]
    meta = {"version": __version__, "generated": renderer.generated_at.strftime("%Y-%m-%d %H:%M")}
    limits = profile.images

    def page(template: str, **values: Any):
        return lambda w, h: env.get_template(template).render(page_w=w, page_h=h, **meta, **values)

    summary = pictures(page("pack-summary.html.j2", s=summary_view(case, view, renderer.mask)), css, limits, "摘要图")
    if len(summary) != 1:
        raise PackError(N_("摘要图 of {name}: the summary takes {pages} pages at {width}×{height} px; "
                           "it must fit on one"), name=name, pages=len(summary), width=limits.width_px,
                        height=limits.page_height_px)
    footer = f"{view['buyer']} · {view['shop'] or ''}".replace('"', "'").replace("\\", "/")
    chats = pictures(page("pack-chat.html.j2", events=chat_events(view), shop=view["shop"], buyer=view["buyer"],
                          footer=footer), css, limits, "聊天截图")
    shipment = None
    if case.orders:
        ship_pages = pictures(page("pack-logistics.html.j2", orders=logistics_view(case, view), shop=view["shop"],
                                   buyer=view["buyer"]), css, limits, "物流图")
        shipment = ship_pages[0]
    files: list[PackFile] = []
    number = 0
    rounds = _rounds(summary[0], chats, shipment, case, limits.per_upload)
    for r, pics in enumerate(rounds, start=1):
        folder = f"第{r}次上传" if limits.more_rounds or r == 1 else f"其余（本表单只收{limits.per_upload}张）"
        for title, pic in pics:
            number += 1
            role = "summary" if title == "摘要" else "shipment" if title == "物流" else "chat"
            files.append(PackFile(f"{folder}/{number:02d}-{title}.{pic.ext}", pic.data, r, pic, role))
    texts = appeal_texts(case, profile.texts, masker(renderer.mask))
    body = []
    for t in texts:
        unit = "字节" if t.field.unit == "bytes" else "字"
        body.append(f"【{t.field.label}】（{t.length}{unit}，上限{t.field.max}{unit}）\n{t.text}\n")
    body.append(f"依据的事件编号：{'、'.join(dict.fromkeys(i for t in texts for i in t.event_ids))}"
                "（见报告时间线与聊天截图）\n")
    files.append(PackFile(APPEAL_FILE, "\n".join(body).encode("utf-8"), role="text"))
    files.append(PackFile(f"{name}.pdf", renderer.render("pdf", case, name), role="pdf"))
    manifest = {
        "tool": "evidence", "version": __version__, "generated_at": renderer.generated_at.isoformat(),
        "case": {"buyer": view["buyer"], "shop": view["shop"], "report": f"{name}.json"},
        "profile": {"name": profile.name, "title": profile.title, "origin": profile.origin,
                    "image_max_bytes": limits.max_bytes, "per_upload": limits.per_upload},
        "files": [{
            "path": f.path, "bytes": len(f.data), "sha256": hashlib.sha256(f.data).hexdigest(), "role": f.role,
            **({"round": f.round, "width": f.picture.width, "height": f.picture.height,
                "encoding": f.picture.quality, "events": [a for a in f.picture.anchors if a[:1] == "E"]}
               if f.picture else {}),
        } for f in files],
        "texts": [{"field": t.field.name, "label": t.field.label, "length": t.length, "unit": t.field.unit,
                   "max": t.field.max, "events": list(t.event_ids)} for t in texts],
    }
    files.append(PackFile(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"), role="manifest"))
    return files, texts


def write_pack(case: Case, renderer: Any, out_dir: str | Path, name: str, profile: Profile) -> PackResult:
    """Build the pack of one case and write ``out_dir/pack/<name>/`` and ``<name>.zip``."""
    from ..render import _write

    files, texts = build_pack(case, renderer, name, profile)
    root = Path(out_dir) / "pack"
    folder = root / name
    if folder.exists():  # a pack is rewritten whole: no picture of an earlier run stays
        for old in sorted(folder.rglob("*"), reverse=True):
            old.unlink() if old.is_file() or old.is_symlink() else old.rmdir()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            target = folder / f.path
            target.parent.mkdir(parents=True, exist_ok=True)
            _write(target, f.data)
            info = zipfile.ZipInfo(f"{name}/{f.path}", date_time=renderer.generated_at.timetuple()[:6])
            info.compress_type = zipfile.ZIP_STORED if f.picture else zipfile.ZIP_DEFLATED
            z.writestr(info, f.data)
    archive = root / f"{name}.zip"
    _write(archive, buf.getvalue())
    return PackResult(folder, archive, tuple(files), tuple(texts))
