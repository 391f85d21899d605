"""What every renderer gets besides its subject: the template environment and the
options of the run (masking, generation time, command line)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import Any

from jinja2 import Environment, TemplateError, TemplateNotFound

from .. import __version__
from ..errors import RenderError


@dataclass(frozen=True)
class RenderContext:
    env: Environment
    generated_at: datetime
    mask: bool = True
    argv: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ("html", "pdf", "json")
    name: str = ""  # the file stem being written, for links between a case's files
    attach_sources: bool = True  # embed the source files in each PDF (the manifest always)
    extra: dict[str, Any] = field(default_factory=dict)

    def meta(self, **more: Any) -> dict[str, Any]:
        return {
            "version": __version__,
            "generated": self.generated_at.strftime("%Y-%m-%d %H:%M:%S %z"),
            "generated_iso": self.generated_at.isoformat(),
            "command": self.command_line(),
            "masked": self.mask,
            "pdf_attachments": "pdf" in self.outputs and self.attach_sources,
            "pdf_manifest_only": "pdf" in self.outputs and not self.attach_sources,
            **more,
        }

    def command_line(self) -> str:
        """The command as typed: the program by its name, not the path it was run from
        (so the same command gives the same report on another machine)."""
        if not self.argv:
            return ""
        program = PurePath(self.argv[0]).name
        return shlex.join((program, *self.argv[1:]))

    def render_template(self, name: str, **values: Any) -> str:
        try:
            return self.env.get_template(name).render(**values)
        except TemplateNotFound as exc:
            raise RenderError(f"template {exc.name!r} not found in the --templates folder or the "
                              "built-in templates; an override must keep the built-in file names") from None
        except TemplateError as exc:
            where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
            raise RenderError(f"template {name}{where}: {exc.message or exc}; check the templates "
                              "in your --templates folder") from None
