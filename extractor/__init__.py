"""evidence: turn Taobao/Tmall chat, call and order exports into dispute evidence.

The public API (each stage usable alone):

- :func:`parse` — files and folders to one ordered timeline (:class:`ParseResult`)
- the later stages live in :mod:`extractor.nlp`, :mod:`extractor.cases`,
  :mod:`extractor.render` and :mod:`extractor.batch`.

The names below load on first use: ``import extractor.model`` (or any one stage) costs
that module, not the parsers of every export format.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .model import Call, Event, FileReport, Order, ParseResult, ParseWarning, Source, Tag
    from .sources import ParseOptions
    from .timeline import parse_paths as parse

__all__ = [
    "__version__", "parse", "ParseOptions", "ParseResult", "Event", "Source", "Call",
    "Order", "Tag", "ParseWarning", "FileReport",
]

# Each public name: (module, its name there).
_LAZY = {
    "parse": (".timeline", "parse_paths"),
    "ParseOptions": (".sources", "ParseOptions"),
    **{name: (".model", name) for name in ("ParseResult", "Event", "Source", "Call", "Order", "Tag",
                                           "ParseWarning", "FileReport")},
}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    from importlib import import_module

    value = getattr(import_module(module, __name__), attribute)
    globals()[name] = value  # later lookups find it without coming here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
