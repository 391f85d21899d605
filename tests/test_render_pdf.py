"""The PDF case report, read back with pdfplumber: every message of the case, page
numbers, running header, embedded CJK font subsets, PDF/A-3u metadata, and the source
files and manifest carried as attachments."""

from __future__ import annotations

import hashlib
import json
import re

import pdfplumber
import pytest
from pdfminer.pdftypes import resolve1

from extractor.cases import build_case, build_run
from extractor.errors import IntegrityError, MissingFontError
from extractor.render import Renderer
from extractor.render.env import mask_phones
from extractor.render.pdf import cjk_font_family
from report_fixtures import FIXED_NOW, LIN, LIN_ORDER, SHOP, XIAOYA, single_chat, story

PAGE_RE = re.compile(r"第\s*(\d+)\s*页\s*/\s*共\s*(\d+)\s*页")
HEADER_BAND = 40  # points from the top of a page: the running header, above the page body


@pytest.fixture(scope="module")
def lin_case(tmp_path_factory):
    events, files = story(tmp_path_factory.mktemp("story"))
    return next(c for c in build_run(events, files).cases if c.buyer == LIN)


@pytest.fixture(scope="module")
def lin_pdf(lin_case, tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "tb_lin8866.pdf"
    path.write_bytes(Renderer(generated_at=FIXED_NOW).render("pdf", lin_case, "tb_lin8866"))
    return path


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def timeline_text(pdf: pdfplumber.PDF) -> str:
    """The text of the timeline section, page after page, in reading order, without the
    running header and the page numbers.

    On paper the timeline is one column (a line of facts, then the message), so reading
    the page body top to bottom keeps a message's wrapped lines together."""
    parts = []
    for page in pdf.pages:
        words = page.extract_words()
        footer = min((w["top"] for w in words if w["text"].startswith("第") and PAGE_RE.search(
            " ".join(x["text"] for x in words if abs(x["top"] - w["top"]) < 1))), default=page.height)
        parts.append(page.crop((0, HEADER_BAND, page.width, footer - 1)).extract_text() or "")
    text = squash("".join(parts))
    start = text.index("时间线（")
    return text[start:text.index("附录：", start)]


def test_every_message_of_the_case_is_in_the_pdf(lin_pdf, lin_case):
    with pdfplumber.open(lin_pdf) as pdf:
        column = timeline_text(pdf)
    messages = [ce.event.text for ce in lin_case.events if ce.event.kind in ("message", "note") and ce.event.text]
    assert len(messages) == 11  # ten chat messages and a staff call note
    for text in messages:
        assert squash(mask_phones(text)) in column, text


def test_page_numbers_and_running_header(lin_pdf):
    with pdfplumber.open(lin_pdf) as pdf:
        total = len(pdf.pages)
        assert total >= 2
        for number, page in enumerate(pdf.pages, 1):
            text = page.extract_text()
            assert PAGE_RE.search(text).groups() == (str(number), str(total))
            top = page.crop((0, 0, page.width, HEADER_BAND)).extract_text()
            assert SHOP in top and LIN in top and LIN_ORDER in top


def test_text_is_set_in_an_embedded_cjk_subset(lin_pdf):
    with pdfplumber.open(lin_pdf) as pdf:
        fonts = {c["fontname"] for page in pdf.pages for c in page.chars}
    assert fonts and all(re.match(r"^[A-Z]{6}\+", f) for f in fonts), fonts
    assert any("CJK" in f for f in fonts)


def test_text_is_set_in_one_face(lin_pdf):
    # Every face in a PDF is one more font to subset for every file (issue 5's speed
    # target): on paper, headings and values are set in the regular face too.
    with pdfplumber.open(lin_pdf) as pdf:
        fonts = {c["fontname"] for page in pdf.pages for c in page.chars}
    assert len(fonts) == 1 and "CJK" in next(iter(fonts)), fonts


def test_pdf_a_3u_metadata(lin_pdf):
    with pdfplumber.open(lin_pdf) as pdf:
        xmp = resolve1(pdf.doc.catalog["Metadata"]).get_data()
        assert pdf.doc.catalog.get("AF")
    assert lin_pdf.read_bytes().startswith(b"%PDF-1.7")
    assert re.search(rb'pdfaid:part="3"', xmp) and re.search(rb'pdfaid:conformance="U"', xmp)


def attachments_of(path) -> dict[str, bytes]:
    out = {}
    with pdfplumber.open(path) as pdf:
        names = resolve1(resolve1(pdf.doc.catalog["Names"])["EmbeddedFiles"])["Names"]
        for i in range(0, len(names), 2):
            spec = resolve1(names[i + 1])
            name = spec["UF"]
            name = name.decode("utf-16") if name[:2] in (b"\xfe\xff", b"\xff\xfe") else (
                name.decode("utf-8") if isinstance(name, bytes) else name)
            out[name] = resolve1(resolve1(spec["EF"])["F"]).get_data()
    return out


def test_attach_full_embeds_every_source_whole(lin_case, tmp_path):
    """--attach full: the files as they are, other buyers' rows included (the case's
    default cuts shared files: tests/test_render_attachments.py)."""
    path = tmp_path / "full.pdf"
    path.write_bytes(Renderer(generated_at=FIXED_NOW, attach="full").render("pdf", lin_case, "full"))
    files = attachments_of(path)
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["tool"] == "evidence" and manifest["version"] == "0.1.0"
    assert manifest["generated_at"] == FIXED_NOW.isoformat() and manifest["attach"] == "full"
    by_name = {m["attachment"]: m for m in manifest["files"]}
    assert set(by_name) == set(files)
    assert len(files) == len(lin_case.files)
    originals = {f.file.rsplit("/", 1)[-1]: f.file for f in lin_case.files}
    for name, data in files.items():
        entry = by_name[name]
        assert entry["attached"] == "whole" and "/" not in entry["file"]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) == entry["size"]
        with open(originals[entry["file"]], "rb") as fh:
            assert fh.read() == data


