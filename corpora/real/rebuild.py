"""Rebuild the real-dialogue parts from local snapshots of their source repositories.

The repository holds no dialogue text (the sources' licences do not allow it): only
stand-off gold, one JSON object per labelled turn, in ``corpora/real/gold/<part>/*.jsonl``
(or ``gold/<part>.jsonl``)::

    {"source": "owner/repo@commit", "path": "data/x.json", "dialogue": "<key>", "turn": 3,
     "speaker": "buyer", "sha": "1a2b3c4d", "labels": [{"label": "threat"}]}

This script reads each turn's text back from a local snapshot (a git directory under
``--mirror``, default /work/.mirror, laid out ``owner+repo/repo``), checks it against the
record's ``sha`` (the first 8 hex digits of the SHA-256 of the turn's UTF-8 text, so a
different snapshot is caught rather than scored), and renders every part into
``corpora/real/build/<part>/``: one chat-sheet CSV per dialogue (the format
extractor/sources/chat_sheet.py reads), ``gold.jsonl`` keyed by (file, row) as
``evidence eval`` expects, and ``eval.json`` naming the labels that part scores.

Times in the rendered sheets are synthetic (START plus one minute per source turn index):
the sources carry none we may use, so structural labels (seller_contact, seller_initiated,
buyer_silence) are not scored on these parts; only the linguistic ones are.

Usage:  python corpora/real/rebuild.py [--mirror DIR] [--part NAME ...] [--gold DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_MIRROR = Path("/work/.mirror")
BEIJING = timezone(timedelta(hours=8))
# Synthetic: a Tuesday, so that 周五前 and 明天 resolve without a week boundary surprise.
START = datetime(2024, 3, 5, 10, 0, 0, tzinfo=BEIJING)
SHOP_ACCOUNT = "店铺:客服"
SHEET_HEADER = ("客户名", "消息序号", "发送时间", "发送内容", "发送账号", "账号类型")
SCORED_LABELS = ("shipping_promise", "shipped", "return_claim", "delay_claim", "compensation_demand", "threat")
SELLER_LABELS = {"shipping_promise", "shipped"}
REASONS = {
    "return_claim": {"ineffective", "allergy", "quality", "damaged", "wrong_item", "missing_item",
                     "not_as_described", "no_reason"},
    "delay_claim": {"out_of_stock", "late_shipment", "fake_shipment"},
}
# No free-text field: a note could quote the dialogue, and no text may be committed.
RECORD_KEYS = {"source", "path", "dialogue", "turn", "speaker", "sha", "labels", "decoy"}
# A zipped member larger than this is refused: the snapshots are public data, not trusted.
MAX_MEMBER_BYTES = 64 * 1024 * 1024
ZIP_SEP = "!/"  # "data.zip!/data/train.json": a member inside a zip file of the repository


class RebuildError(Exception):
    """A problem the user must fix (a missing snapshot, a changed text, a bad record)."""


@dataclass(frozen=True)
class Turn:
    index: int
    speaker: str  # buyer | seller
    text: str


@dataclass(frozen=True)
class Reader:
    short: str  # file-name prefix and nick prefix in the rendered sheets
    parse: object  # bytes -> {dialogue key: [Turn, ...]}


def turn_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


# ---------------------------------------------------------------------------
# Sources: how each repository's files hold dialogues


def _stc3(data: bytes) -> dict[str, list[Turn]]:
    """NTCIR STC-3 customer-helpdesk dialogues: turns of one or more utterances each; one
    utterance is one chat message here (index counted over the dialogue's utterances,
    empty ones included: they were emoji or pictures the crawl left out)."""
    roles = {"customer": "buyer", "helpdesk": "seller"}
    out: dict[str, list[Turn]] = {}
    for dialogue in json.loads(data.decode("utf-8")):
        turns, index = [], 0
        for turn in dialogue["turns"]:
            for utterance in turn["utterances"]:
                turns.append(Turn(index, roles[turn["sender"]], str(utterance)))
                index += 1
        out[str(dialogue["id"])] = turns
    return out


def _u_need(data: bytes) -> dict[str, list[Turn]]:
    """U-NEED pre-sales dialogues (Taobao): one message per entry, sender 用户 or 客服."""
    roles = {"用户": "buyer", "客服": "seller"}
    return {str(d["sid"]): [Turn(i, roles[m["sender_type"]], str(m["send_content"]))
                            for i, m in enumerate(d["dialogue"])]
            for d in json.loads(data.decode("utf-8"))}


def _u_need_examples(data: bytes) -> dict[str, list[Turn]]:
    """The U-NEED repository's examples.md: one dialogue per category, each a fenced
    ```json block of the same shape as the LLM-CRS sample files (a Markdown file, so every
    block is parsed on its own and a block that is not a dialogue is refused)."""
    blocks = re.findall(r"^```json[ \t]*\n(.*?)^```", data.decode("utf-8"), re.S | re.M)
    if not blocks:
        raise ValueError("no ```json block")
    return _u_need(("[" + ",".join(blocks) + "]").encode("utf-8"))


