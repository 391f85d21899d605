from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# In CI, property tests draw the same examples every run, so a red build can be
# reproduced; locally they keep exploring.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# The command line speaks Chinese by default; the tests assert its English words, so they
# run in English (set before extractor.cli builds its help texts; subprocesses inherit
# it).  tests/test_i18n.py asserts the Chinese ones.
os.environ["EVIDENCE_LANG"] = "en"

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def demo_dir() -> Path:
    return ROOT / "corpora" / "demo"


@pytest.fixture(scope="module")
def every_claim_stated():
    """Every claim the tagger finds stated, as with --no-calibration: for the tests of
    what is done with claims (review, the store, the web app); the calibration's 待核实
    is tested in test_unsure_claims.py."""
    import extractor.nlp.calibration as calibration

    mp = pytest.MonkeyPatch()
    mp.setattr(calibration, "builtin", lambda: None)
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def english():
    """A test that switched the language (``--lang zh``) leaves English behind it."""
    yield
    from extractor import i18n

    if i18n.language() != "en":
        i18n.set_language("en")
