"""How sure a buyer claim is: a confidence measured on real chats, and the threshold
above which the report states a claim.

A rule fires on words; on real buyers' words the same words are right at very different
rates (过敏 in 用了过敏 is almost always a claim; 坏了 in a service complaint often is not).
The calibration counts, on a labelled real part, how often each predicted claim was right,
by label, by label and reason, by the trigger word, and for the statistical backoff's
tags, and turns the counts into a confidence with shrinkage toward the wider group (a word
seen twice says little on its own)::

    p(label)        = (right + 1) / (n + 2)
    p(label:reason) = (right + K·p(label)) / (n + K)
    p(word)         = (right + K·p(label:reason)) / (n + K)      K = 4

A tag made by a rule gets the confidence of its strongest trigger word (or of its reason
when the word was never seen); a backoff tag that of the backoff bucket of its label.  The
threshold is the lowest confidence at which the claims at or above it were right at the
target precision (0.95) on the calibration part, each claim scored by a calibration that
did not count it (out of fold); when none reaches the target, there is no threshold and no
claim is stated unless a person confirms it.  The report states only claims at or above
it (and those a person confirmed); the others are listed as 待核实 with their words.

The model file ``models/calibration.json`` is made by ``evidence calibrate`` (``make
calibrate``) and holds counts only: a trigger word is kept as a digest (:func:`word_key`),
since the words were cut from real dialogues whose text is not ours to publish.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..errors import RulesError
from ..i18n import N_
from ..labels import registry
from ..model import Event, Tag

SCHEMA = "evidence-calibration/1"
MODEL_FILE = "calibration.json"
K = 4.0
TARGET_PRECISION = 0.95
MIN_ABOVE = 20  # claims at or above a threshold before its precision is believed
CLAIM_LABELS = tuple(registry().claims)


def _p(right: float, n: float, prior: float) -> float:
    return (right + K * prior) / (n + K)


@dataclass(frozen=True)
class Calibration:
    counts: Mapping[str, Mapping[str, Any]]  # label -> {"all": [right, n], "reasons": {r: [..]}, "words": {w: [..]}, "backoff": [..]}
    threshold: float | None
    target: float = TARGET_PRECISION
    fitted_on: Mapping[str, Any] = field(default_factory=dict)

    def confidence(self, tag: Tag) -> float | None:
        c = self.counts.get(tag.label)
        if c is None:
            return None
        right, n = c.get("all", (0, 0))
        p = (right + 1) / (n + 2)
        if tag.reason is not None and tag.reason in c.get("reasons", {}):
            p = _p(*c["reasons"][tag.reason], p)
        if tag.score is not None:
            if "backoff" in c:
                p = _p(*c["backoff"], p)
            return round(p, 3)
        words = c.get("words", {})
        seen = [_p(*words[k], p) for k in map(word_key, tag.evidence) if k in words]
        return round(max(seen) if seen else p, 3)

    def stated(self, tag: Tag) -> bool:
        """Whether a claim tag is sure enough to state (or a person confirmed it)."""
        if tag.reviewed is not None or tag.label not in CLAIM_LABELS:
            return True
        if tag.confidence is None or self.threshold is None:
            return tag.confidence is None  # no calibration: the rules' word, as before
        return tag.confidence >= self.threshold

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "target_precision": self.target, "threshold": self.threshold,
                "fitted_on": dict(self.fitted_on), "labels": self.counts}


def from_json(data: Any, origin: str) -> Calibration:
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise RulesError(N_("calibration {origin}: not an {schema} file"), origin=origin, schema=SCHEMA)
    labels = data.get("labels")
    if not isinstance(labels, dict) or any(name not in CLAIM_LABELS for name in labels):
        raise RulesError(N_("calibration {origin}: 'labels' must map claim labels ({labels}) to counts"),
                         origin=origin, labels=", ".join(CLAIM_LABELS))
    threshold = data.get("threshold")
    if threshold is not None and not (isinstance(threshold, (int, float)) and 0 <= threshold <= 1):
        raise RulesError(N_("calibration {origin}: threshold must be a number from 0 to 1 or null"), origin=origin)
    return Calibration(labels, threshold, float(data.get("target_precision", TARGET_PRECISION)),
                       data.get("fitted_on") or {})


@lru_cache(maxsize=1)
def builtin() -> Calibration | None:
    """The calibration shipped in the package, or None when there is none."""
    entry = resources.files("extractor.nlp").joinpath("models").joinpath(MODEL_FILE)
    if not entry.is_file():
        return None
    return from_json(json.loads(entry.read_text(encoding="utf-8")), f"built-in {MODEL_FILE}")


def with_confidence(events: Sequence[Event], calibration: Calibration | None = None) -> list[Event]:
    """The events with each claim tag's confidence set (tags that have one keep it)."""
    cal = calibration if calibration is not None else builtin()
    if cal is None:
        return list(events)
    out = []
    for event in events:
        if any(t.label in CLAIM_LABELS and t.confidence is None for t in event.tags):
            tags = tuple(replace(t, confidence=cal.confidence(t)) if t.label in CLAIM_LABELS and t.confidence is None
                         else t for t in event.tags)
            event = replace(event, tags=tags)
        out.append(event)
    return out


