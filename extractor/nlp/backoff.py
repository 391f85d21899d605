"""The statistical backoff: a linear model over character n-grams for the buyer claims
the rules miss.

Hand-written rules learn the wording they are shown: every blind corpus part has scored
well under the tuned ones on first contact, mostly by missing return claims phrased in
new ways (少了几粒, 页面写的…呢).  The backoff is a second, independent opinion for
exactly that case.  It reads a buyer message only when the rules found no trigger at all
for the label (a trigger the context rules rejected, 如果过敏能退吗, stays rejected), and
it tags only when it is confident: the thresholds in the model file were chosen by
leave-one-part-out over the training parts (see :mod:`extractor.nlp.training`).

The model (``models/backoff.json``, trained by ``evidence train``) has two parts over the
same features, the character 1-, 2- and 3-grams of the normalized text with a start and
an end mark:

- a detector: one logistic output per label (``return_claim``, ``compensation_demand``);
- a reason classifier: a softmax over the return reasons, trained on claims only.

A tag it makes carries ``score`` (the detector's probability) and, as ``evidence``, the
original words behind the n-grams that weighed most, so a reader can tell it from a rule's
tag and see why it is there.

Scoring is vectorized over a batch: the n-grams of all texts become 64-bit keys (three
21-bit code points) looked up with one ``searchsorted`` in the model's sorted keys, so a
message costs well under a microsecond of Python.
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np

from ..errors import RulesError
from ..i18n import N_, said
from .ruleset import REASONS

MODEL_FILE = "backoff.json"
# ``Tagger(backoff=BUILTIN)``: the model shipped with the package.
BUILTIN = "builtin"
MODEL_FORMAT = "evidence-backoff"
MODEL_VERSION = 1
ORDERS = (1, 2, 3)
DETECTOR_OUTPUTS = ("return_claim", "compensation_demand")
REASON_OUTPUTS = REASONS["return_claim"]
# Marks around each text, so that 'starts with' and 'ends with' are features too.  Neither
# can be in a normalized text's n-grams otherwise (control characters).
START, END = "\x02", "\x03"
_BITS = 21  # every code point fits (U+10FFFF < 2**21); 0 marks an empty slot
# An n-gram equal to one up to this many characters before it is a repeat and not
# counted again: the score is a sum over n-grams scaled by the square root of their
# number, so 过敏过敏过敏… or ？？？？ would otherwise weigh more the longer it runs.
REPEAT_PERIOD = 8
# The backoff reads this much of a message: the first 400 characters (chat messages are
# short; a longer one is a pasted text, left to the rules).
READ_LIMIT = 400
# Shorter messages are not read: none of the corpus's 188 buyer messages under 4
# characters is a claim or a demand without a rule's trigger word in it (好的, 在吗, 嗯嗯).
MIN_CHARS = 4
# Evidence: the n-grams behind a backoff tag, best first, at most this many.
EVIDENCE_GRAMS = 2


class ModelError(RulesError):
    """A backoff model file that cannot be used."""

    code = "E201"


# ---------------------------------------------------------------------------
# Features


class Grams(NamedTuple):
    """The n-grams of a batch of texts: ``keys[j]`` is n-gram j, ``message[j]`` the
    text it is in, ``start[j]``/``order[j]`` where it starts in that text (counting the
    start mark) and how long it is; ``positions[i]`` is how many n-grams text i has
    (``message`` is sorted by order, then position, not by message)."""

    keys: np.ndarray
    message: np.ndarray
    start: np.ndarray
    order: np.ndarray
    positions: np.ndarray


def gram_key(gram: str) -> int:
    """The key of one n-gram (as :func:`grams` computes it for a whole batch)."""
    key = 0
    for slot, char in enumerate(gram):
        key |= (ord(char) + 1) << (_BITS * slot)
    return key


def grams(texts: Sequence[str]) -> Grams:
    """Every character n-gram (orders 1–3) of every text, marks included, except
    repeats.  Line breaks count as spaces (normalization has already squeezed
    whitespace runs); a text is read up to READ_LIMIT characters."""
    count_texts = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=count_texts)
    if count_texts and lengths.max() > READ_LIMIT:
        texts = [text[:READ_LIMIT] for text in texts]
        np.minimum(lengths, READ_LIMIT, out=lengths)
    lengths += 2  # the marks
    joined = (START + (END + START).join(texts) + END).replace("\n", " ") if count_texts else ""
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64) + 1
    total = len(codes)
    message_of = np.repeat(np.arange(count_texts, dtype=np.int64), lengths)
    first = np.zeros(count_texts, dtype=np.int64)
    if count_texts > 1:
        first[1:] = np.cumsum(lengths)[:-1]
    ends = first + lengths  # one past each text's last position
    keys, message, local, order = [], [], [], []
    for n in ORDERS:
        count = total - n + 1
        if count <= 0:
            continue
        key = codes[:count].copy()
        for slot in range(1, n):
            key |= codes[slot:slot + count] << np.uint64(_BITS * slot)
        owner = message_of[:count]
        inside = np.flatnonzero(np.arange(count, dtype=np.int64) + n <= ends[owner])
        keys.append(key[inside])
        message.append(owner[inside])
        local.append(inside - first[owner[inside]])
        order.append(np.full(len(inside), n, dtype=np.int64))
    if not keys:
        empty = np.zeros(0, dtype=np.int64)
        return Grams(np.zeros(0, dtype=np.uint64), empty, empty, empty, np.zeros(count_texts, dtype=np.int64))
    keys_all, message_all = np.concatenate(keys), np.concatenate(message)
    start_all, order_all = np.concatenate(local), np.concatenate(order)
    # A repeat: the same n-gram ``period`` positions earlier in the same text.  (Within one
    # order's block, position i - period of the same text is element i - period; n-grams
    # of two orders never have the same key.)
    keep = np.ones(len(keys_all), dtype=bool)
    for period in range(1, REPEAT_PERIOD + 1):
        if period < len(keys_all):
            keep[period:] &= ~((keys_all[period:] == keys_all[:-period]) & (start_all[period:] >= period))
    if not keep.all():
        keys_all, message_all = keys_all[keep], message_all[keep]
        start_all, order_all = start_all[keep], order_all[keep]
    return Grams(keys_all, message_all, start_all, order_all, np.bincount(message_all, minlength=count_texts))


# ---------------------------------------------------------------------------
# The model


class Scores(NamedTuple):
    detector: np.ndarray  # (texts, len(DETECTOR_OUTPUTS)) probabilities
    reasons: np.ndarray  # (texts, len(REASON_OUTPUTS)) probabilities (softmax)


@dataclass(frozen=True, eq=False)
class BackoffModel:
    """Weights over sorted n-gram keys; columns are the detector's outputs, then the
    reasons'.  ``thresholds``: ``return_claim`` and ``compensation_demand`` on the
    detector's probability (1 leaves the label to the rules), ``reason`` on the reason
    classifier's."""

    keys: np.ndarray  # sorted uint64
    weights: np.ndarray  # (len(keys), detector + reasons) float64
    bias: np.ndarray
    thresholds: Mapping[str, float]
    file: str = "<trained>"
    trained_on: Mapping[str, Any] | None = None

    @cached_property
    def _columns(self) -> np.ndarray:
        """The weights one output at a time (each column contiguous, for gathering)."""
        return np.ascontiguousarray(self.weights.T)

    def scores(self, texts: Sequence[str]) -> Scores:
        """The detector's and the reason classifier's probabilities for each text."""
        n = len(DETECTOR_OUTPUTS)
        logits = self._logits(texts, range(self.weights.shape[1]))
        return Scores(_sigmoid(logits[:, :n]), _softmax(logits[:, n:]))

    def detect(self, texts: Sequence[str]) -> np.ndarray:
        """The detector's probabilities, (texts, len(DETECTOR_OUTPUTS))."""
        return _sigmoid(self._logits(texts, range(len(DETECTOR_OUTPUTS))))

    def reasons(self, texts: Sequence[str]) -> np.ndarray:
        """The reason classifier's probabilities, (texts, len(REASON_OUTPUTS))."""
        n = len(DETECTOR_OUTPUTS)
        return _softmax(self._logits(texts, range(n, n + len(REASON_OUTPUTS))))

    def _logits(self, texts: Sequence[str], columns: range) -> np.ndarray:
        # Chat repeats itself (好的, 在吗, 收到): each distinct text is scored once.
        distinct: dict[str, int] = {}
        where = [distinct.setdefault(text, len(distinct)) for text in texts]
        if len(distinct) < len(texts):
            return self._logits(list(distinct), columns)[where]
        out = np.tile(self.bias[columns.start:columns.stop], (len(texts), 1))
        if texts:
            g = grams(texts)
            idx, found = self._lookup(g.keys)
            rows = g.message[found]
            picked = idx[found]
            scale = 1.0 / np.sqrt(np.maximum(g.positions, 1))
            for k, col in enumerate(columns):
                out[:, k] += np.bincount(rows, weights=self._columns[col][picked], minlength=len(texts)) * scale
        return out

    @cached_property
    def _single_characters(self) -> tuple[int, np.ndarray]:
        """Single characters are a third of all n-grams: they are looked up in a table by
        code point instead of searched.  (Their keys, below 2**21, come first in the
        sorted keys.)"""
        count = int(np.searchsorted(self.keys, np.uint64(1 << _BITS)))
        table = np.full((1 << _BITS) + 1, -1, dtype=np.int32)
        table[self.keys[:count].astype(np.int64)] = np.arange(count)
        return count, table

    def _lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each key's row in the weights, and whether the model has it at all."""
        count, table = self._single_characters
        idx = np.empty(len(keys), dtype=np.int64)
        short = keys < np.uint64(1 << _BITS)
        idx[short] = table[keys[short].astype(np.int64)]
        longer = self.keys[count:]
        rest = keys[~short]
        if len(longer):
            found = np.searchsorted(longer, rest)
            np.minimum(found, len(longer) - 1, out=found)
            idx[~short] = np.where(longer[found] == rest, found + count, -1)
        else:
            idx[~short] = -1
        return idx, idx >= 0

    def evidence_spans(self, text: str, output: str) -> list[tuple[int, int]]:
        """Where in ``text`` (normalized, as scored) the n-grams that weighed most for
        ``output`` are: at most EVIDENCE_GRAMS spans, the strongest first (overlaps
        merged into it).  Bigger n-grams first: a word says more to a reader than one
        character."""
        column = _column(output)
        g = grams([text])
        idx, found = self._lookup(g.keys)
        picked = []
        for j in np.flatnonzero(found):
            weight = float(self.weights[idx[j], column])
            if weight <= 0:
                continue
            # -1 for the start mark; a span made of marks only says nothing
            start = int(g.start[j]) - 1
            end = start + int(g.order[j])
            start, end = max(start, 0), min(end, len(text))
            while start < end and _is_edge(text[start]):
                start += 1
            while end > start and _is_edge(text[end - 1]):
                end -= 1
            if end > start:
                picked.append((int(g.order[j]) > 1, weight, start, end))
        picked.sort(key=lambda p: (not p[0], -p[1], p[2]))
        spans: list[tuple[int, int]] = []
        for _, _, start, end in picked[:EVIDENCE_GRAMS]:
            for n, (s_start, s_end) in enumerate(spans):
                if start <= s_end and end >= s_start:
                    spans[n] = (min(start, s_start), max(end, s_end))
                    break
            else:
                spans.append((start, end))
        return spans

    # -- the file ------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The model file's content: readable, one feature per row, best kept for review."""
        features = []
        for key, row in zip(self.keys.tolist(), self.weights):
            features.append([_gram_of(key), [round(float(w), 4) for w in row]])
        return {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "orders": list(ORDERS),
            "outputs": {"detector": list(DETECTOR_OUTPUTS), "reasons": list(REASON_OUTPUTS)},
            "thresholds": dict(self.thresholds),
            "trained_on": dict(self.trained_on or {}),
            "bias": [round(float(b), 4) for b in self.bias],
            "features": features,
        }


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logits))


