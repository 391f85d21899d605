"""What a case PDF carries of its sources (--attach case, the default): files shared with
other buyers cut to this case's rows or lines, masked, named in the manifest by base
name with the rows' numbers; `verify` checks the excerpts against the originals."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from extractor.cases import build_case, build_run
from extractor.model import Event, FileReport, Source
from extractor.render import Renderer
from extractor.textio import decode_bytes
from extractor.render.excerpt import ROW, check_excerpt, make_excerpt, positions_in
from extractor.verify import CHANGED, EXCERPT_DIFFERS, MATCH, RecordedFile, check_file, verify_report
from report_fixtures import (AJIE, FIXED_NOW, LIN, LIN_ORDER, LU, LU_ORDER, XIAOYA, SourceFile, _chat_line,
                             contact, story, t)
from test_render_pdf import attachments_of

# What of each buyer must never be in the other's PDF: nick, phone (full and masked),
# order number, the unassigned caller.
LIN_MARKS = (LIN, "13812345678", "138****5678", LIN_ORDER, "林**")
LU_MARKS = (LU, "13900001111", "139****1111", LU_ORDER, "鹿**", "SF1234567890123")
STRANGER_MARKS = ("13700009999", "137****9999")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("attach")
    events, files = story(root / "in")
    return root, build_run(events, files)


def _pdf(run, buyer: str, **options) -> dict[str, bytes]:
    root, built = run
    case = next(c for c in built.cases if c.buyer == buyer)
    name = f"{buyer}-{'-'.join(f'{k}{v}' for k, v in options.items()) or 'case'}"
    path = root / f"{name}.pdf"
    path.write_bytes(Renderer(generated_at=FIXED_NOW, **options).render("pdf", case, name))
    return attachments_of(path)


def _text(data: bytes) -> str:
    if data.startswith(b"%PDF"):  # a printed web chat, embedded whole: its text layer
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return "".join(page.extract_text() or "" for page in pdf.pages)
    return decode_bytes(data).text


def _found(files: dict[str, bytes], marks) -> set[tuple[str, str]]:
    texts = {name: _text(data) for name, data in files.items() if name != "manifest.json"}
    return {(name, mark) for name, text in texts.items() for mark in marks if mark in text}


@pytest.mark.parametrize("buyer, others", [(LIN, LU_MARKS + STRANGER_MARKS), (LU, LIN_MARKS + STRANGER_MARKS)])
def test_no_other_buyers_data_in_the_attachments(run, buyer, others):
    files = _pdf(run, buyer)
    manifest = json.loads(files["manifest.json"])
    assert manifest["attach"] == "case" and manifest["masked"] is True
    assert _found(files, others) == set()
    # the manifest names the originals by base name; nothing of a folder
    assert all("/" not in f["file"] and "\\" not in f["file"] for f in manifest["files"])
    # what the check would see with every file embedded whole
    assert {mark for _, mark in _found(_pdf(run, buyer, attach="full"), others)} >= set(others[:2])


def test_lin_s_attachments_are_cut_where_shared(run):
    files = _pdf(run, LIN)
    manifest = json.loads(files.pop("manifest.json"))
    by_file = {f["file"]: f for f in manifest["files"]}
    assert {k: v["attached"] for k, v in by_file.items()} == {
        "wangwang-tb_lin8866.txt": "excerpt",  # one buyer, but a line the parser warned of
        "cmcc-bill-202506.csv": "excerpt", "call-notes.txt": "excerpt", "ExportOrderList202507.csv": "excerpt"}
    orders = by_file["ExportOrderList202507.csv"]
    assert orders["excerpt"]["records"] == [{"row": 1, "header": True}, {"row": 2}]
    assert orders["attachment"] == "ExportOrderList202507.excerpt.csv"
    rows = list(csv.reader(io.StringIO(files[orders["attachment"]].decode("utf-8-sig"), newline="")))
    assert rows == [
        ["订单编号", "买家会员名", "买家实际支付金额", "订单状态", "收货人姓名", "联系手机", "订单付款时间 ", "发货时间", "物流公司", "物流单号"],
        [f'="{LIN_ORDER}"', LIN, "59.00", "交易成功", "林**", "138****5678", "2025-06-24 09:58:45",
         "2025-06-25 16:40:12", "中通快递", "No:75312345678901"]]
    bill = by_file["cmcc-bill-202506.csv"]
    assert bill["excerpt"]["records"] == [{"row": 1, "header": True}, {"row": 2}, {"row": 3}]
    assert bill["size"] > bill["excerpt"]["size"]
    notes = by_file["call-notes.txt"]
    assert notes["excerpt"]["records"] == [{"line": 2}]
    assert files["call-notes.excerpt.txt"].decode("utf-8-sig") == (
        "2025-06-27 21:30 售后阿明 致电 tb_lin8866（138****5678），对方直接挂断\r\n")
    chat = by_file["wangwang-tb_lin8866.txt"]
    # each message's line, and the second line of the two-line message (line 9)
    assert [r["line"] for r in chat["excerpt"]["records"]] == [6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]


def test_lu_s_single_buyer_chat_is_embedded_whole(run):
    root, built = run
    files = _pdf(run, LU)
    manifest = json.loads(files.pop("manifest.json"))
    sheet = next(f for f in manifest["files"] if f["file"] == "qianniu-sheet-小鹿爱买买.csv")
    assert sheet["attached"] == "whole" and "excerpt" not in sheet
    original = next(f for f in next(c for c in built.cases if c.buyer == LU).files if f.file.endswith(sheet["file"]))
    assert files[sheet["attachment"]] == Path(original.file).read_bytes()


def test_no_mask_keeps_the_case_s_own_numbers(run):
    files = _pdf(run, LIN, mask_phones=False)
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["masked"] is False
    text = files["ExportOrderList202507.excerpt.csv"].decode("utf-8-sig")
    assert "13812345678" in text and "13900001111" not in text and LU not in text


@pytest.mark.parametrize("attach, expected", [
    ("full", {"wangwang-tb_lin8866.txt", "cmcc-bill-202506.csv", "call-notes.txt", "ExportOrderList202507.csv"}),
    ("none", set()),
])
def test_attach_full_and_none(run, attach, expected):
    files = _pdf(run, LIN, attach=attach)
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["attach"] == attach and set(files) == expected
    assert {f["attached"] for f in manifest["files"]} == {"whole" if attach == "full" else "none"}


# -- verify --------------------------------------------------------------------


def _lin_pdf_path(run) -> Path:
    root, built = run
    path = root / "verify-tb_lin8866.pdf"
    if not path.exists():
        case = next(c for c in built.cases if c.buyer == LIN)
        path.write_bytes(Renderer(generated_at=FIXED_NOW).render("pdf", case, "tb_lin8866"))
    return path


def test_verify_passes_on_the_excerpts_against_the_originals(run):
    root, _ = run
    result = verify_report(_lin_pdf_path(run), [root / "in"])
    by_name = {c.path.rsplit("/", 1)[-1]: c for c in result.checks}
    assert {k: c.status for k, c in by_name.items() if c.status != "unknown"} == {
        "wangwang-tb_lin8866.txt": MATCH, "cmcc-bill-202506.csv": MATCH, "call-notes.txt": MATCH,
        "ExportOrderList202507.csv": MATCH}
    assert "the PDF's excerpt (2 row(s)) is the original's" in by_name["ExportOrderList202507.csv"].line()
    assert result.ok


@pytest.mark.parametrize("edit, detail", [
    # the case's own row edited: the excerpt no longer matches either
    ((f'="{LIN_ORDER}",tb_lin8866,59.00', f'="{LIN_ORDER}",tb_lin8866,5.90'), "row 2 differs from the original"),
    # another buyer's row edited: the file changed, the case's rows did not
    (("鹿**", "陆**"), "the case's excerpted records are the same in it"),
])
def test_verify_fails_on_a_changed_original(run, tmp_path, edit, detail):
    root, _ = run
    original = root / "in" / "exports" / "ExportOrderList202507.csv"
    changed = tmp_path / original.name
    changed.write_bytes(original.read_bytes().replace(edit[0].encode("gb18030"), edit[1].encode("gb18030")))
    assert changed.read_bytes() != original.read_bytes()
    result = verify_report(_lin_pdf_path(run), [changed], partial=True)
    (check,) = result.checks
    assert check.status == CHANGED and check.detail == detail
    assert not result.ok


def test_verify_fails_on_an_excerpt_that_is_not_the_original_s(run):
    root, built = run
    case = next(c for c in built.cases if c.buyer == LIN)
    report = next(f for f in case.files if f.file.endswith("ExportOrderList202507.csv"))
    data = Path(report.file).read_bytes()
    cut = make_excerpt(data, report.format, positions_in([ce.event for ce in case.events], report.file), True)
    forged = cut.data.replace(b"59.00", b"5.90")
    recorded = RecordedFile(report.file, report.sha256, report.size, report.format,
                            {"unit": cut.unit, "records": list(cut.records)}, forged, True)
    check = check_file(report.file, True, [recorded])
    assert check.status == EXCERPT_DIFFERS and check.detail == "row 2 differs from the original"
    assert not check.ok


# -- the formats a shared file comes in ----------------------------------------------


def _two_conversations(root: Path) -> tuple[list[Event], FileReport]:
    """One Wangwang export holding two buyers' conversations."""
    f = SourceFile(root / "两位买家.txt", "wangwang-a")
    f.add("消息对象:tb_lin8866")
    f.add("================================================================")
    _chat_line(f, XIAOYA, "2025-06-24 10:02:10", "亲，跟您确认地址\n浙江省杭州市西湖区文三路***号 13812345678",
               "seller", LIN, contact())
    _chat_line(f, LIN, "2025-06-24 10:05:00", "对的", "buyer", LIN)
    f.add("")
    f.add("消息对象:小鹿爱买买")
    f.add("================================================================")
    _chat_line(f, AJIE, "2025-06-26 14:26:02", "亲，明天上午给您发出哦\n地址：上海市徐汇区XX路1号 13900001111",
               "seller", LU, contact())
    events, report = f.finish()
    return events, report


