"""Rule files: loading, validation, and the compiled rule set the tagger runs.

The rules and lexicons are data (``extractor/nlp/rules/*.json``), so a reviewer can read
them and a user can add their own with ``--rules FILE``.  A file is validated when it is
loaded: any problem raises :class:`~extractor.errors.RulesError` naming the file and the
rule (or cue list), never a traceback halfway through a batch.

File format (all keys optional except each rule's ``id`` and ``label``)::

    {"description": "...",
     "rules": [{"id": "...", "label": "return_claim", "reason": "allergy",
                "terms": ["过敏", ...],            # whole words
                "patterns": ["..."], "keys": ["..."],  # regexes, tried when a key occurs
                "exclude": ["..."],                # phrases in which a trigger means something else
                "filters": ["negation", ...],      # overrides the label's default filters
                "done_label": "shipped"}],         # promises only: the label when already done
     "cues": {"negation": ["..."], ...},          # extends the built-in cue lists
     "tracking": ["...(?P<number>...)..."],
     "time": {"days": {...}, "parts": {...}, ...}}
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, time as dtime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..errors import RulesError
from ..labels import FILTERS as LABEL_FILTERS, registry

BUILTIN_FILES = ("claims.json", "shipping.json", "context.json", "time.json")
USER_DICTIONARY = "userdict.txt"

# Who may say what, the reasons and the default filters are the label registry's
# (extractor/labels.json): the contract, not a rule file's.  ``overdue``: the trigger
# counts only once a promised deadline has passed with no shipment since (还没发货 inside
# the promised window alleges nothing).  ``alone``: it counts only in a message with no
# shipping promise.  Threats and demands are not undone by a condition (不然就差评 is a
# threat); promises are not undone by one either (到货后尽快给您发 is a conditional promise).
_LABELS = registry()
LABEL_ROLE: Mapping[str, str] = {label.name: label.by for label in _LABELS.labels if label.by != "structure"}
REASONS: Mapping[str, tuple[str, ...]] = {label.name: label.reason_names for label in _LABELS.labels if label.reasons}
FILTERS = LABEL_FILTERS
DEFAULT_FILTERS: Mapping[str, frozenset[str]] = {label: _LABELS[label].filters for label in LABEL_ROLE}
CUE_NAMES = ("negation", "negation_filler", "negation_after", "resolved_before", "hypothetical",
             "hypothetical_after", "policy_question", "policy_after", "assertion", "quote",
             "question_end", "question_words", "refusal", "done", "future", "subordinate_after",
             "subordinate_before", "agreement", "ship_question", "proposal", "condition", "own_voice", "rhetorical", "conditional_after", "waiver", "modal_before")
_RULE_KEYS = {"id", "label", "reason", "terms", "patterns", "keys", "exclude", "filters", "done_label"}
_FILE_KEYS = {"description", "rules", "cues", "tracking", "time"}
_TIME_KEYS = {"days", "parts", "fused", "weekdays", "vague", "lunar_new_year"}


@dataclass(frozen=True)
class Rule:
    id: str
    label: str
    file: str
    reason: str | None = None
    terms: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    keys: tuple[str, ...] = ()
    exclude: re.Pattern[str] | None = None
    filters: frozenset[str] = frozenset()
    done_label: str | None = None

    @property
    def role(self) -> str:
        return LABEL_ROLE[self.label]


@dataclass(frozen=True)
class TimeWords:
    days: Mapping[str, int] = field(default_factory=dict)
    parts: Mapping[str, dtime] = field(default_factory=dict)
    fused: Mapping[str, tuple[int, dtime]] = field(default_factory=dict)
    weekdays: Mapping[str, int] = field(default_factory=dict)
    vague: tuple[str, ...] = ()
    lunar_new_year: Mapping[int, date] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    cues: Mapping[str, tuple[str, ...]]
    tracking: tuple[re.Pattern[str], ...]
    time: TimeWords
    files: tuple[str, ...]

    def for_role(self, role: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.role == role)

    def terms(self) -> list[str]:
        return sorted({t for r in self.rules for t in r.terms})


class _FileChecker:
    """Validation helpers that name the file (and the rule) in every error."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, where: str, problem: str) -> RulesError:
        return RulesError(f"rules file {self.name}: {where}: {problem}")

    def strings(self, value: Any, where: str, what: str, *, allow_empty: bool = True) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(where, f"{what} must be a list of non-empty strings")
        if not value and not allow_empty:
            raise self.fail(where, f"{what} must not be empty")
        return tuple(value)

    def regex(self, pattern: str, where: str, what: str) -> re.Pattern[str]:
        try:
            return re.compile(pattern)
        except re.error as exc:
            raise self.fail(where, f"{what} {pattern!r} is not a valid regular expression ({exc})") from None


