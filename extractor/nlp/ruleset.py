"""Rule files: loading, validation, and the compiled rule set the tagger runs.

The rules and lexicons are data (``extractor/nlp/rules/*.json``), so a reviewer can read
them and a user can add their own with ``--rules FILE``.  A file is validated when it is
loaded: any problem raises :class:`~extractor.errors.RulesError` naming the file and the
rule (or cue list), never a traceback halfway through a batch.

File format (all keys optional except each rule's ``id``, and its ``label`` unless the
file names one)::

    {"description": "...",
     "label": "return_claim",                     # the label of every rule in the file
     "exclusions": {"quality_words_in_other_senses": ["气坏了", ...]},  # named, shared lists
     "rules": [{"id": "allergy.reaction_words",   # says what the rule catches
                "description": "...",              # one line: what it catches
                "label": "return_claim", "reason": "allergy",
                "terms": ["过敏", ...],            # whole words
                "patterns": ["..."],               # regexes
                "keys": ["..."],                   # only where they cannot be derived (below)
                "exclude": ["@a_named_list", "..."],  # phrases in which a trigger means something else
                "filters": ["negation", ...],      # overrides the label's default filters
                "done_label": "shipped"}],         # promises only: the label when already done
     "cues": {"negation": ["..."], ...},          # extends the built-in cue lists
     "tracking": ["...(?P<number>...)..."],
     "time": {"days": {...}, "parts": {...}, ...}}

An ``exclude`` entry starting with ``@`` names a list under ``exclusions`` in any loaded
file (the built-in ones included, so a user's rule may use them); the list's regexes take
its place, in order.  A regex that starts with a literal @ is written ``\\@``.

A pattern is tried only on a text holding one of its rule's keys (a prefilter: most
messages hold none).  The loader derives the keys from the patterns where it can: literal
words one of which every match contains, read off the parsed regex.  A rule gives
``keys`` by hand only where that fails, or where the only such words are single
characters, which would let the pattern run on nearly every message.
"""

from __future__ import annotations

import difflib
import heapq
import json
import re
from dataclasses import dataclass, field
from datetime import date, time as dtime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from re import _constants as _sre, _parser as _sre_parser  # the parser re itself uses (3.11+)
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

from ..errors import RulesError
from ..i18n import N_, said
from ..labels import FILTERS as LABEL_FILTERS, registry

# One file per label (shipping.json holds the promise and its done label, shipped).  The
# order of the rules within a label is kept: of two triggers on the same words the first
# found wins, and with it that rule's filters.
BUILTIN_FILES = ("return_claim.json", "delay_claim.json", "compensation_demand.json", "threat.json",
                 "shipping.json", "delay_agreed.json", "context.json", "time.json")
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
             "subordinate_before", "agreement", "ship_question", "proposal", "condition", "own_voice", "rhetorical", "conditional_after", "waiver", "modal_before",
             "delay_offer", "delay_refused", "delay_hurry", "delay_substitute", "delay_other_item", "delay_keep")
_RULE_KEYS = {"id", "description", "label", "reason", "terms", "patterns", "keys", "exclude", "filters",
              "done_label"}
_FILE_KEYS = {"description", "label", "exclusions", "rules", "cues", "tracking", "time"}
_LIST_NAME = re.compile(r"[a-z][a-z0-9_]*")
_TIME_KEYS = {"days", "past_days", "parts", "fused", "weekdays", "vague", "lunar_new_year"}


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
    description: str | None = None

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
    # Day words of the past (昨天 → 1 day before): they date what was done (已经发出), and
    # never name a promise's deadline.
    past_days: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    cues: Mapping[str, tuple[str, ...]]
    tracking: tuple[re.Pattern[str], ...]
    time: TimeWords
    files: tuple[str, ...]
    exclusions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # the named lists, by name

    def for_role(self, role: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.role == role)

    def terms(self) -> list[str]:
        return sorted({t for r in self.rules for t in r.terms})