def test_a_chat_file_with_two_conversations_is_cut_to_the_case_s_lines(tmp_path):
    events, report = _two_conversations(tmp_path)
    case = build_case(LIN, [e for e in events if e.buyer == LIN], [report])
    data = Path(report.file).read_bytes()
    cut = make_excerpt(data, report.format, positions_in([ce.event for ce in case.events], report.file), True)
    assert [r["line"] for r in cut.records] == [3, 4, 5]
    assert cut.data.decode("utf-8-sig") == (
        f"{XIAOYA}(2025-06-24 10:02:10): 亲，跟您确认地址\r\n浙江省杭州市西湖区文三路***号 138****5678\r\n"
        f"{LIN}(2025-06-24 10:05:00): 对的\r\n")
    assert check_excerpt(data, report.format, cut.unit, cut.records, cut.data, True) == []
    edited = data.replace("对的".encode(), "不对".encode())
    assert check_excerpt(edited, report.format, cut.unit, cut.records, cut.data, True) == [
        "line 5 differs from the original"]


def _xlsx_bill(path: Path) -> tuple[list[Event], FileReport]:
    """A China Mobile bill as XLSX, a title row above the header, calls to two buyers."""
    import hashlib

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "通话详单"
    ws.append(["2025年06月 通话详单 号码 13588887777"])
    ws.append(["起始时间", "通信地点", "通信方式", "对方号码", "通信时长", "通信类型"])
    ws.append(["2025-06-24 10:20:11", "杭州", "主叫", "13812345678", "0秒", "国内通话"])
    ws.append(["2025-06-27 10:08:55", "杭州", "主叫", "13900001111", "2分05秒", "国内通话"])
    wb.save(path)
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    src = Source(str(path), sha, "cmcc-bill-xlsx", row=3, sheet="通话详单")
    lin = Event(time=t("2025-06-24 10:20:11"), role="seller", kind="call", sender=None, buyer=LIN, text="",
                source=src, tags=contact())
    lu = replace(lin, buyer=LU, time=t("2025-06-27 10:08:55"), source=replace(src, row=4))
    return [lin, lu], FileReport(str(path), sha, len(data), "cmcc-bill-xlsx", 2)


