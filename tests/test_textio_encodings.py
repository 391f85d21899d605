"""Which encoding an export is read in, and why: Big5 is not GBK mojibake, a bad byte in
the first 8 KB is an encoding error (E102), not an unknown format (E103)."""

from __future__ import annotations

import codecs

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.errors import EncodingError
from extractor.sources import ParseOptions
from extractor.textio import decode_bytes
from extractor.timeline import parse_file

# A Qianniu clipboard copy from a Taiwanese seller's PC: traditional characters.
TRADITIONAL = ("悅顏美妝旗艦店:小雅 2025-6-28 10:00:00\n親，您的包裹已經到驛站了哦\n"
               "tb_88happy 2025-6-28 10:01:30\n好的，謝謝，請問什麼時候能送到我家樓下\n")
SIMPLIFIED = ("悦颜美妆旗舰店:小雅 2025-6-28 10:00:00\n亲，您的包裹已经到驿站了哦\n"
              "tb_88happy 2025-6-28 10:01:30\n好的，谢谢，请问什么时候能送到我家楼下\n")

# Hong Kong: 嘅 咗 啲 are HKSCS, not in Windows' Big5 (cp950).
CANTONESE = "親，您的包裹已經到驛站了哦，我哋今日寄咗嘅，請問收到未呀？好的，謝謝你\n"


@pytest.mark.parametrize("data, text, encoding", [
    (SIMPLIFIED.encode("utf-8"), SIMPLIFIED, "utf-8"),
    (codecs.BOM_UTF8 + SIMPLIFIED.encode("utf-8"), SIMPLIFIED, "utf-8-sig"),
    (codecs.BOM_UTF16_LE + SIMPLIFIED.encode("utf-16-le"), SIMPLIFIED, "utf-16"),
    (codecs.BOM_UTF16_BE + SIMPLIFIED.encode("utf-16-be"), SIMPLIFIED, "utf-16"),
    (SIMPLIFIED.encode("gbk"), SIMPLIFIED, "gb18030"),
    (SIMPLIFIED.encode("gb18030"), SIMPLIFIED, "gb18030"),
    (TRADITIONAL.encode("big5"), TRADITIONAL, "big5"),
    (TRADITIONAL.encode("cp950"), TRADITIONAL, "big5"),
    (CANTONESE.encode("big5hkscs"), CANTONESE, "big5-hkscs"),
])
def test_each_encoding_is_read_as_itself(data, text, encoding):
    decoded = decode_bytes(data)
    assert (decoded.text, decoded.encoding) == (text, encoding)


def test_big5_is_not_read_as_gbk_mojibake():
    data = TRADITIONAL.encode("big5")
    assert data.decode("gb18030") != TRADITIONAL  # valid GB18030 too: the old reading
    decoded = decode_bytes(data, name="b5.txt")
    assert decoded.text == TRADITIONAL
    assert decoded.note == ("read as Big5 (traditional Chinese): 100% of its 41 Chinese characters are common "
                            "ones, against 29% read as GB18030/GBK (simplified Chinese)")


def test_a_plain_gbk_file_carries_no_note():
    # GBK bytes are valid Big5 too; the plausibility decides, and it is sure.
    decoded = decode_bytes(SIMPLIFIED.encode("gbk"))
    assert decoded.encoding == "gb18030" and decoded.note is None


@pytest.mark.parametrize("text", ["在吗\n", "好的 谢谢\n"])
def test_too_little_text_to_be_sure_is_read_as_gbk_with_a_warning(text):
    decoded = decode_bytes(text.encode("gbk"))
    assert decoded.text == text and decoded.encoding == "gb18030"
    assert decoded.note.startswith("encoding guessed: read as GB18030/GBK (simplified Chinese) (")
    assert decoded.note.endswith("if its text looks garbled, re-save the export as UTF-8")