class _FileChecker:
    """Validation helpers that name the file (and the rule) in every error."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, where: str, problem: str, /, **args: object) -> RulesError:
        """``problem``: a template (N_) and its ``args``; ``where``: a key of the file or
        a template said (said(N_(…))), so the terminal says both in its language."""
        return RulesError(N_("rules file {file}: {where}: {problem}"), file=self.name, where=where,
                          problem=said(problem, **args))

    def strings(self, value: Any, where: str, what: str, *, allow_empty: bool = True) -> tuple[str, ...]:
        # what: a key of the file, or a phrase marked N_ where it is named
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(where, N_("{what} must be a list of non-empty strings"), what=said(what))
        if not value and not allow_empty:
            raise self.fail(where, N_("{what} must not be empty"), what=said(what))
        return tuple(value)

    def regex(self, pattern: str, where: str, what: str) -> re.Pattern[str]:
        try:
            return re.compile(pattern)
        except re.error as exc:
            raise self.fail(where, N_("{what} {pattern!r} is not a valid regular expression ({problem})"),
                            what=said(what), pattern=pattern, problem=exc) from None


class _FileContext(NamedTuple):
    """What a rule is read against: its file's checker, the file's label (None when the
    file holds several), and every named exclusion list of the loaded files."""

    check: _FileChecker
    label: str | None
    lists: Mapping[str, tuple[str, ...]]


def _parse_rule(data: Any, context: _FileContext, index: int) -> Rule:
    check = context.check
    if not isinstance(data, dict):
        raise check.fail(said(N_("rule #{number}"), number=index + 1), N_("must be an object"))
    rule_id = data.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise check.fail(said(N_("rule #{number}"), number=index + 1), N_("needs an \"id\" (a non-empty string)"))
    where = said(N_("rule {id!r}"), id=rule_id)
    unknown = set(data) - _RULE_KEYS
    if unknown:
        raise check.fail(where, N_("unknown key(s) {unknown}; known keys: {known}"),
                         unknown=", ".join(sorted(unknown)), known=", ".join(sorted(_RULE_KEYS)))
    description = data.get("description")
    if description is not None and (not isinstance(description, str) or not description.strip()
                                    or "\n" in description):
        raise check.fail(where, N_("description must be one line of text"))
    label = data.get("label", context.label)
    if context.label is not None and label != context.label:
        raise check.fail(where, N_("label {label!r} is not the file's label {file_label!r}; "
                                   "a rule of another label belongs in another file"),
                         label=label, file_label=context.label)
    if label not in LABEL_ROLE:
        raise check.fail(where, N_("label {label!r} is not a message label; use one of {labels}"),
                         label=label, labels=", ".join(LABEL_ROLE))
    reason = data.get("reason")
    if label in REASONS:
        if reason not in REASONS[label]:
            raise check.fail(where, N_("{label} needs a reason, one of {reasons} (got {reason!r})"),
                             label=label, reasons=", ".join(REASONS[label]), reason=reason)
    elif reason is not None:
        raise check.fail(where, N_("{label} takes no reason (got {reason!r})"), label=label, reason=reason)
    terms = check.strings(data.get("terms", []), where, "terms")
    patterns_raw = check.strings(data.get("patterns", []), where, "patterns")
    keys = check.strings(data.get("keys", []), where, "keys")
    if not terms and not patterns_raw:
        raise check.fail(where, N_("needs terms or patterns"))
    patterns = tuple(check.regex(p, where, N_("pattern")) for p in patterns_raw)
    if patterns_raw and not keys:
        keys = _keys_or_fail(patterns_raw, check, where)
    exclude_raw = _expand_exclusions(check.strings(data.get("exclude", []), where, "exclude"), context, where)
    for pattern in exclude_raw:
        check.regex(pattern, where, N_("exclude pattern"))
    exclude = _guarded("|".join(f"(?:{p})" for p in exclude_raw)) if exclude_raw else None
    filters_raw = data.get("filters")
    if filters_raw is None:
        filters = DEFAULT_FILTERS[label]
    else:
        names = check.strings(filters_raw, where, "filters")
        bad = [n for n in names if n not in FILTERS]
        if bad:
            raise check.fail(where, N_("unknown filter(s) {bad}; known: {known}"), bad=", ".join(bad),
                             known=", ".join(FILTERS))
        filters = frozenset(names)
    done_label = data.get("done_label")
    if done_label is not None and (label != "shipping_promise" or done_label != "shipped"):
        raise check.fail(where, N_("done_label is only for shipping_promise rules and must be \"shipped\""))
    return Rule(rule_id, label, check.name, reason, terms, patterns, keys, exclude, filters, done_label,
                description)


def _keys_or_fail(patterns: Sequence[str], check: _FileChecker, where: str) -> tuple[str, ...]:
    keys = derive_keys(patterns)
    if keys is not None:
        return keys
    for pattern in patterns:
        if derive_keys([pattern]) is None:
            raise check.fail(where, N_("patterns need keys: literal words one of which every match "
                                       "contains (they decide when the patterns are tried); none of "
                                       "{min} or more characters can be read off {pattern!r}, "
                                       "so give \"keys\""), min=_MIN_KEY, pattern=pattern)
    raise AssertionError("derive_keys fails for a set only when it fails for a pattern")


# ---------------------------------------------------------------------------
# Named exclusion lists

def _parse_exclusions(data: Any, check: _FileChecker) -> dict[str, tuple[str, ...]]:
    """A file's ``exclusions``: name -> regexes, each regex checked here, once."""
    if not isinstance(data, dict):
        raise check.fail("exclusions", N_("must be an object of named lists of regexes"))
    lists: dict[str, tuple[str, ...]] = {}
    for name, patterns in data.items():
        where = said(N_("exclusion list {name!r}"), name=name)
        if not _LIST_NAME.fullmatch(name):
            raise check.fail(where, N_("a list's name is lower-case letters, digits and _ "
                                       "(it is referred to as @name)"))
        patterns = check.strings(patterns, where, N_("the list"), allow_empty=False)
        for pattern in patterns:
            if pattern.startswith("@"):
                raise check.fail(where, N_("{pattern!r}: a list holds regexes, not other lists "
                                           "(write a literal @ as \\@)"), pattern=pattern)
            check.regex(pattern, where, N_("pattern"))
        lists[name] = patterns
    return lists


