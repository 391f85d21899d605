"""Choose the real dialogues to label, and write the labelling kit outside the repository.

The rule, fixed here so that the choice is reproducible (same snapshots, same seed, same
dialogues in the same batches):

1. Candidates: every dialogue of the SOURCES below with at least one buyer and one seller
   turn that has text.
2. Each candidate's buyer turns (never the seller's) are matched against the keyword GROUPS:
   after-sales, shipping, compensation. A dialogue in any group is taken. This biases the
   sample towards disputes, on purpose, and towards whatever else those words mean on the
   source's platform (投诉 about a phone bill, 物流 of a bank card): the decoys real text has.
3. A source file with fewer than SMALL_SOURCE candidates is taken whole (a sample file of
   a few dialogues: too few to bias anything, and the only way its wording gets measured).
4. Ordinary dialogues (no group keyword on the buyer side) are then added in seeded order
   until the selection holds at least TARGET_TURNS turns with text: the plain questions,
   policy questions and small talk a tagger must leave alone.
5. The selection is ordered by a seeded hash of its key and dealt round-robin into BATCHES
   batches; the first two thirds of the batches are part ``dev``, the rest ``heldout``.

Usage:
    python corpora/real/selection.py [--mirror DIR]            # writes corpora/real/selection.jsonl
    python corpora/real/selection.py [--mirror DIR] --kit DIR  # also DIR/batches/NN.txt, NN.skeleton.jsonl

selection.jsonl holds keys, counts and groups only, never text; the kit holds the text and
stays outside the repository.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rebuild  # noqa: E402  (the script's sibling: one reader of the snapshots)

HERE = rebuild.HERE
SEED = "evidence-real-2026-12"
TARGET_TURNS = 5600
SMALL_SOURCE = 50
BATCHES = 6
DEV_BATCHES = 4  # two thirds dev, one third held out
SOURCES = (
    ("SB233/stc3-dataset@90da527709dab26a4912a70746c09da06518d46b", "data.zip!/data/train_data_cn.json"),
    ("SB233/stc3-dataset@90da527709dab26a4912a70746c09da06518d46b", "data/test_data_cn.json"),
    ("LeeeeoLiu/LLM-CRS@006ee4683328e71bb6d99a7221ed550f830fb8f0",
     "UniMIND/available_resources/datasets/u_need/train_dialogue.json"),
    ("LeeeeoLiu/LLM-CRS@006ee4683328e71bb6d99a7221ed550f830fb8f0",
     "UniMIND/available_resources/datasets/u_need/valid_dialogue.json"),
    ("LeeeeoLiu/LLM-CRS@006ee4683328e71bb6d99a7221ed550f830fb8f0",
     "UniMIND/available_resources/datasets/u_need/test_dialogue.json"),
)
GROUPS = {
    "after_sales": ("退货", "换货", "退款", "退钱", "质量", "过敏", "无效", "没效果", "没用", "坏了", "破损",
                    "假货", "少发", "漏发", "发错", "售后", "维修", "不能用"),
    "shipping": ("催", "发货", "缺货", "没货", "延迟", "还没到", "没收到", "物流", "快递", "配送", "送货",
                 "派送", "到货", "单号"),
    "compensation": ("赔偿", "补偿", "赔付", "赔钱", "赔我", "退差价", "投诉", "12315", "差评", "工商",
                     "曝光", "举报"),
}


def order_key(source: str, path: str, dialogue: str) -> str:
    return hashlib.sha256(f"{SEED}\0{source}\0{path}\0{dialogue}".encode("utf-8")).hexdigest()


def candidates(snapshots: rebuild.Snapshots) -> list[dict]:
    found = []
    for source, path in SOURCES:
        for key, turns in snapshots.dialogues(source, path).items():
            spoken = [t for t in turns if t.text.strip()]
            if not {"buyer", "seller"} <= {t.speaker for t in spoken}:
                continue
            buyer_text = "\n".join(t.text for t in spoken if t.speaker == "buyer")
            groups = [g for g, words in GROUPS.items() if any(w in buyer_text for w in words)]
            found.append({"source": source, "path": path, "dialogue": key, "turns": len(spoken),
                          "groups": groups, "_order": order_key(source, path, key)})
    sizes: dict[tuple[str, str], int] = {}
    for c in found:
        sizes[c["source"], c["path"]] = sizes.get((c["source"], c["path"]), 0) + 1
    for c in found:
        c["_whole"] = sizes[c["source"], c["path"]] < SMALL_SOURCE
    return found


def select(found: list[dict]) -> list[dict]:
    chosen = [c for c in found if c["groups"] or c["_whole"]]
    total = sum(c["turns"] for c in chosen)
    for ordinary in sorted((c for c in found if not (c["groups"] or c["_whole"])), key=lambda c: c["_order"]):
        if total >= TARGET_TURNS:
            break
        chosen.append(ordinary)
        total += ordinary["turns"]
    chosen.sort(key=lambda c: c["_order"])
    for i, c in enumerate(chosen):
        c["batch"] = f"{i % BATCHES + 1:02d}"
        c["part"] = "dev" if i % BATCHES < DEV_BATCHES else "heldout"
    return chosen


def write_kit(kit: Path, chosen: list[dict], snapshots: rebuild.Snapshots) -> None:
    folder = kit / "batches"
    folder.mkdir(parents=True, exist_ok=True)
    for batch in sorted({c["batch"] for c in chosen}):
        members = [c for c in chosen if c["batch"] == batch]
        part = members[0]["part"]
        lines = [f"# batch {batch} · part {part} · {len(members)} dialogues · "
                 f"{sum(c['turns'] for c in members)} turns",
                 f"# write one record per numbered turn to corpora/real/gold/{part}/{batch}.jsonl "
                 f"(start from {batch}.skeleton.jsonl); see ../GUIDE.md",
                 f"# times are synthetic: turn [n] is at {rebuild.START:%Y-%m-%d} 10:00 plus n minutes "
                 f"(a {rebuild.START:%A}); resolve deadlines from them", ""]
        skeleton = []
        for number, c in enumerate(members, start=1):
            lines.append(f"=== {batch}-{number:03d}  dialogue {c['dialogue']}  groups {','.join(c['groups']) or '-'}")
            lines.append(f"    source {c['source']}  path {c['path']}")
            for turn in snapshots.dialogues(c["source"], c["path"])[c["dialogue"]]:
                if not turn.text.strip():
                    continue
                when = rebuild.START + rebuild.timedelta(minutes=turn.index)
                text = turn.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
                lines.append(f"[{turn.index}] {when:%H:%M} {turn.speaker:<6} {text[0]}")
                lines += [f"{'':>15}| {more}" for more in text[1:]]
                skeleton.append({"source": c["source"], "path": c["path"], "dialogue": c["dialogue"],
                                 "turn": turn.index, "speaker": turn.speaker, "sha": rebuild.turn_sha(turn.text),
                                 "labels": []})
            lines.append("")
        (folder / f"{batch}.txt").write_text("\n".join(lines), encoding="utf-8")
        (folder / f"{batch}.skeleton.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in skeleton), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Choose the real dialogues to label (see the module doc).")
    parser.add_argument("--mirror", type=Path, default=rebuild.DEFAULT_MIRROR)
    parser.add_argument("--out", type=Path, default=HERE / "selection.jsonl")
    parser.add_argument("--kit", type=Path, help="also write the labelling batches (with text) here")
    args = parser.parse_args(argv)
    snapshots = rebuild.Snapshots(args.mirror)
    try:
        chosen = select(candidates(snapshots))
        if args.kit:
            write_kit(args.kit, chosen, snapshots)
    except rebuild.RebuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    keep = ("source", "path", "dialogue", "batch", "part", "turns", "groups")
    args.out.write_text("".join(json.dumps({k: c[k] for k in keep}, ensure_ascii=False) + "\n" for c in chosen),
                        encoding="utf-8")
    for part in ("dev", "heldout"):
        members = [c for c in chosen if c["part"] == part]
        print(f"{part}: {len(members)} dialogues, {sum(c['turns'] for c in members)} turns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
