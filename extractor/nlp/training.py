"""Training the statistical backoff (:mod:`extractor.nlp.backoff`) on labelled corpus parts.

Every buyer message of the given parts is an example: its normalized text, its gold
return reasons and whether it demands compensation, and what the rules alone made of it
(their tags, and the labels they found a trigger for).  Decoys are simply the negative
examples they are: the detector learns what a claim is *not* from them.

The fit is plain full-batch logistic regression (AdaGrad, L2), deterministic: no
sampling, no random start, so the same corpus gives the same model.  Thresholds are
chosen by leave-one-part-out: for each part, a model trained on the others scores the
messages the rules leave to the backoff, and the thresholds that give the best F1 of
rules and backoff together, over all parts, win (ties go to the stricter thresholds).
A part whose wording the rules were tuned on shows what the backoff costs; a part
written blind shows what it finds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, NamedTuple, Sequence

import numpy as np

from ..evaluate import Score, pad
from ..i18n import N_, _
from .backoff import DETECTOR_OUTPUTS, MIN_CHARS, REASON_OUTPUTS, BackoffModel, grams

# Fitting: enough epochs for AdaGrad to settle on a few thousand messages; a light L2 so
# that n-grams seen in one conversation only do not dominate.
EPOCHS = 400
LEARNING_RATE = 1.0
L2 = 1e-5
MIN_COUNT = 2  # an n-gram seen once in all the training messages says nothing general
PRUNE = 5e-4  # features whose every weight is smaller than this are left out of the file
# A detector threshold of 1.0 means never: the label is left to the rules alone (when no
# threshold helps), in the model file as in the grid.
RULES_ALONE = 1.0
DETECTOR_GRID = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, RULES_ALONE)
REASON_GRID = (0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8)


class Example(NamedTuple):
    """One buyer message of a labelled part."""

    part: str
    text: str  # normalized, as the backoff reads it
    reasons: frozenset[str]  # gold return reasons
    demand: bool  # gold compensation_demand
    rule_reasons: frozenset[str] = frozenset()  # what the rules tagged
    rule_demand: bool = False
    triggered: frozenset[str] = frozenset()  # labels the rules found a trigger for


@dataclass(frozen=True)
class CrossValidation:
    """Leave-one-part-out results: per part, (tp, fp, fn) of return_claim (reasons
    counted) and of compensation_demand for the rules alone and with the backoff at
    the chosen thresholds."""

    thresholds: Mapping[str, float]
    parts: Mapping[str, Mapping[str, tuple[int, int, int]]] = field(default_factory=dict)


def examples_from_split(split: Path, tagger) -> list[Example]:
    """The buyer messages of one corpus part, with gold and the rules' view (``tagger``
    must run without a backoff)."""
    from ..evaluate import GOLD_FILE, _inputs, _keys, read_gold
    from ..sources import ParseOptions
    from ..timeline import parse_paths

    gold = read_gold(split / GOLD_FILE)
    events = [e for e in parse_paths(_inputs(split), ParseOptions()).events
              if e.kind == "message" and e.role == "buyer"]
    views = tagger.analyse_messages([(e.text, e.role, e.time) for e in events])
    out = []
    for event, view in zip(events, views):
        labels = gold.get(_keys(event, split, gold)[0], [])
        out.append(Example(
            part=split.name,
            text=view.norm.text,
            reasons=frozenset(g.reason for g in labels if g.label == "return_claim"),
            demand=any(g.label == "compensation_demand" for g in labels),
            rule_reasons=frozenset(t.reason for t in view.tags if t.label == "return_claim"),
            rule_demand=any(t.label == "compensation_demand" for t in view.tags),
            triggered=view.triggered,
        ))
    return out


# ---------------------------------------------------------------------------
# Fitting


def probabilities(rows, cols, values, weights, bias, n_rows: int, softmax: bool) -> np.ndarray:
    """The model's outputs for the sparse examples (``rows``, ``cols``, ``values``)."""
    logits = np.stack([np.bincount(rows, weights=weights[cols, k] * values, minlength=n_rows)
                       for k in range(weights.shape[1])], axis=1) + bias
    if softmax:
        logits -= logits.max(axis=1, keepdims=True)
        prob = np.exp(logits)
        return prob / prob.sum(axis=1, keepdims=True)
    return 1.0 / (1.0 + np.exp(-logits))


