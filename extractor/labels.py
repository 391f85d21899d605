"""The label registry: every tag label of docs/tags.md, in one data file.

``labels.json`` beside this module holds, per label: who it is about (``by``: the
buyer's words, the seller's words, or the conversation's structure), its reasons, the
attributes its tags carry in JSON, its Chinese names, the context filters its rule
triggers go through by default, and, for a buyer claim, how a report words it.  The
list's order is the order of tags on an event and of labels in every report.

Every module reads labels from here (ruleset, pipeline, cases, render, model, evaluate,
baseline): adding a label is an entry in the data file, its rules and its tests.

The file is read once, on first use, and validated then: a problem is a
:class:`~extractor.errors.RulesError` naming the entry.  Importing this module costs a
JSON read, nothing more (``extractor.model`` imports it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

from .errors import RulesError
from .i18n import N_, said

BY = ("structure", "seller", "buyer")
ATTRIBUTES = ("reason", "deadline", "tracking", "hours", "shipped_at", "shipped_at_latest", "precision")
DETAILS = ("reason", "deadline", "tracking", "hours", "evidence")
# The filter names a label may list; the context checks themselves live in the tagger.
FILTERS = ("negation", "resolved", "hypothetical", "policy_question", "quote", "question",
           "refusal", "subordinate", "overdue", "alone", "after_shipment", "offered")
_LABEL_KEYS = {"name", "by", "zh", "attributes", "detail", "filters", "reasons", "claim", "claim_zh", "phrase"}


@dataclass(frozen=True)
class Reason:
    name: str
    zh: str
    phrase: str | None = None  # how a claim with this reason is worded (称缺货); None: the label's


@dataclass(frozen=True)
class Label:
    name: str
    by: str  # "structure", "seller" or "buyer"
    zh: str  # the badge and table name: 退货理由
    attributes: tuple[str, ...] = ()  # keys its tags always carry in JSON (null when unset)
    detail: str | None = None  # what a badge shows after the name
    filters: frozenset[str] = frozenset()  # default context filters of its rule triggers
    reasons: tuple[Reason, ...] = ()
    claim: bool = False  # a buyer claim: listed among the case's claims
    claim_zh: str | None = None  # the claim's name when no reason says more: 退货
    phrase: str | None = None  # the claim in a summary sentence: 以{reasons}为由要求退货退款

    @property
    def reason_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.reasons)

    def reason(self, name: str | None) -> Reason | None:
        return next((r for r in self.reasons if r.name == name), None)

    def name_zh(self, reason: str | None = None) -> str:
        """What the claim is called: its reason's name, else the claim's, else the label's."""
        found = self.reason(reason)
        return found.zh if found else (self.claim_zh or self.zh)


@dataclass(frozen=True)
class Registry:
    labels: tuple[Label, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {label.name: label for label in self.labels})

    def __getitem__(self, name: str) -> Label:
        return self._by_name[name]  # type: ignore[attr-defined]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name  # type: ignore[attr-defined]

    def get(self, name: str) -> Label | None:
        return self._by_name.get(name)  # type: ignore[attr-defined]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)

    @property
    def order(self) -> Mapping[str, int]:
        return {label.name: n for n, label in enumerate(self.labels)}

    def said_by(self, role: str) -> tuple[Label, ...]:
        return tuple(label for label in self.labels if label.by == role)

    @property
    def claims(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels if label.claim)

    @property
    def with_reasons(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels if label.reasons)

    def zh(self, name: str) -> str:
        label = self.get(name)
        return label.zh if label else name


def _fail(where: str, problem: str, /, **args: object) -> RulesError:
    """``problem``: a template (N_) and its ``args``; ``where``: said too."""
    return RulesError(N_("label registry labels.json: {where}: {problem}"), where=where, problem=said(problem, **args))


def _label(data: Any, n: int) -> Label:
    if not isinstance(data, dict):
        raise _fail(said(N_("entry {n}"), n=n), N_("must be an object"))
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise _fail(said(N_("entry {n}"), n=n), N_("needs a name"))
    where = said(N_("label {name!r}"), name=name)
    unknown = sorted(set(data) - _LABEL_KEYS)
    if unknown:
        raise _fail(where, N_("unknown key(s) {unknown}"), unknown=", ".join(unknown))
    by = data.get("by")
    if by not in BY:
        raise _fail(where, N_("'by' must be one of {known}"), known=", ".join(BY))
    zh = data.get("zh")
    if not isinstance(zh, str) or not zh:
        raise _fail(where, N_("needs a Chinese name (zh)"))
    attributes = tuple(data.get("attributes") or ())
    if any(a not in ATTRIBUTES for a in attributes):
        raise _fail(where, N_("attributes must be among {known}"), known=", ".join(ATTRIBUTES))
    detail = data.get("detail")
    if detail is not None and detail not in DETAILS:
        raise _fail(where, N_("detail must be one of {known}"), known=", ".join(DETAILS))
    filters = frozenset(data.get("filters") or ())
    if filters - set(FILTERS):
        raise _fail(where, N_("unknown filter(s) {bad}"), bad=", ".join(sorted(filters - set(FILTERS))))
    if by == "structure" and filters:
        raise _fail(where, N_("a structural label has no rule triggers, so no filters"))
    reasons = []
    for r in data.get("reasons") or ():
        if not isinstance(r, dict) or not r.get("name") or not r.get("zh"):
            raise _fail(where, N_("each reason needs a name and a zh"))
        reasons.append(Reason(str(r["name"]), str(r["zh"]), r.get("phrase")))
    if reasons and "reason" not in attributes:
        raise _fail(where, N_("a label with reasons carries the 'reason' attribute"))
    claim = bool(data.get("claim", False))
    if claim and by != "buyer":
        raise _fail(where, N_("only the buyer's words are claims"))
    return Label(name, by, zh, attributes, detail, filters, tuple(reasons), claim,
                 data.get("claim_zh"), data.get("phrase"))


def load_registry(text: str) -> Registry:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(said(N_("line {line}"), line=exc.lineno), N_("not valid JSON ({problem})"), problem=exc.msg) from None
    entries = data.get("labels") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise _fail(said(N_("top level")), N_("needs a non-empty list 'labels'"))
    labels = tuple(_label(entry, n) for n, entry in enumerate(entries, 1))
    names = [label.name for label in labels]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise _fail(said(N_("label {name!r}"), name=twice[0]), N_("is listed twice"))
    return Registry(labels)


@lru_cache(maxsize=1)
def registry() -> Registry:
    """The registry shipped in the package, read once per process."""
    return load_registry(resources.files(__package__).joinpath("labels.json").read_text("utf-8"))


__all__ = ["Label", "Reason", "Registry", "registry", "load_registry", "FILTERS", "ATTRIBUTES"]
