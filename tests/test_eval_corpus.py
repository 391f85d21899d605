"""The labelled evaluation corpus (corpora/eval): rebuilt byte for byte from its sources,
big enough, within TAGS.md, and with gold positions that point at real event starts."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from extractor.textio import decode_bytes, split_lines

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "corpora" / "eval"
SPLITS = ("test", "dev", "dev2", "dev3", "dev4", "dev5", "dev6", "dev7", "dev8", "dev9", "dev10")
# Parts written for one class each (dev11: the failure classes real text showed; dev12:
# buyers agreeing to a later day): too narrow for the brief's size and decoy checks, but
# built by the same builder, so rebuilt byte for byte like the rest.
TARGETED_PARTS = ("dev11", "dev12")
MIN_EVENTS = {"test": 600, "dev": 900, "dev2": 700, "dev3": 600, "dev4": 600, "dev5": 600, "dev6": 600,
              "dev7": 600, "dev8": 600, "dev9": 600, "dev10": 600}

# TAGS.md's vocabulary, written out here rather than imported from the builder so that
# the builder itself is checked against the contract.
LABEL_ATTRIBUTES = {
    "seller_contact": set(),
    "seller_initiated": set(),
    "buyer_silence": {"hours"},
    "shipping_promise": {"deadline"},
    "shipped": {"tracking"},
    "return_claim": {"reason"},
    "delay_claim": {"reason"},
    "compensation_demand": set(),
    "threat": set(),
    "delay_agreed": {"deadline"},  # the project's extension (docs/tags.md)
}
RETURN_REASONS = {
    "ineffective", "allergy", "quality", "damaged",
    "wrong_item", "missing_item", "not_as_described", "no_reason",
}
DELAY_REASONS = {"out_of_stock", "late_shipment", "fake_shipment"}
# The deadline conventions TAGS.md names, as the builder's #form: keys.
TAGS_CONVENTIONS = (
    "today", "today_afternoon", "tonight", "tomorrow", "tomorrow_morning", "tomorrow_early",
    "day_after", "n_hours", "n_days", "friday", "asap", "no_time", "hedged_today",
    "hedged_hours", "agreement",
)
# The decoy kinds the corpus brief asks for.
REQUIRED_DECOYS = (
    "negation", "hypothetical", "policy_question", "boilerplate", "quote", "question",
    "transit", "arrival", "refusal", "no_grounds",
)


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_eval", ROOT / "corpora" / "build_eval.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_eval"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


build_eval = _load_builder()


def _gold(split: str) -> list[dict]:
    lines = (EVAL / split / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ determinism


def test_rebuild_matches_committed_files_byte_for_byte(tmp_path):
    assert build_eval.main(["--out", str(tmp_path)]) == 0
    for split in SPLITS + TARGETED_PARTS:
        rebuilt, committed = _tree(tmp_path / split), _tree(EVAL / split)
        assert sorted(rebuilt) == sorted(committed), f"{split}: file lists differ; run corpora/build_eval.py"
        changed = [name for name in rebuilt if rebuilt[name] != committed[name]]
        assert not changed, f"{split}: stale generated files {changed}; run corpora/build_eval.py"


def test_two_builds_give_identical_bytes(tmp_path):
    build_eval.main(["--out", str(tmp_path / "one")])
    build_eval.main(["--out", str(tmp_path / "two")])
    assert _tree(tmp_path / "one") == _tree(tmp_path / "two")


# ------------------------------------------------------------------------- size


@pytest.mark.parametrize("split", SPLITS)
def test_split_has_enough_events(split):
    assert len(_gold(split)) >= MIN_EVENTS[split]


def test_corpus_has_at_least_1500_events():
    assert sum(len(_gold(split)) for split in SPLITS) >= 1500


def _label_counts(split: str) -> Counter:
    counts: Counter = Counter()
    for record in _gold(split):
        for tag in record["labels"]:
            counts[tag["label"]] += 1
            if "reason" in tag:
                counts[f"{tag['label']}:{tag['reason']}"] += 1
    return counts


# Every label and reason in each of the first four parts; dev4 and dev5 put their weight
# where the tagger was weak and are held to their own briefs below.
@pytest.mark.parametrize("split", SPLITS[:4])
@pytest.mark.parametrize(
    "key",
    sorted(set(LABEL_ATTRIBUTES) - {"delay_agreed"})  # the extension has its own brief below
    + [f"return_claim:{r}" for r in sorted(RETURN_REASONS)]
    + [f"delay_claim:{r}" for r in sorted(DELAY_REASONS)],
)
def test_every_label_and_reason_occurs_15_times(split, key):
    assert _label_counts(split)[key] >= 15


# delay_agreed (the project's extension, issue 16) was written into test and a new tuning
# part, dev12: 40 new conversations with near misses beside them, plus the older
# conversations relabelled.
@pytest.mark.parametrize("split", ["test", "dev12"])
def test_delay_agreed_occurs_15_times_in_test_and_dev(split):
    assert _label_counts(split)["delay_agreed"] >= 15


# dev2 exists to vary the buyer's wording, so it is held to its own brief: every return
# reason, delay reason, demand and threat many times over, and many decoys.
DEV2_MINIMUMS = {
    **{f"return_claim:{r}": 25 for r in RETURN_REASONS},
    **{f"delay_claim:{r}": 20 for r in DELAY_REASONS},
    "compensation_demand": 30, "threat": 30, "shipping_promise": 40, "shipped": 30,
}



# dev3 targets what the tagger still under-generalizes on: every return reason in concrete,
# product-specific wording, many compensation demands (conditional ones included), and
# every delay reason, with 150+ decoys beside them.
DEV3_MINIMUMS = {
    **{f"return_claim:{r}": 25 for r in RETURN_REASONS},
    **{f"delay_claim:{r}": 15 for r in DELAY_REASONS},
    # 40 as written; two partial refunds were relabelled to the contract (decision 26)
    "compensation_demand": 38, "threat": 25, "shipping_promise": 30, "shipped": 25,
}



# dev4 and dev5 were written blind for the labels still under the gate on test: the return
# reasons worded indirectly (dev4), and compensation, delay and threats (dev5).
DEV4_MINIMUMS = {
    **{f"return_claim:{r}": 25 for r in RETURN_REASONS},
    "return_claim:missing_item": 35, "return_claim:not_as_described": 35,
    "compensation_demand": 20, "threat": 15, "shipping_promise": 40, "shipped": 30,
}
DEV5_MINIMUMS = {
    **{f"return_claim:{r}": 10 for r in RETURN_REASONS},
    **{f"return_claim:{r}": 25 for r in ("ineffective", "allergy", "no_reason")},
    **{f"delay_claim:{r}": 20 for r in DELAY_REASONS},
    "compensation_demand": 55, "threat": 30, "shipping_promise": 40, "shipped": 30,
}


# dev6 is a precision part: claim and demand words used without claiming or demanding.
DEV6_MINIMUMS = {
    **{f"return_claim:{r}": 5 for r in RETURN_REASONS},
    "return_claim": 60, "delay_claim": 20, "compensation_demand": 25, "threat": 15,
    "shipping_promise": 35, "shipped": 25,
}


# dev7: the return reasons still missed most on unseen wording, said many ways.
DEV7_MINIMUMS = {
    **{f"return_claim:{r}": 6 for r in RETURN_REASONS},
    "return_claim:missing_item": 40, "return_claim:no_reason": 40, "return_claim:not_as_described": 35,
    "return_claim:ineffective": 25, "compensation_demand": 12, "threat": 10, "delay_claim": 12,
    "shipping_promise": 35, "shipped": 25,
}


# dev8-dev10, written blind at the same time, each scored once before anything was
# trained on it: the goods themselves (dev8); no-reason, ineffective and allergy returns
# and compensation (dev9); a mixed week of every label (dev10).
DEV8_MINIMUMS = {
    "return_claim:missing_item": 35, "return_claim:not_as_described": 35,
    **{f"return_claim:{r}": 15 for r in ("quality", "wrong_item", "damaged")},
    "shipping_promise": 35, "shipped": 25,
}
DEV9_MINIMUMS = {
    "return_claim:no_reason": 30, "return_claim:ineffective": 20, "return_claim:allergy": 20,
    "compensation_demand": 40, "shipping_promise": 35, "shipped": 25,
}
DEV10_MINIMUMS = {
    **{f"return_claim:{r}": 8 for r in RETURN_REASONS},
    **{f"delay_claim:{r}": 5 for r in DELAY_REASONS},
    "compensation_demand": 20, "threat": 15, "shipping_promise": 35, "shipped": 25,
}


@pytest.mark.parametrize("split, minimums, decoys_least", [
    ("dev2", DEV2_MINIMUMS, 150), ("dev3", DEV3_MINIMUMS, 150), ("dev4", DEV4_MINIMUMS, 130),
    ("dev5", DEV5_MINIMUMS, 140), ("dev6", DEV6_MINIMUMS, 260), ("dev7", DEV7_MINIMUMS, 150),
    ("dev8", DEV8_MINIMUMS, 150), ("dev9", DEV9_MINIMUMS, 200), ("dev10", DEV10_MINIMUMS, 170),
])
def test_each_later_part_meets_its_brief(split, minimums, decoys_least):
    counts = _label_counts(split)
    thin = {key: counts[key] for key, least in minimums.items() if counts[key] < least}
    assert not thin, f"{split} below its brief: {thin}"
    decoys = build_eval.split_stats(build_eval.load_split(split))["decoys"]
    assert decoys["messages with a decoy"] >= decoys_least


def test_at_least_200_decoys_and_every_required_kind_in_each_split():
    stats = {split: build_eval.split_stats(build_eval.load_split(split)) for split in SPLITS}
    assert sum(stats[s]["decoys"]["messages with a decoy"] for s in SPLITS) >= 200
    for split in SPLITS:
        for kind in REQUIRED_DECOYS:
            assert stats[split]["decoys"][kind] >= 3, f"{split}: only {stats[split]['decoys'][kind]} {kind}"


@pytest.mark.parametrize("split", SPLITS)
def test_every_deadline_convention_several_times(split):
    forms = build_eval.split_stats(build_eval.load_split(split))["forms"]
    thin = {form: forms[form] for form in TAGS_CONVENTIONS if forms[form] < 3}
    assert not thin, f"{split}: conventions with fewer than 3 promises: {thin}"


@pytest.mark.parametrize("split", SPLITS)
def test_traditional_full_width_and_every_export_shape(split):
    convs = build_eval.load_split(split)
    traditional = [c for c in convs if c.header["script"] != "simplified"]
    assert len(traditional) >= 0.1 * len(convs)
    assert any(c.header["script"] == "traditional" for c in convs)
    text = "".join(e.text for c in convs for e in c.entries)
    assert re.search("[\uff10-\uff19\uff21-\uff3a]", text), "no full-width digits or letters"
    shapes = {(c.header["format"], c.header["encoding"]) for c in convs}
    expected = {(fmt, enc) for fmt, encodings in build_eval.FORMATS.items() for enc in encodings}
    assert shapes == expected
    assert any(e.is_note for c in convs for e in c.entries)
    assert {"malicious", "honest", "rival"} <= {c.header["buyer_type"] for c in convs}
    assert {"cosmetics", "supplements", "clothing", "electronics", "food"} <= {
        c.header["category"] for c in convs
    }


# ------------------------------------------------------------- gold vs TAGS.md


@pytest.mark.parametrize("split", SPLITS)
def test_gold_records_follow_the_documented_format(split):
    for record in _gold(split):
        position_keys = set(record) - {"file", "labels"}
        assert position_keys in ({"line"}, {"row"}), record
        assert isinstance(record[position_keys.pop()], int)
        for tag in record["labels"]:
            label = tag["label"]
            assert label in LABEL_ATTRIBUTES, tag
            assert set(tag) - {"label"} == LABEL_ATTRIBUTES[label], tag
            if label == "return_claim":
                assert tag["reason"] in RETURN_REASONS
            if label == "delay_claim":
                assert tag["reason"] in DELAY_REASONS
            if label in ("shipping_promise", "delay_agreed") and tag["deadline"] is not None:
                deadline = datetime.fromisoformat(tag["deadline"])
                assert deadline.utcoffset() == timedelta(hours=8), tag
            if label == "shipped":
                assert tag["tracking"] is None or re.fullmatch(r"[A-Z0-9]{9,20}", tag["tracking"]), tag
            if label == "buyer_silence":
                assert tag["hours"] >= 24.0 and round(tag["hours"], 1) == tag["hours"], tag
        labels = [t["label"] for t in record["labels"]]
        if "seller_initiated" in labels or "buyer_silence" in labels:
            assert "seller_contact" in labels, record


# ------------------------------------------------------------- gold positions

_HEADER = {
    "wangwang-a": re.compile(r"^.+\(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\): "),
    "wangwang-b": re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S.*?: "),
    "clipboard": re.compile(
        r"^(\S.* ?\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d\d:\d\d|由 .+ 转交给 .+|.+ 撤回了一条消息|当前用户来自.*)$"
    ),
}


def _format_of(name: str, text: str) -> str:
    if name.endswith("-call-notes.txt"):
        return "notes"
    if name.endswith(".csv"):
        return "sheet"
    first = split_lines(text)[0]
    if first.startswith("===="):
        return "wangwang-a"
    if first == "消息记录":
        return "wangwang-b"
    return "clipboard"


@pytest.mark.parametrize("split", SPLITS)
def test_every_event_start_is_in_gold_and_nothing_else(split):
    by_file: dict[str, list[int]] = {}
    for record in _gold(split):
        by_file.setdefault(record["file"], []).append(record.get("line") or record.get("row"))
    files = sorted(p.name for p in (EVAL / split).iterdir() if p.name != "gold.jsonl")
    assert sorted(by_file) == files
    for name, positions in by_file.items():
        text = decode_bytes((EVAL / split / name).read_bytes(), name=name).text
        fmt = _format_of(name, text)
        if fmt == "sheet":
            rows = list(csv.reader(io.StringIO(text)))
            assert rows[0] == ["客户名", "消息序号", "发送时间", "发送内容", "发送账号", "账号类型"]
            assert positions == list(range(2, len(rows) + 1)), name
            continue
        lines = split_lines(text)
        if fmt == "notes":
            assert positions == list(range(1, len(lines) + 1)), name
            continue
        starts = [n for n, line in enumerate(lines, start=1) if _HEADER[fmt].match(line)]
        assert positions == starts, f"{name}: gold lines differ from the event headers in the file"


@pytest.mark.parametrize("split", SPLITS)
def test_exports_decode_as_their_declared_encoding(split):
    for conv in build_eval.load_split(split):
        suffix = ".csv" if conv.header["format"] == "sheet" else ".txt"
        data = (EVAL / split / (conv.stem + suffix)).read_bytes()
        encoding = conv.header["encoding"]
        decoded = decode_bytes(data, name=conv.stem)
        expected = {"gbk": "gb18030", "utf-8": "utf-8", "utf-16": "utf-16", "utf-8-sig": "utf-8-sig"}
        assert decoded.encoding == expected[encoding], conv.stem
        assert conv.buyer in decoded.text


# ------------------------------------------------- the builder's own rule engine


def _conv(tmp_path: Path, body: str, **header: str):
    fields = {
        "shop": "悦颜美妆旗舰店", "buyer": "tb_9527xiaoyu", "category": "cosmetics",
        "buyer_type": "honest", "format": "wangwang-a", "encoding": "utf-8",
        "script": "simplified", "date": "2025-03-03",
    } | header
    path = tmp_path / "x.conv"
    head = "".join(f"{k}: {v}\n" for k, v in fields.items())
    path.write_text(head + "\n" + body, encoding="utf-8")
    return build_eval.parse_conv(path)


def _structural(conv) -> list[list[tuple]]:
    labels = build_eval.structural_labels(conv)
    return [[(l.label, l.value) for l in labels.get(i, [])] for i in range(len(conv.entries))]


def test_structural_labels_follow_tags_md(tmp_path):
    conv = _conv(
        tmp_path,
        "[2025-03-03]\n"
        "10:00:00 B | 在吗\n"
        "10:00:01 AUTO 小雅 | 亲，欢迎光临\n"
        "10:20:00 S 小雅 | 在的亲\n"  # a reply: the buyer wrote 20 minutes ago
        "[2025-03-04]\n"
        "09:00:00 S 小雅 | 亲，发货了哦\n"  # the previous event is the seller's, 22 h 40 min earlier
        "09:10 NOTE out noans | 致电买家tb_9527xiaoyu，未接\n"  # 10 minutes after a seller event
        "[2025-03-06]\n"
        "12:00 NOTE out ans | 致电买家tb_9527xiaoyu，接通\n"  # answered: ends the silence
        "12:05:00 SYS 系统提示 | 买家已离线\n",
    )
    assert _structural(conv) == [
        [],
        [],
        [("seller_contact", None), ("buyer_silence", "73.7")],
        [("seller_contact", None), ("seller_initiated", None), ("buyer_silence", "51.0")],
        [("seller_contact", None), ("buyer_silence", "50.8")],
        [("seller_contact", None), ("seller_initiated", None)],
        [],
    ]


def test_seller_message_within_12_hours_of_the_buyer_is_not_initiated(tmp_path):
    conv = _conv(
        tmp_path,
        "[2025-03-03]\n"
        "08:00:00 B | 发货了吗\n"
        "19:59:59 S 小雅 | 亲，发了\n"  # 12 h minus a second: still a reply
        "[2025-03-04]\n"
        "09:00:00 B | 好\n"
        "21:00:00 S 小雅 | 亲，签收了吗\n",  # exactly 12 h: opens an exchange
    )
    result = _structural(conv)
    assert ("seller_initiated", None) not in result[1]
    assert ("seller_initiated", None) in result[3]
    assert result[3] == [("seller_contact", None), ("seller_initiated", None)]  # last event: no span


def test_a_deadline_that_does_not_fit_its_convention_is_refused(tmp_path):
    with pytest.raises(build_eval.ConvError, match="form:tomorrow_morning"):
        _conv(
            tmp_path,
            "[2025-03-03]\n"
            "10:00:00 S 小雅 | 明天上午给您发出 #shipping_promise:2025-03-04T23:59:59+08:00 #form:tomorrow_morning\n",
        )


def test_a_claim_on_a_seller_message_is_refused(tmp_path):
    with pytest.raises(build_eval.ConvError, match="return_claim is not possible on a S entry"):
        _conv(tmp_path, "[2025-03-03]\n10:00:00 S 小雅 | 如有过敏请停用 #return_claim:allergy\n")


def test_gbk_exports_refuse_characters_gbk_cannot_hold(tmp_path):
    with pytest.raises(build_eval.ConvError, match="cannot be written in GBK"):
        _conv(tmp_path, "[2025-03-03]\n10:00:00 B | 谢谢🙏\n", encoding="gbk")