def feature_gradient(rows, cols, values, delta, n_features: int) -> np.ndarray:
    """The gradient of the summed loss by each feature's weights, for output errors ``delta``."""
    return np.stack([np.bincount(cols, weights=delta[rows, k] * values, minlength=n_features)
                     for k in range(delta.shape[1])], axis=1)


def _adagrad(rows, cols, values, n_rows, n_features, targets, softmax: bool) -> tuple[np.ndarray, np.ndarray]:
    width = targets.shape[1]
    weights = np.zeros((n_features, width))
    bias = np.zeros(width)
    w_square = np.full_like(weights, 1e-8)
    b_square = np.full(width, 1e-8)
    for _ in range(EPOCHS):
        prob = probabilities(rows, cols, values, weights, bias, n_rows, softmax)
        delta = (prob - targets) / n_rows
        grad = feature_gradient(rows, cols, values, delta, n_features) + L2 * weights
        grad_b = delta.sum(axis=0)
        w_square += grad * grad
        b_square += grad_b * grad_b
        weights -= LEARNING_RATE * grad / np.sqrt(w_square)
        bias -= LEARNING_RATE * grad_b / np.sqrt(b_square)
    return weights, bias


def fit(examples: Sequence[Example], thresholds: Mapping[str, float],
        trained_on: Mapping[str, object] | None = None) -> BackoffModel:
    """A model trained on ``examples`` (all of them, with the given thresholds)."""
    if not examples:
        raise ValueError("no examples to train on")
    g = grams([e.text for e in examples])
    vocab, counts = np.unique(g.keys, return_counts=True)
    vocab = vocab[counts >= MIN_COUNT]
    idx = np.minimum(np.searchsorted(vocab, g.keys), max(len(vocab) - 1, 0))
    known = vocab[idx] == g.keys if len(vocab) else np.zeros(len(g.keys), dtype=bool)
    rows, cols = g.message[known], idx[known]
    values = (1.0 / np.sqrt(np.maximum(g.positions, 1)))[rows]

    detector_y = np.array([[bool(e.reasons), e.demand] for e in examples], dtype=float)
    det_w, det_b = _adagrad(rows, cols, values, len(examples), len(vocab), detector_y, softmax=False)

    claims = np.array([bool(e.reasons) for e in examples])
    claim_rows = np.flatnonzero(claims)
    renumber = np.full(len(examples), -1)
    renumber[claim_rows] = np.arange(len(claim_rows))
    keep = claims[rows]
    reason_y = np.array([[r in examples[i].reasons for r in REASON_OUTPUTS] for i in claim_rows], dtype=float)
    reason_y /= np.maximum(reason_y.sum(axis=1, keepdims=True), 1)
    rea_w, rea_b = _adagrad(renumber[rows[keep]], cols[keep], values[keep], len(claim_rows), len(vocab),
                            reason_y, softmax=True)

    weights = np.concatenate([det_w, rea_w], axis=1)
    bias = np.concatenate([det_b, rea_b])
    useful = np.abs(weights).max(axis=1) >= PRUNE
    return BackoffModel(keys=vocab[useful], weights=weights[useful], bias=bias,
                        thresholds=dict(thresholds), trained_on=dict(trained_on or {}))


# ---------------------------------------------------------------------------
# Thresholds by leave-one-part-out


def _part_order(name: str) -> tuple:
    """dev, dev2, …, dev10: numbers in part names in numeric order."""
    return tuple(int(piece) if piece.isdigit() else piece for piece in re.split(r"(\d+)", name))


class _Held(NamedTuple):
    example: Example
    claim: float  # detector probability of return_claim (0 when the tag would not stand)
    demand: float  # and of compensation_demand
    reason: str
    reason_prob: float


