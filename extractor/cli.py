"""The ``evidence`` command: thin Typer wrappers over library functions.

Each command validates its options, calls one library function, and writes the result.
Library errors become ``error [CODE] message`` on stderr and the error's exit code in
one place, :func:`run_command`.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Callable, List, Optional, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from . import __version__
from .display import name_label, terminal
from .errors import EXIT_PARTIAL, EvidenceError, UsageError
from .i18n import N_, _, choose, say
from .model import ParseResult, event_to_dict

# Before the help texts below are read: the language of --lang, EVIDENCE_LANG or the locale.
choose(sys.argv)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help=_("Turn Taobao/Tmall chat, call and order exports into dispute evidence."),
)


def err(message: str) -> None:
    # Messages quote nicks and file names: a control or bidi character is escaped, never
    # sent to the terminal (an ESC sequence clears the screen, U+202E reorders the line).
    typer.echo(terminal(message), err=True)


def run_command(fn: Callable[[], int | None]) -> None:
    """Run a command body; map library errors to a message and an exit code."""
    try:
        code = fn() or 0
    except EvidenceError as exc:
        err(_("error {error}").format(error=exc.translated()))
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err(_("interrupted"))
        raise typer.Exit(130) from None
    raise typer.Exit(code)


def parse_options(tz: str, shop: list[str] | None, staff: list[str] | None):
    from .sources import ParseOptions

    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(N_("unknown time zone {tz!r}; use an IANA name such as Asia/Shanghai"), tz=tz) from None
    return ParseOptions(tz=zone, shop=tuple(shop or ()), staff=tuple(staff or ()))


def report_skipped(skipped) -> None:
    """What the walk did not read, one line each (see extractor.fsutil)."""
    for skip in skipped:
        err(_("skipped {path}: {reason}").format(path=skip.path, reason=say(skip.reason)))


def warning_text(warning) -> str:
    """A warning as the terminal shows it: in Chinese, the words of the Chinese report
    (one table, extractor.render.warnings); in English, as the JSON records it."""
    from .i18n import language

    if language() == "en":
        return str(warning)
    from .render.warnings import warning_zh

    return warning_zh(warning)


def report_files(result: ParseResult) -> int:
    """Per-file counts on stderr; the exit code says whether some inputs failed."""
    report_skipped(result.skipped)
    for rep in result.files:
        if rep.error:
            err(_("error {error}").format(error=say(rep.error)))
            continue
        err(_("{file}: {format}, {events} events, {warnings} warnings").format(
            file=rep.file, format=rep.format, events=rep.events, warnings=len(rep.warnings)))
        for w in rep.warnings:
            err(_("  warning {warning}").format(warning=warning_text(w)))
    failed = len(result.failed)
    if failed:
        err(_("{failed} of {total} inputs failed").format(failed=failed, total=len(result.files)))
        return EXIT_PARTIAL if failed < len(result.files) else 2
    return 0


TZ_OPT = typer.Option("Asia/Shanghai", "--tz", help=_("Time zone of times written without an offset."))
SHOP_OPT = typer.Option(None, "--shop", help=_("The shop's name (repeatable); overrides the 店铺名:子账号 convention."))
STAFF_OPT = typer.Option(None, "--staff", help=_("A seller account without a shop prefix (repeatable)."))
FORMAT_OPT = typer.Option(None, "--format", "-f", help=_("Read every input as this format (see `evidence formats`)."))
FOLLOW_LINKS_OPT = typer.Option(False, "--follow-links",
                                help=_("Read files and folders that links inside the input folders point to "
                                     "outside them (skipped by default, one line each)."))


@app.command("formats", help=_("List the input formats, one a line."))
def formats_cmd() -> None:

    def body() -> int:
        from .sources import formats

        for fmt in formats():
            typer.echo(f"{fmt.NAME:<18} {_(fmt.DESCRIPTION)}")
        return 0

    run_command(body)


@app.command("parse", help=_("Read exports into one time-ordered timeline, printed as JSON Lines."))
def parse_cmd(
    paths: List[str] = typer.Argument(..., help=_("Export files or folders (walked recursively).")),
    format: Optional[str] = FORMAT_OPT,
    tz: str = TZ_OPT,
    shop: Optional[List[str]] = SHOP_OPT,
    staff: Optional[List[str]] = STAFF_OPT,
    follow_links: bool = FOLLOW_LINKS_OPT,
) -> None:

    def body() -> int:
        from .timeline import parse_paths

        result = parse_paths(paths, parse_options(tz, shop, staff), format, follow_links=follow_links)
        write_jsonl(result, tags=False)
        return report_files(result)

    run_command(body)


def write_jsonl(result: ParseResult, *, tags: bool) -> None:
    out = sys.stdout
    for event in result.events:
        out.write(json.dumps(event_to_dict(event, with_tags=tags), ensure_ascii=False))
        out.write("\n")
    out.flush()


RULES_OPT = typer.Option(None, "--rules", help=_("An extra rules file (JSON, see docs/tags.md); repeatable."))
BACKOFF_OPT = typer.Option(None, "--backoff", help=_("A backoff model file from `evidence train` (default: the built-in one)."))
NO_BACKOFF_OPT = typer.Option(False, "--no-backoff", help=_("Tag with the rules alone, without the statistical backoff."))


def backoff_choice(backoff: str | None, no_backoff: bool) -> str | None:
    from .nlp import BUILTIN

    if backoff is not None and no_backoff:
        raise UsageError(N_("--backoff and --no-backoff exclude each other; give one"))
    return None if no_backoff else (backoff or BUILTIN)


@app.command("tag", help=_("Like parse, with each event's tags (the moments of TAGS.md), as JSON Lines."))
def tag_cmd(
    paths: List[str] = typer.Argument(..., help=_("Export files or folders (walked recursively).")),
    rules: Optional[List[str]] = RULES_OPT,
    backoff: Optional[str] = BACKOFF_OPT,
    no_backoff: bool = NO_BACKOFF_OPT,
    format: Optional[str] = FORMAT_OPT,
    tz: str = TZ_OPT,
    shop: Optional[List[str]] = SHOP_OPT,
    staff: Optional[List[str]] = STAFF_OPT,
    follow_links: bool = FOLLOW_LINKS_OPT,
) -> None:

    def body() -> int:
        from .nlp import tag_paths

        result = tag_paths(paths, parse_options(tz, shop, staff), format, tuple(rules or ()),
                           backoff_choice(backoff, no_backoff), follow_links=follow_links)
        write_jsonl(result, tags=True)
        return report_files(result)

    run_command(body)


@app.command("eval", help=_("Precision, recall and F1 per label and reason, micro-F1 and deadline accuracy."))
def eval_cmd(
    corpus: Optional[str] = typer.Argument(None, help=_("A split folder with gold.jsonl, or a corpus folder of splits.")),
    real: bool = typer.Option(False, "--real", help=_("Score the built parts of the real-dialogue corpus "
                              "(corpora/real; says how to build them when they are not).")),
    baseline: bool = typer.Option(False, "--baseline", help=_("Score the plain keyword-substring tagger instead.")),
    rules: Optional[List[str]] = RULES_OPT,
    backoff: Optional[str] = BACKOFF_OPT,
    no_backoff: bool = NO_BACKOFF_OPT,
    errors: bool = typer.Option(False, "--errors",
                                help=_("After the table, list every event whose labels differ from gold, with its text.")),
) -> None:

    def body() -> int:
        from .evaluate import evaluate, format_report
        from .real_corpus import DEFAULT_ROOT

        if (corpus is None) == (not real):
            raise UsageError(N_("give a corpus folder, or --real for corpora/real (run from the repository root)")
                             if corpus is None else N_("give a corpus folder or --real, not both"))
        if real and not DEFAULT_ROOT.is_dir():
            raise UsageError(N_("--real reads {root} below the current folder; run it from the repository root"),
                             root=DEFAULT_ROOT)
        report = evaluate(corpus or DEFAULT_ROOT, baseline=baseline, rules_files=tuple(rules or ()),
                          backoff=backoff_choice(backoff, no_backoff))
        typer.echo(format_report(report, errors=errors), nl=False)
        return 0

    run_command(body)


@app.command("train",
             help=_("Train the statistical backoff on labelled parts (thresholds by leave-one-part-out), "
                    "or tune it to a shop's review decisions (--decisions / --db)."))
def train_cmd(
    parts: Optional[List[str]] = typer.Argument(None, help=_("Labelled corpus parts (folders with gold.jsonl) to train on.")),
    out: str = typer.Option(..., "--out", help=_("The model file to write (JSON).")),
    rules: Optional[List[str]] = RULES_OPT,
    decisions: Optional[List[str]] = typer.Option(
        None, "--decisions", help=_("A shop's review decisions (JSON Lines, as `--review` reads; repeatable): "
        "tune the backoff to them instead of training on corpus parts.")),
    db: Optional[str] = typer.Option(None, "--db", help=_("A case store: its decisions, and the text of its events.")),
    inputs: Optional[List[str]] = typer.Option(
        None, "--inputs", help=_("The exports the decisions were made on (files or folders; repeatable): "
        "the text a decisions file names by event key.")),
    base: Optional[str] = typer.Option(None, "--base", help=_("The model the decisions tune "
                                       "(default: the built-in one).")),
    tz: str = TZ_OPT,
    shop: Optional[List[str]] = SHOP_OPT,
    staff: Optional[List[str]] = STAFF_OPT,
) -> None:

    def body() -> int:
        if decisions or db is not None:
            return _train_from_decisions()
        if not parts:
            raise UsageError(N_("give labelled corpus parts to train on, or a shop's --decisions / --db"))
        from .nlp.training import format_cross_validation, train_to_file

        cv = train_to_file(parts, out, tuple(rules or ()), progress=err)
        typer.echo(format_cross_validation(cv), nl=False)
        return 0

    def _train_from_decisions() -> int:
        from .nlp.shop_training import train_from_decisions
        from .stages import RunConfig

        if parts:
            raise UsageError(N_("corpus parts and shop decisions train differently: give one or the other "
                                "(a model trained on parts can be tuned with --base)"))
        config = RunConfig(parse=parse_options(tz, shop, staff), rules_files=tuple(rules or ()))
        shop_examples = train_from_decisions(out, tuple(decisions or ()), db, tuple(inputs or ()), config,
                                             base, warn=lambda line: err(_("warning: {line}").format(line=say(line))))
        c = shop_examples.counts
        typer.echo(_("learnt {learnt} of {decisions} decisions on {messages} buyer messages; "
                     "written {out} (use it with --backoff)").format(
            learnt=c["learnt"], decisions=c["decisions"], messages=c["messages"], out=out))
        # Decisions on events the inputs do not hold are the user's to resolve (other
        # exports, another store): the model is written, the exit says it is partial.
        return EXIT_PARTIAL if c["not_in_inputs"] else 0

    run_command(body)


OUTPUTS_OPT = typer.Option(None, "--outputs",
                           help=_("Per-case outputs, comma-separated (default: html,pdf,json; see the renderers)."))
SHIP_OPT = typer.Option(72.0, "--ship-within", help=_("Hours from payment to the shipping deadline."))
TEMPLATES_OPT = typer.Option(None, "--templates", help=_("A folder of templates that override the built-in ones."))
NO_MASK_OPT = typer.Option(False, "--no-mask", help=_("Show phone numbers in full."))
ATTACH_OPT = typer.Option("case", "--attach",
                          help=_("What each PDF embeds of its sources: case (this case's rows or lines of a file "
                               "shared with other buyers, masked; other files whole), full (every file whole) "
                               "or none (the manifest alone)."))
NO_ATTACH_OPT = typer.Option(False, "--no-attach", help=_("The same as --attach none."))
ASSIGN_OPT = typer.Option(None, "--assign",
                          help=_("A CSV (event,buyer a line) or JSON file assigning the calls and notes the index "
                               "lists as unassigned (by their ids, U…) to buyers."))
TAGGED_OPT = typer.Option(False, "--tagged",
                          help=_("The inputs are a tagged timeline from `evidence tag`: keep its tags, tag nothing again."))


def case_outputs(outputs: str | None) -> tuple[str, ...] | None:
    """The renderers named, each checked against the registry (None: its defaults)."""
    from .render import check_case_outputs

    if outputs is None:
        return None
    kinds = tuple(k.strip() for k in outputs.split(",") if k.strip())
    try:
        return check_case_outputs(kinds)
    except UsageError:
        from .render import case_output_names
        from .render import _and

        raise UsageError(N_("--outputs takes {names}; got {outputs!r}"), names=_and(case_output_names()),
                         outputs=outputs) from None


def positive_hours(ship_within: float) -> float:
    if ship_within <= 0:
        raise UsageError(N_("--ship-within must be a positive number of hours"))
    return ship_within


def run_config(*, tz: str, shop, staff, format: str | None, rules, backoff: str | None, no_backoff: bool,
               ship_within: float, outputs: str | None, no_mask: bool, templates: str | None, tagged: bool,
               no_attach: bool = False, pack: str | None = None, profiles=None, review: str | None = None,
               attach: str = "case", assign: str | None = None, follow_links: bool = False,
               no_calibration: bool = False):
    """The options every run command shares, as one :class:`~extractor.stages.RunConfig`."""
    from .stages import BUILTIN_BACKOFF, RunConfig

    from .render.context import ATTACH_MODES

    choice = backoff_choice(backoff, no_backoff)
    if attach not in ATTACH_MODES:
        raise UsageError(N_("--attach takes case, full or none; got {attach!r}"), attach=attach)
    if no_attach and attach not in ("case", "none"):
        raise UsageError(N_("--no-attach is --attach none; it cannot go with --attach {attach}"), attach=attach)
    return RunConfig(
        parse=parse_options(tz, shop, staff), format_name=format, rules_files=tuple(rules or ()),
        backoff=None if choice is None else (BUILTIN_BACKOFF if backoff is None else choice),
        ship_within_hours=positive_hours(ship_within), outputs=case_outputs(outputs),
        mask_phones=not no_mask, templates=templates, tagged=tagged, pdf_attachments="none" if no_attach else attach,
        pack=pack, profile_files=tuple(profiles or ()), review_file=review,
        assign_file=assign,
        follow_links=follow_links, calibrated=not no_calibration,
    )


PACK_OPT = typer.Option(None, "--pack", metavar="PLATFORM",
                        help=_("Also write each case's upload pack for this platform (see `evidence platforms`)."))
PROFILE_OPT = typer.Option(None, "--profile", help=_("A platform profile file (JSON; repeatable): adds or replaces one."))
NO_CALIBRATION_OPT = typer.Option(False, "--no-calibration",
                                  help=_("State every claim the tagger finds, sure or not (by default only claims "
                                       "the calibration on real chats finds sure are stated; the rest are 待核实)."))
REVIEW_OPT = typer.Option(None, "--review", metavar="FILE",
                          help=_("A person's decisions on tags (JSON Lines: confirm, dismiss, add), applied after tagging."))


@app.command("batch",
             help=_("Every case of a folder of exports: reports, index.html, register and run.json."))
def batch_cmd(
    in_dir: str = typer.Argument(..., help=_("A folder of exports (walked recursively).")),
    out: str = typer.Option(..., "--out", "-o", help=_("Folder for the reports, index, register and run.json.")),
    workers: int = typer.Option(0, "--workers", "-j", help=_("Worker processes (0: one per core).")),
    force: bool = typer.Option(False, "--force", help=_("Redo every case, even those whose inputs did not change.")),
    outputs: Optional[str] = OUTPUTS_OPT,
    ship_within: float = SHIP_OPT,
    no_mask: bool = NO_MASK_OPT,
    templates: Optional[str] = TEMPLATES_OPT,
    rules: Optional[List[str]] = RULES_OPT,
    backoff: Optional[str] = BACKOFF_OPT,
    no_backoff: bool = NO_BACKOFF_OPT,
    tagged: bool = TAGGED_OPT,
    attach: str = ATTACH_OPT,
    no_attach: bool = NO_ATTACH_OPT,
    pack: Optional[str] = PACK_OPT,
    profile: Optional[List[str]] = PROFILE_OPT,
    review: Optional[str] = REVIEW_OPT,
    no_calibration: bool = NO_CALIBRATION_OPT,
    assign: Optional[str] = ASSIGN_OPT,
    format: Optional[str] = FORMAT_OPT,
    tz: str = TZ_OPT,
    shop: Optional[List[str]] = SHOP_OPT,
    staff: Optional[List[str]] = STAFF_OPT,
    follow_links: bool = FOLLOW_LINKS_OPT,
) -> None:

    def body() -> int:
        from .batch import BatchOptions, run_batch
        from .progress import progress_for

        if workers < 0:
            raise UsageError(N_("--workers must be 0 (one per core) or more"))
        config = run_config(tz=tz, shop=shop, staff=staff, format=format, rules=rules, backoff=backoff,
                            no_backoff=no_backoff, ship_within=ship_within, outputs=outputs, no_mask=no_mask,
                            templates=templates, tagged=tagged, no_attach=no_attach, pack=pack, profiles=profile,
                            review=review, attach=attach, assign=assign, follow_links=follow_links,
                            no_calibration=no_calibration)
        progress = progress_for(sys.stderr)
        try:
            result = run_batch(in_dir, out, BatchOptions(config, workers, force), progress, argv=tuple(sys.argv))
        finally:
            close = getattr(progress, "close", None)
            if close:
                close()
        report_skipped(result.skipped)
        for rep in result.failed_files:
            err(_("error {error}").format(error=say(rep.error)))
        for case in result.failed_cases:
            err(_("error case {buyer}: {error}").format(buyer=name_label(case.buyer), error=say(case.error)))
        for name in result.removed:
            err(_("removed {path}: an output of a case no longer in the input").format(path=result.out_dir / name))
        for name in result.kept:
            err(_("kept {path}: an output of a case no longer in the input, changed since it was written; "
                  "remove it if it is no longer needed").format(path=result.out_dir / name))
        reused = sum(1 for c in result.cases if c.reused)
        err(_("{files} files, {cases} cases ({reused} unchanged), {unassigned} unassigned calls in {seconds:.1f}s")
            .format(files=len(result.files), cases=len(result.cases), reused=reused,
                    unassigned=len(result.unassigned), seconds=result.timings["total_s"]))
        typer.echo(str(result.index))
        return EXIT_PARTIAL if result.failed_files or result.failed_cases else 0

    run_command(body)


@app.command("report",
             help=_("Per buyer: an HTML, PDF and JSON case report; for the run: register.xlsx/.csv and index.html."))
def report_cmd(
    paths: List[str] = typer.Argument(..., help=_("Export files or folders (walked recursively).")),
    out: str = typer.Option(..., "--out", "-o", help=_("Folder for the reports, index.html and the register.")),
    ship_within: float = SHIP_OPT,
    templates: Optional[str] = TEMPLATES_OPT,
    no_mask: bool = NO_MASK_OPT,
    outputs: Optional[str] = OUTPUTS_OPT,
    rules: Optional[List[str]] = RULES_OPT,
    backoff: Optional[str] = BACKOFF_OPT,
    no_backoff: bool = NO_BACKOFF_OPT,
    tagged: bool = TAGGED_OPT,
    attach: str = ATTACH_OPT,
    no_attach: bool = NO_ATTACH_OPT,
    pack: Optional[str] = PACK_OPT,
    profile: Optional[List[str]] = PROFILE_OPT,
    review: Optional[str] = REVIEW_OPT,
    no_calibration: bool = NO_CALIBRATION_OPT,
    assign: Optional[str] = ASSIGN_OPT,
    format: Optional[str] = FORMAT_OPT,
    tz: str = TZ_OPT,
    shop: Optional[List[str]] = SHOP_OPT,
    staff: Optional[List[str]] = STAFF_OPT,
    follow_links: bool = FOLLOW_LINKS_OPT,
) -> None:

    def body() -> int:
        from .stages import run_report

        config = run_config(tz=tz, shop=shop, staff=staff, format=format, rules=rules, backoff=backoff,
                            no_backoff=no_backoff, ship_within=ship_within, outputs=outputs, no_mask=no_mask,
                            templates=templates, tagged=tagged, no_attach=no_attach, pack=pack, profiles=profile,
                            review=review, attach=attach, assign=assign, follow_links=follow_links,
                            no_calibration=no_calibration)
        return _report(paths, out, config)

    run_command(body)


def _report(paths: Sequence[str], out: str, config) -> int:
    from .stages import run_report

    result = run_report(paths, out, config, argv=tuple(sys.argv))
    status = report_files(ParseResult((), tuple(result.files), tuple(result.skipped)))
    if not result.run_files:
        return status or 2
    for case in result.cases:
        typer.echo(f"{name_label(case.buyer)}: {', '.join(case.paths)}  [{case.risk}]")
    for path in result.run_files:
        typer.echo(str(path))
    if result.unassigned:
        err(_("{n} call(s) matched no buyer; they are listed in {index} with their ids, which --assign FILE "
              "(a line: id,buyer) assigns to a buyer").format(n=len(result.unassigned), index=result.index))
    for d in result.review_unmatched:
        err(_("warning review decision {action} {label} on event {event}: no such event in these inputs")
            .format(action=d.action, label=d.label, event=d.event))
    return status


@app.command("pack",
             help=_("Per case, the upload pack: pictures within the form's limits, 申诉说明.txt, the PDF, a manifest."))
def pack_cmd(
    paths: List[str] = typer.Argument(..., help=_("Export files or folders (walked recursively).")),
    out: str = typer.Option(..., "--out", "-o", help=_("Folder for the packs (pack/<case>/ and pack/<case>.zip).")),
    platform: str = typer.Option("taobao-web", "--platform", "-p", help=_("The form the pack is for (see `evidence platforms`).")),
    profile: Optional[List[str]] = PROFILE_OPT,
    review: Optional[str] = REVIEW_OPT,
    no_calibration: bool = NO_CALIBRATION_OPT,
    ship_within: float = SHIP_OPT,
    templates: Optional[str] = TEMPLATES_OPT,
    no_mask: bool = NO_MASK_OPT,
    rules: Optional[List[str]] = RULES_OPT,
    backoff: Optional[str] = BACKOFF_OPT,
    no_backoff: bool = NO_BACKOFF_OPT,
    tagged: bool = TAGGED_OPT,
    format: Optional[str] = FORMAT_OPT,
    tz: str = TZ_OPT,
    shop: Optional[List[str]] = SHOP_OPT,
    staff: Optional[List[str]] = STAFF_OPT,
) -> None:

    def body() -> int:
        config = run_config(tz=tz, shop=shop, staff=staff, format=format, rules=rules, backoff=backoff,
                            no_backoff=no_backoff, ship_within=ship_within, outputs="json", no_mask=no_mask,
                            templates=templates, tagged=tagged, pack=platform, profiles=profile, review=review,
                            no_calibration=no_calibration)
        return _report(paths, out, config)

    run_command(body)


@app.command("platforms",
             help=_("List the platform profiles: images per upload, bytes per image, text fields."))
def platforms_cmd(profile: Optional[List[str]] = PROFILE_OPT) -> None:

    def body() -> int:
        from .pack import load_profiles

        for p in load_profiles(profile or ()).values():
            texts = "; ".join(f"{t.label} {t.describe()}" for t in p.texts)
            typer.echo(_("{name:<18} {per_upload} images/upload, ≤{max_bytes:,} bytes each, {formats}; {texts}  — "
                         "{title}").format(name=p.name, per_upload=p.images.per_upload, max_bytes=p.images.max_bytes,
                                           formats="/".join(p.images.formats), texts=texts, title=p.title))
        return 0

    run_command(body)


@app.command("calibrate",
             help=_("Count how often each kind of buyer claim is right on labelled real chats; choose the threshold."))
def calibrate_cmd(
    parts: List[str] = typer.Argument(..., help=_("Labelled parts to count on (real chats: corpora/real/dev).")),
    out: Optional[str] = typer.Option(None, "--out", help=_("Write the calibration here (the package's: "
                                      "extractor/nlp/models/calibration.json).")),
    check: Optional[List[str]] = typer.Option(None, "--check", help=_("A part to measure the calibration on, "
                                              "never fitted (repeatable): corpora/real/heldout.")),
    target: float = typer.Option(0.95, "--target", help=_("Precision the stated claims must reach.")),
    rules: Optional[List[str]] = RULES_OPT,
    backoff: Optional[str] = BACKOFF_OPT,
    no_backoff: bool = NO_BACKOFF_OPT,
) -> None:

    def body() -> int:
        from pathlib import Path

        from .evaluate import claim_pairs, split_folders
        from .nlp.calibration import fit, reliability

        if not 0.5 <= target < 1:
            raise UsageError(N_("--target must be a precision from 0.5 to below 1"))
        chosen = backoff_choice(backoff, no_backoff)
        pairs = []
        for part in parts:
            for split in split_folders(Path(part)):
                pairs += claim_pairs(split, tuple(rules or ()), chosen)
        cal = fit(pairs, {"parts": list(parts), "claims": len(pairs)}, target)
        scored = [(cal.confidence(t), ok) for t, ok in pairs]
        typer.echo(_("fitted on {claims} predicted claims, {right} right").format(
            claims=len(pairs), right=sum(ok for _t, ok in pairs)))
        typer.echo(_("threshold: {threshold}").format(
            threshold=f"{cal.threshold:.3f}" if cal.threshold is not None else
            _("none reaches precision {target:g}: no claim would be stated").format(target=target)))
        for rng, n, share in reliability(scored):
            typer.echo(_("  confidence {range}: {n:>4} claims, {share:.2f} right").format(range=rng, n=n, share=share))
        for part in check or ():
            for split in split_folders(Path(part)):
                got = [(cal.confidence(t), ok, t.label) for t, ok in claim_pairs(split, tuple(rules or ()), chosen)]
                above = [ok for c, ok, _label in got if cal.threshold is not None and c is not None and c >= cal.threshold]
                share = sum(above) / len(above) if above else 0.0
                typer.echo(_("check {split}: {claims} claims, {above} at or above the threshold, {share:.3f} of them "
                             "right").format(split=split.name, claims=len(got), above=len(above), share=share))
                for rng, n, s in reliability([(c, ok) for c, ok, _label in got]):
                    typer.echo(_("  confidence {range}: {n:>4} claims, {share:.2f} right").format(range=rng, n=n,
                                                                                                 share=s))
        if out:
            Path(out).write_text(json.dumps(cal.to_json(), ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                 encoding="utf-8")
            typer.echo(_("written {path}").format(path=out))
        return 0

    run_command(body)


@app.command("serve",
             help=_("The web app for shop staff, in Chinese: import exports, review cases, download upload packs."))
def serve_cmd(
    db: str = typer.Option("evidence-data/cases.db", "--db", help=_("The case store (SQLite; made if missing).")),
    host: str = typer.Option("127.0.0.1", "--host", help=_("Address to listen on; any but loopback asks for an access token.")),
    port: int = typer.Option(8000, "--port", help=_("Port to listen on.")),
    no_mask: bool = NO_MASK_OPT,
) -> None:

    def body() -> int:
        import uvicorn

        from .web import app_for

        if not 0 < port < 65536:
            raise UsageError(N_("--port must be between 1 and 65535"))
        application, note = app_for(db, host, mask=not no_mask)
        if note:
            err(note)
        err(_("evidence web app: http://{host}:{port}/  (Ctrl+C stops it)").format(host=host, port=port))
        uvicorn.run(application, host=host, port=port, log_level="warning")
        return 0

    run_command(body)


@app.command("verify",
             help=_("Say, file by file, whether the sources are the ones the report was made from (SHA-256)."))
def verify_cmd(
    report: str = typer.Argument(..., help=_("A case report's .json file, or its .pdf (the manifest it carries).")),
    sources: List[str] = typer.Argument(..., help=_("The source files (or folders) to check against it.")),
    partial: bool = typer.Option(False, "--partial",
                                 help=_("Check only the files given; a recorded source not given is no failure.")),
) -> None:

    def body() -> int:
        from .verify import require_verified, verify_report

        result = verify_report(report, sources, partial)
        for line in result.lines():
            typer.echo(line)
        require_verified(result)
        return 0

    run_command(body)


LANG_OPT = typer.Option(None, "--lang", metavar="zh|en",
                        help=_("The language of messages and help: zh (Simplified Chinese, the default) or en; "
                               "also EVIDENCE_LANG, or an English locale (LANG=en_US.UTF-8)."))


@app.callback(invoke_without_command=True)
def _root(ctx: typer.Context, version: bool = typer.Option(False, "--version", help=_("Print the version and exit.")),
          lang: Optional[str] = LANG_OPT) -> None:
    from .i18n import normalize, set_language

    if lang is not None:
        if normalize(lang) is None:
            err(_("error {error}").format(error=UsageError(N_("--lang takes zh or en; got {lang!r}"),
                                                           lang=lang).translated()))
            raise typer.Exit(UsageError.exit_code)
        # main() chose it before the help texts were built; a runner that calls the app
        # directly (the tests) gets its messages in this language from here on.
        set_language(normalize(lang))  # type: ignore[arg-type]
    if version:
        typer.echo(f"evidence {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def main() -> None:
    from .i18n import lang_in_argv, language

    # --lang is the app's option, and may be written after the command too
    # (evidence report x -o out --lang en): it is taken out of the command's arguments.
    args, given = [], lang_in_argv(sys.argv[1:])
    rest = iter(sys.argv[1:])
    for arg in rest:
        if arg == "--":
            args += [arg, *rest]
        elif arg == "--lang":
            next(rest, None)
        elif not arg.startswith("--lang="):
            args.append(arg)
    # Worker processes started afresh (spawn, not fork) speak the same language.
    os.environ["EVIDENCE_LANG"] = language()
    app(args=(["--lang", given] if given is not None else []) + args)
