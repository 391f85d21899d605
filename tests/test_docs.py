"""The project's documented contracts stay in step with their sources."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_TAGS = ROOT.parent / "shared" / "TAGS.md"


@pytest.mark.skipif(not SHARED_TAGS.exists(), reason="../shared/TAGS.md is not beside this checkout")
def test_docs_tags_md_carries_the_shared_tag_definitions_verbatim():
    ours = (ROOT / "docs" / "tags.md").read_text("utf-8")
    assert ours.startswith(SHARED_TAGS.read_text("utf-8").rstrip("\n"))


def test_every_label_of_the_contract_is_in_the_readme():
    readme = (ROOT / "README.md").read_text("utf-8")
    tags = (ROOT / "docs" / "tags.md").read_text("utf-8")
    from extractor.labels import registry

    for label in registry().names:
        assert f"`{label}`" in tags and f"`{label}`" in readme


def _decisions(text: str) -> dict[int, str]:
    """The numbered labelling decisions of a document's "Labelling decisions" section."""
    import re

    section = text[text.index("## Labelling decisions"):]
    found: dict[int, str] = {}
    current = None
    for line in section.splitlines():
        m = re.match(r"(\d+)\. (.*)", line)
        if m:
            current = int(m.group(1))
            found[current] = m.group(2)
        elif current is not None and line.startswith("    "):
            found[current] += " " + line.strip()
        else:
            current = None
    return found


def test_the_labelling_decisions_are_the_same_in_docs_and_in_the_corpus():
    docs = _decisions((ROOT / "docs" / "tags.md").read_text("utf-8"))
    corpus = _decisions((ROOT / "corpora" / "eval" / "README.md").read_text("utf-8"))
    assert docs == corpus
    assert sorted(docs) == list(range(1, len(docs) + 1))
