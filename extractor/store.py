"""The case store: runs, inputs by SHA-256, cases, events, tags and review decisions in
one SQLite file, for the web app and for a shop that keeps its disputes over time.

- Inputs are copied into ``<db>.files/<sha256[:2]>/<sha256>`` and read from there: a
  file is known by its bytes' hash, never by the name a client gave it (the name is kept
  as data, shown escaped).
- An import is two steps: its inputs and a ``running`` run row first, then every case of
  the run in ONE transaction.  A crash (or kill) in between leaves the cases as the last
  finished import left them, and the run marked ``running`` (shown as interrupted); a
  failure is recorded as ``failed`` with its error.
- Review decisions live in the store, with who and when; every import applies all of
  them (``extractor.review``), so they survive a re-import of the same files.
- The schema is versioned (``PRAGMA user_version``) and migrated forward on open; WAL
  journaling lets the web app read while an import writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from . import __version__
from .errors import EvidenceError, UsageError
from .i18n import N_
from .model import tag_to_dict
from .review import Decision, decision_from_dict, event_key, write_decisions

BEIJING = ZoneInfo("Asia/Shanghai")

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, version TEXT NOT NULL,
        config TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
        error TEXT);
    CREATE TABLE inputs (
        sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, stored TEXT NOT NULL, first_seen TEXT NOT NULL);
    CREATE TABLE run_inputs (
        run_id INTEGER NOT NULL REFERENCES runs(id), sha256 TEXT NOT NULL REFERENCES inputs(sha256),
        name TEXT NOT NULL, format TEXT, events INTEGER, warnings INTEGER, error TEXT,
        PRIMARY KEY (run_id, sha256, name));
    CREATE TABLE cases (
        id INTEGER PRIMARY KEY, shop TEXT NOT NULL, buyer TEXT NOT NULL, run_id INTEGER NOT NULL REFERENCES runs(id),
        risk TEXT NOT NULL, claims TEXT NOT NULL, first_time TEXT, last_time TEXT, updated_at TEXT NOT NULL,
        report TEXT NOT NULL, UNIQUE (shop, buyer));
    CREATE TABLE events (
        case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE, key TEXT NOT NULL, eid TEXT NOT NULL,
        time TEXT NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL, sender TEXT, text TEXT NOT NULL,
        PRIMARY KEY (case_id, key));
    CREATE TABLE tags (
        case_id INTEGER NOT NULL, key TEXT NOT NULL, label TEXT NOT NULL, reason TEXT, reviewed TEXT, score REAL,
        data TEXT NOT NULL, FOREIGN KEY (case_id, key) REFERENCES events(case_id, key) ON DELETE CASCADE);
    CREATE INDEX tags_by_label ON tags(label);
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY, event TEXT NOT NULL, action TEXT NOT NULL, label TEXT NOT NULL, reason TEXT,
        who TEXT NOT NULL, at TEXT NOT NULL, note TEXT NOT NULL);
    CREATE INDEX decisions_by_event ON decisions(event);
    """,
    # 2: repeat offenders by more than the nick: each case's buyer nick, its orders'
    # phones (联系手机/联系电话) and addresses (收货地址), normalized as the run's order
    # patterns compare them (extractor.patterns).  The cases already stored get their
    # nick; their phones and addresses come with their next import.
    """
    CREATE TABLE case_keys (
        case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('nick', 'phone', 'address')),
        value TEXT NOT NULL, masked INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (case_id, kind, value));
    CREATE INDEX case_keys_by_value ON case_keys(kind, value);
    INSERT INTO case_keys (case_id, kind, value, masked) SELECT id, 'nick', buyer, 0 FROM cases;
    """,
    # 3: tags by case.  Deleting a case's events cascades to its tags, and the case list
    # counts a page's reviewed tags: without it each was a scan of every tag in the store
    # (per deleted event, for the cascade), which at 10,000 cases is minutes an import.
    """
    CREATE INDEX tags_by_case ON tags(case_id, key);
    """,
)


