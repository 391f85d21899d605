"""What lies beside the exports in a real folder: photos, Word files, a readme, a zip,
the run's own outputs, or nothing at all."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.batch import BatchOptions, run_batch
from extractor.cli import app
from extractor.fsutil import plainly_not_an_export
from extractor.stages import RunConfig, run_report


def layout_b(buyer: str, *lines: str) -> str:
    return "\n".join(["消息记录", f"对象: {buyer}", "即时消息", *lines, ""])


ALPHA = layout_b("tb_alpha", "2025-03-08 20:11:04 tb_alpha: 在吗？玫瑰面霜还有货吗",
                 "2025-03-08 20:12:30 悦颜美妆旗舰店:小雅: 亲，今天发货")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256)) * 4
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(100)
AMR = b"#!AMR\n" + bytes(300)
RAR = b"Rar!\x1a\x07\x01\x00" + bytes(100)


def zipped(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


DOCX = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
README = "# 证据说明\n\n这个文件夹里是6月的聊天记录和订单导出。\n".encode("utf-8")


@pytest.fixture
def cluttered(tmp_path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    for name, data in {"IMG_0001.jpg": JPEG, "截图.png": PNG, "IMG_0002.HEIC": HEIC, "通话录音.amr": AMR,
                       "说明.docx": DOCX, "README.md": README, "旧记录.rar": RAR}.items():
        (folder / name).write_bytes(data)
    return folder


def expected_skips(folder: Path) -> list[str]:
    return [
        f"skipped {folder / 'IMG_0001.jpg'}: an image (JPEG) — not an export",
        f"skipped {folder / 'IMG_0002.HEIC'}: an image (HEIC) — not an export",
        f"skipped {folder / '截图.png'}: an image (PNG) — not an export",
        f"skipped {folder / '旧记录.rar'}: an archive (RAR) — not an export; 请先解压 if it holds exports",
        f"skipped {folder / '说明.docx'}: a Word document — not an export",
        f"skipped {folder / '通话录音.amr'}: audio (AMR, a call recording?) — not an export",
        f"skipped {folder / 'README.md'}: a .md document that no format recognises — not an export",
    ]


def run(command: str, folder: Path, out: Path):
    args = {"parse": ["parse", str(folder)],
            "report": ["report", str(folder), "-o", str(out), "--outputs", "json"],
            "batch": ["batch", str(folder), "-o", str(out), "-j", "1", "--outputs", "json"]}[command]
    return CliRunner().invoke(app, args)


@pytest.mark.parametrize("command", ["parse", "report", "batch"])
def test_files_that_are_plainly_not_exports_are_skipped_one_line_each(cluttered, tmp_path, command):
    result = run(command, cluttered, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert [line for line in result.stderr.splitlines() if line.startswith("skipped ")] == expected_skips(cluttered)
    assert "error" not in result.stderr
    if command != "parse":
        index = (tmp_path / "out" / "index.html").read_text("utf-8")
        files, skipped = index.split('<h3 id="skipped">未读取的文件（7 个）</h3>')
        assert "IMG_0001" not in files and "README" not in files  # no failure block
        assert f"<li><code>{cluttered / 'IMG_0001.jpg'}</code>：an image (JPEG) — not an export</li>" in skipped
    if command == "batch":
        run_json = json.loads((tmp_path / "out" / "run.json").read_text("utf-8"))
        assert run_json["totals"]["failed_files"] == 0
        assert [s["file"] for s in run_json["skipped"]] == [
            line.split(" ", 1)[1].split(": ")[0] for line in expected_skips(cluttered)]


@pytest.mark.parametrize("name", ["聊天记录.md", "chat.txt", "导出.docx.txt"])
def test_a_chat_saved_under_any_name_is_read(tmp_path, name):
    (tmp_path / name).write_text(ALPHA, encoding="utf-8")
    result = CliRunner().invoke(app, ["parse", str(tmp_path)])
    assert result.exit_code == 0
    assert result.stderr == f"{tmp_path / name}: wangwang-b, 2 events, 0 warnings\n"


def test_an_unrecognised_txt_stays_an_error(tmp_path):
    # A .txt may be a chat export in a layout the tool does not know: never skipped.
    (tmp_path / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    (tmp_path / "记录.txt").write_text("这是一段不认识的文字\n第二行\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["parse", str(tmp_path)])
    assert result.exit_code == 6
    assert f"error [E103] {tmp_path / '记录.txt'}: not a known export" in result.stderr


def test_a_zip_of_exports_says_unzip_first(tmp_path):
    (tmp_path / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    (tmp_path / "聊天记录.zip").write_bytes(zipped({"beta.txt": ALPHA.encode("utf-8")}))
    result = CliRunner().invoke(app, ["parse", str(tmp_path)])
    assert result.exit_code == 6
    line = next(line for line in result.stderr.splitlines() if line.startswith("error "))
    assert line.startswith(f"error [E103] {tmp_path / '聊天记录.zip'}: not a known export (tried: ")
    assert line.endswith("; it is a zip archive, not an export: 请先解压 (unzip it and give evidence the "
                         "unpacked folder; the files inside are not read)")


@pytest.mark.parametrize("head, reason", [
    (b"BMW_fan(2025-06-24 10:05:00): hi", None),  # text that starts like a short magic
    (b"MZ_shop 2025-7-2 20:57:11\n", None),
    (b"ID3 is my nick 2025-7-2\n", None),
    (b"BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00\x00\x00", "an image (BMP) — not an export"),
])
def test_short_magics_need_binary_bytes(head, reason):
    assert plainly_not_an_export("x", head) == reason


@pytest.mark.parametrize("command", ["report", "batch"])
def test_the_output_folder_is_never_read_as_input(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    Path("alpha.txt").write_text(ALPHA, encoding="utf-8")
    args = {"report": ["report", ".", "-o", "out", "--outputs", "json"],
            "batch": ["batch", ".", "-o", "out", "-j", "1", "--outputs", "json"]}[command]
    first = CliRunner().invoke(app, args)
    second = CliRunner().invoke(app, args)
    assert first.exit_code == second.exit_code == 0, second.output
    assert "skipped ./out: the output folder, not read as input" in second.stderr.splitlines()
    assert first.stdout == second.stdout
    assert sorted(p.name for p in Path("out").glob("*.json")) == (
        ["run.json", "tb_alpha.json"] if command == "batch" else ["tb_alpha.json"])
    if command == "report":
        assert second.stderr.splitlines()[-1] == "./alpha.txt: wangwang-b, 2 events, 0 warnings"


@pytest.mark.parametrize("command", ["parse", "report", "batch"])
def test_an_empty_folder_is_an_error(tmp_path, command):
    folder = tmp_path / "exports"
    folder.mkdir()
    result = run(command, folder, tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"error [E107] no export found in {folder}: there is no file to read"
    assert not (tmp_path / "out" / "index.html").exists()


@pytest.mark.parametrize("command", ["parse", "report", "batch"])
def test_a_folder_of_skipped_files_is_an_error_listing_them(tmp_path, command):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "IMG_0001.jpg").write_bytes(JPEG)
    (folder / "README.md").write_bytes(README)
    result = run(command, folder, tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"error [E107] no export found in {folder}: 2 skipped ({folder / 'IMG_0001.jpg'}: an image (JPEG) — "
        f"not an export; {folder / 'README.md'}: a .md document that no format recognises — not an export)")


def test_report_and_batch_skip_the_same_files_and_write_the_same_cases(cluttered, tmp_path):
    import os
    from datetime import datetime
    from zoneinfo import ZoneInfo

    os.symlink(tmp_path, cluttered / "up")  # and a link out of the folder
    fixed = datetime(2025, 7, 10, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    config = RunConfig(outputs=("json",))
    report = run_report([cluttered], tmp_path / "r", config, fixed, ("evidence",))
    batch = run_batch(cluttered, tmp_path / "b", BatchOptions(config, workers=1), argv=("evidence",),
                      generated_at=fixed)
    assert [str(s) for s in report.skipped] == [str(s) for s in batch.skipped]
    assert len(report.skipped) == len(expected_skips(cluttered)) + 1
    for name in ("tb_alpha.json", "register.csv"):
        assert (tmp_path / "r" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
