"""The upload pack: platform profiles as data, pictures within the form's limits,
申诉说明 within each text field's limit, the round split, the manifest and the zip."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pdfplumber
import pytest
from PIL import Image
from typer.testing import CliRunner

from extractor.cases import build_run
from extractor.cli import app
from extractor.errors import PackError, ProfileError
from extractor.pack import get_profile, load_profiles, write_pack
from extractor.pack.appeal import Fact, appeal_texts, case_facts, compose
from extractor.pack.images import encode, pictures
from extractor.pack.profiles import ImageLimits, TextField, builtin_profiles, profile_from_json
from extractor.render import Renderer
from report_fixtures import FIXED_NOW, LIN, LIN_ORDER, LU, SHOP, long_case, story

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def lin_case(tmp_path_factory):
    events, files = story(tmp_path_factory.mktemp("story"))
    return next(c for c in build_run(events, files).cases if c.buyer == LIN)


@pytest.fixture(scope="module")
def lin_pack(lin_case, tmp_path_factory):
    out = tmp_path_factory.mktemp("pack")
    result = write_pack(lin_case, Renderer(generated_at=FIXED_NOW), out, LIN, get_profile("taobao-web"))
    return result


# -- profiles ------------------------------------------------------------------------


def test_the_builtin_profiles_hold_the_documented_limits():
    p = builtin_profiles()
    assert {"taobao-web", "tmall-web", "taobao-api-refund", "taobao-api-refuse"} <= set(p)
    assert (p["taobao-web"].images.per_upload, p["taobao-web"].images.max_bytes) == (5, 5_000_000)
    assert (p["taobao-api-refund"].images.max_bytes, p["taobao-api-refund"].texts[0].max,
            p["taobao-api-refund"].texts[0].unit) == (500_000, 400, "bytes")
    assert (p["taobao-api-refuse"].images.max_bytes, p["taobao-api-refuse"].texts[0].min,
            p["taobao-api-refuse"].texts[0].max) == (130_000, 2, 200)
    assert all(prof.sources for prof in p.values()), "every profile says where its figures came from"


def test_a_user_profile_adds_or_replaces_one(tmp_path):
    data = json.loads(json.dumps({
        "name": "taobao-web", "title": "mine", "images": {"formats": ["jpg"], "max_bytes": 800000, "per_upload": 3,
                                                          "width_px": 1080, "page_height_px": 1600},
        "texts": [{"name": "short", "min": 2, "max": 150, "unit": "chars"}]}))
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    profiles = load_profiles([path])
    assert profiles["taobao-web"].images.per_upload == 3 and profiles["taobao-web"].origin == str(path)
    assert "tmall-web" in profiles


@pytest.mark.parametrize("change, message", [
    ({"name": "Taobao Web"}, "profile x.json: name 'Taobao Web' must be lower-case letters, digits and '-'"),
    ({"images": {"formats": ["heic"], "max_bytes": 100000, "per_upload": 1, "width_px": 1080, "page_height_px": 1920}},
     "profile x.json: images: formats must be some of jpg, png, gif, not 'heic'"),
    ({"images": {"formats": ["jpg"], "max_bytes": 100000, "per_upload": 0, "width_px": 1080, "page_height_px": 1920}},
     "profile x.json: images: 'per_upload' must be at least 1, not 0"),
    ({"images": {"formats": ["jpg"], "max_bytes": 100000, "per_upload": 1, "width_px": 320, "page_height_px": 1920}},
     "profile x.json: images: 'width_px' must be at least 720, not 320"),
    ({"texts": [{"name": "a", "min": 2, "max": 200, "unit": "words"}]},
     "profile x.json: texts[0]: unit must be 'chars' or 'bytes', not 'words'"),
    ({"texts": [{"name": "a", "min": 300, "max": 200, "unit": "chars"}]}, "profile x.json: texts[0]: min 300 is above max 200"),
])
def test_a_bad_profile_is_an_error_naming_the_file_and_the_key(change, message):
    base = {"name": "x", "images": {"formats": ["jpg"], "max_bytes": 100000, "per_upload": 1, "width_px": 1080,
                                    "page_height_px": 1920},
            "texts": [{"name": "a", "min": 2, "max": 200, "unit": "chars"}]}
    with pytest.raises(ProfileError) as err:
        profile_from_json({**base, **change}, "x.json")
    assert str(err.value) == f"[E402] {message}"


def test_platforms_lists_every_profile_and_an_unknown_one_is_a_usage_error(tmp_path):
    runner = CliRunner()
    listed = runner.invoke(app, ["platforms"])
    assert listed.exit_code == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == sorted(builtin_profiles())
    bad = runner.invoke(app, ["pack", str(tmp_path), "-o", str(tmp_path / "out"), "--platform", "jd"])
    assert bad.exit_code == 2
    assert bad.stderr.strip() == ("error [E402] unknown platform 'jd'; known: taobao-api-refund, taobao-api-refuse, "
                                  "taobao-web, tmall-web (add one with --profile FILE)")
    assert not (tmp_path / "out").exists()


# -- 申诉说明 ----------------------------------------------------------------------------


@pytest.mark.parametrize("unit, limit", [("chars", 200), ("chars", 500), ("bytes", 400), ("chars", 80)])
def test_the_appeal_text_fits_its_field_and_every_fact_is_a_finding(lin_case, unit, limit):
    field = TextField("f", "f", 2, limit, unit)
    (text,) = appeal_texts(lin_case, [field], lambda s: s)
    assert field.length(text.text) <= limit and text.length == field.length(text.text)
    facts = {f.text for f in case_facts(lin_case)}
    body = text.text.split("：", 1)[1] if text.text.startswith("本店") else text.text
    assert all(clause in facts for clause in body.rstrip("。").split("。"))
    assert text.event_ids and all(i.startswith("E") for i in text.event_ids)


def test_a_short_field_keeps_the_deadline_the_shipment_and_the_first_claim(lin_case):
    (short,) = appeal_texts(lin_case, [TextField("s", "s", 2, 200, "chars")], lambda s: s)
    assert short.text.startswith(f"本店{SHOP}，买家{LIN}：订单{LIN_ORDER}于6月24日09:58付款，发货时限6月27日09:58。")
    assert "已发货，早于时限" in short.text
    assert "时限前卖家联系买家" in short.text
    assert "买家6月27日" in short.text  # the first claim, with its time


def test_a_long_field_holds_more_facts_than_a_short_one(lin_case):
    short, long = appeal_texts(lin_case, [TextField("s", "s", 2, 200, "chars"), TextField("l", "l", 2, 500, "chars")],
                               lambda s: s)
    assert len(long.facts) > len(short.facts)
    assert set(short.facts) <= set(long.facts)


def test_a_field_that_cannot_hold_one_fact_is_a_pack_error():
    fact = Fact("订单3021456789012345678于6月24日09:58付款", ("E1",), 0, (0, 0))
    with pytest.raises(PackError) as err:
        compose([fact], TextField("tiny", "留言", 1, 30, "bytes"))
    assert "留言: not even the first finding fits in 1–30 字节" in str(err.value)


# -- pictures ----------------------------------------------------------------------------


def _page(lines: int):
    body = "".join(f"<p id='E{i}'>第{i}行 订单3021456789012345678 买家未回复，卖家再次联系</p>" for i in range(1, lines + 1))
    return lambda w, h: (f"<html><head><style>@page {{ size: {w}px {h}px; margin: 0 }}</style></head>"
                         f"<body style='font-size:15px'>{body}</body></html>")


def test_pictures_keep_the_width_and_fit_the_bytes_by_shorter_pages():
    roomy = ImageLimits(("jpg", "png"), 5_000_000, 5, True, 1080, 1920)
    tight = ImageLimits(("jpg",), 90_000, 1, True, 1080, 1920)
    loose = pictures(_page(60), [], roomy, "test")
    small = pictures(_page(60), [], tight, "test")
    assert all(p.width == 1080 for p in loose + small)
    assert all(len(p.data) <= 90_000 for p in small)
    assert len(small) > len(loose)  # split into shorter pages, not shrunk
    assert max(p.height for p in small) < 1920
    anchors = [a for p in small for a in p.anchors]
    assert anchors == [f"E{i}" for i in range(1, 61)]  # every line on exactly one page, in order


def test_a_limit_no_readable_page_meets_is_a_pack_error(monkeypatch):
    import extractor.pack.images as images

    monkeypatch.setattr(images, "encode", lambda image, limits: None)
    with pytest.raises(PackError) as err:
        pictures(_page(5), [], ImageLimits(("jpg",), 20_000, 1, True, 1080, 1920), "聊天截图")
    assert str(err.value).startswith("[E303] 聊天截图: a page of 1080×480 px is still over 20,000 bytes")


def test_encode_prefers_jpeg_and_falls_back_to_palette_png():
    image = Image.new("RGB", (1080, 1200), "white")
    data, ext, label = encode(image, ImageLimits(("jpg", "png"), 5_000_000, 1, True, 1080, 1920))
    assert (ext, label) == ("jpg", "jpeg-90") and data[:2] == b"\xff\xd8"
    _, ext, _ = encode(image, ImageLimits(("png",), 5_000_000, 1, True, 1080, 1920))
    assert ext == "png"


# -- the pack -----------------------------------------------------------------------------


def test_the_pack_folder_and_zip_hold_the_same_files_with_the_manifest_hashes(lin_pack):
    manifest = json.loads((lin_pack.folder / "pack-manifest.json").read_text("utf-8"))
    with zipfile.ZipFile(lin_pack.zip) as z:
        names = set(z.namelist())
        for entry in manifest["files"]:
            data = (lin_pack.folder / entry["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
            assert z.read(f"{LIN}/{entry['path']}") == data
    assert f"{LIN}/pack-manifest.json" in names and f"{LIN}/申诉说明.txt" in names and f"{LIN}/{LIN}.pdf" in names


def test_the_first_upload_is_the_summary_then_the_pages_that_matter_within_the_limits(lin_pack, lin_case):
    manifest = json.loads((lin_pack.folder / "pack-manifest.json").read_text("utf-8"))
    pics = [f for f in manifest["files"] if "round" in f]
    first = [f for f in pics if f["round"] == 1]
    assert first[0]["path"] == "第1次上传/01-摘要.jpg" and first[0]["role"] == "summary"
    assert len(first) <= 5
    assert all(f["bytes"] <= 5_000_000 and f["width"] == 1080 for f in pics)
    seen = {e for f in first for e in f["events"]}
    promises = {p.event_id for p in lin_case.promises}
    claims = {c.event_id for c in lin_case.claims}
    assert promises & seen and claims & seen
    numbers = [int(Path(f["path"]).name[:2]) for f in pics]
    assert numbers == list(range(1, len(pics) + 1))
    for f in pics:
        with Image.open(lin_pack.folder / f["path"]) as im:
            assert im.size == (f["width"], f["height"])


def test_the_appeal_file_names_each_field_with_its_count(lin_pack):
    text = (lin_pack.folder / "申诉说明.txt").read_text("utf-8")
    assert text.startswith("【申诉说明（≤200字）】（")
    assert "【申诉说明（≤500字）】（" in text
    for t in lin_pack.texts:
        assert t.text in text and t.length <= t.field.max


def test_the_pack_holds_no_other_buyers_data(lin_pack):
    for path in lin_pack.folder.rglob("*"):
        if path.suffix in (".txt", ".json"):
            assert LU not in path.read_text("utf-8")
    with pdfplumber.open(lin_pack.folder / f"{LIN}.pdf") as pdf:
        text = "".join(page.extract_text() or "" for page in pdf.pages)
    assert LIN in text and LU not in text


def test_a_one_image_profile_puts_the_rest_aside(lin_case, tmp_path):
    result = write_pack(lin_case, Renderer(generated_at=FIXED_NOW), tmp_path, LIN, get_profile("taobao-api-refuse"))
    manifest = json.loads((result.folder / "pack-manifest.json").read_text("utf-8"))
    pics = [f for f in manifest["files"] if "round" in f]
    assert [f["path"] for f in pics if f["round"] == 1] == ["第1次上传/01-摘要.jpg"]
    assert all(f["bytes"] <= 130_000 for f in pics)
    assert all(f["path"].startswith("其余（本表单只收1张）/") for f in pics if f["round"] > 1)
    (reason,) = result.texts
    assert 2 <= len(reason.text) <= 200


@pytest.mark.slow
def test_pack_on_the_command_line_writes_a_pack_per_case(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["pack", str(ROOT / "corpora" / "demo"), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (out / "pack").glob("*.zip")) == sorted([f"{LIN}.zip", f"{LU}.zip"])
    assert f"{LIN}: {out / f'{LIN}.json'}, {out / 'pack' / f'{LIN}.zip'}" in result.stdout