def _parse_rule(data: Any, check: _FileChecker, index: int) -> Rule:
    if not isinstance(data, dict):
        raise check.fail(f"rule #{index + 1}", "must be an object")
    rule_id = data.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise check.fail(f"rule #{index + 1}", "needs an \"id\" (a non-empty string)")
    where = f"rule {rule_id!r}"
    unknown = set(data) - _RULE_KEYS
    if unknown:
        raise check.fail(where, f"unknown key(s) {', '.join(sorted(unknown))}; "
                                f"known keys: {', '.join(sorted(_RULE_KEYS))}")
    label = data.get("label")
    if label not in LABEL_ROLE:
        raise check.fail(where, f"label {label!r} is not a message label; use one of "
                                f"{', '.join(LABEL_ROLE)}")
    reason = data.get("reason")
    if label in REASONS:
        if reason not in REASONS[label]:
            raise check.fail(where, f"{label} needs a reason, one of {', '.join(REASONS[label])} "
                                    f"(got {reason!r})")
    elif reason is not None:
        raise check.fail(where, f"{label} takes no reason (got {reason!r})")
    terms = check.strings(data.get("terms", []), where, "terms")
    patterns_raw = check.strings(data.get("patterns", []), where, "patterns")
    keys = check.strings(data.get("keys", []), where, "keys")
    if not terms and not patterns_raw:
        raise check.fail(where, "needs terms or patterns")
    if patterns_raw and not keys:
        raise check.fail(where, "patterns need keys: literal words one of which every match contains "
                                "(they decide when the patterns are tried)")
    patterns = tuple(check.regex(p, where, "pattern") for p in patterns_raw)
    exclude_raw = check.strings(data.get("exclude", []), where, "exclude")
    for pattern in exclude_raw:
        check.regex(pattern, where, "exclude pattern")
    exclude = _guarded("|".join(f"(?:{p})" for p in exclude_raw)) if exclude_raw else None
    filters_raw = data.get("filters")
    if filters_raw is None:
        filters = DEFAULT_FILTERS[label]
    else:
        names = check.strings(filters_raw, where, "filters")
        bad = [n for n in names if n not in FILTERS]
        if bad:
            raise check.fail(where, f"unknown filter(s) {', '.join(bad)}; known: {', '.join(FILTERS)}")
        filters = frozenset(names)
    done_label = data.get("done_label")
    if done_label is not None and (label != "shipping_promise" or done_label != "shipped"):
        raise check.fail(where, "done_label is only for shipping_promise rules and must be \"shipped\"")
    return Rule(rule_id, label, check.name, reason, terms, patterns, keys, exclude, filters, done_label)