@pytest.mark.parametrize("options", [{"attach": "none"}, {"attach_sources": False}])
def test_no_attach_embeds_the_manifest_alone(lin_case, tmp_path, options):
    """--attach none (--no-attach): a PDF for upload carries no source file, only the
    manifest with their hashes; the appendix says so."""
    path = tmp_path / "x.pdf"
    path.write_bytes(Renderer(generated_at=FIXED_NOW, **options).render("pdf", lin_case, "x"))
    files = attachments_of(path)
    assert set(files) == {"manifest.json"}
    manifest = json.loads(files["manifest.json"])
    assert len(manifest["files"]) == len(lin_case.files)
    with pdfplumber.open(path) as pdf:
        text = squash("".join(page.extract_text() or "" for page in pdf.pages))
    assert "未内嵌原始文件本身" in text


def test_hostile_text_is_printed_as_text(tmp_path):
    texts = ["<script>alert(1)</script>", "{{ 7*7 }}{% raw %}", "<b>不是粗体</b>"]
    events, files = single_chat(tmp_path, "tb_<i>x</i>", [("tb_<i>x</i>", f"2025-06-24 10:0{i}:00", s)
                                                          for i, s in enumerate(texts)]
                                + [(XIAOYA, "2025-06-24 10:09:00", "亲，在的")])
    case = build_case("tb_<i>x</i>", events, files)
    path = tmp_path / "x.pdf"
    path.write_bytes(Renderer(generated_at=FIXED_NOW).render("pdf", case, "x"))
    with pdfplumber.open(path) as pdf:
        column = timeline_text(pdf)
        top = pdf.pages[0].crop((0, 0, pdf.pages[0].width, HEADER_BAND)).extract_text()
    for text in texts:
        assert squash(text) in column
    assert "tb_<i>x</i>" in top


def test_a_source_changed_since_parsing_is_refused(tmp_path):
    events, files = single_chat(tmp_path, "tb_x", [("tb_x", "2025-06-24 10:00:00", "在吗")])
    case = build_case("tb_x", events, files)
    with open(files[0].file, "ab") as fh:
        fh.write(b"edited\r\n")
    with pytest.raises(IntegrityError) as exc:
        Renderer(generated_at=FIXED_NOW).render("pdf", case, "x")
    assert exc.value.message.startswith(f"{files[0].file}: the file changed while the report was being made")


def test_no_cjk_font_is_a_clear_error(tmp_path, monkeypatch):
    empty = tmp_path / "fonts.conf"
    empty.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig></fontconfig>')
    monkeypatch.setenv("FONTCONFIG_FILE", str(empty))
    cjk_font_family.cache_clear()
    try:
        with pytest.raises(MissingFontError) as exc:
            cjk_font_family()
    finally:
        monkeypatch.undo()
        cjk_font_family.cache_clear()
    assert exc.value.code == "E301" and exc.value.exit_code == 4
    assert exc.value.message == (
        "no installed font has Chinese glyphs, so the PDF would print empty boxes instead of characters; "
        "install one, e.g. `sudo apt-get install fonts-noto-cjk` on Debian/Ubuntu (or run `make sysdeps`), "
        "then run the report again; `--outputs html,json` writes the other formats")
    assert cjk_font_family() == "Noto Sans CJK SC"
