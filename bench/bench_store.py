"""Case store benchmark: the web pages with many cases in the store, and import throughput.

    python bench/bench_store.py [--cases 10000] [--buyers 300] [--messages 30000] [--repeat 21]

1. Pages.  A store is filled with ``--cases`` cases: a generated batch of a few buyers is
   imported for real, then its cases (with their events, tags and report) are copied
   under other buyer nicks in SQL, and one decision is added per ten cases, as a shop that
   reviews keeps them.  Each page is requested ``--repeat`` times in process through
   Starlette's TestClient; the median is printed with its ratio to a trivial page (the
   import form) as the baseline.  Target: the case list and a case page ≤ 200 ms.
2. Import.  The same generated folder (bench/gen_batch.py, ``--buyers`` buyers and
   ``--messages`` messages, kept in bench/data/) is imported into a new store
   (:meth:`CaseStore.import_paths`, what the web app's import runs) and run through
   ``evidence batch`` writing each case's JSON (the store keeps the same JSON a case),
   with one worker and with every core.  The ratio of the store's time to batch's is
   printed (target: within 10% of one worker; the store reads and tags in one process).

Never run by `make test`; the figures go in the README with the machine they came from.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractor.store import CaseStore  # noqa: E402

TARGET_MS = 200.0


def generated(buyers: int, messages: int) -> Path:
    data = ROOT / "bench" / "data" / f"batch-{buyers}-{messages}"
    if not data.exists():
        tmp = data.with_name(data.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run([sys.executable, str(ROOT / "bench" / "gen_batch.py"), str(tmp),
                        "--buyers", str(buyers), "--messages", str(messages)], check=True)
        tmp.rename(data)
    return data


def fill(db: Path, seed: Path, cases: int) -> None:
    """Import ``seed`` for real, then copy its cases until the store holds ``cases``
    (the copies are written from rows read once: the bench must not depend on the
    queries it measures)."""
    store = CaseStore(db)
    store.import_paths([str(seed)])
    c = store.db
    templates = [dict(r) for r in c.execute("SELECT * FROM cases ORDER BY id")]
    events = {t["id"]: c.execute("SELECT key, eid, time, role, kind, sender, text FROM events WHERE case_id=?",
                                 (t["id"],)).fetchall() for t in templates}
    tags = {t["id"]: c.execute("SELECT key, label, reason, reviewed, score, data FROM tags WHERE case_id=?",
                               (t["id"],)).fetchall() for t in templates}
    have = len(templates)
    c.execute("BEGIN")
    for n in range(have, cases):
        t = templates[n % have]
        new = c.execute("INSERT INTO cases (shop, buyer, run_id, risk, claims, first_time, last_time, updated_at, report) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (t["shop"], f"{t['buyer']}-{n}", t["run_id"], t["risk"], t["claims"], t["first_time"],
                         t["last_time"], t["updated_at"], t["report"])).lastrowid
        c.executemany("INSERT INTO events (case_id, key, eid, time, role, kind, sender, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      [(new, *tuple(e)) for e in events[t["id"]]])
        c.executemany("INSERT INTO tags (case_id, key, label, reason, reviewed, score, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      [(new, *tuple(g)) for g in tags[t["id"]]])
    # One decision per ten cases: a shop that reviews keeps them all.
    keys = [g["key"] for ts in tags.values() for g in ts if g["label"] == "return_claim"] or ["0" * 20]
    c.executemany("INSERT INTO decisions (event, action, label, reason, who, at, note) VALUES (?, 'confirm', "
                  "'return_claim', NULL, '小雅', '2025-07-08T10:02:00+08:00', '')",
                  [(keys[n % len(keys)],) for n in range(cases // 10)])
    c.execute("COMMIT")
    total = c.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
    n_events = c.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    size = sum(len(t["report"]) for t in templates) / have
    store.close()
    print(f"store: {total} cases, {n_events} events ({have} imported, the rest copies; report JSON {size / 1024:.0f} KB "
          f"a case), {cases // 10} decisions")


def median_ms(client, path: str, repeat: int) -> float:
    client.get(path)  # warm: templates compiled, the first query planned
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (path, r.status_code)
    return statistics.median(times)


def pages(args) -> bool:
    from starlette.testclient import TestClient

    from extractor.web.app import create_app

    work = Path(tempfile.mkdtemp(prefix="bench-store-"))
    try:
        db = work / "cases.db"
        fill(db, generated(40, 1200), args.cases)
        client = TestClient(create_app(db, hosts=("testserver",)))
        store = CaseStore(db)
        middle = store.db.execute("SELECT id FROM cases ORDER BY id LIMIT 1 OFFSET ?", (args.cases // 2,)).fetchone()[0]
        store.close()
        base = median_ms(client, "/import", args.repeat)
        print(f"baseline  /import{'':<22} {base:8.1f} ms")
        ok = True
        for path, target in ((f"/cases/{middle}", True), ("/", True), ("/?claim=threat", True), ("/?sort=buyer&page=3", True),
                             ("/offenders", False)):
            ms = median_ms(client, path, args.repeat)
            mark = "" if not target else ("  ok" if ms <= TARGET_MS else f"  OVER {TARGET_MS:.0f} ms")
            ok &= ms <= TARGET_MS or not target
            print(f"page      {path:<30} {ms:8.1f} ms  {ms / base:6.1f}× baseline{mark}")
        return ok
    finally:
        shutil.rmtree(work, ignore_errors=True)


def imports(args) -> None:
    from extractor.batch import BatchOptions, run_batch
    from extractor.stages import RunConfig, tagger_for

    data = generated(args.buyers, args.messages)
    work = Path(tempfile.mkdtemp(prefix="bench-store-import-"))
    try:
        # batch first with every core: a fork inherits what the parent has loaded
        timings = {}
        for workers in (os.cpu_count() or 1, 1):
            if workers == 1:  # loaded before the in-process runs, so that neither pays for it
                tagger_for(RunConfig())
            t = time.perf_counter()
            run_batch(data, work / f"batch-{workers}", BatchOptions(RunConfig(outputs=("json",)), workers=workers))
            timings[workers] = time.perf_counter() - t
        store = CaseStore(work / "cases.db")
        t = time.perf_counter()
        result = store.import_paths([str(data)])
        t_store = time.perf_counter() - t
        events = store.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        store.close()
        print(f"import: {data.name}, {result.cases} cases, {events} events")
        print(f"store import      : {t_store:7.1f} s  {events / t_store:8.0f} events/s")
        for workers, tb in sorted(timings.items()):
            print(f"batch {workers} worker(s)  : {tb:7.1f} s  {events / tb:8.0f} events/s   "
                  f"store/batch = {t_store / tb:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--buyers", type=int, default=300)
    ap.add_argument("--messages", type=int, default=30_000)
    ap.add_argument("--repeat", type=int, default=21)
    ap.add_argument("--skip-import", action="store_true")
    ap.add_argument("--skip-pages", action="store_true")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    ok = args.skip_pages or pages(args)
    if not args.skip_import:
        imports(args)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