class StoreError(EvidenceError):
    code = "E404"
    exit_code = 2


@dataclass(frozen=True)
class RepeatCase:
    case_id: int
    shop: str
    buyer: str
    run_id: int


@dataclass(frozen=True)
class RepeatGroup:
    """Cases sharing one key: a buyer nick, a phone or an address (``shown``: masked,
    138****5678, for the web list; ``masked``: the export itself had masked it, so
    only the mask is known to match)."""

    kind: str  # "nick", "phone" or "address"
    value: str
    shown: str
    masked: bool
    cases: tuple[RepeatCase, ...]

    @property
    def shops(self) -> int:
        return len({c.shop for c in self.cases})

    @property
    def runs(self) -> int:
        return len({c.run_id for c in self.cases})


def case_keys(case: Any) -> list[tuple[str, str, bool]]:
    """(kind, value, masked) of one case: its nick, and its orders' phones and addresses."""
    from .patterns import address_key, phone_key

    keys: dict[tuple[str, str], bool] = {("nick", case.buyer): False}
    for ce in case.events:
        o = ce.event.order
        if o is None:
            continue
        for kind, found in (("phone", phone_key(o.phone)), ("phone", phone_key(o.tel)),
                            ("address", address_key(o.address))):
            if found:
                keys[(kind, found[0])] = found[1]
    return [(kind, value, masked) for (kind, value), masked in keys.items()]


@dataclass(frozen=True)
class ImportResult:
    run_id: int
    cases: int
    files: int
    failed_files: int


def _now() -> str:
    return datetime.now(BEIJING).replace(microsecond=0).isoformat()