def test_an_xlsx_bill_is_cut_to_the_header_and_the_case_s_rows(tmp_path):
    events, report = _xlsx_bill(tmp_path / "bill.xlsx")
    data = Path(report.file).read_bytes()
    cut = make_excerpt(data, report.format, positions_in(events[:1], report.file), True)
    assert cut.unit == ROW
    assert list(cut.records) == [{"row": 2, "sheet": "通话详单", "header": True}, {"row": 3, "sheet": "通话详单"}]
    assert cut.data.decode("utf-8-sig") == ("起始时间,通信地点,通信方式,对方号码,通信时长,通信类型\r\n"
                                            "2025-06-24 10:20:11,杭州,主叫,138****5678,0秒,国内通话\r\n")
    assert check_excerpt(data, report.format, cut.unit, cut.records, cut.data, True) == []
    assert check_excerpt(data, report.format, cut.unit, cut.records, cut.data.replace(b"0\xe7\xa7\x92", b"9\xe7\xa7\x92"),
                         True) == ["row 3 of sheet '通话详单' differs from the original"]


def test_a_shared_pdf_source_is_not_attached_and_the_manifest_says_why(tmp_path):
    import hashlib

    path = tmp_path / "cmcc-ebill.pdf"
    path.write_bytes(b"%PDF-1.4\n% a bill of two buyers\n")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    src = Source(str(path), sha, "cmcc-bill-pdf", page=1)
    lin = Event(time=t("2025-06-24 10:20:11"), role="seller", kind="call", sender=None, buyer=LIN, text="",
                source=src, tags=contact())
    lu = replace(lin, buyer=LU, source=replace(src, page=2))
    report = FileReport(str(path), sha, path.stat().st_size, "cmcc-bill-pdf", 2)
    case = build_case(LIN, [lin], [report])
    out = tmp_path / "x.pdf"
    out.write_bytes(Renderer(generated_at=FIXED_NOW).render("pdf", case, "x"))
    files = attachments_of(out)
    (entry,) = json.loads(files.pop("manifest.json"))["files"]
    assert files == {} and entry["attached"] == "none" and "cannot be cut by record" in entry["note"]
    assert lu.buyer == LU


