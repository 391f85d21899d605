"""The Jinja2 environment every report is rendered with.

Templates come first from the user's ``--templates`` folder, then from the built-in
set (ChoiceLoader), so a user can override one partial without copying the rest.
Autoescape is on for every template: message text and nicks are written by the other
side of a dispute and always render as text, whatever they contain.  Data is never
compiled as a template.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from .. import display
from ..errors import UsageError
from ..i18n import N_
from ..labels import registry

# Mainland mobile numbers, also written with +86, spaces or dashes; never part of a
# longer digit run (order and tracking numbers are 14–19 digits).
_MOBILE_RE = re.compile(
    r"(?<![0-9])(?:(?:\+|00)86[ -]?)?(1[3-9][0-9])[ -]?([0-9]{4})[ -]?([0-9]{4})(?![0-9])")

CHANNEL_ZH = {"message": "旺旺", "auto_reply": "旺旺", "system": "系统", "call": "电话",
              "note": "电话记录", "order": "订单"}
# Event flags (extractor.model.FLAGS) as a reader sees them: 可疑 and why, in a few words.
FLAG_ZH = {
    "forged_header": "含形似抬头的行：该行时间或发送方与文件前后不符，已作为本条消息原文保留",
    "missing_in_other_export": "同一会话的另一份导出中没有这条消息",
    "forged_auto_reply": "买家消息以【自动回复】开头：自动回复只由店铺发出，本条按买家消息照录并打标签",
    "off_platform": "买家要求转到平台外联系（微信、QQ、私人电话或私下交易）",
}
ROLE_ZH = {"seller": "卖家", "buyer": "买家", "system": "系统"}
TAG_ZH = {label.name: label.zh for label in registry().labels}


def builtin_templates_dir() -> Path:
    """The built-in templates: ``extractor/templates`` in an installed wheel, else the
    repository's top-level ``templates/`` in a source or editable checkout."""
    import extractor

    package_dir = Path(extractor.__file__).resolve().parent
    installed = package_dir / "templates"
    if (installed / "report.html.j2").is_file():
        return installed
    return package_dir.parent / "templates"


def mask_phones(text: str) -> str:
    """138****5678 for every mainland mobile number in ``text``."""
    return _MOBILE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def _show_invisible(text: str, *, name: bool = False) -> Markup:
    """Escape ``text``; the characters :mod:`extractor.display` hides (bidi controls,
    zero-width and control characters…) become visible markers (their code point), so a
    reader sees that the text holds them."""
    out: list[str] = []
    for piece, hidden in display.pieces(text, name=name):
        if hidden:
            title = escape(unicodedata.name(piece, display.code(piece)))
            out.append(f'<span class="invisible" title="{title}">[{display.code(piece)}]</span>')
        else:
            out.append(str(escape(piece)))
    return Markup("".join(out))


def show_name(name: str | None, badge: bool = True) -> Markup:
    """A party's name or an order id, as every report shows one: escaped, hidden
    characters as their code point, and (unless ``badge=False``, where the badge goes
    elsewhere: the PDF's running header copies the name's element) a 可疑 badge naming
    them when there are any."""
    if not name:
        return Markup("")
    shown = _show_invisible(name, name=True)
    return shown + name_badge(name) if badge else shown


def name_badge(name: str | None) -> Markup:
    """The 可疑 badge of a name holding hidden characters, else nothing."""
    note = display.suspicious_note(name) if name else ""
    return Markup(' <span class="badge flag">') + note + Markup("</span>") if note else Markup("")


def show_name_text(name: str | None) -> str:
    """The same in plain text, for a ``<title>`` (which holds no markup)."""
    return display.name_label(name) if name else ""


def highlight(text: str, words: Iterable[str]) -> Markup:
    """``text`` escaped, with each occurrence of any of ``words`` inside ``<mark>``.

    Overlapping or adjacent matches merge into one mark.  Everything is escaped piece by
    piece before any markup is added, so nothing in ``text`` or ``words`` can open a
    tag."""
    spans: list[tuple[int, int]] = []
    for word in {w for w in words if w}:
        start = text.find(word)
        while start != -1:
            spans.append((start, start + len(word)))
            start = text.find(word, start + 1)
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: list[str] = []
    pos = 0
    for start, end in merged:
        parts.append(_show_invisible(text[pos:start]))
        parts.append(Markup("<mark>") + _show_invisible(text[start:end]) + Markup("</mark>"))
        pos = end
    parts.append(_show_invisible(text[pos:]))
    return Markup("").join(parts)


def zh_datetime(value: datetime | None, seconds: bool = True) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def human_size(size: int | None) -> str:
    if size is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


def make_environment(templates: str | Path | None = None) -> Environment:
    """A fresh environment; ``templates`` is the user's override folder, if any."""
    loaders = []
    if templates is not None:
        user_dir = Path(templates)
        if not user_dir.is_dir():
            raise UsageError(N_("--templates {templates}: not a folder; give a folder holding "
                                "templates to override, e.g. report.css or report.html.j2"), templates=templates)
        loaders.append(FileSystemLoader(str(user_dir)))
    loaders.append(FileSystemLoader(str(builtin_templates_dir())))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Templates are files the user chose; reload checks would only cost time.
        auto_reload=False,
    )
    env.filters.update(
        highlight=highlight,
        visible=_show_invisible,
        name=show_name,
        name_badge=name_badge,
        name_text=show_name_text,
        dt=zh_datetime,
        size=human_size,
        channel_zh=lambda kind: CHANNEL_ZH.get(kind, kind),
        role_zh=lambda role: ROLE_ZH.get(role, role),
        tag_zh=lambda label: TAG_ZH.get(label, label),
    )
    return env


@lru_cache(maxsize=8)
def cached_environment(templates: str | None) -> Environment:
    """One environment (and so one template cache) per templates folder per process."""
    return make_environment(templates)


def evidence_words(tags: Sequence) -> list[str]:
    return [w for tag in tags for w in tag.evidence]