def _guarded(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled with a lookahead on the characters its matches can start with,
    when they can be told: the same matches, but ``re`` then rejects most positions of a
    message with one set lookup instead of trying every alternative (exclusions are
    scanned over whole messages).  Without a telling (a class such as ``[^,]``, an
    optional start), the plain pattern."""
    first = _first_characters(pattern)
    if not first or len(first) > 400:
        return re.compile(pattern)
    chars = "".join(re.escape(c) for c in sorted(first))
    return re.compile(f"(?=[{chars}])(?:{pattern})")


def _first_characters(pattern: str) -> set[str] | None:
    try:
        from re import _constants as sre, _parser as parser  # the parser re itself uses
    except ImportError:  # pragma: no cover - a Python whose re keeps them elsewhere
        return None

    def first(items) -> set[str] | None:
        for op, av in items:
            if op is sre.LITERAL:
                return {chr(av)}
            if op is sre.IN:
                chars: set[str] = set()
                for kind, value in av:
                    if kind is sre.LITERAL:
                        chars.add(chr(value))
                    elif kind is sre.RANGE and value[1] - value[0] < 400:
                        chars.update(chr(c) for c in range(value[0], value[1] + 1))
                    else:
                        return None
                return chars
            if op is sre.BRANCH:
                chars = set()
                for branch in av[1]:
                    found = first(branch)
                    if found is None:
                        return None
                    chars |= found
                return chars
            if op is sre.SUBPATTERN:
                return first(av[-1])
            if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[0] >= 1:
                return first(av[2])
            return None  # an anchor, a look-around, an optional start, any character …
        return None

    try:
        return first(parser.parse(pattern))
    except Exception:  # noqa: BLE001 - a pattern re accepts but this reading does not: no guard
        return None


def _parse_clock(value: Any, check: _FileChecker, where: str) -> dtime:
    if isinstance(value, str):
        try:
            return dtime.fromisoformat(value)
        except ValueError:
            pass
    raise check.fail(where, f"{value!r} is not a time of day (HH:MM:SS)")


def _parse_time(data: Any, check: _FileChecker) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise check.fail("time", "must be an object")
    unknown = set(data) - _TIME_KEYS
    if unknown:
        raise check.fail("time", f"unknown key(s) {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {"days": {}, "parts": {}, "fused": {}, "weekdays": {}, "vague": (),
                           "lunar_new_year": {}}
    for year, day in (data.get("lunar_new_year") or {}).items():
        try:
            parsed = date.fromisoformat(day)
        except (TypeError, ValueError):
            raise check.fail(f"time.lunar_new_year[{year!r}]", f"{day!r} is not a date (YYYY-MM-DD)") from None
        if str(parsed.year) != str(year):
            raise check.fail(f"time.lunar_new_year[{year!r}]", f"{day} is not in {year}")
        out["lunar_new_year"][parsed.year] = parsed
    for word, days in (data.get("days") or {}).items():
        if not isinstance(days, int) or not 0 <= days <= 31:
            raise check.fail(f"time.days[{word!r}]", "must be a whole number of days (0-31)")
        out["days"][word] = days
    for word, clock in (data.get("parts") or {}).items():
        out["parts"][word] = _parse_clock(clock, check, f"time.parts[{word!r}]")
    for word, pair in (data.get("fused") or {}).items():
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], int)):
            raise check.fail(f"time.fused[{word!r}]", "must be [days, \"HH:MM:SS\"]")
        out["fused"][word] = (pair[0], _parse_clock(pair[1], check, f"time.fused[{word!r}]"))
    for word, weekday in (data.get("weekdays") or {}).items():
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise check.fail(f"time.weekdays[{word!r}]", "must be 0 (Monday) to 6 (Sunday)")
        out["weekdays"][word] = weekday
    out["vague"] = check.strings(data.get("vague", []), "time", "vague")
    return out


def _read_json(name: str, text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RulesError(f"rules file {name}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                         f"{exc.msg})") from None
    if not isinstance(data, dict):
        raise RulesError(f"rules file {name}: must hold a JSON object")
    unknown = set(data) - _FILE_KEYS
    if unknown:
        raise RulesError(f"rules file {name}: unknown key(s) {', '.join(sorted(unknown))}; "
                         f"known keys: {', '.join(sorted(_FILE_KEYS))}")
    return data


def _builtin_texts() -> Iterable[tuple[str, str]]:
    folder = resources.files("extractor.nlp.rules")
    for name in BUILTIN_FILES:
        yield f"extractor/nlp/rules/{name}", folder.joinpath(name).read_text(encoding="utf-8")


def _user_texts(paths: Sequence[Path]) -> Iterable[tuple[str, str]]:
    for path in paths:
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise RulesError(f"rules file {path}: cannot read ({exc.strerror or exc})") from None
        try:
            yield str(path), raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RulesError(f"rules file {path}: not UTF-8 text; save it as UTF-8") from None


def build_ruleset(files: Iterable[tuple[str, str]]) -> RuleSet:
    """Validate and merge rule files given as (name, text) pairs, in order."""
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    cues: dict[str, list[str]] = {name: [] for name in CUE_NAMES}
    tracking: list[re.Pattern[str]] = []
    time_words: dict[str, Any] = {"days": {}, "parts": {}, "fused": {}, "weekdays": {}, "vague": (),
                                  "lunar_new_year": {}}
    names: list[str] = []
    for name, text in files:
        names.append(name)
        check = _FileChecker(name)
        data = _read_json(name, text)
        raw_rules = data.get("rules", [])
        if not isinstance(raw_rules, list):
            raise check.fail("rules", "must be a list of rule objects")
        for index, raw in enumerate(raw_rules):
            rule = _parse_rule(raw, check, index)
            if rule.id in seen:
                raise check.fail(f"rule {rule.id!r}", f"the id is already used in {seen[rule.id]}")
            seen[rule.id] = name
            rules.append(rule)
        raw_cues = data.get("cues", {})
        if not isinstance(raw_cues, dict):
            raise check.fail("cues", "must be an object of cue lists")
        for cue, patterns in raw_cues.items():
            if cue not in cues:
                raise check.fail(f"cue list {cue!r}", f"unknown cue list; known: {', '.join(CUE_NAMES)}")
            for pattern in check.strings(patterns, f"cue list {cue!r}", "cues"):
                check.regex(pattern, f"cue list {cue!r}", "cue")
                cues[cue].append(pattern)
        for pattern in check.strings(data.get("tracking", []), "tracking", "tracking patterns"):
            compiled = check.regex(pattern, "tracking", "pattern")
            if "number" not in compiled.groupindex:
                raise check.fail("tracking", f"pattern {pattern!r} needs a (?P<number>...) group")
            tracking.append(compiled)
        if "time" in data:
            parsed = _parse_time(data["time"], check)
            for key in ("days", "parts", "fused", "weekdays", "lunar_new_year"):
                time_words[key].update(parsed[key])
            time_words["vague"] = tuple(time_words["vague"]) + tuple(parsed["vague"])
    return RuleSet(
        rules=tuple(rules),
        cues={k: tuple(v) for k, v in cues.items()},
        tracking=tuple(tracking),
        time=TimeWords(**time_words),
        files=tuple(names),
    )


@lru_cache(maxsize=16)
def load_ruleset(user_files: tuple[str, ...] = ()) -> RuleSet:
    """The built-in rules plus the user's files, validated once per process."""
    return build_ruleset([*_builtin_texts(), *_user_texts([Path(p) for p in user_files])])


def user_dictionary_path() -> Path:
    return Path(str(resources.files("extractor.nlp.rules").joinpath(USER_DICTIONARY)))
