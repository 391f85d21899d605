"""The language the command line speaks: Simplified Chinese unless English is asked for.

The shop staff who run ``evidence`` read Chinese, so Chinese is the default; English is
chosen, in this order, by ``--lang en`` (anywhere before ``--``), by ``EVIDENCE_LANG=en``,
or by an English locale: the first of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES`` and
``LANG`` that is set (the order gettext reads them in) starting with ``en``.  ``zh``
given the same way chooses Chinese over an English locale.

The code writes its words in English (``_("...")``, the msgid); the catalog
``locale/zh_CN/LC_MESSAGES/evidence.po``, compiled to the ``.mo`` beside it by
``scripts/catalog.py``, says them in Chinese.  The language is one setting of the
process: Typer reads the help texts when ``extractor.cli`` builds the app, so the CLI
chooses it from ``sys.argv`` and the environment before that (:func:`choose`).
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path
from typing import Mapping, Sequence

DOMAIN = "evidence"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("zh", "en")
DEFAULT = "zh"
LOCALE_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
# The catalog each language reads (English is the msgids themselves).
_CATALOGS = {"zh": "zh_CN"}

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a msgid that is translated later (the extraction in the tests finds it)."""
    return message


class Message(str):
    """English text as the records keep it (a str: the JSON, the cache and comparisons
    see only the text) that remembers the template and values it was made from, so the
    terminal can say it in its own language (:func:`say`).  ``code``: an error's, said
    before it (``[E103] …``)."""

    template: str
    args_: dict
    code: str | None

    def __new__(cls, text: str, template: str | None = None, args: Mapping | None = None,
                code: str | None = None) -> "Message":
        self = super().__new__(cls, text)
        self.template, self.args_, self.code = (text if template is None else template), dict(args or {}), code
        return self


def said(template: str, **args: object) -> Message:
    """``template.format(**args)`` in English, keeping both for :func:`say`."""
    return Message(template.format(**args) if args else template, template, args)


def say(text: str) -> str:
    """A text in the language spoken: a :class:`Message` by its template (English when
    the catalog lacks it); any other str (read back from a cache, say) as it is."""
    if not isinstance(text, Message):
        return text
    words = _(text.template)
    # a value that is a Message itself (a hint added to an error) is said the same way
    words = words.format(**{k: say(v) if isinstance(v, Message) else v for k, v in text.args_.items()}) \
        if text.args_ else words
    return f"[{text.code}] {words}" if text.code else words


def normalize(value: str | None) -> str | None:
    """``en``, ``en_US.UTF-8``, ``zh-CN`` … as one of :data:`LANGUAGES`; None for others."""
    value = (value or "").strip().lower()
    return next((lang for lang in LANGUAGES if value.startswith(lang)), None)


def lang_in_argv(argv: Sequence[str]) -> str | None:
    """The value of the last ``--lang X`` or ``--lang=X`` before ``--``, as written."""
    found = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--lang="):
            found = arg.split("=", 1)[1]
    return found