def _expand_exclusions(entries: Sequence[str], context: _FileContext, where: str) -> tuple[str, ...]:
    """A rule's ``exclude`` with each ``@name`` replaced by the named list's regexes, in
    place: the order of the alternatives is the order of the entries (re takes the first
    alternative that matches at a position, which decides the excluded span)."""
    out: list[str] = []
    for entry in entries:
        if not entry.startswith("@"):
            out.append(entry)
            continue
        name = entry[1:]
        if name not in context.lists:
            close = difflib.get_close_matches(name, list(context.lists), n=1)
            hint = (said(N_("did you mean @{name}?"), name=close[0]) if close
                    else said(N_("define it under \"exclusions\" in a rules file (a regex starting with a "
                                 "literal @ is written \\@)")))
            raise context.check.fail(where, N_("exclude names an unknown list @{name}; {hint}"), name=name, hint=hint)
        out.extend(context.lists[name])
    return tuple(out)


# ---------------------------------------------------------------------------
# Keys derived from patterns
#
# Keys written by hand drift from their patterns: an alternative added to a pattern
# without a key of its own is a match that is never tried.  So the loader reads the keys
# off the parsed pattern: literals one of which every match contains.

_MIN_KEY = 2  # a one-character key would let its pattern run on nearly every message
_KEY_LENGTH = 3  # derived keys are cut to this many characters where one then stands for several
_MAX_SPELLED = 400  # the most strings a part of a pattern is spelled out into
_MAX_REPEAT = 4  # a bounded repeat up to this many times is spelled out: (了)?, x{2}
_REPEATS = (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT)
_NOTHING = frozenset({""})  # an anchor or a look-around: matches no characters


class _Literals(NamedTuple):
    """What a part of a pattern matches, as far as literals tell: every string it can
    match, when few (``exact``); else literals one of which each of its matches contains
    (``needed``; see ``_needed``).  None where that cannot be told."""

    exact: frozenset[str] | None
    needed: frozenset[str] | None


class _Untellable(Exception):
    """A pattern whose literals do not say what it matches (a case-insensitive part)."""


_UNKNOWN = _Literals(None, None)


def derive_keys(patterns: Sequence[str]) -> tuple[str, ...] | None:
    """Keys for a rule's patterns: literals, one of which occurs in every match of every
    pattern, each at least ``_MIN_KEY`` characters; None where a pattern has none.

    The literals are cut to their most shared substrings of ``_KEY_LENGTH`` characters
    where that lets one key stand for several (跟没用一样, 和没擦一样 … all hold 没 and 一样):
    each key is still in every match it stands for, and a few keys keep the trigger index
    small, which is built in time growing with the square of its words."""
    needed: set[str] = set()
    for pattern in patterns:
        literals = _literals_or_none(pattern)
        if literals is None or min(map(len, literals)) < _MIN_KEY:
            return None
        needed |= literals
    return tuple(sorted(_shortened(_minimal(needed))))


