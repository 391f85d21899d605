"""What the wheel ships: every template and rule file is covered by package-data."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _package_data() -> dict[str, list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return config["tool"]["setuptools"]["package-data"]


def test_every_template_ships_in_the_wheel():
    patterns = _package_data()["extractor.templates"]
    for path in (ROOT / "templates").iterdir():
        assert any(fnmatch.fnmatch(path.name, p) for p in patterns), f"{path.name} would not ship"


def test_every_rule_file_ships_in_the_wheel():
    patterns = _package_data()["extractor.nlp.rules"]
    for path in (ROOT / "extractor" / "nlp" / "rules").iterdir():
        if path.suffix in (".py", ".pyc") or path.name == "__pycache__":
            continue
        assert any(fnmatch.fnmatch(path.name, p) for p in patterns), f"{path.name} would not ship"
