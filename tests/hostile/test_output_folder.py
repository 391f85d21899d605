"""-o on a file, or on a folder that cannot be written: a clear error before any work."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.cli import app

DEMO = Path(__file__).resolve().parents[2] / "corpora" / "demo"


@pytest.mark.parametrize("command", ["report", "batch"])
def test_output_on_a_file_is_a_usage_error(tmp_path, command):
    target = tmp_path / "out.txt"
    target.write_text("x")
    result = CliRunner().invoke(app, [command, str(DEMO), "-o", str(target), "--outputs", "json"])
    assert result.exit_code == 2
    assert result.stderr == f"error [E400] {target}: is a file; -o takes a folder (it is made if missing)\n"


def test_an_output_folder_that_cannot_be_made_is_a_usage_error(tmp_path):
    """(Under a file, so that it fails for root too.)"""
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "out"
    result = CliRunner().invoke(app, ["report", str(DEMO), "-o", str(target), "--outputs", "json"])
    assert result.exit_code == 2
    assert result.stderr == (f"error [E400] {target}: cannot write the reports here (Not a directory); "
                             "give -o a folder you can write to\n")
