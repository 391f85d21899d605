"""Measured accuracy: the tagger (or the keyword baseline) against a labelled corpus.

A split folder holds exports in their own formats plus ``gold.jsonl``: one object per
event, ``{"file": path relative to the split folder, "line": N | "row": N, "labels":
[{"label": ..., "reason" | "deadline" | "tracking" | "hours": ...}]}``.  The folder is
parsed like any input (``gold.jsonl`` and ``*.md`` left out), tagged, and each predicted
event is matched to its gold record by (file, line or row).

Scores count (event, label, reason) items: precision, recall and F1 per label, per
label:reason, and micro-averaged over all items.  Deadline accuracy is over the events
where both gold and prediction have a ``shipping_promise``: correct when both are null
or they are within two hours of each other.
"""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from . import real_corpus
from .errors import UsageError
from .i18n import N_, _, say
from .model import Event, FileReport, Tag
from .nlp.backoff import BUILTIN
from .labels import registry

GOLD_FILE = "gold.jsonl"
DEADLINE_TOLERANCE = timedelta(hours=2)
REASON_LABELS = registry().with_reasons

Key = tuple[str, str, int]  # (file relative to the split, "line" | "row", number)
Item = tuple[str, str | None]  # (label, reason)


@dataclass(frozen=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    # With nothing predicted (or nothing to find), a score is perfect only if the other
    # side is empty too.
    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float(self.fn == 0)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float(self.fp == 0)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def gold(self) -> int:
        return self.tp + self.fn

    @property
    def predicted(self) -> int:
        return self.tp + self.fp


@dataclass(frozen=True)
class Mismatch:
    """One event whose predicted labels differ from its gold ones (or whose deadline is
    off by more than two hours): what a rule author looks at next."""

    key: Key
    text: str
    missed: tuple[str, ...]  # "label" or "label:reason" in gold, not predicted
    extra: tuple[str, ...]  # predicted, not in gold
    deadline: tuple[datetime | None, datetime | None] | None = None  # (gold, predicted)


@dataclass(frozen=True)
class SplitReport:
    name: str
    folder: str
    baseline: bool
    events: int
    gold_events: int
    labels: Mapping[str, Score]
    reasons: Mapping[str, Score]
    micro: Score
    deadlines_correct: int
    deadlines_compared: int
    hours_correct: int
    hours_compared: int
    missing: tuple[Key, ...] = ()  # gold events no parsed event matched
    scored: tuple[str, ...] | None = None  # the labels scored, when a split scores only some
    files: tuple[FileReport, ...] = field(default=())
    mismatches: tuple[Mismatch, ...] = ()

    @property
    def deadline_accuracy(self) -> float:
        return self.deadlines_correct / self.deadlines_compared if self.deadlines_compared else 1.0


@dataclass(frozen=True)
class EvalReport:
    splits: tuple[SplitReport, ...]


@dataclass(frozen=True)
class GoldLabel:
    label: str
    reason: str | None
    deadline: datetime | None
    hours: float | None


# ---------------------------------------------------------------------------
# Reading the corpus


def split_folders(corpus: Path) -> list[Path]:
    """A split folder itself, or the split folders (those with gold.jsonl) below it, or the
    built parts of the real corpus (which says how to build them when they are not)."""
    if (corpus / GOLD_FILE).is_file():
        return [corpus]
    real = real_corpus.resolve(corpus)
    if real is not None:
        return real
    if not corpus.is_dir():
        raise UsageError(N_("{corpus}: not a folder; give a split folder (with {gold}) or the corpus folder"),
                         corpus=corpus, gold=GOLD_FILE)
    splits = sorted(p for p in corpus.iterdir() if p.is_dir() and (p / GOLD_FILE).is_file())
    if not splits:
        raise UsageError(N_("{corpus}: no {gold} here or in a folder below; nothing to evaluate"), corpus=corpus,
                         gold=GOLD_FILE)
    return splits


def read_gold(path: Path) -> dict[Key, list[GoldLabel]]:
    gold: dict[Key, list[GoldLabel]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            position = "line" if "line" in record else "row"
            key = (str(record["file"]), position, int(record[position]))
            labels = [
                GoldLabel(
                    label=str(item["label"]),
                    reason=item.get("reason"),
                    deadline=datetime.fromisoformat(item["deadline"]) if item.get("deadline") else None,
                    hours=item.get("hours"),
                )
                for item in record.get("labels", [])
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(N_("{path}:{line}: not a gold record ({problem})"), path=path, line=number,
                             problem=exc) from None
        gold.setdefault(key, []).extend(labels)
    return gold


def _inputs(split: Path) -> list[str]:
    from .timeline import walk

    skip = {GOLD_FILE, real_corpus.SCOPE_FILE}
    return [p for p in walk([split]) if Path(p).name not in skip and not p.endswith(".md")]


def _keys(event: Event, split: Path, gold: Mapping[Key, object]) -> list[Key]:
    keys = []
    root = split.resolve()
    for source in event.all_sources():
        try:
            rel = Path(source.file).resolve().relative_to(root).as_posix()
        except ValueError:
            rel = Path(source.file).as_posix()
        if source.line is not None:
            keys.append((rel, "line", source.line))
        elif source.row is not None:
            keys.append((rel, "row", source.row))
    in_gold = [k for k in keys if k in gold]
    return in_gold[:1] or keys[:1]


# ---------------------------------------------------------------------------
# Scoring


def _items(tags: Iterable[Tag | GoldLabel]) -> set[Item]:
    return {(t.label, t.reason if t.label in REASON_LABELS else None) for t in tags}


def _deadlines(pred_tags: Sequence[Tag], gold_tags: Sequence[GoldLabel]):
    """(gold, predicted) deadline of an event where both have a shipping promise, else None."""
    pred = next((t for t in pred_tags if t.label == "shipping_promise"), None)
    gold = next((t for t in gold_tags if t.label == "shipping_promise"), None)
    return None if pred is None or gold is None else (gold.deadline, pred.deadline)


def _deadline_right(gold: datetime | None, pred: datetime | None) -> bool:
    """Both null, or within two hours of each other."""
    if gold is None or pred is None:
        return gold is None and pred is None
    return abs(gold - pred) <= DEADLINE_TOLERANCE


def score(predicted: Mapping[Key, Sequence[Tag]], gold: Mapping[Key, Sequence[GoldLabel]]):
    labels: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    reasons: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    deadlines = [0, 0]
    hours = [0, 0]
    for key in sorted(set(predicted) | set(gold)):
        pred_tags = list(predicted.get(key, ()))
        gold_tags = list(gold.get(key, ()))
        pred_items, gold_items = _items(pred_tags), _items(gold_tags)
        for item in pred_items | gold_items:
            slot = 0 if item in pred_items and item in gold_items else (1 if item in pred_items else 2)
            labels[item[0]][slot] += 1
            if item[1] is not None:
                reasons[f"{item[0]}:{item[1]}"][slot] += 1
        compared = _deadlines(pred_tags, gold_tags)
        if compared is not None:
            deadlines[1] += 1
            deadlines[0] += _deadline_right(*compared)
        pred_silence = next((t for t in pred_tags if t.label == "buyer_silence"), None)
        gold_silence = next((t for t in gold_tags if t.label == "buyer_silence"), None)
        if pred_silence is not None and gold_silence is not None:
            hours[1] += 1
            hours[0] += abs((pred_silence.hours or 0) - (gold_silence.hours or 0)) < 0.05
    order = registry().order
    label_scores = {k: Score(*v) for k, v in sorted(labels.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))}
    reason_scores = {k: Score(*v) for k, v in sorted(
        reasons.items(), key=lambda kv: (order.get(kv[0].split(":")[0], 99), kv[0]))}
    micro = Score(*(sum(s[i] for s in labels.values()) for i in range(3)))
    return label_scores, reason_scores, micro, deadlines, hours


def _item_name(item: Item) -> str:
    return item[0] if item[1] is None else f"{item[0]}:{item[1]}"


def mismatches(predicted: Mapping[Key, Sequence[Tag]], gold: Mapping[Key, Sequence[GoldLabel]],
               texts: Mapping[Key, str]) -> tuple[Mismatch, ...]:
    found = []
    for key in sorted(set(predicted) | set(gold)):
        pred_tags, gold_tags = list(predicted.get(key, ())), list(gold.get(key, ()))
        pred_items, gold_items = _items(pred_tags), _items(gold_tags)
        deadline = _deadlines(pred_tags, gold_tags)
        if deadline is not None and _deadline_right(*deadline):
            deadline = None
        if pred_items != gold_items or deadline is not None:
            found.append(Mismatch(
                key=key, text=texts.get(key, ""),
                missed=tuple(sorted(_item_name(i) for i in gold_items - pred_items)),
                extra=tuple(sorted(_item_name(i) for i in pred_items - gold_items)),
                deadline=deadline,
            ))
    return tuple(found)


def claim_pairs(split: Path, rules_files: Sequence[str] = (),
                backoff: str | Path | None = BUILTIN) -> list[tuple[Tag, bool]]:
    """Every buyer-claim tag the tagger gives on ``split``, with whether the gold has it
    (label, and reason where the label has reasons): what a calibration counts."""
    from .nlp.calibration import CLAIM_LABELS

    *_, predicted, gold = _run_split(split, False, rules_files, backoff)
    pairs = []
    for key, tags in predicted.items():
        gold_items = _items(gold.get(key, ()))
        for tag in tags:
            if tag.label in CLAIM_LABELS:
                pairs.append((tag, next(iter(_items([tag]))) in gold_items))
    return pairs


def _run_split(split: Path, baseline: bool, rules_files: Sequence[str], backoff):
    from .sources import ParseOptions
    from .timeline import parse_paths

    gold = read_gold(split / GOLD_FILE)
    scored = real_corpus.scope(split)
    if scored is not None:
        # A real part's times are synthetic: its structural labels mean nothing, on either side.
        gold = {key: [g for g in labels if g.label in scored] for key, labels in gold.items()}
    inputs = _inputs(split)
    if not inputs:
        raise UsageError(N_("{split}: no exports beside {gold}"), split=split, gold=GOLD_FILE)
    result = parse_paths(inputs, ParseOptions())
    if baseline:
        from .nlp.baseline import baseline_tag_events

        events = baseline_tag_events(result.events)
    else:
        from .nlp import get_tagger

        events = get_tagger(rules_files, backoff).tag_events(result.events)
    predicted: dict[Key, list[Tag]] = defaultdict(list)
    texts: dict[Key, str] = {}
    for event in events:
        tags = [t for t in event.tags if scored is None or t.label in scored]
        for key in _keys(event, split, gold):
            predicted[key].extend(tags)
            texts.setdefault(key, event.text)
    return events, result, scored, texts, predicted, gold


def evaluate_split(split: Path, baseline: bool = False, rules_files: Sequence[str] = (),
                   backoff: str | Path | None = BUILTIN) -> SplitReport:
    events, result, scored, texts, predicted, gold = _run_split(split, baseline, rules_files, backoff)
    labels, reasons, micro, deadlines, hours = score(predicted, gold)
    missing = tuple(k for k in sorted(gold) if k not in predicted)
    return SplitReport(
        name=split.name, folder=str(split), baseline=baseline, events=len(events),
        gold_events=len(gold), labels=labels, reasons=reasons, micro=micro,
        deadlines_correct=deadlines[0], deadlines_compared=deadlines[1],
        hours_correct=hours[0], hours_compared=hours[1], missing=missing, files=result.files,
        mismatches=mismatches(predicted, gold, texts),
        scored=None if scored is None else tuple(sorted(scored, key=lambda l: registry().order.get(l, 99))),
    )


def evaluate(corpus_dir: str | Path, baseline: bool = False, rules_files: Sequence[str] = (),
             backoff: str | Path | None = BUILTIN) -> EvalReport:
    """Evaluate one split folder, or every split folder under ``corpus_dir`` (``backoff``:
    the backoff model file, "builtin", or None for the rules alone)."""
    splits = split_folders(Path(corpus_dir))
    return EvalReport(tuple(evaluate_split(s, baseline, rules_files, backoff) for s in splits))


# ---------------------------------------------------------------------------
# Presentation

# The table's column headers: label, precision, recall, F1, gold count, predicted count.
HEADERS = (N_("label"), N_("P"), N_("R"), N_("F1"), N_("gold"), N_("pred"))


def width(text: str) -> int:
    """Columns ``text`` takes on a terminal: a Chinese character two, as its headers have."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int, right: bool = False) -> str:
    """``text`` padded to ``columns`` terminal columns (``right``: aligned right), as
    ``f"{text:<n}"`` would for ASCII."""
    fill = " " * max(0, columns - width(text))
    return fill + text if right else text + fill


def _row(name: str, s: Score) -> str:
    return f"{pad(name, 34)} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {s.gold:6d} {s.predicted:6d}"


def _when(moment: datetime | None) -> str:
    return "null" if moment is None else moment.isoformat()


def format_mismatch(m: Mismatch) -> str:
    file, _kind, number = m.key
    parts = [f"{file}:{number}"]
    if m.missed:
        parts.append(_("missed {labels}").format(labels=" ".join(m.missed)))
    if m.extra:
        parts.append(_("extra {labels}").format(labels=" ".join(m.extra)))
    if m.deadline is not None:
        parts.append(_("deadline gold {gold} got {got}").format(gold=_when(m.deadline[0]), got=_when(m.deadline[1])))
    text = " ".join(m.text.split())
    return "  ".join(parts) + f"\n    {text[:200]}{'…' if len(text) > 200 else ''}"


def format_report(report: EvalReport, errors: bool = False) -> str:
    """The table per split; with ``errors``, every mismatching event after it."""
    lines: list[str] = []
    for split in report.splits:
        tagger = _("keyword baseline") if split.baseline else _("tagger")
        lines.append(_("== {name} ({folder}): {tagger}, {events} events parsed, {gold} gold events").format(
            name=split.name, folder=split.folder, tagger=tagger, events=split.events, gold=split.gold_events))
        if split.scored is not None:
            lines.append(_("scored: {labels} only (the times of this part are synthetic)").format(
                labels=", ".join(split.scored)))
        lines.append(" ".join([pad(_(HEADERS[0]), 34), *(pad(_(h), 6, right=True) for h in HEADERS[1:])]))
        for label, s in split.labels.items():
            lines.append(_row(label, s))
            for reason, rs in split.reasons.items():
                if reason.startswith(label + ":"):
                    lines.append(_row("  " + reason, rs))
        lines.append(_row(_("micro"), split.micro))
        lines.append(_("deadline accuracy {accuracy:.3f} ({correct}/{compared} promises found by both; "
                       "within 2 hours, null = null)").format(accuracy=split.deadline_accuracy,
                                                              correct=split.deadlines_correct,
                                                              compared=split.deadlines_compared))
        if split.hours_compared:
            lines.append(_("buyer_silence hours exact {correct}/{compared}").format(correct=split.hours_correct,
                                                                                   compared=split.hours_compared))
        failed = [f for f in split.files if not f.ok]
        for rep in failed:
            lines.append(_("input error: {error}").format(error=say(rep.error)))
        if split.missing:
            shown = ", ".join(f"{f}:{n}" for f, _k, n in split.missing[:5])
            more = _(" (+{more} more)").format(more=len(split.missing) - 5) if len(split.missing) > 5 else ""
            lines.append(_("{count} gold events matched no parsed event: {shown}{more}").format(
                count=len(split.missing), shown=shown, more=more))
        if errors:
            lines.append(_("-- {count} events differ from gold:").format(count=len(split.mismatches)))
            lines += [format_mismatch(m) for m in split.mismatches]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
