"""The command line in Chinese: the catalog is complete and current, the language is the
one asked for, and the words a user sees are the Chinese ones (the other CLI tests run
in English, see conftest.py)."""

from __future__ import annotations

import gettext
import importlib.util
import io
import os
import re
import string
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor import i18n
from extractor.cli import app
from extractor.errors import UsageError
from extractor.i18n import N_, language_for
from extractor.progress import PlainProgress

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
DEMO = ROOT / "corpora" / "demo"
runner = CliRunner()


def _load_catalog_tool():
    spec = importlib.util.spec_from_file_location("catalog", ROOT / "scripts" / "catalog.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["catalog"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


catalog = _load_catalog_tool()
PO = ROOT / "extractor" / "locale" / "zh_CN" / "LC_MESSAGES" / "evidence.po"
ENTRIES = {e.msgid: e for e in catalog.read_po(PO) if e.msgid}
USES = catalog.uses()


# --- the catalog -----------------------------------------------------------------------

def test_the_code_has_msgids_and_the_catalog_is_the_only_one():
    assert catalog.catalogs() == [PO]
    # the CLI's help, its messages, the progress lines, the formats' descriptions
    wheres = {u.where.split(":")[0] for u in USES}
    assert {"extractor/cli.py", "extractor/progress.py", "extractor/i18n.py"} <= wheres
    assert any(w.startswith("extractor/sources/") for w in wheres)


@pytest.mark.parametrize("use", USES, ids=lambda u: u.where)
def test_every_msgid_of_the_code_has_a_chinese_translation(use):
    entry = ENTRIES.get(use.msgid)
    assert entry is not None, f"{use.where}: {use.msgid!r} is not in {PO.name}; run scripts/catalog.py missing"
    assert not entry.fuzzy and all(s.strip() for s in entry.msgstr), f"{use.msgid!r} has no translation"
    assert entry.plural == use.plural


def _fields(text: str) -> Counter:
    return Counter((name, conv, spec) for _lit, name, spec, conv in string.Formatter().parse(text)
                   if name is not None)


@pytest.mark.parametrize("msgid", sorted(ENTRIES))
def test_translation_has_the_msgids_placeholders(msgid):
    for msgstr in ENTRIES[msgid].msgstr:
        assert _fields(msgstr) == _fields(msgid), f"{msgid!r} → {msgstr!r}"
    # Rich markup in Typer's words stays balanced
    assert re.findall(r"\[/?\w*\]", msgid if "[blue]" in msgid else "") == \
        re.findall(r"\[/?\w*\]", ENTRIES[msgid].msgstr[0] if "[blue]" in msgid else "")


def test_no_entry_of_the_catalog_is_stale():
    used = {u.msgid for u in USES}
    assert sorted(set(ENTRIES) - used) == []


def test_shipped_mo_is_the_po_compiled():
    compiled = catalog.compile_mo(catalog.read_po(PO))
    assert PO.with_suffix(".mo").read_bytes() == compiled, "stale evidence.mo; run scripts/catalog.py compile"


def test_compiled_mo_reads_back_through_the_stdlib(tmp_path):
    (tmp_path / "t.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        '#: x.py:1\nmsgid "two "\n"lines\\n"\nmsgstr "两行\\n"\n'
        'msgid "say \\"{x}\\""\nmsgstr "说“{x}”"\n\n'
        'msgid "untranslated"\nmsgstr ""\n\n#, fuzzy\nmsgid "fuzzy"\nmsgstr "模糊"\n\n'
        'msgid "{n} file"\nmsgid_plural "{n} files"\nmsgstr[0] "{n} 个文件"\n', "utf-8")
    entries = catalog.read_po(tmp_path / "t.po")
    assert [e.msgid for e in entries] == ["", "two lines\n", 'say "{x}"', "untranslated", "fuzzy", "{n} file"]
    t = gettext.GNUTranslations(io.BytesIO(catalog.compile_mo(entries)))
    assert t.gettext("two lines\n") == "两行\n"
    assert t.gettext('say "{x}"') == "说“{x}”"
    assert t.gettext("untranslated") == "untranslated" and t.gettext("fuzzy") == "fuzzy"
    assert t.ngettext("{n} file", "{n} files", 1) == t.ngettext("{n} file", "{n} files", 7) == "{n} 个文件"


@pytest.mark.parametrize("source", ['_(f"{x} left")', '_("a" + b)', "N_(name)"])
def test_extraction_refuses_a_msgid_no_catalog_can_hold(tmp_path, source):
    (tmp_path / "m.py").write_text(f"x = b = name = 1\n{source}\n", "utf-8")
    with pytest.raises(ValueError, match="needs literal strings"):
        catalog.uses(tmp_path)


# --- which language ----------------------------------------------------------------------

@pytest.mark.parametrize("argv, environ, lang", [
    ([], {}, "zh"),
    ([], {"LANG": "C.UTF-8"}, "zh"),
    ([], {"LANG": "fr_FR.UTF-8"}, "zh"),
    (["--lang", "en"], {}, "en"),
    (["report", "x", "-o", "out", "--lang=en"], {}, "en"),
    (["--", "--lang", "en"], {}, "zh"),  # after --, a file named --lang
    ([], {"EVIDENCE_LANG": "en"}, "en"),
    (["--lang", "zh"], {"EVIDENCE_LANG": "en"}, "zh"),
    ([], {"LANG": "en_US.UTF-8"}, "en"),
    ([], {"LC_MESSAGES": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ([], {"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    ([], {"LANGUAGE": "en_GB:zh_CN", "LC_ALL": "zh_CN.UTF-8"}, "en"),
    ([], {"LANGUAGE": "", "LANG": "en_US"}, "en"),  # an empty variable is not set
    ([], {"EVIDENCE_LANG": "zh_CN", "LANG": "en_US.UTF-8"}, "zh"),
    (["--lang", "fr"], {"LANG": "en_US.UTF-8"}, "en"),  # the CLI then says --lang is wrong
])
def test_language_is_the_one_asked_for(argv, environ, lang):
    assert language_for(argv, environ) == lang


# --- what the user sees: help (built at import, so a process of its own) ------------------

def _evidence(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("EVIDENCE_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    environ.update(COLUMNS="200", TERM="dumb", NO_COLOR="1", **env)
    # the installed command, as a user runs it (its usage line names it "evidence")
    script = Path(sys.executable).with_name("evidence")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "extractor"]
    return subprocess.run([*command, *args], capture_output=True, text=True, env=environ, cwd=ROOT, timeout=120)


def test_help_is_chinese_by_default():
    result = _evidence("--help", LANG="C.UTF-8")
    assert result.returncode == 0, result.stderr
    assert "把淘宝/天猫的聊天、通话与订单导出文件整理成纠纷举证材料。" in result.stdout
    assert "─ 选项 ─" in result.stdout and "─ 命令 ─" in result.stdout
    assert "report     每位买家一份 HTML、PDF 和 JSON 案件报告；整次运行另有 register.xlsx/.csv 登记表和 index.html。" \
        in result.stdout
    assert "--lang           zh|en   提示与帮助的语言：zh（简体中文，默认）或 en" in result.stdout
    assert "用法：" in result.stdout and " [OPTIONS] COMMAND [ARGS]..." in result.stdout
    assert "--help           <bool>  显示此帮助并退出。" in result.stdout
    assert "Turn Taobao" not in result.stdout and "Options" not in result.stdout and "Usage" not in result.stdout


def test_command_help_is_chinese_by_default():
    result = _evidence("report", "--help")
    assert result.returncode == 0, result.stderr
    assert "存放报告、index.html 和登记表的文件夹。 [必填]" in result.stdout
    assert "从付款到发货时限的小时数。 [默认：72.0]" in result.stdout
    # a help wider than its column is folded, not cut off with "…"
    assert re.sub(r"[\s│]+", "", result.stdout).count("（所有文件完整嵌入）或none（只嵌入清单）。") == 1


@pytest.mark.parametrize("args, env", [
    (("--lang", "en", "--help"), {}),
    (("report", "--help", "--lang", "en"), {}),  # --lang after the command too
    (("report", "--help"), {"LANG": "en_US.UTF-8"}),
    (("report", "--help"), {"EVIDENCE_LANG": "en", "LANG": "zh_CN.UTF-8"}),
])
def test_help_is_english_when_asked_for(args, env):
    result = _evidence(*args, **env)
    assert result.returncode == 0, result.stderr
    assert "─ Options ─" in result.stdout and "选项" not in result.stdout
    assert "Usage: " in result.stdout and "Show this message and exit." in result.stdout
    if "report" in args:
        assert "Folder for the reports, index.html and the register." in result.stdout


def test_wrong_lang_is_a_coded_error():
    result = _evidence("--lang", "fr", "formats", LANG="C.UTF-8")
    assert result.returncode == 2
    assert result.stderr == "错误 [E400] --lang 的取值为 zh 或 en；收到的是 'fr'\n"
    assert result.stdout == ""


# --- what the user sees: messages (said when they happen: --lang zh in the process) -------

def zh(*args: str):
    return runner.invoke(app, ["--lang", "zh", *args])


def test_formats_are_described_in_chinese():
    result = zh("formats")
    assert result.exit_code == 0, result.output
    assert "jsonl              evidence 自己的 JSON Lines 时间线（`evidence parse` / `evidence tag` 的输出）" \
        in result.stdout.splitlines()
    assert "call-notes         客服通话备注，自由文字，每行一条（6月24日 10:20 …，无人接听）" in result.stdout.splitlines()


@pytest.mark.parametrize("args, message", [
    (["parse", str(DEMO), "--tz", "Mars/Base"],
     "错误 [E400] 未知的时区 'Mars/Base'；请使用 IANA 名称，例如 Asia/Shanghai"),
    (["report", str(DEMO), "-o", "out", "--ship-within", "0"], "错误 [E400] --ship-within 必须是正的小时数"),
    (["report", str(DEMO), "-o", "out", "--attach", "some"],
     "错误 [E400] --attach 的取值为 case、full 或 none；收到的是 'some'"),
    (["tag", str(DEMO), "--backoff", "m.json", "--no-backoff"],
     "错误 [E400] --backoff 与 --no-backoff 不能同时使用；只给一个"),
    (["batch", str(DEMO), "-o", "out", "-j", "-1"], "错误 [E400] --workers 必须为 0（每个 CPU 核心一个）或更大"),
    (["serve", "--port", "0"], "错误 [E400] --port 必须在 1 到 65535 之间"),
    (["calibrate", str(DEMO), "--target", "2"], "错误 [E400] --target 必须是 0.5 到 1（不含）之间的精确率"),
])
def test_errors_are_chinese_and_keep_their_code(args, message):
    result = zh(*args)
    assert result.exit_code == 2
    assert result.stderr == message + "\n"


def test_parse_says_files_and_warnings_in_chinese():
    notes = DATA / "calls" / "notes-yearless.txt"
    result = zh("parse", str(notes))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"{notes}：call-notes，0 条事件，3 条警告",
        f"  警告 {notes} 第1行：6月24日没有年份，本文件其他记录也没有：未收录",
        f"  警告 {notes} 第2行：6月25日没有年份，本文件其他记录也没有：未收录",
        f"  警告 {notes}：日期没有年份，其他输入也无从得知：这些行未收录，并逐条列为警告",
    ]


def test_report_says_the_unassigned_call_in_chinese(tmp_path):
    result = zh("report", str(DEMO), "-o", str(tmp_path), "--outputs", "json")
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert f"{DEMO}/ExportOrderList20250701.csv：taobao-orders，4 条事件，0 条警告" in lines
    assert lines[-1] == (f"1 通电话未能对应到任何买家；它们连同编号列在 {tmp_path}/index.html 中，"
                         "可用 --assign 文件（每行：编号,买家）归给买家")
    # the records stay English: the JSON report is the same whatever the terminal speaks
    assert "warnings" in (tmp_path / "tb_lin8866.json").read_text("utf-8")


def test_progress_lines_in_chinese():
    i18n.set_language("zh")
    out = io.StringIO()
    progress = PlainProgress(out, every=2)
    progress.start("files", 3)
    for name in ("a", "b", "c"):
        progress.advance("files", name)
    progress.done("files")
    lines = out.getvalue().splitlines()
    assert lines[0] == "文件：共 3 个待处理"
    assert re.fullmatch(r"文件：2/3，已用 \d+ 秒，约剩 \d+ 秒", lines[1])
    assert re.fullmatch(r"文件：3/3 已完成，用时 \d+\.\d 秒", lines[2])


def test_an_error_records_english_and_says_it_in_the_language_spoken():
    i18n.set_language("zh")
    exc = UsageError(N_("--attach takes case, full or none; got {attach!r}"), attach="x")
    assert str(exc) == "[E400] --attach takes case, full or none; got 'x'"  # what records keep
    assert exc.translated() == "[E400] --attach 的取值为 case、full 或 none；收到的是 'x'"
    # a message formatted before it was raised is in no catalog: said as written
    assert UsageError("no such thing 'x'").translated() == "[E400] no such thing 'x'"
    i18n.set_language("en")
    assert exc.translated() == "[E400] --attach takes case, full or none; got 'x'"


def test_a_file_no_format_reads_is_said_in_chinese_and_recorded_in_english(tmp_path):
    from extractor.sources import formats
    from extractor.timeline import parse_paths
    from extractor.sources import ParseOptions

    empty = tmp_path / "空的.txt"
    empty.write_bytes(b"")
    tried = ", ".join(f.NAME for f in formats())
    result = zh("parse", str(empty))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"错误 [E103] {empty}：不是可识别的导出文件（已尝试：{tried}）；文件是空的",
        "1 个输入中有 1 个失败",
    ]
    # what a record keeps (run.json, the JSON report) is the English, whatever is spoken
    i18n.set_language("zh")
    (report,) = parse_paths([str(empty)], ParseOptions()).files
    assert report.error == f"[E103] {empty}: not a known export (tried: {tried}); the file is empty"


@pytest.mark.parametrize("make, message", [
    (lambda d: (d / "out").write_text("x") and ["report", str(DEMO), "-o", str(d / "out")],
     "错误 [E400] {d}/out：这是一个文件；-o 需要文件夹（不存在时会自动创建）"),
    (lambda d: ["batch", str(d / "无"), "-o", str(d / "out")],
     "错误 [E400] {d}/无：不是文件夹；`evidence batch` 需要一个导出文件所在的文件夹"),
    (lambda d: ["report", str(DEMO), "-o", str(d), "--outputs", "html,docx"],
     "错误 [E400] --outputs 的取值为 html、pdf 和 json；收到的是 'html,docx'"),
])
def test_usage_errors_of_the_library_are_said_in_chinese(tmp_path, make, message):
    result = zh(*make(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == message.format(d=tmp_path) + "\n"


def test_verify_speaks_chinese(tmp_path):
    orders = tmp_path / "ExportOrderList20250701.csv"
    orders.write_bytes((DEMO / "ExportOrderList20250701.csv").read_bytes())
    assert zh("report", str(orders), "-o", str(tmp_path / "out"), "--outputs", "json").exit_code == 0
    report = tmp_path / "out" / "tb_lin8866.json"
    ok = zh("verify", str(report), str(orders))
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.splitlines()[-1] == "记录在案的 1 个原始文件中，1 个核对一致"
    assert ok.stdout.splitlines()[0].startswith(f"一致       {orders}  sha256 ")
    orders.write_bytes(orders.read_bytes() + b"\n")
    changed = zh("verify", str(report), str(orders))
    assert changed.exit_code == 5
    assert changed.stdout.splitlines()[0].startswith(f"已改动     {orders}  sha256 ")
    assert changed.stdout.splitlines()[-1] == "记录在案的 1 个原始文件中，0 个核对一致；1 个文件不符"
    assert changed.stderr == f"错误 [E401] 1 个文件与 {report} 不符：{orders}\n"


@pytest.mark.parametrize("name, data, reason", [
    ("截图.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, "图片（PNG）——不是导出文件"),
    ("聊天.rar", b"Rar!\x1a\x07\x00" + b"\x00" * 16, "压缩包（RAR）——不是导出文件；如果其中是导出文件，请先解压"),
    ("说明.md", "# 说明\n这里放的是店铺的导出文件。\n".encode(), "没有任何格式能识别的 .md 文档——不是导出文件"),
])
def test_what_the_walk_skips_is_said_in_chinese(tmp_path, name, data, reason):
    folder = tmp_path / "导出"
    folder.mkdir()
    (folder / "ExportOrderList20250701.csv").write_bytes((DEMO / "ExportOrderList20250701.csv").read_bytes())
    (folder / name).write_bytes(data)
    result = zh("parse", str(folder))
    assert result.exit_code == 0, result.output
    assert f"已跳过 {folder / name}：{reason}" in result.stderr.splitlines()


def test_a_folder_with_no_export_is_said_in_chinese(tmp_path):
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    (tmp_path / "b.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 16)
    result = zh("parse", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == (f"错误 [E107] 在 {tmp_path} 中没有找到导出文件：跳过了 2 个（{tmp_path}/a.png："
                             f"图片（PNG）——不是导出文件；{tmp_path}/b.jpg：图片（JPEG）——不是导出文件）\n")
    english = runner.invoke(app, ["--lang", "en", "parse", str(tmp_path)])
    assert english.stderr == (f"error [E107] no export found in {tmp_path}: 2 skipped ({tmp_path}/a.png: "
                              f"an image (PNG) — not an export; {tmp_path}/b.jpg: an image (JPEG) — not an export)\n")