def test_the_big5_choice_is_a_warning_of_the_file_in_the_cli(tmp_path):
    path = tmp_path / "千牛聊天记录.txt"
    path.write_bytes(TRADITIONAL.encode("big5"))
    result = CliRunner().invoke(app, ["parse", str(path)])
    assert result.exit_code == 0
    assert '"text": "親，您的包裹已經到驛站了哦"' in result.stdout
    assert (f"{path}: qianniu-clipboard, 2 events, 1 warnings\n  warning {path}: read as Big5 (traditional "
            "Chinese): 100% of its 41 Chinese characters are common ones, against 29% read as GB18030/GBK "
            "(simplified Chinese)\n") in result.stderr


@pytest.mark.parametrize("bad", [b"\xff\xff", b"\x80", b"\xfe"])
@pytest.mark.parametrize("where", ["head", "tail"])
def test_a_bad_byte_is_e102_wherever_it_is(tmp_path, bad, where):
    lines = [f"tb_88happy 2025-6-28 10:{m:02d}:30\n好的在吗，我的快递到哪了\n" for m in range(30)]
    good = "".join(lines).encode("gbk")
    data = good[:40] + bad + good[40:] if where == "head" else good + bad + b"\n"
    path = tmp_path / "聊天记录.txt"
    path.write_bytes(data)
    _, report, _ = parse_file(str(path), ParseOptions())
    assert report.error.startswith(f"[E102] {path}: not valid UTF-8, UTF-16, GB18030/GBK or Big5 "
                                   "(bad byte at offset ")
    result = CliRunner().invoke(app, ["parse", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error [E102] {path}: not valid UTF-8")


def test_a_utf8_export_with_a_gbk_line_in_its_head_is_e102_not_e103(tmp_path):
    data = ("tb_88happy 2025-6-28 10:01:30\n好的，谢谢，请问什么时候能送到\n".encode("utf-8")
            + "悦颜美妆旗舰店:小雅 2025-6-28 10:02:00\n".encode("gbk"))
    _, report, _ = parse_file("x.txt", ParseOptions(), data=data)
    assert report.error == ("[E102] x.txt: not valid UTF-8, UTF-16, GB18030/GBK or Big5 (bad byte at offset 56); "
                            "re-save the export as UTF-8")


def test_binary_junk_stays_an_unknown_format():
    _, report, _ = parse_file("x.bin", ParseOptions(), data=b"\x00\x01\x02\xff" * 50)
    assert report.error.startswith("[E103] x.bin: not a known export")


def test_the_plausibility_is_bounded_by_a_sample():
    # A 4 MB Big5 file is judged on its first 20,000 Chinese characters.
    decoded = decode_bytes(TRADITIONAL.encode("big5") * 20000)
    assert decoded.encoding == "big5" and "of its 20000 Chinese characters" in decoded.note


def test_undecodable_everywhere_is_an_encoding_error():
    with pytest.raises(EncodingError):
        decode_bytes(b"abc\xff\xfe\xfd" * 3)


def test_cantonese_big5_hkscs_is_read_as_itself_with_a_note():
    decoded = decode_bytes(CANTONESE.encode("big5hkscs"))
    assert decoded.note == ("read as Big5-HKSCS (traditional Chinese, Hong Kong): 91% of its 35 Chinese "
                            "characters are common ones, against 20% read as GB18030/GBK (simplified Chinese)")


def test_bytes_valid_in_one_encoding_but_mostly_rare_characters_warn_of_garbling():
    # Valid GB18030 only, yet no Chinese a person writes: another encoding, garbled.
    decoded = decode_bytes(bytes(range(0x81, 0xFF)) * 3)
    assert decoded.encoding == "gb18030"
    assert decoded.note == ("encoding guessed: read as GB18030/GBK (simplified Chinese), the only encoding its "
                            "bytes are valid in, but only 44% of its 189 Chinese characters are common ones: "
                            "its text may be garbled; re-save the export as UTF-8")