class CaseStore:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.files_dir = self.path.with_name(self.path.name + ".files")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA busy_timeout=5000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(N_("{path}: not a case store ({problem}); give --db a new file or an evidence store"),
                             path=self.path, problem=exc) from None

    def close(self) -> None:
        self.db.close()

    # -- schema ---------------------------------------------------------------------
    @property
    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        current = self.version
        if current > len(MIGRATIONS):
            raise StoreError(N_("{path}: made by a newer evidence (schema {schema}, this one knows "
                                "{known}); upgrade evidence"), path=self.path, schema=current, known=len(MIGRATIONS))
        for number in range(current, len(MIGRATIONS)):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(MIGRATIONS[number]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    # -- inputs -----------------------------------------------------------------------
    def keep_file(self, path: str | os.PathLike[str]) -> tuple[str, Path]:
        """Copy a file into the store by its SHA-256 (once); returns (sha256, stored path)."""
        source = Path(path)
        h = hashlib.sha256()
        with source.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        sha = h.hexdigest()
        target = self.files_dir / sha[:2] / sha
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".in-")
            os.close(fd)
            try:
                shutil.copyfile(source, tmp)
                os.replace(tmp, target)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        self.db.execute("INSERT OR IGNORE INTO inputs (sha256, size, stored, first_seen) VALUES (?, ?, ?, ?)",
                        (sha, target.stat().st_size, str(target.relative_to(self.files_dir)), _now()))
        return sha, target

    # -- decisions --------------------------------------------------------------------
    def add_decision(self, decision: Decision) -> None:
        d = decision if decision.at else replace(decision, at=_now())
        self.db.execute("INSERT INTO decisions (event, action, label, reason, who, at, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (d.event, d.action, d.label, d.reason, d.who, d.at, d.note))

    def decisions(self) -> list[Decision]:
        rows = self.db.execute("SELECT event, action, label, reason, who, at, note FROM decisions ORDER BY id")
        return [Decision(r["event"], r["action"], r["label"], r["reason"], r["who"], r["at"], r["note"]) for r in rows]

    def export_decisions(self) -> str:
        return write_decisions(self.decisions())

    def import_decisions(self, text: str, where: str = "decisions") -> int:
        parsed = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise UsageError(N_("{path}:{line}: not JSON ({problem})"), path=where, line=number,
                                     problem=exc.msg) from None
                parsed.append(decision_from_dict(data, f"{where}:{number}"))
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for d in parsed:
                self.add_decision(d)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return len(parsed)

    # -- runs -------------------------------------------------------------------------
    def import_paths(self, paths: Sequence[str | os.PathLike[str]], config: Any = None,
                     names: dict[str, str] | None = None) -> ImportResult:
        """Keep the inputs, run every stage, and replace the run's cases in one transaction.
        ``names``: a display name per given path (an upload's own name)."""
        from .render.json import case_to_dict
        from .stages import RunConfig
        from .timeline import walk

        config = config or RunConfig()
        files = walk([str(p) for p in paths])
        cur = self.db.execute("INSERT INTO runs (started_at, version, config, status) VALUES (?, ?, ?, 'running')",
                              (_now(), __version__, json.dumps({"ship_within_hours": config.ship_within_hours,
                                                                "tz": str(config.parse.tz)})))
        run_id = cur.lastrowid
        try:
            stored = {}
            for f in files:
                sha, target = self.keep_file(f)
                stored[str(target)] = (sha, (names or {}).get(f, Path(f).name))
            cases, reports = self._cases_of(list(stored), config)
            self._write_run(run_id, cases, reports, stored, case_to_dict)
        except BaseException as exc:
            self.db.execute("UPDATE runs SET status='failed', finished_at=?, error=? WHERE id=?",
                            (_now(), f"{type(exc).__name__}: {exc}", run_id))
            raise
        failed = sum(1 for r in reports if not r.ok)
        return ImportResult(run_id, len(cases), len(reports), failed)

    def _cases_of(self, paths: Sequence[str], config: Any) -> tuple[list[Any], tuple[Any, ...]]:
        """Every stage over ``paths`` with the store's decisions applied: the cases and
        the file reports."""
        from .stages import case_patterns, case_reports, held_case_events, join_aside, make_case, read_files

        config = replace(config, review_file=self._decisions_file())
        try:
            reads = read_files(paths, config)
            assembly = join_aside(reads, config.parse.shop)
            patterns = case_patterns(assembly)
            cases = [make_case(key, held_case_events(reads, assembly, key), case_reports(assembly, key), config,
                               patterns.get(key, ()))
                     for key in assembly.keys]
            return cases, assembly.reports
        finally:
            os.unlink(config.review_file)

    def _decisions_file(self) -> str:
        fd, path = tempfile.mkstemp(suffix=".jsonl", prefix=".decisions-", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(self.export_decisions())
        return path

    def _write_run(self, run_id: int, cases: Iterable[Any], reports: Iterable[Any], stored: dict, to_dict) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            for r in reports:
                sha, name = stored.get(r.file, (r.sha256, Path(r.file).name))
                db.execute("INSERT OR REPLACE INTO run_inputs (run_id, sha256, name, format, events, warnings, error) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (run_id, sha or "", name, r.format, r.events, len(r.warnings), r.error and str(r.error)))
            for case in cases:
                self._write_case(run_id, case, to_dict(case, False))
            db.execute("UPDATE runs SET status='done', finished_at=? WHERE id=?", (_now(), run_id))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _write_case(self, run_id: int, case: Any, data: dict) -> None:
        db = self.db
        claims = sorted({c.label for c in case.claims})
        times = [ce.event.time for ce in case.events]
        row = db.execute("SELECT id FROM cases WHERE shop=? AND buyer=?", (case.shop or "", case.buyer)).fetchone()
        values = (run_id, case.risk, json.dumps(claims), min(times).isoformat() if times else None,
                  max(times).isoformat() if times else None, _now(), json.dumps(data, ensure_ascii=False))
        if row is None:
            case_id = db.execute("INSERT INTO cases (shop, buyer, run_id, risk, claims, first_time, last_time, updated_at, "
                                 "report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (case.shop or "", case.buyer, *values)).lastrowid
        else:
            case_id = row["id"]
            db.execute("UPDATE cases SET run_id=?, risk=?, claims=?, first_time=?, last_time=?, updated_at=?, report=? "
                       "WHERE id=?", (*values, case_id))
            db.execute("DELETE FROM events WHERE case_id=?", (case_id,))
            db.execute("DELETE FROM case_keys WHERE case_id=?", (case_id,))
        db.executemany("INSERT OR IGNORE INTO case_keys (case_id, kind, value, masked) VALUES (?, ?, ?, ?)",
                       [(case_id, kind, value, int(masked)) for kind, value, masked in case_keys(case)])
        for ce in case.events:
            e = ce.event
            key = event_key(e)
            db.execute("INSERT OR IGNORE INTO events (case_id, key, eid, time, role, kind, sender, text) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (case_id, key, ce.id, e.time.isoformat(), e.role, e.kind, e.sender, e.text))
            for t in e.tags:
                db.execute("INSERT INTO tags (case_id, key, label, reason, reviewed, score, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (case_id, key, t.label, t.reason, t.reviewed, t.score,
                            json.dumps(tag_to_dict(t), ensure_ascii=False)))

    def latest_inputs(self) -> tuple[list[str], dict[str, str]]:
        """The stored files of the last finished import and their display names."""
        row = self.db.execute("SELECT id FROM runs WHERE status='done' ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return [], {}
        paths, names = [], {}
        for r in self.db.execute("SELECT i.stored, ri.name FROM run_inputs ri JOIN inputs i USING (sha256) "
                                 "WHERE ri.run_id=? ORDER BY ri.rowid", (row["id"],)):
            path = str(self.files_dir / r["stored"])
            if path not in names:
                paths.append(path)
                names[path] = r["name"]
        return paths, names

    def reimport(self, config: Any = None) -> ImportResult | None:
        """The last import again, with the decisions as they are now."""
        paths, names = self.latest_inputs()
        return self.import_paths(paths, config, names) if paths else None

    def cases_objects(self, config: Any = None) -> list[Any]:
        """The cases of the last import as :class:`~extractor.cases.Case` objects (for the
        PDF and the upload pack), rebuilt from the stored inputs with the decisions."""
        from .stages import RunConfig

        paths, _ = self.latest_inputs()
        return self._cases_of(paths, config or RunConfig())[0] if paths else []

    def case_row(self, case_id: int) -> sqlite3.Row:
        row = self.db.execute("SELECT * FROM cases WHERE id=?", (case_id,)).fetchone()
        if row is None:
            raise UsageError(N_("no case {case} in {path}"), case=case_id, path=self.path)
        return row

    def reviewed_count(self, case_id: int) -> int:
        return self.db.execute("SELECT COUNT(*) FROM tags WHERE case_id=? AND reviewed IS NOT NULL",
                               (case_id,)).fetchone()[0]

    def reviewed_counts(self, case_ids: Sequence[int]) -> dict[int, int]:
        """Reviewed tags per case, for the cases of one page of the list (by the
        tags_by_case index: the list never counts over every case's tags)."""
        out = dict.fromkeys(case_ids, 0)
        ids = list(out)
        for start in range(0, len(ids), 500):  # SQLite's bound on parameters is far above
            chunk = ids[start:start + 500]
            for r in self.db.execute(f"SELECT case_id, COUNT(*) AS n FROM tags WHERE case_id IN "
                                     f"({','.join('?' * len(chunk))}) AND reviewed IS NOT NULL GROUP BY case_id", chunk):
                out[r["case_id"]] = r["n"]
        return out

    def reviewed_cases(self) -> set[int]:
        """The cases with a reviewed tag (one pass over the tags, for the list's filter)."""
        return {r[0] for r in self.db.execute("SELECT DISTINCT case_id FROM tags WHERE reviewed IS NOT NULL")}

    def shops(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT shop FROM cases ORDER BY shop")]

    def recent_runs(self, n: int) -> list[sqlite3.Row]:
        """The last ``n`` runs, oldest first (a store gets a run per review decision)."""
        return self.db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (n,)).fetchall()[::-1]

    def decisions_on(self, keys: Iterable[str]) -> list[Decision]:
        """The decisions on these events (a case page's), in order, by decisions_by_event."""
        keys = list(dict.fromkeys(keys))
        rows = []
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            rows += self.db.execute(f"SELECT id, event, action, label, reason, who, at, note FROM decisions WHERE event "
                                    f"IN ({','.join('?' * len(chunk))})", chunk).fetchall()
        return [Decision(r["event"], r["action"], r["label"], r["reason"], r["who"], r["at"], r["note"])
                for r in sorted(rows, key=lambda r: r["id"])]

    # -- reading ------------------------------------------------------------------------
    def runs(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM runs ORDER BY id").fetchall()

    def cases(self, shop: str | None = None, claim: str | None = None, order: str = "last_time") -> list[sqlite3.Row]:
        if order not in ("last_time", "first_time", "buyer", "shop", "risk", "updated_at"):
            raise UsageError(N_("cannot sort cases by {order!r}"), order=order)
        sql, args = "SELECT id, shop, buyer, risk, claims, first_time, last_time, updated_at FROM cases WHERE 1=1", []
        if shop is not None:
            sql += " AND shop = ?"
            args.append(shop)
        if claim is not None:
            sql += " AND EXISTS (SELECT 1 FROM json_each(cases.claims) WHERE value = ?)"
            args.append(claim)
        direction = "DESC" if order in ("last_time", "updated_at") else "ASC"  # the latest first
        return self.db.execute(sql + f" ORDER BY {order} {direction}, id", args).fetchall()

    def case_report(self, case_id: int) -> dict:
        row = self.db.execute("SELECT report FROM cases WHERE id=?", (case_id,)).fetchone()
        if row is None:
            raise UsageError(N_("no case {case} in {path}"), case=case_id, path=self.path)
        return json.loads(row["report"])

    def repeat_buyers(self) -> list[sqlite3.Row]:
        """Buyer nicks with cases in more than one shop."""
        return self.db.execute("SELECT buyer, COUNT(*) AS shops, GROUP_CONCAT(shop, '、') AS shop_names FROM cases "
                               "GROUP BY buyer HAVING COUNT(*) > 1 ORDER BY shops DESC, buyer").fetchall()

    def repeat_offenders(self) -> list[RepeatGroup]:
        """The same nick, phone or address in more than one case, across shops and runs:
        the most cases first."""
        from .patterns import mask_key

        groups: dict[tuple[str, str], list[Any]] = {}
        rows = self.db.execute(
            "SELECT k.kind, k.value, k.masked, c.id, c.shop, c.buyer, c.run_id FROM case_keys k "
            "JOIN cases c ON c.id = k.case_id WHERE (k.kind, k.value) IN (SELECT kind, value FROM case_keys "
            "GROUP BY kind, value HAVING COUNT(*) > 1) ORDER BY k.kind, k.value, c.shop, c.buyer, c.id")
        for r in rows:
            groups.setdefault((r["kind"], r["value"]), []).append(r)
        out = [RepeatGroup(kind, value, mask_key(kind, value), bool(rs[0]["masked"]),
                           tuple(RepeatCase(r["id"], r["shop"], r["buyer"], r["run_id"]) for r in rs))
               for (kind, value), rs in groups.items()]
        order = {"nick": 0, "phone": 1, "address": 2}
        return sorted(out, key=lambda g: (-len(g.cases), order[g.kind], g.value))

    def case_repeats(self, case_id: int) -> list[RepeatGroup]:
        """The groups of :meth:`repeat_offenders` one case is in, the other cases only."""
        out = []
        for g in self.repeat_offenders():
            if any(c.case_id == case_id for c in g.cases):
                out.append(replace(g, cases=tuple(c for c in g.cases if c.case_id != case_id)))
        return out


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
