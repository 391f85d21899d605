"""The errors raised inside the parsers, loaders and writers reach the terminal in
Chinese (``--lang zh``, the default) and in English with ``--lang en``, code and exit
code the same; what a record keeps (run.json, a FileReport's error) is English whatever
the terminal speaks.  Each input below is a real bad file of its kind, made here."""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.sources import containers

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
DEMO = ROOT / "corpora" / "demo"
runner = CliRunner()

DTD_CALLS = ('<?xml version="1.0"?>\n<!DOCTYPE calls [<!ENTITY x "y">]>\n'
             '<calls count="1"><call number="13812345678" duration="72" date="1750731611000" type="2" '
             'contact_name="&x;" /></calls>\n')
CHAT_CSV_WITHOUT_HEADER = "买家,时间,内容\ntb_lin8866,2025-06-24 10:20:11,你好\n"


def both(*args: str):
    """The same command in Chinese and in English."""
    return runner.invoke(app, ["--lang", "zh", *args]), runner.invoke(app, ["--lang", "en", *args])


def write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


# --- the parsers: E104, E105, E106 (a failed file: its line, then the tally) ------------

def _no_text_layer(d: Path) -> tuple[list[str], Path]:
    return ["--format", "qianniu-web-pdf"], DATA / "chat" / "no_text_layer.pdf"


