import codecs

import pytest

from extractor.errors import EncodingError
from extractor.textio import decode_bytes, split_lines

TEXT = "悦颜美妆旗舰店:小雅(2022-06-24 10:02:13): 亲，您好\r\n第二行"


@pytest.mark.parametrize(
    "data, encoding",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("gbk"), "gb18030"),
        (TEXT.encode("gb18030"), "gb18030"),
    ],
)
def test_each_encoding_decodes_to_the_same_text(data, encoding):
    decoded = decode_bytes(data)
    assert decoded.text == TEXT
    assert decoded.encoding == encoding


def test_binary_garbage_is_an_error_not_mojibake():
    with pytest.raises(EncodingError) as info:
        decode_bytes(b"\x00\x01\xff\xfe\x00garbage\x00\x81", name="x.bin")
    assert "x.bin" in str(info.value)


def test_split_lines_keeps_unicode_line_separators_inside_a_line():
    assert split_lines("a\u2028b\r\nc\rd\n") == ["a\u2028b", "c", "d"]

