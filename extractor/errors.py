"""One error hierarchy.  Every error has a code (E1xx input, E2xx rules, E3xx render,
E4xx usage/integrity), an exit code, and a message that says what to do about it.

The CLI turns these into ``error [E101] ...`` on stderr and the exit code, in one place
(:func:`extractor.cli.run_command`); the library never prints or exits.
"""

from __future__ import annotations

from .i18n import Message, said, say


class EvidenceError(Exception):
    """``message`` is English, and what the records (run.json, the JSON report) keep.
    Given with ``args`` it is a template (``"unknown time zone {tz!r}"``, tz=…), and the
    terminal can say it in its own language (:meth:`translated`, :meth:`record`; the
    catalog is extractor.i18n's)."""

    code = "E000"
    exit_code = 1

    def __init__(self, message: str, **args: object) -> None:
        if isinstance(message, Message) and not args:  # made of Messages already (a list of skips)
            self.template, self.args_, self.message = message.template, message.args_, message
        else:
            self.template, self.args_ = message, args
            self.message = said(message, **args)
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"

    def record(self) -> Message:
        """``str(self)`` to keep in a record (a FileReport's error), still sayable."""
        return Message(str(self), self.template, self.args_, self.code)

    def translated(self) -> str:
        """``[code] message`` in the language the CLI speaks (English if the catalog has
        no such message, e.g. one formatted before it was raised)."""
        return say(self.record())


class InputError(EvidenceError):
    """A file that cannot be read as any known format."""

    code = "E100"
    exit_code = 2


class UnreadableFileError(InputError):
    code = "E101"


class EncodingError(InputError):
    code = "E102"


class UnknownFormatError(InputError):
    code = "E103"


class FormatError(InputError):
    """The file was recognised (or forced with --format) but its content is broken."""

    code = "E104"


class UnsafeInputError(InputError):
    """Input that tries something dangerous (XML entities, zip bombs)."""

    code = "E105"


class InputTooLargeError(InputError):
    code = "E106"


class NoExportError(InputError):
    """Nothing given (or nothing left once the skipped files are set aside) is an export."""

    code = "E107"


class RulesError(EvidenceError):
    """A rules or lexicon file that does not validate."""

    code = "E200"
    exit_code = 3


class RenderError(EvidenceError):
    code = "E300"
    exit_code = 4


class MissingFontError(RenderError):
    code = "E301"


class OutputWriteError(RenderError):
    """An output that could not be written (a full disk, a folder made read-only)."""

    code = "E302"


class PackError(RenderError):
    """An upload pack that cannot meet its platform profile (an image over the byte
    limit even split into short pages, a text field that cannot hold the key facts)."""

    code = "E303"


class UsageError(EvidenceError):
    code = "E400"
    exit_code = 2


class ProfileError(UsageError):
    """A platform profile file that does not validate, or an unknown platform name."""

    code = "E402"


class IntegrityError(EvidenceError):
    """A report whose source files do not match their recorded hashes."""

    code = "E401"
    exit_code = 5


# Exit code when some inputs failed but the others went through.
EXIT_PARTIAL = 6
