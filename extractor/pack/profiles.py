"""Platform profiles: what one complaint or refund form takes, as data.

A profile names the image formats, the bytes and pixels of each image, how many images
one upload takes, and the text fields with their lengths (characters or UTF-8 bytes, as
the form counts them).  The built-in profiles are JSON files shipped in
``extractor/pack/profiles/``, each citing where its figures came from; a user's
``--profile FILE`` adds a profile or replaces a built-in one of the same name, so a
changed platform rule is a data change, not a code change.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import ProfileError
from ..i18n import N_, said

IMAGE_FORMATS = ("jpg", "png", "gif")
TEXT_UNITS = ("chars", "bytes")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
# Below this a page of chat is no longer worth an image: the pack refuses rather than
# shrinking a page until its text cannot be read on a phone.
MIN_PAGE_HEIGHT_PX = 480
MIN_WIDTH_PX = 720


@dataclass(frozen=True)
class TextField:
    name: str
    label: str
    min: int
    max: int
    unit: str  # "chars" (each character, Chinese or not, counts 1) or "bytes" (UTF-8)

    def length(self, text: str) -> int:
        return len(text.encode("utf-8")) if self.unit == "bytes" else len(text)

    def fits(self, text: str) -> bool:
        return self.min <= self.length(text) <= self.max

    def describe(self) -> str:
        return f"{self.min}–{self.max} {'字节' if self.unit == 'bytes' else '字'}"


@dataclass(frozen=True)
class ImageLimits:
    formats: tuple[str, ...]
    max_bytes: int
    per_upload: int
    more_rounds: bool  # whether later rounds of the same form take more images
    width_px: int
    page_height_px: int


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    images: ImageLimits
    texts: tuple[TextField, ...]
    reviewer_expects: tuple[str, ...]
    sources: tuple[Mapping[str, str], ...]
    origin: str  # the file it was read from ("built-in: taobao-web.json" or a path)


def _need(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise ProfileError(N_("{where}: missing key {key!r}"), where=where, key=key)
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ProfileError(N_("{where}: {key!r} must be {kind}, not {got}"), where=where, key=key,
                           kind=getattr(kind, '__name__', kind), got=type(value).__name__)
    return value


def _positive(data: Mapping[str, Any], key: str, where: str, minimum: int = 1) -> int:
    value = _need(data, key, int, where)
    if value < minimum:
        raise ProfileError(N_("{where}: {key!r} must be at least {minimum}, not {value}"), where=where, key=key,
                           minimum=minimum, value=value)
    return value


def profile_from_json(data: Any, origin: str) -> Profile:
    """Validate one profile; every problem names the file and the key."""
    if not isinstance(data, dict):
        raise ProfileError(N_("profile {origin}: the file must hold one JSON object"), origin=origin)
    # where: said, so that the terminal says "profile …" in its language too
    where = said(N_("profile {origin}"), origin=origin)
    name = _need(data, "name", str, where)
    if not _NAME_RE.match(name):
        raise ProfileError(N_("{where}: name {name!r} must be lower-case letters, digits and '-'"), where=where,
                           name=name)
    img = _need(data, "images", dict, where)
    iw = said(N_("{where}: images"), where=where)
    formats = tuple(_need(img, "formats", list, iw))
    bad = [f for f in formats if f not in IMAGE_FORMATS]
    if bad:
        raise ProfileError(N_("{where}: formats must be some of {formats}, not {bad!r}"), where=iw,
                           formats=", ".join(IMAGE_FORMATS), bad=bad[0])
    if not formats:
        raise ProfileError(N_("{where}: formats must be some of {formats}"), where=iw, formats=", ".join(IMAGE_FORMATS))
    if "jpg" not in formats and "png" not in formats:
        raise ProfileError(N_("{where}: the pack writes JPEG or PNG; the profile must allow jpg or png"), where=iw)
    images = ImageLimits(
        formats=formats, max_bytes=_positive(img, "max_bytes", iw, 20_000),
        per_upload=_positive(img, "per_upload", iw), more_rounds=bool(img.get("more_rounds", False)),
        width_px=_positive(img, "width_px", iw, MIN_WIDTH_PX),
        page_height_px=_positive(img, "page_height_px", iw, MIN_PAGE_HEIGHT_PX))
    texts = []
    for i, t in enumerate(_need(data, "texts", list, where)):
        tw = said(N_("{where}: texts[{i}]"), where=where, i=i)
        if not isinstance(t, dict):
            raise ProfileError(N_("{where} must be an object"), where=tw)
        unit = _need(t, "unit", str, tw)
        if unit not in TEXT_UNITS:
            raise ProfileError(N_("{where}: unit must be 'chars' or 'bytes', not {unit!r}"), where=tw, unit=unit)
        low, high = _positive(t, "min", tw, 0), _positive(t, "max", tw, 60)
        if low > high:
            raise ProfileError(N_("{where}: min {low} is above max {high}"), where=tw, low=low, high=high)
        texts.append(TextField(_need(t, "name", str, tw), str(t.get("label") or t["name"]), low, high, unit))
    if len({t.name for t in texts}) != len(texts):
        raise ProfileError(N_("{where}: two text fields share a name"), where=where)
    expects = tuple(str(x) for x in data.get("reviewer_expects", []))
    sources = tuple({str(k): str(v) for k, v in s.items()} for s in data.get("sources", []) if isinstance(s, dict))
    return Profile(name, str(data.get("title") or name), images, tuple(texts), expects, sources, origin)


@lru_cache(maxsize=1)
def builtin_profiles() -> dict[str, Profile]:
    out = {}
    folder = resources.files("extractor.pack").joinpath("profiles")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            p = profile_from_json(json.loads(entry.read_text(encoding="utf-8")), f"built-in {entry.name}")
            out[p.name] = p
    return out


def load_profiles(files: Iterable[str | Path] = ()) -> dict[str, Profile]:
    """The built-in profiles, with the user's files added on top (same name: replaced)."""
    profiles = dict(builtin_profiles())
    for f in files:
        path = Path(f)
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise ProfileError(N_("profile {origin}: cannot be read ({problem})"), origin=path,
                               problem=exc.strerror or exc) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ProfileError(N_("profile {origin}: not JSON in UTF-8 ({problem})"), origin=path, problem=exc) from None
        p = profile_from_json(data, str(path))
        profiles[p.name] = p
    return profiles


def get_profile(name: str, files: Iterable[str | Path] = ()) -> Profile:
    profiles = load_profiles(files)
    if name not in profiles:
        raise ProfileError(N_("unknown platform {name!r}; known: {known} (add one with --profile FILE)"), name=name,
                           known=", ".join(sorted(profiles)))
    return profiles[name]