# ---------------------------------------------------------------------------
# fitting


def fit(pairs: Iterable[tuple[Tag, bool]], fitted_on: Mapping[str, Any] | None = None,
        target: float = TARGET_PRECISION) -> Calibration:
    """Counts from (predicted claim tag, was it right) pairs, and the threshold."""
    pairs = [(t, ok) for t, ok in pairs if t.label in CLAIM_LABELS]
    counts = {label: dict(c) for label, c in _counted(pairs, target).counts.items()}
    for c in counts.values():
        c["words"] = dict(sorted(c["words"].items()))
        c["reasons"] = dict(sorted(c["reasons"].items()))
    draft = Calibration(counts, None, target, fitted_on or {})
    return replace(draft, threshold=choose_threshold(out_of_fold(pairs, target), target))


def out_of_fold(pairs: Sequence[tuple[Tag, bool]], target: float = TARGET_PRECISION, folds: int = 2,
                block: int = 25) -> list[tuple[float | None, bool]]:
    """Each claim's confidence from a calibration that did not count it (folds of
    consecutive blocks, so a conversation's claims mostly stay in one fold): a threshold
    chosen on confidences fitted on the same claims would promise more than it keeps."""
    scored: list[tuple[float | None, bool]] = []
    for k in range(folds):
        inside = [p for i, p in enumerate(pairs) if (i // block) % folds == k]
        outside = [p for i, p in enumerate(pairs) if (i // block) % folds != k]
        if not inside or not outside:
            continue
        cal = _counted(outside, target)
        scored += [(cal.confidence(t), ok) for t, ok in inside]
    return scored


def _counted(pairs: Sequence[tuple[Tag, bool]], target: float) -> Calibration:
    counts: dict[str, dict[str, Any]] = {}
    for tag, ok in pairs:
        c = counts.setdefault(tag.label, {"all": [0, 0], "reasons": {}, "words": {}})
        _add(c["all"], ok)
        if tag.reason is not None:
            _add(c["reasons"].setdefault(tag.reason, [0, 0]), ok)
        if tag.score is not None:
            _add(c.setdefault("backoff", [0, 0]), ok)
        else:
            for key in dict.fromkeys(map(word_key, tag.evidence)):
                _add(c["words"].setdefault(key, [0, 0]), ok)
    return Calibration(counts, None, target)


def word_key(word: str) -> str:
    """A trigger word as the calibration file keeps it: a digest, not the words, because
    a trigger is cut from a real dialogue's text and those texts are not ours to publish."""
    return hashlib.sha256(word.encode("utf-8")).hexdigest()[:16]


def _add(slot: list[int], ok: bool) -> None:
    slot[0] += int(ok)
    slot[1] += 1


def choose_threshold(scored: Sequence[tuple[float | None, bool]], target: float = TARGET_PRECISION,
                     min_above: int = MIN_ABOVE) -> float | None:
    """The lowest confidence whose claims at or above it are right at ``target`` (with at
    least ``min_above`` of them); None when no threshold reaches it."""
    values = sorted({c for c, _ in scored if c is not None})
    for t in values:
        above = [ok for c, ok in scored if c is not None and c >= t]
        if len(above) >= min_above and sum(above) / len(above) >= target:
            return t
    return None


def reliability(scored: Sequence[tuple[float | None, bool]], bins: int = 5) -> list[tuple[str, int, float]]:
    """(confidence range, claims, share right) per bin: is a 0.8 right 8 times in 10?"""
    out = []
    for i in range(bins):
        low, high = i / bins, (i + 1) / bins
        inside = [ok for c, ok in scored if c is not None and (low <= c < high or (i == bins - 1 and c == 1.0))]
        out.append((f"{low:.1f}–{high:.1f}", len(inside), sum(inside) / len(inside) if inside else 0.0))
    return out