def _truncated_pdf(d: Path) -> tuple[list[str], Path]:
    data = (DATA / "chat" / "qianniu_web_2pages.pdf").read_bytes()
    return [], write(d, "聊天记录_网页打印.pdf", data[: len(data) // 3])


def _dtd_calls(d: Path) -> tuple[list[str], Path]:
    return [], write(d, "calls-20250628.xml", DTD_CALLS)


def _csv_without_header(d: Path) -> tuple[list[str], Path]:
    return ["--format", "chat-sheet-csv"], write(d, "聊天.csv", CHAT_CSV_WITHOUT_HEADER)


def _not_calls_xml(d: Path) -> tuple[list[str], Path]:
    return ["--format", "android-calls-xml"], write(d, "calls.xml", '<?xml version="1.0"?>\n<sms count="0"/>\n')


@pytest.mark.parametrize("make, code, zh, en", [
    (_no_text_layer, "E104",
     "{p}：此 PDF 没有文字层（是扫描件或图片？）；请从浏览器重新打印聊天记录页面，或复制其中的文字",
     "{p}: the PDF has no text layer (a scan or an image?); print the chat-record page from the browser again, "
     "or copy its text"),
    # not recognised by any format: the hint says why, in the language spoken
    (_truncated_pdf, "E103", None, None),
    (_dtd_calls, "E105",
     "{p}：拒绝读取此 XML：它声明了 DTD、实体或外部引用（DTDForbidden）。通话记录备份从不包含这些内容；"
     "实体膨胀（\"billion laughs\"）和外部实体攻击正是这样进行的。请从手机重新导出通话记录。",
     "{p}: refused to read this XML: it declares a DTD, entities or an external reference (DTDForbidden). "
     "A call-log backup never contains these; they are how entity-expansion (\"billion laughs\") and "
     "external-entity attacks work. Export the call log again from the phone."),
    (_csv_without_header, "E104",
     "{p}：前 5 行中没有聊天表格的表头（列：发送时间, 发送内容, 发送账号）",
     "{p}: no chat-sheet header (columns 发送时间, 发送内容, 发送账号) in the first 5 rows"),
    (_not_calls_xml, "E104",
     "{p}：根元素为 <sms> 的 XML 文件，不是 SMS Backup & Restore 的通话记录（<calls>）",
     "{p}: an XML file whose root is <sms>, not an SMS Backup & Restore call log (<calls>)"),
])
def test_a_file_the_parser_refuses_is_said_in_the_language_spoken(tmp_path, make, code, zh, en):
    options, path = make(tmp_path)
    chinese, english = both("parse", *options, str(path))
    assert chinese.exit_code == english.exit_code == 2
    if zh is None:  # the truncated PDF: E103, the damage named in the hint
        tried = re.search(r"\(tried: (.*)\);", english.stderr).group(1)
        zh = f"{{p}}：不是可识别的导出文件（已尝试：{tried}）；这是无法读取的 PDF（已损坏或不完整）"
        en = f"{{p}}: not a known export (tried: {tried}); it is a PDF that cannot be read (damaged or truncated)"
    assert chinese.stderr.splitlines() == [f"错误 [{code}] {zh.format(p=path)}", "1 个输入中有 1 个失败"]
    assert english.stderr.splitlines() == [f"error [{code}] {en.format(p=path)}", "1 of 1 inputs failed"]


def test_a_truncated_pdf_forced_to_its_format_is_e104_in_chinese(tmp_path):
    _, path = _truncated_pdf(tmp_path)
    chinese, english = both("parse", "--format", "qianniu-web-pdf", str(path))
    assert chinese.exit_code == english.exit_code == 2
    # the detail is pdfminer's own words, quoted as it gives them
    detail = re.fullmatch(rf"error \[E104\] {re.escape(str(path))}: not a readable PDF \((\w+: .+)\)",
                          english.stderr.splitlines()[0]).group(1)
    error, _, rest = detail.partition(": ")
    assert chinese.stderr.splitlines()[0] == f"错误 [E104] {path}：无法读取的 PDF（{error}：{rest}）"


def test_a_pdf_over_the_page_limit_is_e106_in_chinese(monkeypatch):
    monkeypatch.setattr(containers, "MAX_PDF_PAGES", 1)
    path = DATA / "chat" / "qianniu_web_2pages.pdf"  # three pages
    chinese, english = both("parse", str(path))
    assert chinese.exit_code == english.exit_code == 2
    assert chinese.stderr.splitlines()[0] == (
        f"错误 [E106] {path}：此 PDF 有 3 页；evidence 最多读取 PDF 导出文件的 1 页；"
        "请拆成较小的 PDF（每次打印或导出较短的时间段）")
    assert english.stderr.splitlines()[0] == (
        f"error [E106] {path}: the PDF has 3 pages; evidence reads at most 1 pages of a PDF export; "
        "split it into smaller PDFs (print or export a shorter period at a time)")


def test_run_json_keeps_the_english_of_a_file_said_in_chinese(tmp_path):
    folder = tmp_path / "导出"
    folder.mkdir()
    (folder / "ExportOrderList20250701.csv").write_bytes((DEMO / "ExportOrderList20250701.csv").read_bytes())
    bad = write(folder, "calls-20250628.xml", DTD_CALLS)
    result = runner.invoke(app, ["--lang", "zh", "batch", str(folder), "-o", str(tmp_path / "out"),
                                 "--outputs", "json"])
    assert result.exit_code == 6, result.output
    assert f"错误 [E105] {bad}：拒绝读取此 XML：它声明了 DTD、实体或外部引用（DTDForbidden）。" \
           "通话记录备份从不包含这些内容；实体膨胀（\"billion laughs\"）和外部实体攻击正是这样进行的。" \
           "请从手机重新导出通话记录。" in result.stderr.splitlines()
    run = json.loads((tmp_path / "out" / "run.json").read_text("utf-8"))
    (failed,) = [f for f in run["files_detail"] if f["status"] == "error"]
    assert failed["error"] == (f"[E105] {bad}: refused to read this XML: it declares a DTD, entities or an external "
                               "reference (DTDForbidden). A call-log backup never contains these; they are how "
                               "entity-expansion (\"billion laughs\") and external-entity attacks work. Export the "
                               "call log again from the phone.")


# --- the loaders: rules (E200), profiles (E402), decisions (E403), store (E404), E405 -----

RULES = {
    "no terms": ('{"rules": [{"id": "威胁_x", "label": "threat"}]}',
                 "规则文件 {p}：规则 '威胁_x'：需要 terms 或 patterns",
                 "rules file {p}: rule '威胁_x': needs terms or patterns"),
    "not an object": ('{"rules": ["投诉"]}',
                      "规则文件 {p}：第 1 条规则：必须是一个对象",
                      "rules file {p}: rule #1: must be an object"),
    "bad regex": ('{"rules": [{"id": "x", "label": "threat", "patterns": ["(投诉"]}]}',
                  "规则文件 {p}：规则 'x'：正则 '(投诉' 不是有效的正则表达式（missing ), unterminated subpattern at "
                  "position 0）",
                  "rules file {p}: rule 'x': pattern '(投诉' is not a valid regular expression (missing ), "
                  "unterminated subpattern at position 0)"),
    "unknown list": ('{"rules": [{"id": "x", "label": "threat", "terms": ["投诉"], "exclude": ["@nope"]}]}',
                     "规则文件 {p}：规则 'x'：exclude 引用了不存在的列表 @nope；请在某个规则文件的 \"exclusions\" "
                     "下定义它（以字面 @ 开头的正则写作 \\@）",
                     "rules file {p}: rule 'x': exclude names an unknown list @nope; define it under "
                     "\"exclusions\" in a rules file (a regex starting with a literal @ is written \\@)"),
    "not UTF-8": ('{"rules": []}'.encode("utf-8").replace(b"[]", "[\"投诉\"]".encode("gbk")),
                  "规则文件 {p}：不是 UTF-8 文本；请另存为 UTF-8",
                  "rules file {p}: not UTF-8 text; save it as UTF-8"),
}


@pytest.mark.parametrize("case", sorted(RULES))
def test_a_bad_rules_file_is_said_in_chinese(tmp_path, case):
    text, zh, en = RULES[case]
    path = write(tmp_path, "店铺规则.json", text)
    chinese, english = both("tag", str(DEMO / "电话记录.txt"), "--rules", str(path))
    assert chinese.exit_code == english.exit_code == 3
    assert chinese.stderr == f"错误 [E200] {zh.format(p=path)}\n"
    assert english.stderr == f"error [E200] {en.format(p=path)}\n"


PROFILES = {
    "missing key": ({"name": "shop-x", "title": "x", "texts": []},
                    "平台配置 {p}：缺少键 'images'", "profile {p}: missing key 'images'"),
    "wrong type": ({"name": "shop-x", "images": {"formats": ["jpg"], "max_bytes": "3MB"}, "texts": []},
                   "平台配置 {p}：images：'max_bytes' 必须是 int，而不是 str",
                   "profile {p}: images: 'max_bytes' must be int, not str"),
    "bad text unit": ({"name": "shop-x", "images": {"formats": ["jpg"], "max_bytes": 3_000_000, "per_upload": 9,
                                                    "width_px": 1080, "page_height_px": 1920},
                       "texts": [{"name": "reason", "unit": "words", "min": 0, "max": 500}]},
                      "平台配置 {p}：texts[0]：unit 必须是 'chars' 或 'bytes'，而不是 'words'",
                      "profile {p}: texts[0]: unit must be 'chars' or 'bytes', not 'words'"),
}


@pytest.mark.parametrize("case", sorted(PROFILES))
def test_a_bad_profile_is_said_in_chinese(tmp_path, case):
    data, zh, en = PROFILES[case]
    path = write(tmp_path, "平台.json", json.dumps(data, ensure_ascii=False))
    chinese, english = both("report", str(DEMO / "电话记录.txt"), "-o", str(tmp_path / "out"), "--outputs", "json",
                            "--pack", "shop-x", "--profile", str(path))
    assert chinese.exit_code == english.exit_code == 2
    assert chinese.stderr == f"错误 [E402] {zh.format(p=path)}\n"
    assert english.stderr == f"error [E402] {en.format(p=path)}\n"


def test_an_unknown_platform_is_said_in_chinese(tmp_path):
    chinese, english = both("report", str(DEMO / "电话记录.txt"), "-o", str(tmp_path), "--pack", "拼多多")
    assert chinese.exit_code == english.exit_code == 2
    known = re.search(r"known: (.*) \(add", english.stderr).group(1)
    assert chinese.stderr == f"错误 [E402] 未知的平台 '拼多多'；已有：{known}（可用 --profile FILE 添加）\n"


DECISIONS = {
    "not JSON": ('{"event": "abc", "action": "confirm", "label": "threat"}\n{"event": "abc",\n',
                 "{p}:2：不是 JSON（Expecting property name enclosed in double quotes）",
                 "{p}:2: not JSON (Expecting property name enclosed in double quotes)"),
    "unknown action": ('{"event": "abc", "action": "删除", "label": "threat"}\n',
                       "{p}:1：action '删除' 不是 confirm, dismiss, add 之一",
                       "{p}:1: action '删除' is not one of confirm, dismiss, add"),
    "no offset": ('{"event": "abc", "action": "confirm", "label": "threat", "at": "2025-06-24 10:20"}\n',
                  "{p}:1：'at' 必须是带时区偏移的 ISO 8601 时间，而不是 '2025-06-24 10:20'",
                  "{p}:1: 'at' must be an ISO 8601 time with its offset, not '2025-06-24 10:20'"),
    "missing label": ('{"event": "abc", "action": "confirm"}\n',
                      "{p}:1：'label' 缺失或不是字符串", "{p}:1: 'label' is missing or not a string"),
}


@pytest.mark.parametrize("case", sorted(DECISIONS))
def test_a_malformed_decisions_line_is_said_in_chinese(tmp_path, case):
    text, zh, en = DECISIONS[case]
    path = write(tmp_path, "审核.jsonl", text)
    chinese, english = both("report", str(DEMO / "电话记录.txt"), "-o", str(tmp_path / "out"), "--outputs", "json",
                            "--review", str(path))
    assert chinese.exit_code == english.exit_code == 2
    assert chinese.stderr == f"错误 [E403] {zh.format(p=path)}\n"
    assert english.stderr == f"error [E403] {en.format(p=path)}\n"


def test_a_file_that_is_no_case_store_is_said_in_chinese(tmp_path):
    path = write(tmp_path, "cases.db", "这不是数据库\n" * 100)
    chinese, english = both("train", "--db", str(path), "--out", str(tmp_path / "m.json"))
    assert chinese.exit_code == english.exit_code == 2
    # sqlite's own words stay as it gives them
    assert chinese.stderr == f"错误 [E404] {path}：不是案件库（file is not a database）；请给 --db 一个新文件或 evidence 的案件库\n"
    assert english.stderr == (f"error [E404] {path}: not a case store (file is not a database); give --db a new file "
                              "or an evidence store\n")


@pytest.mark.parametrize("make, zh, en", [
    (lambda d: ["--decisions", str(write(d, "审核.jsonl", ""))],
     "审核决定文件只记录事件编号，不含消息原文：请用 --inputs PATH 给出做决定时所用的导出文件（并使用与那次运行相同的 "
     "--tz/--shop/--staff），或用 --db STORE 给出案件库",
     "a decisions file holds event keys, not the messages' text: give the exports the decisions were made on with "
     "--inputs PATH (and the same --tz/--shop/--staff as that run), or the case store with --db STORE"),
    (lambda d: ["--db", str(d / "无.db")],
     "{d}/无.db：这里没有案件库（请给 --db 指定 `evidence serve --db` 使用的案件库）",
     "{d}/无.db: no case store there (give --db the store `evidence serve --db` uses)"),
])
def test_shop_training_errors_are_said_in_chinese(tmp_path, make, zh, en):
    chinese, english = both("train", *make(tmp_path), "--out", str(tmp_path / "m.json"))
    assert chinese.exit_code == english.exit_code == 2
    assert chinese.stderr == f"错误 [E405] {zh.format(d=tmp_path)}\n"
    assert english.stderr == f"error [E405] {en.format(d=tmp_path)}\n"


# --- the writers: E302 ---------------------------------------------------------------------

def test_a_full_disk_is_said_in_chinese(tmp_path, monkeypatch):
    def no_space(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    out = tmp_path / "out"
    chinese, english = both("report", str(DEMO / "ExportOrderList20250701.csv"), "-o", str(out), "--outputs", "json")
    assert chinese.exit_code == english.exit_code == 4
    # the OS's words (strerror) stay as it gives them
    assert re.fullmatch(rf"错误 \[E302\] {re.escape(str(out))}/\S+：无法写入（No space left on device）；"
                        "请腾出磁盘空间后重新运行（之前已写入的文件是完整的）", chinese.stderr.splitlines()[-1])
    assert re.fullmatch(rf"error \[E302\] {re.escape(str(out))}/\S+: cannot write \(No space left on device\); "
                        r"free some space and run again \(files written before are whole\)",
                        english.stderr.splitlines()[-1])


# --- the run's own files: --assign, --backoff (E400, E201) ----------------------------------

@pytest.mark.parametrize("text, zh, en", [
    ("U1234,小鹿爱买买\n", "--assign {p}:1：'U1234' 不是事件编号（U 加 8 位十六进制数字，与 index.html 中列出的一样）",
     "--assign {p}:1: 'U1234' is not an event id (U and 8 hex digits, as the index lists them)"),
    ("U0a1b2c3d,小鹿爱买买,补充\n", "--assign {p}:1：每行应有两项：编号,买家（实际有 3 项：'U0a1b2c3d,小鹿爱买买,补充'）",
     "--assign {p}:1: expected two fields, event,buyer (got 3: 'U0a1b2c3d,小鹿爱买买,补充')"),
    ('["U0a1b2c3d"]', "--assign {p}：第 1 项：应为 {{\"event\": …, \"buyer\": …}}",
     "--assign {p}: item 1: expected {{\"event\": …, \"buyer\": …}}"),
])
def test_a_bad_assignment_file_is_said_in_chinese(tmp_path, text, zh, en):
    path = write(tmp_path, "归属.csv", text)
    chinese, english = both("report", str(DEMO / "电话记录.txt"), "-o", str(tmp_path / "out"), "--outputs", "json",
                            "--assign", str(path))
    assert chinese.exit_code == english.exit_code == 2
    assert chinese.stderr == f"错误 [E400] {zh.format(p=path)}\n"
    assert english.stderr == f"error [E400] {en.format(p=path)}\n"


def test_a_file_that_is_no_backoff_model_is_said_in_chinese(tmp_path):
    from extractor.nlp.backoff import MODEL_FORMAT

    path = write(tmp_path, "模型.json", '{"format": "something else"}')
    chinese, english = both("tag", str(DEMO / "电话记录.txt"), "--backoff", str(path))
    assert chinese.exit_code == english.exit_code == 3
    assert chinese.stderr == (f"错误 [E201] backoff 模型 {path}：不是 backoff 模型（应有 \"format\": \"{MODEL_FORMAT}\"）；"
                              "请用 `evidence train` 重新训练\n")
    assert english.stderr == (f"error [E201] backoff model {path}: not a backoff model (expected \"format\": "
                              f"\"{MODEL_FORMAT}\"); retrain it with `evidence train`\n")


# --- rendering: E300, E301 ------------------------------------------------------------------

def test_a_templates_path_that_is_no_folder_is_said_in_chinese(tmp_path):
    path = write(tmp_path, "report.css", "body {}")
    chinese, english = both("report", str(DEMO / "电话记录.txt"), "-o", str(tmp_path / "out"), "--templates", str(path))
    assert chinese.exit_code == english.exit_code == 2
    assert chinese.stderr == (f"错误 [E400] --templates {path}：不是文件夹；请给出存放覆盖用模板的文件夹，"
                              "例如其中有 report.css 或 report.html.j2\n")
    assert english.stderr == (f"error [E400] --templates {path}: not a folder; give a folder holding templates to "
                              "override, e.g. report.css or report.html.j2\n")


def test_no_fontconfig_is_said_in_chinese_and_recorded_in_english(monkeypatch):
    from extractor import i18n
    from extractor.errors import MissingFontError
    from extractor.render import pdf

    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    pdf.cjk_font_family.cache_clear()
    try:
        with pytest.raises(MissingFontError) as info:
            pdf.cjk_font_family()
    finally:
        pdf.cjk_font_family.cache_clear()
    i18n.set_language("zh")
    assert info.value.translated() == (
        "[E301] 无法查找中文字体：没有安装 fc-list（fontconfig）；请安装 fontconfig 和一个中日韩字体，"
        "例如 `sudo apt-get install fontconfig fonts-noto-cjk`，再重新生成报告")
    assert str(info.value).startswith("[E301] cannot look for a Chinese font: fc-list (fontconfig) is not installed;")


def test_decisions_that_teach_nothing_are_warned_and_refused_in_chinese(tmp_path):
    path = write(tmp_path, "审核.jsonl",
                 '{"event": "0123456789abcdef0123", "action": "confirm", "label": "return_claim", "reason": "quality"}\n'
                 '{"event": "0123456789abcdef0124", "action": "confirm", "label": "threat"}\n')
    chinese, english = both("train", "--decisions", str(path), "--inputs", str(DEMO / "电话记录.txt"),
                            "--out", str(tmp_path / "m.json"))
    assert chinese.exit_code == english.exit_code == 2
    assert chinese.stderr.splitlines() == [
        f"警告：{path}:1：事件 0123456789abcdef0123 不在输入中；它的审核决定不会被学习（请用 --inputs 给出做决定时所用的"
        "导出文件，或用 --db 给出案件库）",
        "警告：针对 backoff 模型不学习的标签（只由规则判断）的审核决定不会被学习：threat 1",
        "错误 [E405] 2 条审核决定中没有一条可以学习（1 条指向输入中没有的事件，0 条不是针对买家消息，1 条针对的是 backoff "
        "模型不学习的标签）；请看上面的警告",
    ]
    assert english.stderr.splitlines() == [
        f"warning: {path}:1: event 0123456789abcdef0123 is not in the inputs; its decision is not learnt (give the "
        "exports it was made on with --inputs, or the store with --db)",
        "warning: decisions on labels the backoff does not learn (rules only) are not learnt: threat 1",
        "error [E405] none of the 2 decisions can be learnt (1 name events not in the inputs, 0 are not on buyer "
        "messages, 1 are on labels the backoff does not learn); see the warnings above",
    ]
    assert not (tmp_path / "m.json").exists()


def test_a_bad_label_registry_entry_is_said_in_chinese():
    from extractor import i18n
    from extractor.errors import RulesError
    from extractor.labels import load_registry

    with pytest.raises(RulesError) as info:
        load_registry(json.dumps({"labels": [{"name": "x", "by": "nobody", "zh": "某"}]}))
    i18n.set_language("zh")
    assert info.value.translated() == "[E200] 标签登记表 labels.json：标签 'x'：'by' 必须是 structure, seller, buyer 之一"
    assert str(info.value) == "[E200] label registry labels.json: label 'x': 'by' must be one of structure, seller, buyer"