def _literals_or_none(pattern: str) -> frozenset[str] | None:
    """Literals one of which every match of ``pattern`` contains; None when unknown."""
    try:
        parsed = _sre_parser.parse(pattern)
        if parsed.state.flags & re.IGNORECASE:
            return None
        return _needed(_sequence(list(parsed)))
    except (_Untellable, re.error, RecursionError):
        return None


def _minimal(words: Iterable[str]) -> frozenset[str]:
    """``words`` without those containing another one: finding the shorter is implied."""
    kept: set[str] = set()
    lengths: set[int] = set()  # of the kept words: only substrings that long can be one
    for word in sorted(set(words), key=len):
        size = len(word)
        if not any(word[i:i + k] in kept for k in lengths if k < size for i in range(size - k + 1)):
            kept.add(word)
            lengths.add(size)
    return frozenset(kept)


def _needed_of(exact: frozenset[str] | None) -> frozenset[str] | None:
    if exact is None or "" in exact:
        return None  # it can match nothing at all: no literal is needed
    return _minimal(exact)


def _needed(part: _Literals) -> frozenset[str] | None:
    """The literals a part needs: read off its strings when they are known (worked out
    only when asked: most parts are joined into a longer string first)."""
    return _needed_of(part.exact) if part.exact is not None else part.needed


