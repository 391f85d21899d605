"""A control character in a message is shown as its code point, so the PDF's text layer
stays readable for pdfminer-based readers (pdfplumber)."""
import pdfplumber
from typer.testing import CliRunner
from extractor.cli import app


def test_a_control_character_in_a_message_keeps_the_pdf_text_layer_readable(tmp_path):
    exports = tmp_path / "in"
    exports.mkdir()
    (exports / "c.txt").write_text("tb_9527xiaoyu 2025-6-25 10:00:11\n退款\x07 不然差评\n"
                                   "悦颜美妆旗舰店:小雅 2025-6-25 10:00:40\n亲，已经在处理了\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["report", str(exports), "-o", str(tmp_path / "out"), "--outputs", "pdf"])
    assert result.exit_code == 0
    with pdfplumber.open(tmp_path / "out" / "tb_9527xiaoyu.pdf") as pdf:
        text = "".join(p.extract_text() or "" for p in pdf.pages)
    assert "亲，已经在处理了" in text
    assert "退款[U+0007] 不然差评" in text