# -- the demo, end to end: the upload the issue found carrying another buyer's data ---------

DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"
# 小鹿爱买买's row of the demo order export: Alipay account, address, mobile (full and
# masked), order number; and the caller no buyer was found for.
DEMO_LU = ("小鹿爱买买", "xiaolu", "余杭区", "良渚", "13900001111", "139****1111", "3021456789099990001")
DEMO_LIN = ("tb_lin8866", "13812345678", "138****5678", "3021456789012345678", "南山区")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from typer.testing import CliRunner

    from extractor.cli import app

    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(app, ["report", str(DEMO), "-o", str(out), "--outputs", "pdf,html"])
    assert result.exit_code == 0, result.stderr
    return out


@pytest.mark.parametrize("pdf, others", [("tb_lin8866.pdf", DEMO_LU), ("小鹿爱买买.pdf", DEMO_LIN)])
def test_demo_pdfs_carry_no_other_buyer(demo, pdf, others):
    files = attachments_of(demo / pdf)
    assert _found(files, others) == set()
    manifest = json.loads(files["manifest.json"])
    orders = next(f for f in manifest["files"] if f["file"] == "ExportOrderList20250701.csv")
    assert orders["attached"] == "excerpt" and len(orders["excerpt"]["records"]) == 2
    ebill = next(f for f in manifest["files"] if f["file"] == "cmcc-ebill-202506.pdf")
    assert ebill["attached"] == "none"


def test_demo_excerpts_verify_against_the_corpus(demo):
    result = verify_report(demo / "tb_lin8866.pdf", [DEMO])
    assert result.ok and len(result.matched) == len(result.recorded) == 10


def test_demo_pages_name_files_by_base_name(demo):
    """No folder of the machine the report was made on in what is uploaded or shown."""
    import pdfplumber

    folder = str(DEMO.parent)
    for name in ("tb_lin8866.html", "小鹿爱买买.html", "index.html"):
        text = (demo / name).read_text("utf-8")
        assert folder not in text and str(demo) not in text, name
        assert "ExportOrderList20250701.csv" in text
    with pdfplumber.open(demo / "tb_lin8866.pdf") as pdf:
        text = "".join(page.extract_text() or "" for page in pdf.pages)
    assert folder not in text and "corpora/demo" not in text
    assert "ExportOrderList20250701.csv" in text.replace("\n", "")
    manifest = attachments_of(demo / "tb_lin8866.pdf")["manifest.json"].decode("utf-8")
    assert folder not in manifest and str(demo) not in manifest


