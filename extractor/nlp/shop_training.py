"""Teaching the statistical backoff a shop's own review decisions (``evidence train
--decisions FILE`` / ``--db STORE``).

A decision (:mod:`extractor.review`) names an event by its key and says what a person
made of one tag: ``dismiss`` (the tag is wrong there), ``confirm`` or ``add`` (it is
right).  For the labels the backoff learns (``return_claim`` and ``compensation_demand``,
and the return reason) each decided buyer message becomes a labelled example: a
dismissed label is a negative for it on that message, a confirmed or added one a
positive (and its reason the reason's target).  A label nobody decided on that message
is not an example either way: the shop looked at one tag, not at every label.

A decision has no text: only its event key.  The text comes from where the events are:
the case store the decisions were made in (``--db``: it keeps every event's text by
key), or the exports themselves (``--inputs``, read with the same ``--tz``/``--shop``/
``--staff`` as the run the decisions were made on, since the key hashes the parsed time
and sender).  A decision whose event is in neither is a warning naming its file and
line; when no decision is left to learn from, that is error E405.

The model is the base one (the shipped model unless ``--base``) moved toward the
examples, not retrained: a shop has tens of decisions, not the thousands of messages a
model is fitted on.  The fit is the backoff's own loss (logistic detector, softmax
reasons) on the examples plus an L2 pull back to the base weights, full-batch AdaGrad,
deterministic.  The pull is stronger on short n-grams: a decision is about the words of
that message, not about the single characters it shares with every chat.  The bias and
the thresholds stay the base model's: decisions are made on what the tagger showed a
person, not on a sample of the shop's chats, so how many were claims says nothing about
how often a message is one.

The output is the user's file, wherever they say: the shop's n-grams are in its
features, so it is never written into the package.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, NamedTuple, Sequence

import numpy as np

from ..errors import UsageError
from ..i18n import N_, said
from ..review import Decision, read_numbered_decisions
from .backoff import DETECTOR_OUTPUTS, REASON_OUTPUTS, BackoffModel, grams
from .training import feature_gradient, probabilities

# The pull back to the base weights, per n-gram order (1, 2, 3 characters).  At the fit's
# optimum one decision moves its message's logit by about (target - p) / (mean pull):
# some 10, so a dismissed tag at 0.9 drops well under any threshold, while a character
# moves a quarter of what a 3-gram does.
PULL = {1: 0.4, 2: 0.1, 3: 0.05}
EPOCHS = 300
LEARNING_RATE = 0.5
PRUNE = 5e-4  # as in training.py: weights this small are left out of the file


class ShopTrainingError(UsageError):
    """Shop decisions that cannot be turned into examples (no text for them, or none left)."""

    code = "E405"


class Decided(NamedTuple):
    """One decision and where it was read (``file:line``, or the store's row)."""

    where: str
    decision: Decision


class Message(NamedTuple):
    text: str  # as the event has it (verbatim)
    role: str
    kind: str


@dataclass(frozen=True)
class ShopExample:
    key: str
    text: str  # normalized, as the backoff reads it
    detector: tuple[float | None, ...]  # per DETECTOR_OUTPUTS: 1 right, 0 wrong, None undecided
    reasons: tuple[str, ...] = ()  # confirmed or added return reasons
    dismissed_reasons: tuple[str, ...] = ()
    where: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShopExamples:
    examples: tuple[ShopExample, ...]
    warnings: tuple[str, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# Reading the decisions and the text they need


def decisions_from_files(paths: Iterable[str | os.PathLike[str]]) -> list[Decided]:
    """Every decision of the files, in order, each with its ``file:line`` (a malformed
    line is E403 naming it)."""
    return [Decided(f"{path}:{line}", d) for path in paths for line, d in read_numbered_decisions(path)]


def _open_store(path: str | os.PathLike[str]):
    from ..store import CaseStore

    if not Path(path).is_file():
        raise ShopTrainingError(N_("{path}: no case store there (give --db the store `evidence serve --db` uses)"),
                                path=path)
    return CaseStore(path)


def from_store(path: str | os.PathLike[str]) -> tuple[list[Decided], dict[str, Message]]:
    """The store's decisions and every event it keeps, by key."""
    store = _open_store(path)
    try:
        rows = store.db.execute("SELECT id, event, action, label, reason, who, at, note FROM decisions ORDER BY id")
        decided = [Decided(said(N_("{path}: decision {id}"), path=path, id=r["id"]),
                           Decision(r["event"], r["action"], r["label"], r["reason"], r["who"], r["at"], r["note"]))
                   for r in rows]
        messages = {r["key"]: Message(r["text"], r["role"], r["kind"])
                    for r in store.db.execute("SELECT key, text, role, kind FROM events")}
    finally:
        store.close()
    return decided, messages


def from_inputs(paths: Sequence[str], config, warn: Callable[[str], None] | None = None) -> dict[str, Message]:
    """Every event of the exports, by the key a run over them gives it (the stages a
    report runs, up to tagging: the key hashes the event as the case holds it).  A file
    that could not be read is a warning: the decisions on its events will be missing."""
    from ..review import event_key
    from ..stages import held_case_events, join_aside, read_files

    reads = read_files(paths, config)
    assembly = join_aside(reads, config.parse.shop)
    for report in assembly.reports:
        if report.error and warn:
            warn(said(N_("{file}: not read, so no decision on its events can be learnt ({error})"), file=report.file,
                      error=report.error))
    out: dict[str, Message] = {}
    for key in assembly.keys:
        for e in held_case_events(reads, assembly, key):
            out.setdefault(event_key(e), Message(e.text, e.role, e.kind))
    for e in assembly.unassigned:
        out.setdefault(event_key(e), Message(e.text, e.role, e.kind))
    return out


# ---------------------------------------------------------------------------
# Decisions → examples


def examples_of(decided: Sequence[Decided], messages: Mapping[str, Message]) -> ShopExamples:
    """The labelled examples the decisions make; what cannot be one is a warning."""
    from .normalize import normalize_many

    warnings: list[str] = []
    by_key: dict[str, list[Decided]] = {}
    other_labels: dict[str, int] = {}
    for item in decided:
        if item.decision.label not in DETECTOR_OUTPUTS:
            other_labels[item.decision.label] = other_labels.get(item.decision.label, 0) + 1
            continue
        by_key.setdefault(item.decision.event, []).append(item)
    missing = not_buyer = 0
    keep: list[tuple[str, list[Decided], Message]] = []
    for key, items in by_key.items():
        message = messages.get(key)
        if message is None:
            missing += len(items)
            warnings += [said(N_("{where}: event {key} is not in the inputs; its decision is not learnt "
                                 "(give the exports it was made on with --inputs, or the store with --db)"),
                              where=i.where, key=key) for i in items]
        elif message.kind != "message" or message.role != "buyer":
            not_buyer += len(items)
            warnings += [said(N_("{where}: event {key} is not a buyer's message (the backoff reads those only); "
                                 "its decision is not learnt"), where=i.where, key=key) for i in items]
        else:
            keep.append((key, items, message))
    if other_labels:
        listed = ", ".join(f"{name} {n}" for name, n in sorted(other_labels.items()))
        warnings.append(said(N_("decisions on labels the backoff does not learn (rules only) are not learnt: "
                                "{listed}"), listed=listed))
    norms = normalize_many([m.text for _, _, m in keep])
    examples = []
    for (key, items, _), norm in zip(keep, norms):
        detector, reasons, dismissed = _targets([i.decision for i in items])
        examples.append(ShopExample(key, norm.text, detector, reasons, dismissed, tuple(i.where for i in items)))
    counts = {"decisions": len(decided), "learnt": sum(len(i) for _, i, _ in keep), "messages": len(examples),
              "not_in_inputs": missing, "not_buyer_messages": not_buyer, "other_labels": sum(other_labels.values())}
    return ShopExamples(tuple(examples), tuple(warnings), counts)


def _targets(decisions: Sequence[Decision]) -> tuple[tuple[float | None, ...], tuple[str, ...], tuple[str, ...]]:
    """Per detector label: right (1), wrong (0) or undecided; the right and the wrong
    reasons.  In order, the later decision on the same label and reason winning (as
    :func:`extractor.review.apply_decisions` applies them)."""
    state: dict[str, float | None] = dict.fromkeys(DETECTOR_OUTPUTS)
    right: dict[str, None] = {}
    wrong: dict[str, None] = {}
    for d in decisions:
        positive = d.action in ("confirm", "add")
        if d.label == "return_claim" and d.reason is not None:
            (right if positive else wrong)[d.reason] = None
            (wrong if positive else right).pop(d.reason, None)
            state[d.label] = 1.0 if right else 0.0
        else:
            state[d.label] = 1.0 if positive else 0.0
            if d.label == "return_claim" and not positive:
                wrong.update(dict.fromkeys(right))
                right.clear()
    return tuple(state[label] for label in DETECTOR_OUTPUTS), tuple(right), tuple(wrong)


# ---------------------------------------------------------------------------
# The fit


def tune(base: BackoffModel, examples: Sequence[ShopExample],
         trained_on: Mapping[str, object] | None = None) -> BackoffModel:
    """``base`` moved toward ``examples`` (see the module doc)."""
    if not examples:
        raise ShopTrainingError(N_("no decision to learn from"))
    texts = [e.text for e in examples]
    g = grams(texts)
    keys = np.union1d(base.keys, g.keys)
    width = base.weights.shape[1]
    start = np.zeros((len(keys), width))
    start[np.searchsorted(keys, base.keys)] = base.weights
    cols_all = np.searchsorted(keys, g.keys)
    # Only the n-grams of the examples move; the rest keep the base weights exactly.
    used, cols = np.unique(cols_all, return_inverse=True)
    rows = g.message
    values = (1.0 / np.sqrt(np.maximum(g.positions, 1)))[rows]
    order = np.zeros(len(used))
    order[cols] = g.order
    pull = np.array([PULL[int(n)] for n in order])[:, None]
    weights = start.copy()
    n_det = len(DETECTOR_OUTPUTS)

    det_y = np.array([[0.0 if t is None else t for t in e.detector] for e in examples])
    det_mask = np.array([[t is not None for t in e.detector] for e in examples], dtype=float)
    weights[used, :n_det] = _adagrad(rows, cols, values, start[used, :n_det], base.bias[:n_det], det_y, det_mask,
                                     pull, softmax=False)

    reason_y, reason_rows = _reason_targets(base, examples)
    if reason_rows:
        pick = np.isin(rows, reason_rows)
        renumber = np.full(len(examples), -1)
        renumber[reason_rows] = np.arange(len(reason_rows))
        weights[used, n_det:] = _adagrad(renumber[rows[pick]], cols[pick], values[pick], start[used, n_det:],
                                         base.bias[n_det:], reason_y, np.ones((len(reason_rows), 1)), pull,
                                         softmax=True)
    useful = np.abs(weights).max(axis=1) >= PRUNE
    return BackoffModel(keys=keys[useful], weights=weights[useful], bias=base.bias.copy(),
                        thresholds=dict(base.thresholds), trained_on=dict(trained_on or {}))


def _reason_targets(base: BackoffModel, examples: Sequence[ShopExample]) -> tuple[np.ndarray, list[int]]:
    """The reason classifier's targets: the confirmed reasons shared out; with only
    dismissed ones, the base model's own view with those taken out (the others share
    their probability)."""
    rows, targets = [], []
    base_view = base.reasons([e.text for e in examples])
    for i, e in enumerate(examples):
        if e.reasons:
            target = np.array([r in e.reasons for r in REASON_OUTPUTS], dtype=float)
        elif e.dismissed_reasons and e.detector[0] != 0.0:
            target = base_view[i] * np.array([r not in e.dismissed_reasons for r in REASON_OUTPUTS])
        else:
            continue
        if target.sum() > 0:
            rows.append(i)
            targets.append(target / target.sum())
    return np.array(targets).reshape(len(rows), len(REASON_OUTPUTS)), rows


def _adagrad(rows, cols, values, start, bias, targets, mask, pull, softmax: bool) -> np.ndarray:
    """Summed loss over the examples (each decision counts the same, however many there
    are) plus ``pull`` × the squared distance from ``start``."""
    n_rows = targets.shape[0]
    weights = start.copy()
    square = np.full_like(weights, 1e-8)
    for _ in range(EPOCHS):
        prob = probabilities(rows, cols, values, weights, bias, n_rows, softmax)
        delta = (prob - targets) * mask
        grad = feature_gradient(rows, cols, values, delta, len(weights)) + pull * (weights - start)
        square += grad * grad
        weights -= LEARNING_RATE * grad / np.sqrt(square)
    return weights


# ---------------------------------------------------------------------------
# ``evidence train --decisions`` / ``--db``


def _inside_package(path: Path) -> bool:
    package = Path(__file__).resolve().parents[1]
    try:
        path.resolve().relative_to(package)
    except ValueError:
        return False
    return True


def train_from_decisions(out: str | os.PathLike[str], decision_files: Sequence[str] = (), db: str | None = None,
                         inputs: Sequence[str] = (), config=None, base: str | None = None,
                         warn: Callable[[str], None] | None = None) -> ShopExamples:
    """Check the options, read the decisions and their text, tune, write the model."""
    from ..stages import RunConfig
    from .backoff import load_model
    from .training import write_model

    if not decision_files and db is None:
        raise ShopTrainingError(N_("give the decisions: --decisions FILE.jsonl (repeatable) or --db STORE"))
    if db is None and not inputs:
        raise ShopTrainingError(N_(
            "a decisions file holds event keys, not the messages' text: give the exports the decisions were made "
            "on with --inputs PATH (and the same --tz/--shop/--staff as that run), or the case store with --db STORE"))
    out_path = Path(out)
    if _inside_package(out_path):
        raise ShopTrainingError(N_("{path}: inside the installed package; a model trained on a shop's decisions "
                                   "holds that shop's words, write it elsewhere and pass it with --backoff"), path=out)
    model = load_model(base)  # a bad base model, before the slow part
    decided = decisions_from_files(decision_files)
    messages: dict[str, Message] = {}
    if db is not None:
        store_decided, messages = from_store(db)
        decided = store_decided + decided
    if inputs:
        for key, message in from_inputs(list(inputs), config or RunConfig(), warn).items():
            messages.setdefault(key, message)
    shop = examples_of(decided, messages)
    for line in shop.warnings:
        if warn:
            warn(line)
    if not shop.examples:
        raise ShopTrainingError(N_(
            "none of the {decided} decisions can be learnt "
            "({not_in_inputs} name events not in the inputs, {not_buyer_messages} "
            "are not on buyer messages, {other_labels} are on labels the backoff does not learn); "
            "see the warnings above"), decided=len(decided), not_in_inputs=shop.counts["not_in_inputs"],
            not_buyer_messages=shop.counts["not_buyer_messages"], other_labels=shop.counts["other_labels"])
    trained_on = {"base": model.file, "base_trained_on": dict(model.trained_on or {}),
                  "shop_decisions": dict(shop.counts)}
    tuned = tune(model, shop.examples, trained_on)
    try:
        write_model(tuned, out_path)
    except OSError as exc:
        raise ShopTrainingError(N_("{path}: cannot write the model ({problem})"), path=out,
                                problem=exc.strerror or exc) from None
    return shop
