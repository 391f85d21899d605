"""The batch cache in OUT/.cache holds data, never code: a planted file there can make a
case be redone, never run anything or change what the report says."""

from __future__ import annotations

import os
import pickle
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from extractor.batch import BatchOptions, run_batch
from extractor.stages import RunConfig

FIXED = datetime(2025, 7, 10, 12, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CHAT = """消息记录
对象: tb_alpha
即时消息
2025-03-08 20:11:04 tb_alpha: 用了过敏了，我要退货
2025-03-08 20:12:30 悦颜美妆旗舰店:小雅: 亲，收到，我们马上核实
"""


class _Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.json")) if p.name != "run.json"}


def test_a_planted_pickle_in_the_cache_is_never_loaded(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "chat.txt").write_text(CHAT, encoding="utf-8")
    out = tmp_path / "out"
    options = BatchOptions(RunConfig(outputs=("json",)), workers=1)
    run_batch(src, out, options, generated_at=FIXED)
    first = _outputs(out)
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Payload(str(marker)))
    cache_files = [p for p in (out / ".cache").rglob("*") if p.is_file()]
    assert cache_files and not any(p.suffix == ".pickle" for p in cache_files)
    for path in cache_files:  # every cache file, and the names an older layout used
        path.write_bytes(payload)
        path.with_suffix(".pickle").write_bytes(payload)
    again = run_batch(src, out, options, generated_at=FIXED)
    assert not marker.exists()
    assert [c.status for c in again.cases] == ["written"]
    assert _outputs(out) == first


def test_a_tampered_shard_is_an_error_for_its_case_not_its_evidence(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "chat.txt").write_text(CHAT, encoding="utf-8")
    out = tmp_path / "out"
    run_batch(src, out, BatchOptions(RunConfig(outputs=("json",)), workers=1), generated_at=FIXED)
    (shard,) = (out / ".cache" / "shards").rglob("*.jsonl")
    shard.write_text(shard.read_text("utf-8").replace("过敏", "满意"), encoding="utf-8")
    # a changed option makes the case be made again from its shards
    again = run_batch(src, out, BatchOptions(RunConfig(outputs=("json",), ship_within_hours=48), workers=1),
                      generated_at=FIXED)
    (case,) = again.cases
    assert case.status == "error" and "does not match its file's read" in case.error
