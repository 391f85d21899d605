"""Mixed encodings and odd Unicode: an error where decoding would garble the text, and
the text kept exactly as written everywhere else."""

from __future__ import annotations

import pytest

from extractor.errors import EncodingError
from extractor.sources import InputFile, ParseContext, ParseOptions, detect
from extractor.textio import decode_bytes
from extractor.timeline import parse_file

# Every run of Chinese here has an even number of characters, so the UTF-8 bytes pair
# up into valid GB18030: the one GBK line made the whole file decode as GB18030, the
# UTF-8 lines as mojibake, with no error at all.
UTF8_PART = "客户 tb_9527xiaoyu\n2025-07-05\n10:02:13\n在吗在吗\ntb_9527xiaoyu\n10:05:41\n过敏了吗\n"
GBK_LINE = "悦颜美妆旗舰店:小雅\n"


def test_a_gbk_line_in_a_utf8_file_is_an_error_not_mojibake():
    data = UTF8_PART.encode("utf-8") + GBK_LINE.encode("gbk")
    garbled = data.decode("gb18030")  # what the file used to become
    assert "在吗在吗" not in garbled
    with pytest.raises(EncodingError) as info:
        decode_bytes(data, name="聊天记录.txt")
    assert str(info.value) == (
        "[E102] 聊天记录.txt: mixes encodings: line 4 is UTF-8 but line 8 is not (GBK?); decoding it "
        "either way would garble part of it; re-save the export in one encoding (UTF-8)")


def test_a_gbk_file_with_short_utf8_looking_lines_still_decodes():
    # A GBK character can be valid UTF-8 by accident (here 聽 = C2 A0... no: 'Â'-range
    # leads); a line needs four UTF-8 characters beyond ASCII before it counts.
    text = "悦颜美妆旗舰店:小雅(2022-06-24 10:02:13): 亲，您好\n第二行\n"
    assert decode_bytes(text.encode("gbk")).text == text


@pytest.mark.parametrize("fragment, message", [
    # an encoded surrogate, a code point past U+10FFFF: no decoder takes them
    (b"\xed\xa0\x80", "not valid UTF-8, UTF-16, GB18030/GBK or Big5 (bad byte at offset "),
    (b"\xf4\x90\x80\x80", "not valid UTF-8, UTF-16, GB18030/GBK or Big5 (bad byte at offset "),
    # a UTF-16 fragment of Chinese is neither
    ("客户：小鹿爱买买".encode("utf-16-le"), "not valid UTF-8, UTF-16, GB18030/GBK or Big5 (bad byte at offset "),
    # an overlong "/" is a GBK character: the file would have been read as GB18030 and
    # its UTF-8 lines garbled
    (b"\xc0\xaf", "mixes encodings: line 2 is UTF-8 but line 3 is not (GBK?)"),
])
def test_foreign_bytes_in_a_utf8_export_are_encoding_errors(fragment, message):
    data = "tb_9527xiaoyu 2022-7-2 20:57:11\n在吗\n".encode("utf-8") + fragment + "\n好的\n".encode("utf-8")
    _, report, _ = parse_file("千牛聊天记录.txt", ParseOptions(), "qianniu-clipboard", data=data)
    assert report.error.startswith("[E102] 千牛聊天记录.txt: " + message)


def test_a_gbk_export_with_a_few_lines_that_happen_to_be_utf8_still_decodes():
    # "谢谢" and "[图片]" in GBK are valid UTF-8 by accident; they are the minority.
    text = "2022-06-24 10:02:13 tb_9527xiaoyu: [图片]\n谢谢\n亲，您好，已经发货了\n好的，麻烦尽快\n没效果还过敏\n"
    assert decode_bytes(text.encode("gbk")).text == text


def test_an_ascii_utf16_fragment_in_a_utf8_export_keeps_every_byte():
    # UTF-16 of ASCII is valid UTF-8 with NULs: it stays in the message that holds it,
    # byte for byte (JSON writes the NULs as \u0000), and the rest of the file is intact.
    fragment = "tb_9527xiaoyu 10:02".encode("utf-16-le")
    data = "tb_9527xiaoyu 2022-7-2 20:57:11\n在吗".encode("utf-8") + fragment + "\n好的\n".encode("utf-8")
    events, report, _ = parse_file("千牛聊天记录.txt", ParseOptions(), data=data)
    assert report.format == "qianniu-clipboard" and report.error is None
    assert [e.text for e in events] == ["在吗" + fragment.decode("utf-8") + "\n好的"]


ODD = {
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "BOM inside": "\ufeff",
    "right-to-left override": "\u202e",
    "left-to-right isolate": "\u2066",
    "combining acute": "\u0301",
}


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_characters_inside_a_nick_are_kept_verbatim(name):
    char = ODD[name]
    nick = f"tb_9527{char}xiaoyu"
    text = f"{nick} 2022-7-2 20:57:11\n在吗{char}？\n悦颜美妆旗舰店:小雅 2022-7-2 20:58:02\n亲 在的呢\n"
    file = InputFile("千牛聊天记录.txt", text.encode("utf-8"))
    fmt = detect(file)
    ctx = ParseContext(file, fmt.NAME, ParseOptions())
    events = list(fmt.parse(file, ctx))
    assert fmt.NAME == "qianniu-clipboard" and ctx.warnings == []
    assert [(e.sender, e.buyer, e.text) for e in events] == [
        (nick, nick, f"在吗{char}？"), ("悦颜美妆旗舰店:小雅", nick, "亲 在的呢")]


@pytest.mark.parametrize("char", ["\u200b", "\u202e", "\ufeff"])
def test_an_odd_character_inside_a_time_makes_the_line_text_not_a_time(char):
    # 20:5\u200b7:11 is not a time: the line is not a header, so it is the previous
    # message's text (a warning when there is none), never a guessed time.
    text = f"tb_9527xiaoyu 2022-7-2 20:57:11\n在吗\ntb_9527xiaoyu 2022-7-2 20:5{char}8:02\n还在吗\n"
    file = InputFile("千牛聊天记录.txt", text.encode("utf-8"))
    ctx = ParseContext(file, "qianniu-clipboard", ParseOptions())
    events = list(detect(file).parse(file, ctx))
    assert [e.text for e in events] == [f"在吗\ntb_9527xiaoyu 2022-7-2 20:5{char}8:02\n还在吗"]


def test_utf16_without_a_bom_whose_bytes_are_all_ascii_is_not_read_as_utf8():
    # "在吗" in UTF-16-LE is 28 57 17 54: valid UTF-8 for "(W\x17T".  The NULs of the
    # ASCII part say UTF-16.
    text = "tb_9527xiaoyu 2022-7-2 20:57:11\r\n在吗\r\n"
    decoded = decode_bytes(text.encode("utf-16-le"))
    assert (decoded.text, decoded.encoding) == (text, "utf-16-le")


def test_a_failed_utf16_guess_is_not_blamed_on_a_byte_order_mark():
    # No BOM here: the NUL pattern suggested UTF-16, a lone surrogate broke it, and the
    # error used to say "declared utf-16-le by its byte-order mark".
    data = "tb_9527xiaoyu 2022-7-2 20:57:11\n".encode("utf-16-le") + b"\x00\xd8\xff\x00"
    with pytest.raises(EncodingError) as info:
        decode_bytes(data, name="千牛聊天记录.txt")
    assert str(info.value) == "[E102] 千牛聊天记录.txt: binary data (NUL bytes), not a text export"
