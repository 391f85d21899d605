"""The real-dialogue corpus (corpora/real): stand-off gold in the repository, texts not.

Its layout: ``gold/<part>/*.jsonl`` (or ``gold/<part>.jsonl``) holds one record per
labelled turn, naming the source repository and commit; ``rebuild.py`` reads the texts
back from local snapshots and renders ``build/<part>/`` (exports, ``gold.jsonl``,
``eval.json``), which is never committed. ``evidence eval corpora/real`` (or
``corpora/real/<part>``, or ``--real``) scores the built parts, and when a part has not
been built, or was built from other gold than is there now, says how to build it rather
than scoring nothing or something stale.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .errors import UsageError
from .i18n import N_, said

DEFAULT_ROOT = Path("corpora") / "real"
SCOPE_FILE = "eval.json"  # written by rebuild.py beside gold.jsonl


def is_real_root(path: Path) -> bool:
    return (path / "rebuild.py").is_file() and (path / "gold").is_dir()


def _part_files(gold: Path, part: str) -> list[Path]:
    folder, single = gold / part, gold / f"{part}.jsonl"
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    return files + ([single] if single.is_file() else [])


def _digest(files: list[Path]) -> str:
    # The same digest rebuild.py records (gold_digest there); kept in step by a test.
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def _sources(files: list[Path]) -> list[str]:
    found = set()
    for file in files:
        for line in file.read_text(encoding="utf-8").splitlines():
            try:
                found.add(str(json.loads(line)["source"]))
            except (ValueError, KeyError, TypeError):
                continue  # rebuild.py reports bad records with their line; here only the names matter
    return sorted(found)


def _how_to_build(root: Path, part: str, files: list[Path], why: str) -> UsageError:
    fetches = "; ".join(f"github:{s.split('@')[0]} (commit {s.partition('@')[2][:12]})" for s in _sources(files))
    return UsageError(N_(
        "{part}: {why}. Its dialogue texts are not in the repository (their licences forbid "
        "redistribution). Get a git snapshot of each source into one folder as OWNER+REPO/repo "
        "({fetches}), e.g. with the workplace's fetch tool into "
        "/work/.mirror, then run `python {rebuild} --mirror DIR` and eval again"), part=root / part, why=said(why),
        fetches=fetches or said(N_("see corpora/real/README.md")), rebuild=root / "rebuild.py")


def resolve(corpus: Path) -> list[Path] | None:
    """The built split folders for a real-corpus path, None if the path is not one. Raises
    UsageError (with the steps) for a part that is not built or whose build is stale."""
    if is_real_root(corpus):
        root, wanted = corpus, None
    elif is_real_root(corpus.parent) and corpus.name not in ("gold", "build"):
        root, wanted = corpus.parent, corpus.name
    else:
        return None
    gold = root / "gold"
    names = sorted({p.name for p in gold.iterdir() if p.is_dir()} | {p.stem for p in gold.glob("*.jsonl")})
    names = [n for n in names if _part_files(gold, n)]
    if wanted is not None and wanted not in names:
        raise UsageError(N_("{corpus}: no such part; the real corpus has {names}"), corpus=corpus,
                         names=", ".join(names) or said(N_("no labelled part yet")))
    if not names:
        raise UsageError(N_("{root}: no labelled part yet (gold/<part>/*.jsonl); nothing to evaluate"), root=root)
    splits = []
    for part in [wanted] if wanted else names:
        files, build = _part_files(gold, part), root / "build" / part
        if not (build / "gold.jsonl").is_file() or not (build / SCOPE_FILE).is_file():
            raise _how_to_build(root, part, files, N_("not built yet"))
        try:
            recorded = json.loads((build / SCOPE_FILE).read_text(encoding="utf-8")).get("gold_digest")
        except (ValueError, AttributeError):
            recorded = None
        if recorded != _digest(files):
            raise _how_to_build(root, part, files, N_("built from other gold than gold/ holds now"))
        splits.append(build)
    return splits


def scope(split: Path) -> frozenset[str] | None:
    """The labels a split scores (a real part: the linguistic ones), None for all."""
    path = split / SCOPE_FILE
    if not path.is_file():
        return None
    try:
        labels = json.loads(path.read_text(encoding="utf-8"))["scored_labels"]
        return frozenset(str(label) for label in labels)
    except (ValueError, KeyError, TypeError):
        raise UsageError(N_("{path}: not a scope file (needs \"scored_labels\"); rebuild the part"), path=path) from None
