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

Round 2 (issue 15 again): no further Taobao/JD shop source could be used (README.md lists
what was examined), so it adds, by the same kind of rule, with its own seed and batches:

6. Candidates: the dialogues of ROUND2_SOURCES not chosen in round 1. An STC-3 dialogue
   qualifies only when one of its turns @mentions a seller of goods (GOODS_SELLERS: phone
   makers and web shops, not telecoms, apps or travel sites): round 1 took every keyword
   dialogue, so these are the goods dialogues without the keywords, where a defect or a
   missing parcel is told in other words, and the ordinary talk round 1 under-sampled. The
   U-NEED examples (a source file below SMALL_SOURCE) are taken whole.
7. In seeded order until ROUND2_TARGET_TURNS, dealt round-robin into ROUND2_BATCHES; the
   first two of every three are ``dev``, the third ``heldout``.

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
import re
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


ROUND2_SEED = "evidence-real-2026-12-round2"
ROUND2_TARGET_TURNS = 1500
ROUND2_BATCHES = ("07", "08", "09")
ROUND2_DEV = ("07", "08")  # two thirds dev, one third held out, as in round 1
ROUND2_SOURCES = SOURCES[:2] + (
    ("LeeeeoLiu/U-NEED@7edd9a269ac7528c9c1fa3dc392a6657145668ae", "examples.md"),
)
# Account names (or parts of them) of STC-3's sellers of goods; matched in @mentions only.
GOODS_SELLERS = ("锤子", "坚果", "罗永浩", "vivo", "美图手机", "乐视", "华为", "花粉", "魅族", "小米", "一加",
                 "磊科", "友宝", "好乐买", "趣玩", "蜜芽", "Vjia", "凡客", "京东", "天猫", "淘宝", "当当", "亚马逊",
                 "唯品会", "聚美", "苏宁", "国美")
MENTION = re.compile(r"@([\w\-]+)")


def order_key(source: str, path: str, dialogue: str, seed: str = SEED) -> str:
    return hashlib.sha256(f"{seed}\0{source}\0{path}\0{dialogue}".encode("utf-8")).hexdigest()


def candidates(snapshots: rebuild.Snapshots, sources=SOURCES, seed: str = SEED) -> list[dict]:
    found = []
    for source, path in sources:
        for key, turns in snapshots.dialogues(source, path).items():
            spoken = [t for t in turns if t.text.strip()]
            if not {"buyer", "seller"} <= {t.speaker for t in spoken}:
                continue
            buyer_text = "\n".join(t.text for t in spoken if t.speaker == "buyer")
            groups = [g for g, words in GROUPS.items() if any(w in buyer_text for w in words)]
            mentions = {m.lower() for t in spoken for m in MENTION.findall(t.text)}
            found.append({"source": source, "path": path, "dialogue": key, "turns": len(spoken),
                          "groups": groups, "_order": order_key(source, path, key, seed),
                          "_goods": any(g.lower() in m for g in GOODS_SELLERS for m in mentions)})
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


def select_round2(found: list[dict], taken: list[dict]) -> list[dict]:
    """Round 2 (rules 6 and 7 of the module doc) from the candidates of ROUND2_SOURCES."""
    seen = {(c["source"], c["path"], c["dialogue"]) for c in taken}
    fresh = [c for c in found if (c["source"], c["path"], c["dialogue"]) not in seen]
    chosen = [c for c in fresh if c["_whole"]]
    total = sum(c["turns"] for c in chosen)
    for c in sorted((c for c in fresh if c["_goods"] and not c["_whole"]), key=lambda c: c["_order"]):
        if total >= ROUND2_TARGET_TURNS:
            break
        chosen.append(c)
        total += c["turns"]
    chosen.sort(key=lambda c: c["_order"])
    for i, c in enumerate(chosen):
        c["batch"] = ROUND2_BATCHES[i % len(ROUND2_BATCHES)]
        c["part"] = "dev" if c["batch"] in ROUND2_DEV else "heldout"
    return chosen


def select_all(snapshots: rebuild.Snapshots) -> list[dict]:
    first = select(candidates(snapshots))
    return first + select_round2(candidates(snapshots, ROUND2_SOURCES, ROUND2_SEED), first)


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
        chosen = select_all(snapshots)
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