def _more_telling(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """Of two sets of literals that every match needs, the one that keeps the pattern from
    running more often: longer literals (up to ``_KEY_LENGTH``), then fewer of them."""
    if a is None or b is None:
        return a if b is None else b

    def telling(words: frozenset[str]) -> tuple[int, int, int]:
        shortest = min(map(len, words))
        return min(shortest, _KEY_LENGTH), -len(words), shortest

    return a if telling(a) >= telling(b) else b


def _sequence(items: list) -> _Literals:
    """Parts matched one after another: their strings joined while they stay few; the
    most telling needed literals of any stretch otherwise (every match needs each)."""
    joined: frozenset[str] = _NOTHING
    best: frozenset[str] | None = None
    spelled = True
    for op, av in items:
        part = _item(op, av)
        if part.exact is not None and len(joined) * len(part.exact) <= _MAX_SPELLED:
            joined = frozenset(a + b for a in joined for b in part.exact)
            continue
        spelled = False
        best = _more_telling(best, _needed_of(joined))
        best = _more_telling(best, _needed(part))
        joined = part.exact if part.exact is not None else _NOTHING
    if spelled:
        return _Literals(joined, None)
    return _Literals(None, _more_telling(best, _needed_of(joined)))


def _item(op, av) -> _Literals:
    if op is _sre.LITERAL:
        return _Literals(frozenset({chr(av)}), None)
    if op is _sre.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is _sre.LITERAL:
                chars.add(chr(value))
            elif kind is _sre.RANGE and value[1] - value[0] < 64:
                chars.update(chr(c) for c in range(value[0], value[1] + 1))
            else:
                return _UNKNOWN  # a negated class, a category (\d), a wide range ([一-鿿])
        return _Literals(frozenset(chars), None)
    if op is _sre.BRANCH:
        branches = [_sequence(list(branch)) for branch in av[1]]
        exact = None
        if all(b.exact is not None for b in branches):
            exact = frozenset().union(*(b.exact for b in branches))
            exact = exact if len(exact) <= _MAX_SPELLED else None
        if exact is not None:
            return _Literals(exact, None)
        needs = [_needed(b) for b in branches]
        if any(n is None for n in needs):
            return _UNKNOWN  # a branch that needs nothing: the whole needs nothing
        return _Literals(None, _minimal(frozenset().union(*needs)))
    if op is _sre.SUBPATTERN:
        _, add_flags, _, items = av
        if add_flags & re.IGNORECASE:
            raise _Untellable  # (?i:sf) matches Sf: its literals say nothing
        return _sequence(list(items))
    if op is _sre.ATOMIC_GROUP:
        return _sequence(list(av))
    if op in _REPEATS:
        low, high, items = av
        part = _sequence(list(items))
        if part.exact is not None and high <= _MAX_REPEAT:
            spelled: set[str] = set()
            power: set[str] = {""}  # the strings of ``times`` repetitions
            for times in range(high + 1):
                if times >= low:
                    spelled |= power
                if times < high:
                    if len(power) * len(part.exact) > _MAX_SPELLED:
                        break  # sized before it is built: (a|b|…){0,4} would be millions
                    power = {a + b for a in power for b in part.exact}
            else:
                if len(spelled) <= _MAX_SPELLED:
                    return _Literals(frozenset(spelled), None)
        if low >= 1:
            return _Literals(None, _needed(part))  # each match holds at least one repetition
        return _UNKNOWN
    if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
        # Zero-width: a look-around's words lie outside the match, so none are needed.
        return _Literals(_NOTHING, None)
    return _UNKNOWN  # any character, a negated literal, a back-reference, a conditional


def _shortened(literals: frozenset[str]) -> frozenset[str]:
    """Fewer keys for the same matches: greedily, the substring (of ``_KEY_LENGTH``
    characters or more, or a whole shorter literal) held by the most literals not yet
    covered stands for them all.  Ties go to the longer substring, then to the first in
    code-point order, so that a file always gives the same keys."""
    holders: dict[str, set[str]] = {}  # substring -> the literals holding it
    for literal in literals:
        shortest = min(_KEY_LENGTH, len(literal))
        for i in range(len(literal)):
            for j in range(i + shortest, len(literal) + 1):
                holders.setdefault(literal[i:j], set()).add(literal)
    # A count only falls as literals are covered, so a stale heap entry is pushed back
    # with its current count and the first fresh one popped is the best.
    heap = [(-len(held), -len(piece), piece) for piece, held in holders.items()]
    heapq.heapify(heap)
    todo = set(literals)
    keys: list[str] = []
    while todo:
        count, length, piece = heapq.heappop(heap)
        held = holders[piece] & todo
        if len(held) != -count:
            if held:
                heapq.heappush(heap, (-len(held), length, piece))
            continue
        keys.append(piece)
        todo -= held
    return _minimal(keys)


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
    raise check.fail(where, N_("{value!r} is not a time of day (HH:MM:SS)"), value=value)


def _parse_time(data: Any, check: _FileChecker) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise check.fail("time", N_("must be an object"))
    unknown = set(data) - _TIME_KEYS
    if unknown:
        raise check.fail("time", N_("unknown key(s) {unknown}"), unknown=", ".join(sorted(unknown)))
    out: dict[str, Any] = {"days": {}, "parts": {}, "fused": {}, "weekdays": {}, "vague": (),
                           "lunar_new_year": {}, "past_days": {}}
    for year, day in (data.get("lunar_new_year") or {}).items():
        try:
            parsed = date.fromisoformat(day)
        except (TypeError, ValueError):
            raise check.fail(f"time.lunar_new_year[{year!r}]", N_("{day!r} is not a date (YYYY-MM-DD)"),
                             day=day) from None
        if str(parsed.year) != str(year):
            raise check.fail(f"time.lunar_new_year[{year!r}]", N_("{day} is not in {year}"), day=day, year=year)
        out["lunar_new_year"][parsed.year] = parsed
    for word, days in (data.get("days") or {}).items():
        if not isinstance(days, int) or not 0 <= days <= 31:
            raise check.fail(f"time.days[{word!r}]", N_("must be a whole number of days (0-31)"))
        out["days"][word] = days
    for word, days in (data.get("past_days") or {}).items():
        if not isinstance(days, int) or not 1 <= days <= 31:
            raise check.fail(f"time.past_days[{word!r}]", N_("must be a whole number of days before (1-31)"))
        out["past_days"][word] = days
    for word, clock in (data.get("parts") or {}).items():
        out["parts"][word] = _parse_clock(clock, check, f"time.parts[{word!r}]")
    for word, pair in (data.get("fused") or {}).items():
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], int)):
            raise check.fail(f"time.fused[{word!r}]", N_("must be [days, \"HH:MM:SS\"]"))
        out["fused"][word] = (pair[0], _parse_clock(pair[1], check, f"time.fused[{word!r}]"))
    for word, weekday in (data.get("weekdays") or {}).items():
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise check.fail(f"time.weekdays[{word!r}]", N_("must be 0 (Monday) to 6 (Sunday)"))
        out["weekdays"][word] = weekday
    out["vague"] = check.strings(data.get("vague", []), "time", "vague")
    return out


