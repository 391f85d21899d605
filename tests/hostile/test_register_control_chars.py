"""A control character in a nick (BEL, VT, NUL) must not sink the register: XLSX cannot
hold it, so the cell shows it as a visible escape ([U+0007], 可疑) and every output is still written."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from extractor.cli import app


@pytest.mark.parametrize("char", ["\x07", "\x0b", "\x00", "\x1b"])
def test_a_control_character_in_a_nick_is_escaped_in_the_register(tmp_path, char):
    nick = f"tb_bad{char}nick"
    exports = tmp_path / "in"
    exports.mkdir()
    (exports / "chat.txt").write_text(
        f"消息记录\n对象: {nick}\n即时消息\n2025-03-08 20:11:04 {nick}: 不发货我就差评\n"
        "2025-03-08 20:12:30 悦颜美妆旗舰店:小雅: 亲，今天就发\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["report", str(exports), "-o", str(out), "--outputs", "json"])
    assert result.exit_code == 0, result.stderr
    for name in ("register.xlsx", "register.csv", "index.html"):
        assert (out / name).exists()
    sheet = load_workbook(io.BytesIO((out / "register.xlsx").read_bytes())).active
    cells = [c.value for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    # shown as every report shows a name (extractor.display): its code point and 可疑
    assert f"tb_bad[U+{ord(char):04X}]nick（可疑：含不可见或改变显示方向的字符 U+{ord(char):04X}）" in cells