@pytest.mark.parametrize("argv, shown", [
    (("/usr/local/bin/evidence", "report", "/home/zhang/exports", "-o", "/home/zhang/out"),
     "evidence report exports -o out"),
    (("C:\\Users\\张三\\venv\\Scripts\\evidence.exe", "report", "C:\\Users\\张三\\Desktop\\导出", "--shop", "悦颜美妆旗舰店",
      "-o", "D:\\报告"), "evidence.exe report 导出 --shop 悦颜美妆旗舰店 -o 报告"),
    (("evidence", "report", "exports", "--ship-within", "48"), "evidence report exports --ship-within 48"),
])
def test_the_command_is_shown_with_file_names_only(run, argv, shown):
    _, built = run
    case = next(c for c in built.cases if c.buyer == LIN)
    html = Renderer(generated_at=FIXED_NOW, argv=argv).render("html", case, "x").decode("utf-8")
    assert f"<code>{shown}</code>" in html
    assert "Users" not in html and "/home/" not in html


def test_the_case_json_keeps_the_full_paths(run):
    _, built = run
    case = next(c for c in built.cases if c.buyer == LIN)
    data = json.loads(Renderer(generated_at=FIXED_NOW).render("json", case, "x"))
    assert {f["file"] for f in data["files"]} == {f.file for f in case.files}
    assert all(Path(f["file"]).is_absolute() for f in data["files"])


# -- the option ----------------------------------------------------------------------


@pytest.mark.parametrize("args, expected", [
    ([], "case"), (["--attach", "full"], "full"), (["--attach", "none"], "none"), (["--no-attach"], "none"),
    (["--attach", "none", "--no-attach"], "none"),
])
def test_attach_option(args, expected, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    import extractor.stages as stages
    from extractor.cli import app

    seen = {}

    def fake_run_report(paths, out, config, **_):
        seen["attach"] = config.pdf_attachments
        raise SystemExit(0)

    monkeypatch.setattr(stages, "run_report", fake_run_report)
    result = CliRunner().invoke(app, ["report", str(tmp_path), "-o", str(tmp_path / "out"), *args])
    assert result.exit_code == 0, result.output
    assert seen == {"attach": expected}


@pytest.mark.parametrize("args, message", [
    (["--attach", "some"], "--attach takes case, full or none; got 'some'"),
    (["--attach", "full", "--no-attach"], "--no-attach is --attach none; it cannot go with --attach full"),
])
def test_attach_option_errors(args, message, tmp_path):
    from typer.testing import CliRunner

    from extractor.cli import app

    result = CliRunner().invoke(app, ["report", str(tmp_path), "-o", str(tmp_path / "out"), *args])
    assert result.exit_code == 2 and f"error [E400] {message}" in result.stderr


def test_the_attach_mode_is_part_of_the_render_fingerprint():
    from extractor.stages import RunConfig

    prints = {RunConfig(pdf_attachments=mode).render_fingerprint() for mode in ("case", "full", "none")}
    assert len(prints) == 3


def test_an_excerpt_never_takes_another_source_s_name(run, tmp_path):
    """A file named like an excerpt beside the shared file it would be cut from."""
    _, built = run
    case = next(c for c in built.cases if c.buyer == LIN)
    notes = next(f for f in case.files if f.file.endswith("call-notes.txt"))
    twin = tmp_path / "call-notes.excerpt.txt"
    twin.write_bytes(b"whole\r\n")
    import hashlib

    report = FileReport(str(twin), hashlib.sha256(b"whole\r\n").hexdigest(), 7, "call-notes", 0)
    case = replace(case, files=(report, *case.files))
    path = tmp_path / "twin.pdf"
    path.write_bytes(Renderer(generated_at=FIXED_NOW).render("pdf", case, "twin"))
    files = attachments_of(path)
    assert files["call-notes.excerpt.txt"] == b"whole\r\n"
    assert files["call-notes.excerpt-2.txt"].decode("utf-8-sig").startswith("2025-06-27 21:30")
    assert notes.file != str(twin)


def test_a_shared_file_that_cannot_be_cut_is_left_out_not_embedded_whole(run, tmp_path, monkeypatch):
    import extractor.render.pdf as pdf_module

    def broken(*_args, **_kw):
        raise ValueError("boom")

    monkeypatch.setattr(pdf_module, "make_excerpt", broken)
    files = _pdf(run, LIN)
    manifest = json.loads(files.pop("manifest.json"))
    assert set(files) == set()  # all four of LIN's files are excerpted in the story
    assert {f["attached"] for f in manifest["files"]} == {"none"}
    assert all("could not be cut to this case's records (ValueError)" in f["note"] for f in manifest["files"])
