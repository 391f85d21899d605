"""The ``evidence`` command: thin Typer wrappers over library functions.

Each command validates its options, calls one library function, and writes the result.
Library errors become ``error [CODE] message`` on stderr and the error's exit code in
one place, :func:`run_command`.
"""

from __future__ import annotations

import json
import sys
from typing import Callable, List, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from . import __version__
from .errors import EXIT_PARTIAL, EvidenceError, UsageError
from .model import ParseResult, event_to_dict

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Turn Taobao/Tmall chat, call and order exports into dispute evidence.",
)


def err(message: str) -> None:
    typer.echo(message, err=True)


def run_command(fn: Callable[[], int | None]) -> None:
    """Run a command body; map library errors to a message and an exit code."""
    try:
        code = fn() or 0
    except EvidenceError as exc:
        err(f"error {exc}")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err("interrupted")
        raise typer.Exit(130) from None
    raise typer.Exit(code)


def parse_options(tz: str, shop: list[str] | None, staff: list[str] | None):
    from .sources import ParseOptions

    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {tz!r}; use an IANA name such as Asia/Shanghai") from None
    return ParseOptions(tz=zone, shop=tuple(shop or ()), staff=tuple(staff or ()))


def report_files(result: ParseResult) -> int:
    """Per-file counts on stderr; the exit code says whether some inputs failed."""
    for rep in result.files:
        if rep.error:
            err(f"error {rep.error}")
            continue
        err(f"{rep.file}: {rep.format}, {rep.events} events, {len(rep.warnings)} warnings")
        for w in rep.warnings:
            err(f"  warning {w}")
    failed = len(result.failed)
    if failed:
        err(f"{failed} of {len(result.files)} inputs failed")
        return EXIT_PARTIAL if failed < len(result.files) else 2
    return 0


TZ_OPT = typer.Option("Asia/Shanghai", "--tz", help="Time zone of times written without an offset.")
SHOP_OPT = typer.Option(None, "--shop", help="The shop's name (repeatable); overrides the 店铺名:子账号 convention.")
STAFF_OPT = typer.Option(None, "--staff", help="A seller account without a shop prefix (repeatable).")
FORMAT_OPT = typer.Option(None, "--format", "-f", help="Read every input as this format (see `evidence formats`).")


@app.command("formats")
def formats_cmd() -> None:
    """List the input formats, one a line."""

    def body() -> int:
        from .sources import formats

        for fmt in formats():
            typer.echo(f"{fmt.NAME:<18} {fmt.DESCRIPTION}")
        return 0

    run_command(body)


@app.command("parse")
def parse_cmd(
    paths: List[str] = typer.Argument(..., help="Export files or folders (walked recursively)."),
    format: Optional[str] = FORMAT_OPT,
    tz: str = TZ_OPT,
    shop: Optional[List[str]] = SHOP_OPT,
    staff: Optional[List[str]] = STAFF_OPT,
) -> None:
    """Read exports into one time-ordered timeline, printed as JSON Lines."""

    def body() -> int:
        from .timeline import parse_paths

        result = parse_paths(paths, parse_options(tz, shop, staff), format)
        write_jsonl(result, tags=False)
        return report_files(result)

    run_command(body)


def write_jsonl(result: ParseResult, *, tags: bool) -> None:
    out = sys.stdout
    for event in result.events:
        out.write(json.dumps(event_to_dict(event, with_tags=tags), ensure_ascii=False))
        out.write("\n")
    out.flush()


@app.callback(invoke_without_command=True)
def _root(version: bool = typer.Option(False, "--version", help="Print the version and exit.")) -> None:
    if version:
        typer.echo(f"evidence {__version__}")
        raise typer.Exit(0)


def main() -> None:
    app()
