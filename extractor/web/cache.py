"""The Case objects the downloads need, built once per version of the store.

A pack, a PDF or the register needs :class:`~extractor.cases.Case` objects, which the
store does not keep (it keeps the JSON report): they are rebuilt by running every stage
over the stored inputs with the store's decisions.  That is the same work for every
download until an import finishes or a decision is added, so the cases are kept here per
*version*: the last finished run and the decisions table's size and newest row.  A new
version (a review decision always comes with a re-import) drops what was kept.

Memory is bounded by cases, not bytes (a case is a few hundred events at most in a
shop's exports): past ``MAX_CACHED_CASES`` the least recently downloaded are let go, and
a download that needs them builds the run again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from ..errors import EvidenceError
from ..limits import MAX_CACHED_CASES


def store_version(store) -> tuple[int, int, int]:
    """(last finished run, decisions, newest decision id): what the built cases depend on."""
    run = store.db.execute("SELECT COALESCE(MAX(id), 0) FROM runs WHERE status='done'").fetchone()[0]
    count, newest = store.db.execute("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM decisions").fetchone()
    return run, count, newest


class BuiltCases:
    def __init__(self, limit: int = MAX_CACHED_CASES) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._version: tuple[int, int, int] | None = None
        self._cases: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._order: tuple[tuple[str, str], ...] = ()  # the run's cases, in the store's order
        self._complete = False  # every case of the run is still kept

    def all(self, store) -> list[Any]:
        """Every case of the last import."""
        version = store_version(store)
        with self._lock:
            if version == self._version and self._complete:
                return [self._cases[k] for k in self._order]
        return self._build(store, version)

    def case(self, store, row) -> Any:
        """The case of a ``cases`` row (shop, buyer) in the last import."""
        version = store_version(store)
        key = (row["shop"], row["buyer"])
        with self._lock:
            if version == self._version and key in self._cases:
                self._cases.move_to_end(key)
                return self._cases[key]
            known = version == self._version and self._complete
        if not known:
            for case in self._build(store, version):
                if _key(case) == key:
                    return case
        raise EvidenceError(f"案件 {row['buyer']} 不在最近一次导入中，请重新导入")

    def _build(self, store, version: tuple[int, int, int]) -> list[Any]:
        cases = store.cases_objects()
        with self._lock:
            if version != self._version:
                self._cases.clear()
            self._version = version
            self._order = tuple(_key(c) for c in cases)
            for case in cases:
                self._cases[_key(case)] = case
                self._cases.move_to_end(_key(case))
            while len(self._cases) > self.limit:
                self._cases.popitem(last=False)
            self._complete = len(cases) <= self.limit
        return cases


def _key(case: Any) -> tuple[str, str]:
    return (case.shop or "", case.buyer)
