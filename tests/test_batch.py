"""`evidence batch`: incremental re-runs, worker-count independence, bad files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from extractor.batch import BatchOptions, run_batch
from extractor.stages import RunConfig
from extractor.cli import app

ROOT = Path(__file__).resolve().parents[1]
FIXED = datetime(2025, 7, 10, 12, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="module")
def small_batch(tmp_path_factory) -> Path:
    """A generated batch: 24 buyers in every chat format, a bill, notes, an order export."""
    out = tmp_path_factory.mktemp("batch-in")
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen_batch.py"), str(out),
                    "--buyers", "24", "--messages", "480", "--seed", "3"], check=True,
                   stdout=subprocess.DEVNULL)
    return out


def _outputs(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".cache" not in p.parts and p.name != "run.json"}


def test_rerun_reuses_every_unchanged_case_and_redoes_a_changed_one(small_batch, tmp_path):
    src = tmp_path / "in"
    shutil.copytree(small_batch, src)
    out = tmp_path / "out"
    options = BatchOptions(RunConfig(outputs=("html", "json")), workers=1)
    first = run_batch(src, out, options, generated_at=FIXED)
    assert first.cases and not any(c.reused for c in first.cases)
    assert not [c for c in first.cases if c.error]
    before = _outputs(out)

    index_written = (out / "index.html").stat().st_mtime_ns
    second = run_batch(src, out, options, generated_at=FIXED)
    assert all(c.reused for c in second.cases)
    assert _outputs(out) == before
    assert (out / "index.html").stat().st_mtime_ns == index_written  # nothing to redo, not redone
    run = json.loads((out / "run.json").read_text("utf-8"))
    assert run["totals"]["cases_reused"] == len(second.cases)

    # Change one buyer's export: only that case is redone.
    victim = sorted(src.rglob("tb_00000abuyer.txt"))[0]  # layout A, GBK
    victim.write_bytes(victim.read_bytes() + "tb_00000abuyer(2025-07-09 10:00:00): 还在吗\r\n".encode("gb18030"))
    third = run_batch(src, out, options, generated_at=FIXED)
    redone = [c.buyer for c in third.cases if not c.reused]
    assert redone == ["tb_00000abuyer"]
    assert (out / "index.html").stat().st_mtime_ns != index_written  # the index follows the change

    forced = run_batch(src, out, BatchOptions(RunConfig(outputs=("html", "json")), workers=1, force=True), generated_at=FIXED)
    assert not any(c.reused for c in forced.cases)


def test_output_is_the_same_whatever_the_worker_count(small_batch, tmp_path):
    one = run_batch(small_batch, tmp_path / "one", BatchOptions(RunConfig(outputs=("html", "json")), workers=1),
                    generated_at=FIXED)
    two = run_batch(small_batch, tmp_path / "two", BatchOptions(RunConfig(outputs=("html", "json")), workers=2),
                    generated_at=FIXED)
    assert [c.name for c in one.cases] == [c.name for c in two.cases]
    a, b = _outputs(tmp_path / "one"), _outputs(tmp_path / "two")
    assert a.keys() == b.keys()
    assert a == b


def test_a_bad_file_is_listed_and_the_batch_goes_on(tmp_path):
    src = tmp_path / "in"
    shutil.copytree(ROOT / "corpora" / "demo", src)
    (src / "garbage.bin").write_bytes(b"\x00\x01\x02garbage\xff" * 50)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["batch", str(src), "-o", str(out), "--workers", "1",
                                      "--outputs", "html,json"])
    assert result.exit_code == 6, result.output
    assert "garbage.bin" in result.stderr
    run = json.loads((out / "run.json").read_text("utf-8"))
    bad = [f for f in run["files_detail"] if f["status"] == "error"]
    assert [Path(f["file"]).name for f in bad] == ["garbage.bin"]
    assert "garbage.bin" in (out / "index.html").read_text("utf-8")
    assert {c["buyer"] for c in run["cases_detail"]} >= {"tb_lin8866", "小鹿爱买买"}
    assert (out / "register.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_batch_refuses_a_file_as_input_dir(tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("hi")
    result = CliRunner().invoke(app, ["batch", str(f), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error [E400] {f}: not a folder; `evidence batch` takes a folder of exports"


def test_index_lists_the_case_columns_and_allows_only_its_own_sorter(tmp_path):
    import base64
    import hashlib

    from bs4 import BeautifulSoup

    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["batch", str(ROOT / "corpora" / "demo"), "-o", str(out),
                                      "--workers", "1", "--outputs", "html"])
    assert result.exit_code == 0, result.output
    soup = BeautifulSoup((out / "index.html").read_text("utf-8"), "lxml")
    table = soup.select_one("table.sortable")
    assert [th.get_text() for th in table.select("thead th")] == [
        "买家", "店铺", "订单编号", "卖家联系", "买家回复", "最长沉默(小时)", "主张", "风险提示", "报告"]
    rows = {tr.select("td")[0].get_text(): [td.get_text() for td in tr.select("td")] for tr in table.select("tbody tr")}
    assert rows["tb_lin8866"][1:3] == ["悦颜美妆旗舰店", "3021456789012345678"]
    assert int(rows["tb_lin8866"][3]) > 0 and rows["tb_lin8866"][7] == "需关注：付款后失联"
    assert [a["href"] for a in table.select("a")] == ["tb_lin8866.html", "小鹿爱买买.html"]
    scripts = soup.find_all("script")
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].string.encode("utf-8")).digest()).decode()
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    assert csp.endswith(f"script-src 'sha256-{digest}'") and "default-src 'none'" in csp
    case_page = BeautifulSoup((out / "tb_lin8866.html").read_text("utf-8"), "lxml")
    assert case_page.find_all("script") == []
    assert "script-src" not in case_page.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
