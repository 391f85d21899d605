"""The one pipeline: read → join → (per case) merge → tag → structure → case → render.

``evidence report``, ``evidence batch`` and any other front end run these functions, in
this order, the same way; they differ only in where the events wait between stages (in
memory, or in shards on disk) and in who runs the per-case stages (this process, or a
pool of workers).  That is what keeps a report and a batch of the same inputs
byte-identical:

1. :func:`read_files` — walk the paths, detect each file's format and parse it; files
   whose dates have no year get the year the run's other events agree on, once, over
   all of them (plaso's date-less log idea), and say so in a warning.  So is the
   evidence of shop names: a sender written as a bare shop name that another input
   names as a shop (an account's 店铺名: prefix, an order's 店铺名称) is the shop's main
   account, and its file is read again so.  Each file's events are split into groups
   (shop, buyer, placeholder conversation: :mod:`extractor.keys`); orders, calls, notes
   and events with no buyer go "aside" for the join.
2. :func:`join_aside` — calls and call notes joined to buyers across every file
   (:mod:`extractor.join`); what matches no buyer stays unassigned, never guessed.  Every
   group and joined record gets its case key, (shop, buyer) (:func:`extractor.keys.plan_cases`).
3. :func:`case_events` — one case's events from every file, duplicates of one message
   in overlapping exports merged (never across buyers: a broadcast sent to two buyers
   at the same second is two messages), in time order; a message one export of the
   conversation lacks between messages both hold is flagged.
4. :func:`make_case` — tags (the rules' message tags and the structural tags over the
   conversation), then the findings (:func:`extractor.cases.build_case`).
5. :class:`~extractor.render.Renderer` — the case's files, then the run's register and
   index.

A :class:`RunConfig` holds every option a run takes; its fingerprints hash what decides
each stage's output (the options, the user's rules, model and templates, and the
package's own rules, model, templates, labels and code), so a cache keyed by them is
never stale.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from . import __version__
from .errors import NoExportError, UsageError
from .i18n import N_, said
from .fsutil import NOTE_SUFFIXES, Skip, walk_inputs
from .keys import CaseKey, Conversation, Group, case_names, main_account_warnings, seller_shop, split_groups
from .model import Event, FileReport, ParseWarning, event_to_dict
from .sources import ParseOptions
from .timeline import flag_missing_in_other_exports, merge_duplicates, order_events, parse_file

# Orders, calls and call notes: what the cross-file join of calls to buyers needs.
ASIDE_KINDS = ("order", "call", "note")
BUILTIN_BACKOFF = "builtin"  # the model shipped in the package (extractor.nlp.backoff.BUILTIN)


# ---------------------------------------------------------------------------
# the run's options


@dataclass(frozen=True)
class RunConfig:
    """Every option of a run, for every front end.

    ``backoff``: a model file, :data:`BUILTIN_BACKOFF` for the shipped one, None for the
    rules alone.  ``tagged``: the inputs are a tagged timeline (``evidence tag``'s
    output); their tags are kept and nothing is tagged again."""

    parse: ParseOptions = field(default_factory=ParseOptions)
    format_name: str | None = None
    rules_files: tuple[str, ...] = ()
    backoff: str | None = BUILTIN_BACKOFF
    ship_within_hours: float = 72.0
    outputs: tuple[str, ...] | None = None  # per-case outputs; None: the renderers' defaults
    mask_phones: bool = True
    templates: str | None = None
    pdf_attachments: str = "case"  # --attach: what each PDF embeds of its sources (case, full, none)
    tagged: bool = False
    review_file: str | None = None  # a person's decisions on tags (extractor.review), applied after tagging
    calibrated: bool = True  # state only claims the real-chat calibration finds sure (extractor.nlp.calibration)
    pack: str | None = None  # a platform profile's name: write each case's upload pack
    profile_files: tuple[str, ...] = ()  # the user's platform profiles (add or replace)
    assign_file: str | None = None  # --assign: unassigned events → buyers, by the user

    def assignments(self):
        """The ``--assign`` file, read and checked (None without one)."""
        from .assign import load_assignments

        return load_assignments(self.assign_file) if self.assign_file else None
    follow_links: bool = False  # links out of the input folders are read (see extractor.fsutil)

    def case_outputs(self) -> tuple[str, ...]:
        from .render import default_case_outputs

        return self.outputs if self.outputs is not None else default_case_outputs()

    def validate(self) -> None:
        """Fail before the slow part: every problem a user can fix by changing an option."""
        from .render import check_case_outputs
        from .render.env import cached_environment

        if not self.ship_within_hours > 0:
            raise UsageError(N_("--ship-within must be a positive number of hours"))
        outputs = check_case_outputs(self.case_outputs())
        cached_environment(self.templates)  # a wrong --templates folder
        self.assignments()  # a malformed --assign file
        if self.pack is not None or self.profile_files:
            from .pack import get_profile

            get_profile(self.pack or "taobao-web", self.profile_files)  # a bad profile or name
        if "pdf" in outputs or self.pack is not None:
            from .render.pdf import cjk_font_family

            cjk_font_family()  # no CJK font
        if not self.tagged:
            from .nlp.backoff import load_model
            from .nlp.ruleset import load_ruleset

            load_ruleset(tuple(self.rules_files))  # a bad rules file
        if self.review_file is not None:
            from .review import read_decisions

            read_decisions(self.review_file)  # a bad decisions file
            if self.backoff not in (None, BUILTIN_BACKOFF):
                load_model(self.backoff)  # a bad model file

    # -- fingerprints: what decides each stage's output --------------------------------
    def parse_fingerprint(self) -> str:
        return _digest({"code": package_digest("code"), "tz": str(self.parse.tz), "shop": list(self.parse.shop),
                        "staff": list(self.parse.staff), "format": self.format_name})

    def tag_fingerprint(self) -> str:
        """Parsing, plus the rules (built-in and the user's) and the backoff model."""
        return _digest({"parse": self.parse_fingerprint(), "data": package_digest("data"), "tagged": self.tagged,
                        "rules": [_file_digest(p) for p in self.rules_files],
                        "backoff": None if self.backoff is None else
                        (BUILTIN_BACKOFF if self.backoff == BUILTIN_BACKOFF else _file_digest(self.backoff)),
                        "ship": self.ship_within_hours, "calibrated": self.calibrated,
                        "review": None if self.review_file is None else _file_digest(self.review_file),
                        # which case an unassigned call joins: a changed file redoes those cases
                        "assign": _file_digest(self.assign_file) if self.assign_file else None})

    def render_fingerprint(self) -> str:
        """What, besides a case's findings, decides its files: templates and options."""
        return _digest({"code": package_digest("code"), "templates_builtin": package_digest("templates"),
                        "outputs": list(self.case_outputs()),
                        "mask": self.mask_phones, "templates": _dir_digest(self.templates),
                        "attach": self.pdf_attachments, "pack": self.pack,
                        "profiles": [_file_digest(p) for p in self.profile_files]})

    def fingerprint(self) -> str:
        """Everything: a run with the same inputs and fingerprint gives the same files."""
        return _digest({"tag": self.tag_fingerprint(), "render": self.render_fingerprint()})


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def _file_digest(path: str | os.PathLike[str]) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _dir_digest(path: str | os.PathLike[str] | None) -> str | None:
    if not path:
        return None
    root = Path(path)
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode("utf-8") + b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


@lru_cache(maxsize=4)
def package_digest(part: str = "all") -> str:
    """The package as installed, whatever its version says: ``code`` (its modules and
    the label registry), ``data`` (rules, lexicons, the backoff model), ``templates``
    (the built-in ones), or ``all``.  A changed built-in rule changes ``data``; a
    changed template, ``templates``."""
    from .render.env import builtin_templates_dir

    package = Path(__file__).resolve().parent
    h = hashlib.sha256(f"{__version__}|{part}".encode())
    roots = {"code": package, "data": package, "templates": builtin_templates_dir()}
    for name in (("code", "data", "templates") if part == "all" else (part,)):
        root = roots[name]
        for p in sorted(root.rglob("*")):
            if not p.is_file() or "__pycache__" in p.parts or not _in_part(name, p, package):
                continue
            h.update(f"{name}:{p.relative_to(root)}".encode("utf-8") + b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def _in_part(part: str, path: Path, package: Path) -> bool:
    if part == "templates":
        return path.suffix in (".j2", ".css", ".js", ".html")
    is_code = path.suffix == ".py" or path == package / "labels.json"
    if part == "code":
        return is_code
    return not is_code and path.suffix in (".json", ".txt")


# ---------------------------------------------------------------------------
# stage 1: read


@dataclass(frozen=True)
class FileRead:
    """One input file, read: its report, its events split into groups (shop, buyer,
    placeholder conversation), and its events aside (orders, calls, notes, events with
    no buyer).

    ``held`` keeps the groups' events in memory; a batch keeps them in shards on disk
    instead (``buyers`` maps each group to the digest of its events either way)."""

    path: str
    report: FileReport
    buyers: Mapping[Group, str]
    aside: tuple[Event, ...]
    years: Mapping[int, int]  # year → events: where the run's year for year-less files comes from
    yearless: bool  # dates without a year, and nothing in the file to take it from
    held: Mapping[Group, tuple[Event, ...]] | None = None
    shard_dir: str | None = None  # a batch's: where the groups' shards are
    shops: Mapping[str, int] = field(default_factory=dict)  # shop names the file shows → lines
    parties: tuple[str, ...] = ()  # senders taken for buyers who write without a colon
    main_senders: tuple[str, ...] = ()  # bare shop names read as the shop's main account
    forged: bool = False  # a header-like line was kept as text (it may be a main account's)
    conversations: Mapping[Group, Conversation] = field(default_factory=dict)  # placeholder ones

    def with_warning(self, warning: ParseWarning) -> "FileRead":
        return replace(self, report=replace(self.report, warnings=self.report.warnings + (warning,)))


def _is_aside(event: Event) -> bool:
    return event.kind in ASIDE_KINDS or event.buyer is None


def split_events(events: Iterable[Event], main_accounts: Iterable[str] = ()
                 ) -> tuple[dict[Group, list[Event]], list[Event], dict[Group, Conversation]]:
    """A file's events by group, those that go aside for the join, and its placeholder
    conversations (:func:`extractor.keys.split_groups`)."""
    return split_groups(list(events), _is_aside, main_accounts)


def file_shops(events: Iterable[Event], main_accounts: Iterable[str] = ()) -> dict[str, Any]:
    """What the run-wide shop evidence needs of a file (FileRead's fields): the shop
    names it shows (seller accounts' shops, orders' 店铺名称), the senders it took for
    buyers although they write without a colon, the bare shop names it read as main
    accounts, and whether a header-like line was kept as text."""
    mains = set(main_accounts)
    shops: Counter[str] = Counter()
    parties: dict[str, None] = {}
    main_senders: dict[str, None] = {}
    forged = False
    for e in events:
        forged = forged or "forged_header" in e.flags
        if e.role == "seller" and (shop := seller_shop(e.sender, mains)):
            shops[shop] += 1
            if e.sender and e.sender.strip() in mains:
                main_senders[e.sender.strip()] = None
        elif e.order is not None and e.order.shop:
            shops[e.order.shop] += 1
        elif e.role == "buyer" and e.sender and seller_shop(e.sender) is None:
            parties[e.sender.strip()] = None
    return {"shops": dict(shops), "parties": tuple(parties), "main_senders": tuple(sorted(main_senders)),
            "forged": forged}


def events_digest(events: Iterable[Event]) -> str:
    """Equal events hash equal, however they were made or loaded."""
    h = hashlib.sha256()
    for event in events:
        h.update(json.dumps(event_to_dict(event), ensure_ascii=False, sort_keys=True).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def read_options(config: RunConfig, year_hint: int | None, main_accounts: Sequence[str] = ()):
    options = replace(config.parse, year_hint=year_hint) if year_hint else config.parse
    return replace(options, known_shops=tuple(main_accounts)) if main_accounts else options


def read_file(path: str, config: RunConfig, year_hint: int | None = None,
              main_accounts: Sequence[str] = ()) -> FileRead:
    """Parse one file into memory (errors are in the report, never raised).
    ``main_accounts``: bare shop names the run's other inputs vouch for (sellers)."""
    options = read_options(config, year_hint, main_accounts)
    events, report, yearless = parse_file(path, options, config.format_name)
    mains = (*options.shop, *options.known_shops)
    by_group, aside, conversations = split_events(events, mains)
    years = Counter(e.time.year for e in events)
    return FileRead(path, report, {g: events_digest(evs) for g, evs in sorted(by_group.items())},
                    tuple(aside), dict(years), yearless,
                    held={g: tuple(evs) for g, evs in by_group.items()},
                    conversations=conversations, **file_shops(events, mains))


# (path, year hint) → the file read; a third argument, the main accounts, re-reads it.
ReadOne = Callable[..., FileRead]
MapFn = Callable[[Callable[[Any], Any], Sequence[Any]], Iterable[Any]]


def _serial_map(fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterable[Any]:
    return map(fn, items)


def read_files(paths: Sequence[str | os.PathLike[str]], config: RunConfig,
               read_one: ReadOne | None = None, map_fn: MapFn = _serial_map,
               exclude: str | os.PathLike[str] | None = None,
               skipped: list[Skip] | None = None) -> list[FileRead]:
    """Every file under ``paths`` (but those under ``exclude``: the run's own output
    folder), in walk order.  Year-less files are read again with the year most of the
    run's other events carry (once, over all of them), with a warning.

    What the walk passes over (links out of the folders, photos, documents: see
    :mod:`extractor.fsutil`) is appended to ``skipped``, one :class:`Skip` each; when
    nothing is left to read, that is a :class:`NoExportError` listing them."""
    if not paths:
        raise UsageError(N_("no input given: name at least one file or folder"))
    read_one = read_one or (lambda p, year, mains=(): read_file(p, config, year, mains))
    walked = walk_inputs(paths, exclude=() if exclude is None else (exclude,), follow_links=config.follow_links)
    skips = list(walked.skipped)
    files = list(walked.files)
    reads = list(map_fn(lambda p: read_one(p, None), files))
    # A note beside the exports (README.md) is told by its name only once no format
    # recognised its content: a chat pasted into a .md file is read like any other.
    notes = {i for i, r in enumerate(reads) if _is_note(r)}
    if notes:
        skips.extend(Skip(files[i], said(N_("a {suffix} document that no format recognises — not an export"),
                                         suffix=Path(files[i]).suffix.lower())) for i in sorted(notes))
        files = [f for i, f in enumerate(files) if i not in notes]
        reads = [r for i, r in enumerate(reads) if i not in notes]
    if skipped is not None:
        skipped.extend(skips)
    if not reads:
        raise NoExportError(_no_export_message(paths, skips))
    hints: dict[int, tuple[int, ParseWarning]] = {}  # the year a file was read with, and why
    yearless = [i for i, r in enumerate(reads) if r.yearless]
    if yearless:
        years: Counter[int] = Counter()
        for i, r in enumerate(reads):
            if not r.yearless:
                years.update(r.years)
        year = years.most_common(1)[0][0] if years else None
        for i in yearless:
            if year is None:
                reads[i] = reads[i].with_warning(ParseWarning(
                    files[i], "dates without a year and no other input to take the year from: "
                    "those lines are left out and listed as warnings"))
            else:
                hints[i] = (year, ParseWarning(
                    files[i], f"dates without a year were given the year {year} from the run's other inputs"))
                reads[i] = read_one(files[i], year).with_warning(hints[i][1])
    return _main_accounts(reads, files, read_one, config, hints)


def _main_accounts(reads: list[FileRead], files: Sequence[str], read_one: ReadOne, config: RunConfig,
                   hints: Mapping[int, tuple[int, ParseWarning]]) -> list[FileRead]:
    """A sender written as a bare shop name that the run's other inputs name as a shop is
    that shop's main account: its file is read again with it as a seller (once, over the
    whole run, like the year), with a warning; a shop-like name nothing vouches for is
    taken for a buyer, with a warning naming --shop."""
    known = set(config.parse.shop)
    for r in reads:
        known.update(r.shops)
    for i, r in enumerate(reads):
        mains = tuple(sorted(p for p in r.parties if p in known))
        if not mains and r.forged:
            # A header kept as text may be a main account's: the chat guard keeps a
            # sender who is no party of a one-to-one conversation out of it.
            mains = tuple(sorted(known))
        if mains:
            year, why = hints.get(i, (None, None))
            again = read_one(files[i], year, mains)
            if again.main_senders:
                reads[i] = again.with_warning(why) if why is not None else again
        said = [n for n in reads[i].main_senders if n not in config.parse.shop]  # --shop needs no word
        for warning in main_account_warnings(files[i], r.parties, known, said):
            reads[i] = reads[i].with_warning(warning)
    return reads


def _is_note(read: FileRead) -> bool:
    error = read.report.error or ""
    return (error.startswith(("[E102]", "[E103]"))
            and Path(read.path).suffix.lower() in NOTE_SUFFIXES)


def _no_export_message(paths: Sequence[str | os.PathLike[str]], skips: Sequence[Skip]) -> str:
    # Built of Messages (extractor.i18n), so that the terminal says each skip in its language.
    given: str = ", ".join(str(p) for p in paths[:3])
    if len(paths) > 3:
        given = said(N_("{items} and {n} more"), items=given, n=len(paths) - 3)
    if not skips:
        return said(N_("no export found in {given}: there is no file to read"), given=given)
    shown: str = ""
    for skip in skips[:10]:
        one = said(N_("{path}: {reason}"), path=skip.path, reason=skip.reason)
        shown = said(N_("{a}; {b}"), a=shown, b=one) if shown else one
    if len(skips) > 10:
        shown = said(N_("{items}; and {n} more"), items=shown, n=len(skips) - 10)
    return said(N_("no export found in {given}: {n} skipped ({shown})"), given=given, n=len(skips), shown=shown)


# ---------------------------------------------------------------------------
# stage 2: join


@dataclass(frozen=True)
class Assembly:
    """The run's cases before tagging: their keys (shop, buyer), which files' groups
    hold their events, and what was joined to them across files."""

    reports: tuple[FileReport, ...]  # walk order, with the join's warnings
    keys: tuple[CaseKey, ...]  # sorted
    groups_by_key: Mapping[CaseKey, tuple[tuple[str, Group], ...]]  # (file read's path, group)
    aside_by_key: Mapping[CaseKey, tuple[Event, ...]]
    files_by_key: Mapping[CaseKey, tuple[str, ...]]  # the files (walk order) holding each case's events
    unassigned: tuple[Event, ...]


def join_aside(reads: Sequence[FileRead], shops: Sequence[str] = (), assignments: Any = None) -> Assembly:
    """``shops``: the run's ``--shop``, the shop of what nothing else places;
    ``assignments``: the user's ``--assign`` file (:class:`extractor.assign.Assignments`),
    applied to what the join left unassigned, before the cases are planned."""
    from .assign import apply_assignments
    from .join import join_calls
    from .keys import plan_cases

    aside = [e for r in reads for e in r.aside]
    chat_buyers = {g[1] for r in reads for g in r.buyers if not g[2]}
    joined, warnings = join_calls(aside, known_nicks=chat_buyers)
    placed = [e for e in joined if e.buyer is not None]
    listed = order_events(merge_duplicates(order_events([e for e in joined if e.buyer is None])))
    known = {e.buyer for e in placed} | chat_buyers
    assigned, listed, by_hand = apply_assignments(listed, assignments, known)
    warnings = list(warnings) + by_hand
    groups = [(r.path, g, r.conversations.get(g)) for r in reads for g in r.buyers]
    plan = plan_cases(groups, placed + assigned + listed, shops)
    extra: dict[str, list[ParseWarning]] = {}
    for w in (*warnings, *plan.warnings):
        extra.setdefault(w.file, []).append(w)
    reports = tuple(replace(r.report, warnings=r.report.warnings + tuple(extra[r.path]))
                    if r.path in extra else r.report for r in reads)
    order = {r.path: n for n, r in enumerate(reads)}
    files: dict[CaseKey, set[str]] = {}
    for key, pieces in plan.groups.items():
        files.setdefault(key, set()).update(path for path, _ in pieces)
    for key, events in plan.aside.items():
        files.setdefault(key, set()).update(s.file for e in events for s in e.all_sources())
    return Assembly(
        reports, tuple(sorted(plan.keys)),
        {k: tuple(pieces) for k, pieces in plan.groups.items()},
        {k: tuple(order_events(evs)) for k, evs in plan.aside.items()},
        {k: tuple(sorted(fs, key=lambda f: (order.get(f, len(order)), f))) for k, fs in files.items()},
        tuple(listed),
    )


def case_reports(assembly: Assembly, key: CaseKey) -> tuple[FileReport, ...]:
    """The reports of the files a case may cite, in walk order."""
    mine = set(assembly.files_by_key.get(key, ()))
    return tuple(r for r in assembly.reports if r.file in mine)


# ---------------------------------------------------------------------------
# stages 3-4: one case


def case_events(shards: Iterable[Iterable[Event]], aside: Iterable[Event]) -> list[Event]:
    """One buyer's events from every file: duplicates merged, in time order.  The result
    does not depend on the order the pieces come in."""
    events = [e for shard in shards for e in shard]
    events.extend(aside)
    return flag_missing_in_other_exports(order_events(merge_duplicates(order_events(events))))


def held_case_events(reads: Sequence[FileRead], assembly: Assembly, key: CaseKey) -> list[Event]:
    """:func:`case_events` of one case whose files' events are held in memory (a report,
    or any front end that reads with :func:`read_file`)."""
    held = {r.path: r.held or {} for r in reads}
    return case_events((held[path].get(group, ()) for path, group in assembly.groups_by_key.get(key, ())),
                       assembly.aside_by_key.get(key, ()))


def make_case(key: CaseKey | str, events: Sequence[Event], reports: Sequence[FileReport], config: RunConfig,
              patterns: Sequence[Any] = ()):
    """Tag one case's events (unless they came tagged) and build the case.  ``patterns``:
    the run's order patterns of this case (:func:`extractor.patterns.run_patterns`)."""
    from .cases import build_case
    from .patterns import flag_off_platform, off_platform_patterns

    key = key if isinstance(key, CaseKey) else CaseKey("", key)
    from .nlp.calibration import builtin, with_confidence

    calibration = builtin() if config.calibrated else None
    if config.tagged:
        tagged = list(events)
    else:
        tagged = with_confidence(tagger_for(config).tag_events(events), calibration)
    if config.review_file is not None:
        from .review import apply_decisions, decisions_for

        tagged = list(apply_decisions(tagged, decisions_for(config.review_file)).events)
    case = build_case(key.buyer, flag_off_platform(tagged), reports, config.ship_within_hours,
                      shop=key.shop or None, conversation=key.conversation or None,
                      stated=calibration.stated if calibration is not None else _every_claim)
    found = tuple(patterns) + off_platform_patterns(case.events)
    return replace(case, patterns=found) if found else case


def case_patterns(assembly: "Assembly") -> dict[CaseKey, tuple[Any, ...]]:
    """The run's order patterns (extractor.patterns) per case key, over every case's orders."""
    from .patterns import run_patterns

    return run_patterns(assembly.aside_by_key)


def _every_claim(tag) -> bool:
    return True


def tagger_for(config: RunConfig):
    from .nlp import BUILTIN, get_tagger

    backoff = BUILTIN if config.backoff == BUILTIN_BACKOFF else config.backoff
    return get_tagger(config.rules_files, backoff)


def tag_unassigned(events: Sequence[Event], config: RunConfig) -> tuple[Event, ...]:
    """Events no buyer could be found for keep the tags of their own words."""
    if config.tagged or not events:
        return tuple(events)
    return tuple(tagger_for(config).tag_events(events))


# ---------------------------------------------------------------------------
# stage 5 and the run


@dataclass(frozen=True)
class CaseOutcome:
    """What became of one case.  ``status``: ``written``; ``reused`` (a batch whose
    inputs and fingerprint are unchanged: not even tagged again); ``unchanged`` (tagged
    again, same findings: its files stand); ``error``."""

    buyer: str
    name: str
    status: str
    summary: Mapping[str, Any]
    paths: tuple[str, ...] = ()
    risk: str = ""
    error: str | None = None
    shop: str = ""

    @property
    def reused(self) -> bool:
        return self.status in ("reused", "unchanged")


@dataclass
class RunResult:
    out_dir: Path
    files: list[FileReport]
    cases: list[CaseOutcome]
    unassigned: list[Event]
    run_files: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    review_unmatched: list[Any] = field(default_factory=list)  # decisions whose event is in no case
    skipped: list[Skip] = field(default_factory=list)  # what the walk did not read, and why
    removed: list[str] = field(default_factory=list)  # a batch's outputs of cases no longer in the input
    kept: list[str] = field(default_factory=list)  # ... left in place: changed since they were written

    @property
    def failed_files(self) -> list[FileReport]:
        return [f for f in self.files if not f.ok]

    @property
    def failed_cases(self) -> list[CaseOutcome]:
        return [c for c in self.cases if c.error]

    @property
    def index(self) -> Path:
        return self.out_dir / "index.html"


def case_digest(case: Any) -> str:
    """The findings of a case as a digest: equal cases (frozen dataclasses all the way
    down, no identities, times with their zone) have equal reprs."""
    return hashlib.sha256(repr(case).encode("utf-8")).hexdigest()


def produce_case(key: CaseKey, name: str, events: Sequence[Event], reports: Sequence[FileReport],
                 config: RunConfig, renderer: Any, out_dir: Path,
                 unchanged: Callable[[str], bool] | None = None,
                 patterns: Sequence[Any] = ()) -> tuple[CaseOutcome, str]:
    """Stages 4-5 for one case: tag, find, write its files.  ``unchanged(digest)`` says
    whether files of a case with the same findings are already there (a batch's cache):
    then nothing is written."""
    case = make_case(key, events, reports, config, patterns)
    digest = case_digest(case)
    outputs = config.case_outputs()
    summary = renderer.case_summary(case, name, outputs)
    if unchanged is not None and unchanged(digest):
        return CaseOutcome(key.buyer, name, "unchanged", summary, risk=case.risk, shop=key.shop), digest
    paths = renderer.write_case(case, out_dir, name, outputs)
    if config.pack is not None:
        from .pack import get_profile, write_pack

        pack = write_pack(case, renderer, out_dir, name, get_profile(config.pack, config.profile_files))
        paths.append(pack.zip)
    return CaseOutcome(key.buyer, name, "written", summary, tuple(str(p) for p in paths), case.risk,
                       shop=key.shop), digest


def check_out_dir(out_dir: str | os.PathLike[str]) -> Path:
    """Before any work, and without making anything: a file in the output folder's place,
    or a folder that cannot be made under its nearest existing parent, is a UsageError."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(N_("{out}: is a file; -o takes a folder (it is made if missing)"), out=out)
    parent = out
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if parent.exists() and not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        reason = "Not a directory" if parent.exists() and not parent.is_dir() else "Permission denied"
        raise UsageError(N_("{out}: cannot write the reports here ({reason}); give -o a folder you can write to"),
                         out=out, reason=reason)
    return out


def prepare_out_dir(out_dir: str | os.PathLike[str]) -> Path:
    """The output folder, made if needed and known to be writable: a file in its place,
    a read-only folder or a full disk is a UsageError naming it."""
    out = check_out_dir(out_dir)
    probe = out / f".evidence-write-test-{os.getpid()}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise UsageError(N_("{out}: cannot write the reports here ({reason}); give -o a folder you can write to"),
                         out=out, reason=exc.strerror or exc) from None
    return out


def make_renderer(config: RunConfig, generated_at: Any = None, argv: Sequence[str] = ()):
    from .render import Renderer

    return Renderer(config.templates, config.mask_phones, generated_at, argv, config.pdf_attachments)


def run_report(paths: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str],
               config: RunConfig | None = None, generated_at: Any = None,
               argv: Sequence[str] = ()) -> RunResult:
    """``evidence report``: every stage in this process, events in memory.  When no
    input could be read, nothing is written (``run_files`` is empty)."""
    config = config or RunConfig()
    config.validate()
    out = check_out_dir(out_dir)
    skipped: list[Skip] = []
    # The output folder is never input: `report . -o out` run twice must not read its
    # own reports (as a batch does not).
    reads = read_files(paths, config, exclude=out, skipped=skipped)
    assembly = join_aside(reads, config.parse.shop, config.assignments())
    result = RunResult(out, list(assembly.reports), [], [], skipped=skipped)
    if reads and not any(r.ok for r in assembly.reports):
        return result  # nothing read: nothing made, not even the folder
    prepare_out_dir(out)
    renderer = make_renderer(config, generated_at, argv)
    names = case_names(assembly.keys)
    patterns = case_patterns(assembly)
    seen_keys: set[str] = set()
    for key in assembly.keys:
        events = held_case_events(reads, assembly, key)
        if config.review_file is not None:
            from .review import event_key

            seen_keys.update(event_key(e) for e in events)
        outcome, _ = produce_case(key, names[key], events, case_reports(assembly, key),
                                  config, renderer, out, patterns=patterns.get(key, ()))
        result.cases.append(outcome)
    result.unassigned = list(tag_unassigned(assembly.unassigned, config))
    if config.review_file is not None:
        from .review import decisions_for

        result.review_unmatched = [d for d in decisions_for(config.review_file) if d.event not in seen_keys]
    result.run_files = renderer.write_run([c.summary for c in result.cases], out,
                                          assembly.reports, result.unassigned, skipped)
    return result


__all__ = ["RunConfig", "FileRead", "Assembly", "CaseKey", "case_names", "held_case_events", "read_file", "read_files", "join_aside", "case_events",
           "case_reports", "case_patterns", "make_case", "produce_case", "run_report", "RunResult", "CaseOutcome", "tag_unassigned", "split_events", "events_digest", "package_digest",
           "BUILTIN_BACKOFF"]