def _counts(held: Iterable[_Held], t_claim: float, t_reason: float, t_demand: float):
    """(tp, fp, fn) of return_claim and of compensation_demand for rules + backoff."""
    r = [0, 0, 0]
    c = [0, 0, 0]
    for h in held:
        e = h.example
        found = set(e.rule_reasons)
        if (not found and "return_claim" not in e.triggered and t_claim < RULES_ALONE
                and h.claim >= t_claim and h.reason_prob >= t_reason):
            found = {h.reason}
        r[0] += len(found & e.reasons)
        r[1] += len(found - e.reasons)
        r[2] += len(e.reasons - found)
        demand = e.rule_demand or ("compensation_demand" not in e.triggered and t_demand < RULES_ALONE
                                   and h.demand >= t_demand)
        c[0] += demand and e.demand
        c[1] += demand and not e.demand
        c[2] += (not demand) and e.demand
    return tuple(r), tuple(c)


def _f1(tp: int, fp: int, fn: int) -> float:
    return Score(tp, fp, fn).f1


# ``stands(model, text, label)``: whether a tag the backoff would make there stands (the
# tagger's evidence checks, see ``tagger.backoff_stands``).
Stands = Callable[[BackoffModel, str, str], bool]


def cross_validate(examples: Sequence[Example], progress: Callable[[str], None] | None = None,
                   stands: Stands | None = None) -> CrossValidation:
    """Thresholds chosen by leave-one-part-out, and the per-part counts at them."""
    parts = sorted({e.part for e in examples}, key=_part_order)
    if len(parts) < 2:
        raise ValueError("leave-one-part-out needs at least two parts")
    held: dict[str, list[_Held]] = {}
    for part in parts:
        if progress:
            progress(part)
        model = fit([e for e in examples if e.part != part], thresholds=_LOOSE)
        mine = [e for e in examples if e.part == part]
        scores = model.scores([e.text for e in mine])
        best = scores.reasons.argmax(axis=1)
        lowest = min(DETECTOR_GRID)

        def standing(e: Example, p: float, label: str) -> float:
            if len(e.text) < MIN_CHARS:
                return 0.0  # the tagger does not read it
            if p < lowest or stands is None or label in e.triggered:
                return p
            return p if stands(model, e.text, label) else 0.0

        held[part] = [_Held(e, standing(e, float(d[0]), "return_claim"),
                            standing(e, float(d[1]), "compensation_demand"), REASON_OUTPUTS[b], float(r[b]))
                      for e, d, r, b in zip(mine, scores.detector, scores.reasons, best)]
    everything = [h for hs in held.values() for h in hs]
    # Stricter first, so that a tie keeps the stricter thresholds.
    best_claim = max(((tc, tr) for tc in reversed(DETECTOR_GRID) for tr in reversed(REASON_GRID)),
                     key=lambda t: _f1(*_counts(everything, t[0], t[1], RULES_ALONE)[0]))
    best_demand = max(reversed(DETECTOR_GRID),
                      key=lambda t: _f1(*_counts(everything, RULES_ALONE, RULES_ALONE, t)[1]))
    thresholds = {"return_claim": best_claim[0], "reason": best_claim[1], "compensation_demand": best_demand}
    per_part = {}
    for part, hs in held.items():
        rules_r, rules_c = _counts(hs, RULES_ALONE, RULES_ALONE, RULES_ALONE)
        with_r, with_c = _counts(hs, best_claim[0], best_claim[1], best_demand)
        per_part[part] = {"return_claim (rules)": rules_r, "return_claim (with backoff)": with_r,
                          "compensation_demand (rules)": rules_c, "compensation_demand (with backoff)": with_c}
    return CrossValidation(thresholds=thresholds, parts=per_part)


_LOOSE = {"return_claim": 0.5, "reason": 0.5, "compensation_demand": 0.5}