def language_for(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """The language asked for: --lang, then EVIDENCE_LANG, then the locale; else Chinese.
    A --lang that names no language is left to the CLI, which says so (E400)."""
    for value in (lang_in_argv(argv), environ.get("EVIDENCE_LANG")):
        if normalize(value):
            return normalize(value)  # type: ignore[return-value]
    for var in LOCALE_VARS:
        value = environ.get(var, "")
        if value:
            # LANGUAGE is a list (en_GB:zh_CN); its first entry is the one preferred.
            return "en" if normalize(value.split(":")[0]) == "en" else DEFAULT
    return DEFAULT


def set_language(lang: str, *, help_wanted: bool = False) -> None:
    """Speak ``lang`` from now on (one of :data:`LANGUAGES`).  ``help_wanted``: the
    process prints its help, whose rich panels get their words now (importing rich costs
    more than the rest of the CLI's start, so a command that prints no help is spared it;
    an error box of Typer's is English anyway, as its vendored click words it)."""
    global _translation, _language
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    catalog = _CATALOGS.get(lang)
    # fallback: a wheel built without its catalog speaks English rather than crash.
    _translation = (gettext.translation(DOMAIN, LOCALE_DIR, languages=[catalog], fallback=True)
                    if catalog else gettext.NullTranslations())
    _language = lang
    _localize_typer(rich=help_wanted and catalog is not None)


def language() -> str:
    return _language


def choose(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> str:
    """Choose the language for this process from its arguments and environment
    (``argv`` as sys.argv: the program first)."""
    lang = language_for(argv, os.environ if environ is None else environ)
    words = [a for i, a in enumerate(argv[1:]) if a != "--lang" and not a.startswith("--lang=")
             and not (i > 0 and argv[i] == "--lang")]
    set_language(lang, help_wanted="--help" in argv[1:] or not words)
    return lang


# Typer's own words (the help's panel titles, "[required]", the error box) go through
# the stdlib's global gettext domain, which follows the process locale and cannot be
# told the language chosen here; typer.core and typer.rich_utils take them by the name
# ``_`` or as constants, so they are given this catalog's.  (Its vendored click writes
# its words without gettext: "Usage:" and the --help option's are given below, its
# errors, "Missing argument" …, stay English.)
TYPER_WORDS = {
    "DEPRECATED_STRING": N_("(deprecated) "),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "ABORTED_TEXT": N_("Aborted."),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
}
# typer.core's words by ``_()`` (the plain, non-rich help and its errors).
TYPER_CORE_WORDS = (N_("Missing command."), N_("No such command {name!r}."), N_("Aborted!"),
                    N_("default: {default}"), N_("required"), N_("env var: {var}"), N_("(dynamic)"))


def _localize_click_words() -> None:
    """The two words of Typer's vendored click on every help page: "Usage: " and the
    --help option's "Show this message and exit.", said at the time they are written."""
    try:
        from typer._click.core import Command
        from typer._click.formatting import HelpFormatter
    except ImportError:  # another Typer: its own words
        return
    write_usage = HelpFormatter.write_usage
    if not getattr(write_usage, "localized", False):
        def usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            write_usage(self, prog, args, _(USAGE) if prefix is None else prefix)

        usage.localized = True  # type: ignore[attr-defined]
        HelpFormatter.write_usage = usage  # type: ignore[method-assign]
    get_help_option = Command.get_help_option
    if not getattr(get_help_option, "localized", False):
        def help_option(self, ctx):
            option = get_help_option(self, ctx)
            if option is not None:
                option.help = _(HELP_OPTION)
            return option

        help_option.localized = True  # type: ignore[attr-defined]
        Command.get_help_option = help_option  # type: ignore[method-assign]


USAGE = N_("Usage: ")
HELP_OPTION = N_("Show this message and exit.")


def _localize_typer(rich: bool) -> None:
    """Give Typer this catalog's words; ``rich``: import its rich help to do so (in
    English its words are already these, unless Chinese was spoken before)."""
    import sys

    try:
        import typer.core
    except ImportError:
        return
    if hasattr(typer.core, "_"):
        typer.core._ = _  # type: ignore[attr-defined]
    _localize_click_words()
    if not (rich or "typer.rich_utils" in sys.modules):
        return
    try:
        import typer.rich_utils as rich_utils
    except ImportError:  # Typer without rich: its plain help, through typer.core alone
        return
    for name, msgid in TYPER_WORDS.items():
        if hasattr(rich_utils, name):
            setattr(rich_utils, name, _(msgid))
    make = getattr(rich_utils, "_make_rich_text", None)
    if make is not None and not getattr(make, "folds", False):
        # Rich breaks lines at spaces, and a Chinese sentence has none: without "fold" a
        # help text wider than its column is cut off with "…" (the rest of it lost).
        def folding(**kwargs):
            text = make(**kwargs)
            if hasattr(text, "overflow"):
                text.overflow = "fold"
            return text

        folding.folds = True  # type: ignore[attr-defined]
        rich_utils._make_rich_text = folding


__all__ = ["_", "ngettext", "N_", "Message", "said", "say", "choose", "set_language", "language", "language_for", "normalize",
           "lang_in_argv", "LANGUAGES", "DEFAULT"]