READERS = {
    "SB233/stc3-dataset": Reader("stc3", _stc3),
    "LeeeeoLiu/LLM-CRS": Reader("uneed", _u_need),
    "LeeeeoLiu/U-NEED": Reader("uneedex", _u_need_examples),
}


def split_source(source: str) -> tuple[str, str]:
    repo, _, commit = source.partition("@")
    if repo not in READERS or not re.fullmatch(r"[0-9a-f]{7,40}", commit):
        raise RebuildError(f"unknown source {source!r}; known: {', '.join(sorted(READERS))} (as owner/repo@commit)")
    return repo, commit


def git_dir(mirror: Path, repo: str) -> Path:
    base = mirror / repo.replace("/", "+")
    for candidate in (base / "repo" / ".git", base / "repo", base / ".git", base):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    raise RebuildError(f"no snapshot of {repo} under {mirror} (looked for {base}/repo): fetch github:{repo} "
                       f"into {mirror}, or give --mirror DIR")


def _git(gitdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", f"--git-dir={gitdir}", *args], capture_output=True, check=False)


def read_file(mirror: Path, source: str, path: str) -> bytes:
    """The bytes of ``path`` (or of a zip member, ``a.zip!/b.json``) at the recorded commit;
    the snapshot's HEAD when it lacks that commit (the turn checksums then decide)."""
    repo, commit = split_source(source)
    gitdir = git_dir(mirror, repo)
    outer, _, member = path.partition(ZIP_SEP)
    rev = commit if _git(gitdir, "cat-file", "-e", f"{commit}^{{commit}}").returncode == 0 else "HEAD"
    shown = _git(gitdir, "cat-file", "blob", f"{rev}:{outer}")
    if shown.returncode != 0:
        raise RebuildError(f"{source}: {outer} is not in the snapshot at {rev} ({gitdir})")
    if not member:
        return shown.stdout
    try:
        with zipfile.ZipFile(io.BytesIO(shown.stdout)) as archive:
            info = archive.getinfo(member)
            if info.file_size > MAX_MEMBER_BYTES:
                raise RebuildError(f"{source}: {path} declares {info.file_size} bytes; over the limit")
            return archive.read(info)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise RebuildError(f"{source}: {path}: cannot read the zip member ({exc})") from None


class Snapshots:
    """Parsed source files, each read once."""

    def __init__(self, mirror: Path) -> None:
        self.mirror, self._cache = mirror, {}

    def dialogues(self, source: str, path: str) -> dict[str, list[Turn]]:
        if (source, path) not in self._cache:
            repo, _ = split_source(source)
            data = read_file(self.mirror, source, path)
            try:
                self._cache[source, path] = READERS[repo].parse(data)
            except (ValueError, KeyError, TypeError) as exc:
                raise RebuildError(f"{source}: {path}: not in the expected format ({exc!r})") from None
        return self._cache[source, path]


# ---------------------------------------------------------------------------
# Gold


@dataclass(frozen=True)
class Record:
    where: str  # gold file:line, for messages
    source: str
    path: str
    dialogue: str
    turn: int
    speaker: str
    sha: str
    labels: tuple


def _check_label(item: object, speaker: str) -> str | None:
    if not isinstance(item, dict) or not isinstance(item.get("label"), str):
        return "a label is an object with a \"label\""
    label = item["label"]
    if label not in SCORED_LABELS:
        return f"label {label!r} is not scored on real parts (only {', '.join(SCORED_LABELS)})"
    if (label in SELLER_LABELS) != (speaker == "seller"):
        return f"{label} does not go on a {speaker} turn"
    extra = set(item) - {"label", {"return_claim": "reason", "delay_claim": "reason",
                                   "shipping_promise": "deadline", "shipped": "tracking"}.get(label, "label")}
    if extra:
        return f"{label}: unexpected {', '.join(sorted(extra))}"
    if label in REASONS and item.get("reason") not in REASONS[label]:
        return f"{label} needs a reason among {', '.join(sorted(REASONS[label]))}"
    if label == "shipping_promise":
        if "deadline" not in item:
            return "shipping_promise needs a deadline (ISO time with +08:00, or null)"
        deadline = item["deadline"]
        if deadline is not None:
            try:
                if datetime.fromisoformat(str(deadline)).tzinfo is None:
                    return "a deadline carries its offset (+08:00)"
            except ValueError:
                return f"deadline {deadline!r} is not an ISO time or null"
    if label == "shipped" and not (item.get("tracking") is None or isinstance(item.get("tracking"), str)):
        return "tracking is a string or null"
    return None


def read_gold(files: list[Path]) -> list[Record]:
    records, problems = [], []
    for file in files:
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{file}:{number}"
            try:
                raw = json.loads(line)
                if not isinstance(raw, dict) or set(raw) - RECORD_KEYS:
                    raise ValueError(f"unexpected keys {sorted(set(raw) - RECORD_KEYS)}" if isinstance(raw, dict)
                                     else "not an object")
                record = Record(where, str(raw["source"]), str(raw["path"]), str(raw["dialogue"]),
                                int(raw["turn"]), str(raw["speaker"]), str(raw["sha"]), tuple(raw["labels"]))
            except (ValueError, KeyError, TypeError) as exc:
                problems.append(f"{where}: not a gold record ({exc})")
                continue
            issue = (f"speaker {record.speaker!r} is neither buyer nor seller"
                     if record.speaker not in ("buyer", "seller") else
                     f"decoy {raw['decoy']!r} is not a kind name (lower-case letters and _)"
                     if "decoy" in raw and not re.fullmatch(r"[a-z_]{1,32}", str(raw["decoy"])) else
                     f"sha {record.sha!r} is not 8 hex digits" if not re.fullmatch(r"[0-9a-f]{8}", record.sha) else
                     next(filter(None, (_check_label(i, record.speaker) for i in record.labels)), None))
            if issue:
                problems.append(f"{where}: {issue}")
            records.append(record)
    if problems:
        raise RebuildError("\n".join(problems))
    return records


def part_files(gold_root: Path, part: str) -> list[Path]:
    folder, single = gold_root / part, gold_root / f"{part}.jsonl"
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    return files + ([single] if single.is_file() else [])


def parts(gold_root: Path) -> list[str]:
    names = {p.name for p in gold_root.iterdir() if p.is_dir()} | {p.stem for p in gold_root.glob("*.jsonl")}
    return sorted(n for n in names if part_files(gold_root, n))


def gold_digest(files: list[Path]) -> str:
    """What eval compares to tell a build made from older gold."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


# ---------------------------------------------------------------------------
# Rendering


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)[:80]


def render_part(records: list[Record], snapshots: Snapshots, out: Path, digest: str) -> dict[str, int]:
    dialogues: dict[tuple[str, str, str], dict[int, Record]] = {}
    problems = []
    for record in records:
        turns = dialogues.setdefault((record.source, record.path, record.dialogue), {})
        if record.turn in turns:
            problems.append(f"{record.where}: turn {record.turn} already labelled at {turns[record.turn].where}")
        turns[record.turn] = record
    files, counts = {}, {"dialogues": 0, "turns": 0, "labels": 0}
    for (source, path, key), labelled in sorted(dialogues.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        text_of = {t.index: t for t in snapshots.dialogues(source, path).get(key, [])}
        if not text_of:
            problems.append(f"{next(iter(labelled.values())).where}: dialogue {key!r} is not in {source} {path}")
            continue
        rows, gold = [], []
        short = READERS[split_source(source)[0]].short
        nick, name = f"{short}_{_safe(key)}", f"{short}-{_safe(key)}.csv"
        for index in sorted(labelled):
            record, turn = labelled[index], text_of.get(index)
            if turn is None or not turn.text.strip():
                problems.append(f"{record.where}: dialogue {key!r} has no turn {index} with text")
                continue
            if turn_sha(turn.text) != record.sha or turn.speaker != record.speaker:
                problems.append(f"{record.where}: turn {index} of {key!r} differs from the snapshot "
                                f"(sha {turn_sha(turn.text)} {turn.speaker}, gold has {record.sha} {record.speaker}); "
                                "a different snapshot, or a slip in the record")
                continue
            when = (START + timedelta(minutes=index)).strftime("%Y-%m-%d %H:%M:%S")
            sender = nick if turn.speaker == "buyer" else SHOP_ACCOUNT
            rows.append((nick, len(rows) + 1, when, turn.text, sender, "客户" if turn.speaker == "buyer" else "客服"))
            gold.append({"file": name, "row": len(rows) + 1, "labels": order_labels(record.labels)})
            counts["labels"] += len(record.labels)
        files[name] = (rows, gold)
    if problems:
        raise RebuildError("\n".join(problems))
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    all_gold = []
    for name, (rows, gold) in sorted(files.items()):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(SHEET_HEADER)
        writer.writerows(rows)
        (out / name).write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
        all_gold += gold
        counts["dialogues"] += 1
        counts["turns"] += len(rows)
    (out / "gold.jsonl").write_text("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in all_gold),
                                    encoding="utf-8")
    meta = {"scored_labels": list(SCORED_LABELS), "synthetic_times": START.isoformat(),
            "gold_digest": digest, "sources": sorted({r.source for r in records})}
    (out / "eval.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return counts


def order_labels(labels: tuple) -> list[dict]:
    return sorted((dict(item) for item in labels),
                  key=lambda item: (SCORED_LABELS.index(item["label"]), str(item.get("reason"))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirror", type=Path, default=DEFAULT_MIRROR, help="folder of snapshots (owner+repo/repo)")
    parser.add_argument("--gold", type=Path, default=HERE / "gold", help="stand-off gold folder")
    parser.add_argument("--out", type=Path, default=HERE / "build", help="where the parts are rendered")
    parser.add_argument("--part", action="append", help="rebuild only this part (repeatable)")
    args = parser.parse_args(argv)
    snapshots, failed = Snapshots(args.mirror), 0
    names = args.part or (parts(args.gold) if args.gold.is_dir() else [])
    if not names:
        print(f"error: no gold parts under {args.gold}", file=sys.stderr)
        return 1
    for part in names:
        files = part_files(args.gold, part)
        try:
            if not files:
                raise RebuildError(f"no gold for part {part!r} under {args.gold}")
            counts = render_part(read_gold(files), snapshots, args.out / part, gold_digest(files))
        except RebuildError as exc:
            failed += 1
            shutil.rmtree(args.out / part, ignore_errors=True)  # never leave a stale part to be scored
            print(f"error: part {part}: not built:\n  " + str(exc).replace("\n", "\n  "), file=sys.stderr)
            continue
        print(f"{part}: {counts['dialogues']} dialogues, {counts['turns']} turns, {counts['labels']} labels "
              f"-> {args.out / part}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
