"""What every renderer gets besides its subject: the template environment and the
options of the run (masking, generation time, command line)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import Any

from jinja2 import Environment, TemplateError, TemplateNotFound

from .. import __version__
from ..errors import RenderError
from ..i18n import N_, said

# What a case PDF embeds of its sources (``--attach``): this case's records of a shared
# file and single-case files whole; every file whole; the manifest alone.
ATTACH_CASE, ATTACH_FULL, ATTACH_NONE = "case", "full", "none"
ATTACH_MODES = (ATTACH_CASE, ATTACH_FULL, ATTACH_NONE)
_PLAIN_ARG = re.compile(r"[^\s'\"\\$`!*?;&|<>(){}\[\]#~]+")


@dataclass(frozen=True)
class RenderContext:
    env: Environment
    generated_at: datetime
    mask: bool = True
    argv: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ("html", "pdf", "json")
    name: str = ""  # the file stem being written, for links between a case's files
    attach: str = ATTACH_CASE  # what each PDF embeds of its sources (the manifest always)
    extra: dict[str, Any] = field(default_factory=dict)

    def meta(self, **more: Any) -> dict[str, Any]:
        return {
            "version": __version__,
            "generated": self.generated_at.strftime("%Y-%m-%d %H:%M:%S %z"),
            "generated_iso": self.generated_at.isoformat(),
            "command": self.shown_command(),
            "masked": self.mask,
            "pdf_attach": self.attach if "pdf" in self.outputs else None,
            **more,
        }

    def command_line(self) -> str:
        """The command as typed: the program by its name, not the path it was run from
        (so the same command gives the same report on another machine)."""
        if not self.argv:
            return ""
        program = PurePath(self.argv[0]).name
        return shlex.join((program, *self.argv[1:]))

    def shown_command(self) -> str:
        """The command as an uploaded report shows it: every path reduced to its file
        name, so no folder (``C:\\Users\\<name>\\…``) leaves the shop; the whole
        command line stays in run.json."""
        if not self.argv:
            return ""
        parts = [PurePath(self.argv[0].replace("\\", "/")).name]
        parts.extend(PurePath(a.replace("\\", "/")).name or a if ("/" in a or "\\" in a) else a
                     for a in self.argv[1:])
        # Quoted only where a shell needs it (shlex.quote would quote every Chinese name).
        return " ".join(a if _PLAIN_ARG.fullmatch(a) else shlex.quote(a) for a in parts)

    def render_template(self, name: str, **values: Any) -> str:
        try:
            return self.env.get_template(name).render(**values)
        except TemplateNotFound as exc:
            raise RenderError(N_("template {name!r} not found in the --templates folder or the "
                                 "built-in templates; an override must keep the built-in file names"),
                              name=exc.name) from None
        except TemplateError as exc:
            where = said(N_(" (line {line})"), line=exc.lineno) if getattr(exc, "lineno", None) else ""
            raise RenderError(N_("template {name}{where}: {problem}; check the templates in your --templates folder"),
                              name=name, where=where, problem=exc.message or exc) from None