def train(splits: Sequence[Path], thresholds: Mapping[str, float] | None = None,
          progress: Callable[[str], None] | None = None,
          rules_files: Sequence[str] = ()) -> tuple[BackoffModel, CrossValidation | None]:
    """A model trained on every buyer message of ``splits``; thresholds by
    leave-one-part-out unless given."""
    from .context import Segments
    from .tagger import Tagger, backoff_stands

    rules_only = Tagger(rules_files, backoff=None)

    def stands(model: BackoffModel, text: str, label: str) -> bool:
        return backoff_stands(rules_only.rules.judge, Segments.of(text), model.evidence_spans(text, label), label)

    examples = []
    for split in splits:
        if progress:
            progress(_("reading {part}").format(part=split.name))
        examples.extend(examples_from_split(split, rules_only))
    cv = None
    if thresholds is None:
        cv = cross_validate(examples, progress=(lambda p: progress(_("holding out {part}").format(part=p))) if progress else None,
                            stands=stands)
        thresholds = cv.thresholds
    trained_on = {
        "parts": [s.name for s in splits],
        "messages": len(examples),
        "return_claims": sum(bool(e.reasons) for e in examples),
        "compensation_demands": sum(e.demand for e in examples),
    }
    return fit(examples, thresholds, trained_on), cv


def write_model(model: BackoffModel, path: Path) -> None:
    """One feature per line, so a diff of a retrained model is readable."""
    data = model.to_json()
    features = data.pop("features")
    head = json.dumps(data, ensure_ascii=False, indent=1)[:-2]
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    path.write_text(head + ',\n "features": [\n' + ",\n".join(lines) + "\n ]\n}\n", encoding="utf-8")


def train_to_file(parts: Sequence[str | Path], out: str | Path, rules_files: Sequence[str] = (),
                  progress: Callable[[str], None] | None = None) -> CrossValidation:
    """``evidence train``: check the parts, train with thresholds by leave-one-part-out,
    write the model file."""
    from ..errors import UsageError
    from ..evaluate import GOLD_FILE

    splits = [Path(p) for p in parts]
    for split in splits:
        if not (split / GOLD_FILE).is_file():
            raise UsageError(N_("{split}: not a labelled corpus part (no {gold} in it)"), split=split, gold=GOLD_FILE)
    names = [s.name for s in splits]
    if len(set(names)) != len(names):
        raise UsageError(N_("two parts have the same folder name; leave-one-part-out tells parts apart by name"))
    if len(splits) < 2:
        raise UsageError(N_("give at least two parts: thresholds are chosen by leave-one-part-out"))
    model, cv = train(splits, progress=progress, rules_files=rules_files)
    write_model(model, Path(out))
    return cv


def format_cross_validation(cv: CrossValidation) -> str:
    """The leave-one-part-out table: per part, F1 of the rules alone and with the backoff."""
    head = (pad(_("held out"), 12), pad(_("return_claim rules"), 20, right=True),
            pad(_("+ backoff"), 11, right=True), pad(_("demand rules"), 14, right=True),
            pad(_("+ backoff"), 11, right=True))
    lines = [_("thresholds: {thresholds}").format(thresholds=", ".join(f"{k} {v:g}" for k, v in cv.thresholds.items())),
             "".join(head)]
    totals: dict[str, list[int]] = {}
    for part, counts in cv.parts.items():
        for key, value in counts.items():
            totals.setdefault(key, [0, 0, 0])
            totals[key] = [a + b for a, b in zip(totals[key], value)]
        lines.append(_cv_row(part, counts))
    lines.append(_cv_row(_("all"), {k: tuple(v) for k, v in totals.items()}))
    return "\n".join(lines) + "\n"


def _cv_row(name: str, counts: Mapping[str, tuple[int, int, int]]) -> str:
    keys = ("return_claim (rules)", "return_claim (with backoff)",
            "compensation_demand (rules)", "compensation_demand (with backoff)")
    widths = (20, 11, 14, 11)
    return pad(name, 12) + "".join(f"{_f1(*counts[k]):>{w}.3f}" for k, w in zip(keys, widths))
