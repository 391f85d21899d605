"""evidence: turn Taobao/Tmall chat, call and order exports into dispute evidence.

The public API (each stage usable alone):

- :func:`parse` — files and folders to one ordered timeline (:class:`ParseResult`)
- the later stages live in :mod:`extractor.nlp`, :mod:`extractor.cases`,
  :mod:`extractor.render` and :mod:`extractor.batch`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .model import Call, Event, FileReport, Order, ParseResult, ParseWarning, Source, Tag  # noqa: E402
from .sources import ParseOptions  # noqa: E402
from .timeline import parse_paths as parse  # noqa: E402

__all__ = [
    "__version__", "parse", "ParseOptions", "ParseResult", "Event", "Source", "Call",
    "Order", "Tag", "ParseWarning", "FileReport",
]