def _read_json(name: str, text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RulesError(N_("rules file {file}: not valid JSON (line {line}, column {column}: {problem})"),
                         file=name, line=exc.lineno, column=exc.colno, problem=exc.msg) from None
    if not isinstance(data, dict):
        raise RulesError(N_("rules file {file}: must hold a JSON object"), file=name)
    unknown = set(data) - _FILE_KEYS
    if unknown:
        raise RulesError(N_("rules file {file}: unknown key(s) {unknown}; known keys: {known}"), file=name,
                         unknown=", ".join(sorted(unknown)), known=", ".join(sorted(_FILE_KEYS)))
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
            raise RulesError(N_("rules file {file}: cannot read ({problem})"), file=path,
                             problem=exc.strerror or exc) from None
        try:
            yield str(path), raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RulesError(N_("rules file {file}: not UTF-8 text; save it as UTF-8"), file=path) from None


def build_ruleset(files: Iterable[tuple[str, str]]) -> RuleSet:
    """Validate and merge rule files given as (name, text) pairs, in order.

    Two passes: the named exclusion lists of every file first, so that a rule may use a
    list defined in any file (a user's rule a built-in list), then the rules."""
    loaded: list[tuple[str, _FileChecker, dict[str, Any]]] = []
    lists: dict[str, tuple[str, ...]] = {}
    defined_in: dict[str, str] = {}
    for name, text in files:
        check = _FileChecker(name)
        data = _read_json(name, text)
        for list_name, patterns in _parse_exclusions(data.get("exclusions", {}), check).items():
            if list_name in lists:
                raise check.fail(said(N_("exclusion list {name!r}"), name=list_name),
                                 N_("the name is already used in {file}"), file=defined_in[list_name])
            lists[list_name] = patterns
            defined_in[list_name] = name
        loaded.append((name, check, data))

    rules: list[Rule] = []
    seen: dict[str, str] = {}
    cues: dict[str, list[str]] = {name: [] for name in CUE_NAMES}
    tracking: list[re.Pattern[str]] = []
    time_words: dict[str, Any] = {"days": {}, "parts": {}, "fused": {}, "weekdays": {}, "vague": (),
                                  "lunar_new_year": {}, "past_days": {}}
    for name, check, data in loaded:
        file_label = data.get("label")
        if file_label is not None and file_label not in LABEL_ROLE:
            raise check.fail("label", N_("{label!r} is not a message label; use one of {labels}"), label=file_label,
                             labels=", ".join(LABEL_ROLE))
        context = _FileContext(check, file_label, lists)
        raw_rules = data.get("rules", [])
        if not isinstance(raw_rules, list):
            raise check.fail("rules", N_("must be a list of rule objects"))
        for index, raw in enumerate(raw_rules):
            rule = _parse_rule(raw, context, index)
            if rule.id in seen:
                raise check.fail(said(N_("rule {id!r}"), id=rule.id), N_("the id is already used in {file}"),
                                 file=seen[rule.id])
            seen[rule.id] = name
            rules.append(rule)
        raw_cues = data.get("cues", {})
        if not isinstance(raw_cues, dict):
            raise check.fail("cues", N_("must be an object of cue lists"))
        for cue, patterns in raw_cues.items():
            where = said(N_("cue list {cue!r}"), cue=cue)
            if cue not in cues:
                raise check.fail(where, N_("unknown cue list; known: {known}"), known=", ".join(CUE_NAMES))
            for pattern in check.strings(patterns, where, "cues"):
                check.regex(pattern, where, N_("cue"))
                cues[cue].append(pattern)
        for pattern in check.strings(data.get("tracking", []), "tracking", N_("tracking patterns")):
            compiled = check.regex(pattern, "tracking", N_("pattern"))
            if "number" not in compiled.groupindex:
                raise check.fail("tracking", N_("pattern {pattern!r} needs a (?P<number>...) group"), pattern=pattern)
            tracking.append(compiled)
        if "time" in data:
            parsed = _parse_time(data["time"], check)
            for key in ("days", "past_days", "parts", "fused", "weekdays", "lunar_new_year"):
                time_words[key].update(parsed[key])
            time_words["vague"] = tuple(time_words["vague"]) + tuple(parsed["vague"])
    return RuleSet(
        rules=tuple(rules),
        cues={k: tuple(v) for k, v in cues.items()},
        tracking=tuple(tracking),
        time=TimeWords(**time_words),
        files=tuple(name for name, _, _ in loaded),
        exclusions=lists,
    )


@lru_cache(maxsize=16)
def load_ruleset(user_files: tuple[str, ...] = ()) -> RuleSet:
    """The built-in rules plus the user's files, validated once per process."""
    return build_ruleset([*_builtin_texts(), *_user_texts([Path(p) for p in user_files])])


def user_dictionary_path() -> Path:
    return Path(str(resources.files("extractor.nlp.rules").joinpath(USER_DICTIONARY)))
