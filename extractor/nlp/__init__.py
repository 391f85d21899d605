"""Tagging: the moments a dispute turns on (TAGS.md), found in Chinese chat.

- :class:`Tagger` — the pipeline (spaCy zh + jieba, our rule components), built once;
  ``Tagger.tag_events(events)`` returns the events with their tags.
- :func:`get_tagger` — one cached Tagger per rules tuple and backoff model.
- :func:`tag_paths` — parse files and folders and tag the timeline (``evidence tag``).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from ..errors import RulesError
from ..model import ParseResult
from .ruleset import load_ruleset
from .backoff import BUILTIN, load_model
from .tagger import Tagger, get_tagger

__all__ = ["Tagger", "get_tagger", "tag_paths", "RulesError", "BUILTIN"]


def tag_paths(paths: Sequence[str | os.PathLike[str]], options=None, format_name: str | None = None,
              rules_files: Sequence[str | Path] = (), backoff: str | Path | None = BUILTIN,
              follow_links: bool = False) -> ParseResult:
    """Parse ``paths`` into one timeline (as ``evidence parse``) and tag every event
    (``backoff``: see :class:`Tagger`)."""
    from ..timeline import parse_paths

    load_ruleset(tuple(str(p) for p in rules_files))  # a bad rules file fails before any parsing
    if backoff is not None and backoff != BUILTIN:
        load_model(backoff)  # so does a bad model file
    result = parse_paths(paths, options, format_name, follow_links=follow_links)
    tagger = get_tagger(rules_files, backoff)
    from .calibration import with_confidence

    return replace(result, events=tuple(with_confidence(tagger.tag_events(result.events))))