def _softmax(logits: np.ndarray) -> np.ndarray:
    prob = np.exp(logits - logits.max(axis=1, keepdims=True))
    return prob / prob.sum(axis=1, keepdims=True)


def _is_edge(char: str) -> bool:
    """Punctuation and spaces: nothing to show a reader at the edge of evidence."""
    return unicodedata.category(char)[0] in "PZC"


def _column(output: str) -> int:
    if output in DETECTOR_OUTPUTS:
        return DETECTOR_OUTPUTS.index(output)
    return len(DETECTOR_OUTPUTS) + REASON_OUTPUTS.index(output)


def _gram_of(key: int) -> str:
    chars = []
    mask = (1 << _BITS) - 1
    while key:
        chars.append(chr((key & mask) - 1))
        key >>= _BITS
    return "".join(chars)


def model_from_json(data: Any, file: str) -> BackoffModel:
    """A model from a file's parsed content; :class:`ModelError` names the file and what
    is wrong."""

    def fail(what: str, /, **args: object) -> ModelError:
        # what: a template (N_) and its args, said in the terminal's language
        return ModelError(N_("backoff model {file}: {what}; retrain it with `evidence train`"), file=file,
                          what=said(what, **args))

    if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
        raise fail(N_('not a backoff model (expected "format": "{format}")'), format=MODEL_FORMAT)
    if data.get("version") != MODEL_VERSION:
        raise fail(N_("version {version!r} is not supported (this is version {known})"),
                   version=data.get("version"), known=MODEL_VERSION)
    outputs = data.get("outputs") or {}
    if (tuple(outputs.get("detector") or ()) != DETECTOR_OUTPUTS
            or tuple(outputs.get("reasons") or ()) != REASON_OUTPUTS
            or tuple(data.get("orders") or ()) != ORDERS):
        raise fail(N_("its outputs or n-gram orders are not the ones this version reads"))
    width = len(DETECTOR_OUTPUTS) + len(REASON_OUTPUTS)
    thresholds = data.get("thresholds")
    if not isinstance(thresholds, dict) or set(thresholds) != {*DETECTOR_OUTPUTS, "reason"}:
        raise fail(N_("thresholds must name {names}"), names=", ".join([*DETECTOR_OUTPUTS, "reason"]))
    for name, value in thresholds.items():
        if not _is_number(value) or not 0.0 <= value <= 1.0:
            raise fail(N_("threshold {name} must be a number from 0 to 1, not {value!r}"), name=name, value=value)
    bias = data.get("bias")
    if not isinstance(bias, list) or len(bias) != width or not all(map(_is_number, bias)):
        raise fail(N_("bias must be {width} numbers"), width=width)
    features = data.get("features")
    if not isinstance(features, list):
        raise fail(N_("features must be a list of [n-gram, weights]"))
    keyed: dict[int, list[float]] = {}
    for n, item in enumerate(features, 1):
        if (not isinstance(item, list) or len(item) != 2 or not isinstance(item[0], str)
                or not 1 <= len(item[0]) <= max(ORDERS) or not isinstance(item[1], list)
                or len(item[1]) != width or not all(map(_is_number, item[1]))):
            raise fail(N_("feature {n} must be [an n-gram of 1-{order} characters, {width} numbers]"), n=n,
                       order=max(ORDERS), width=width)
        key = gram_key(item[0])
        if key in keyed:
            raise fail(N_("feature {n} ({gram!r}) is listed twice"), n=n, gram=item[0])
        keyed[key] = item[1]
    order = sorted(keyed)
    return BackoffModel(
        keys=np.array(order, dtype=np.uint64),
        weights=np.array([keyed[k] for k in order], dtype=np.float64).reshape(len(order), width),
        bias=np.array(bias, dtype=np.float64),
        thresholds={k: float(v) for k, v in thresholds.items()},
        file=file,
        trained_on=data.get("trained_on") or {},
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def load_model(path: str | Path | None = None) -> BackoffModel:
    """The model in ``path``, or the one shipped with the package (each read once per
    process, like the rules: ``tag`` checks a model file before parsing, then tags with
    it)."""
    if path is None:
        return _builtin_model()
    return _model_file(str(path))


@lru_cache(maxsize=8)
def _model_file(path: str) -> BackoffModel:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelError(N_("backoff model {file}: cannot read it ({problem})"), file=path,
                         problem=exc.strerror or exc) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(N_("backoff model {file}: not valid JSON ({problem})"), file=path, problem=exc) from None
    return model_from_json(data, str(path))


@lru_cache(maxsize=1)
def _builtin_model() -> BackoffModel:
    # models/, not rules/: the file is generated (make model), not hand-written rules
    text = resources.files("extractor.nlp").joinpath("models").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return model_from_json(json.loads(text), MODEL_FILE)
