"""The registries: a renderer is one module, a label is one registry entry (plus its
rules), and the batch cache knows when the package's own rules changed."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import extractor.render as render
from extractor.cli import app
from extractor.labels import load_registry, registry

ROOT = Path(__file__).resolve().parents[1]
CHAT = """消息记录
对象: {buyer}
即时消息
2025-03-08 20:11:04 {buyer}: {text}
2025-03-08 20:12:30 悦颜美妆旗舰店:小雅: 亲，收到了，我们这边马上核实
"""
MD_RENDERER = '''
from extractor.render import register_output


@register_output("md", "case", lambda stem: f"{stem}.md")
def render_case_md(case, ctx):
    return f"# {case.buyer}\\n\\n{case.risk}\\n".encode("utf-8")
'''


def _chat(folder: Path, buyer: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{buyer}.txt").write_text(CHAT.format(buyer=buyer, text=text), encoding="utf-8")


@pytest.fixture
def md_plugin(tmp_path, monkeypatch):
    """A renderer in one module, found through the `evidence.renderers` entry point."""
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "md_report.py").write_text(MD_RENDERER, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "plugins"))
    entry = importlib.metadata.EntryPoint(name="md", value="md_report", group=render.ENTRY_POINT_GROUP)
    real = importlib.metadata.entry_points

    def entry_points(**params):
        if params.get("group") == render.ENTRY_POINT_GROUP:
            return [entry]
        return real(**params)

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    monkeypatch.setattr(render, "_PLUGINS_LOADED", False)
    yield
    render.REGISTRY.pop("md", None)
    sys.modules.pop("md_report", None)


def test_a_renderer_module_is_taken_by_outputs(md_plugin, tmp_path):
    _chat(tmp_path / "in", "tb_alpha", "用了过敏了，我要退货")
    result = CliRunner().invoke(app, ["report", str(tmp_path / "in"), "-o", str(tmp_path / "out"),
                                      "--outputs", "json,md", "--no-backoff"])
    assert result.exit_code == 0, result.stderr
    md = (tmp_path / "out" / "tb_alpha.md").read_text("utf-8")
    assert md.startswith("# tb_alpha")
    # a plug-in's output is made only when asked for
    assert render.default_case_outputs() == ("html", "pdf", "json")


def test_an_unknown_output_names_every_registered_one(md_plugin, tmp_path):
    _chat(tmp_path / "in", "tb_alpha", "你好")
    result = CliRunner().invoke(app, ["report", str(tmp_path / "in"), "-o", str(tmp_path / "out"),
                                      "--outputs", "html,xml"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error [E400] --outputs takes html, pdf, json and md; got 'html,xml'"


def test_without_plugins_the_message_names_the_builtins(tmp_path):
    _chat(tmp_path / "in", "tb_alpha", "你好")
    result = CliRunner().invoke(app, ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"),
                                      "--outputs", "docx"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error [E400] --outputs takes html, pdf and json; got 'docx'"


# -- the label registry -------------------------------------------------------------------

def test_the_registry_is_the_tag_set_of_the_docs():
    tags_md = (ROOT / "docs" / "tags.md").read_text("utf-8")
    for label in registry().labels:
        assert f"`{label.name}`" in tags_md, label.name
        for reason in label.reasons:
            assert f"`{reason.name}`" in tags_md, (label.name, reason.name)


def test_every_module_takes_labels_from_the_registry():
    from extractor.cases import CLAIM_LABELS
    from extractor.evaluate import REASON_LABELS
    from extractor.nlp.baseline import KEYWORDS
    from extractor.nlp.pipeline import LABEL_ORDER
    from extractor.nlp.ruleset import DEFAULT_FILTERS, LABEL_ROLE, REASONS
    from extractor.render.env import TAG_ZH

    names = registry().names
    assert LABEL_ORDER == names
    assert set(TAG_ZH) == set(names)
    assert set(CLAIM_LABELS) <= set(names) and set(LABEL_ROLE) <= set(names) and set(DEFAULT_FILTERS) == set(LABEL_ROLE)
    assert set(REASON_LABELS) == set(REASONS)
    assert all(label in names and (reason is None or reason in REASONS[label]) for label, reason, _ in KEYWORDS)


@pytest.mark.parametrize("entry, message", [
    ({"name": "x", "by": "nobody", "zh": "某"}, "label 'x': 'by' must be one of structure, seller, buyer"),
    ({"name": "x", "by": "seller", "zh": "某", "claim": True}, "label 'x': only the buyer's words are claims"),
    ({"name": "x", "by": "buyer", "zh": "某", "filters": ["vibes"]}, "label 'x': unknown filter(s) vibes"),
    ({"name": "x", "by": "buyer", "zh": "某", "colour": "red"}, "label 'x': unknown key(s) colour"),
])
def test_a_bad_registry_entry_is_named(entry, message):
    from extractor.errors import RulesError

    with pytest.raises(RulesError) as info:
        load_registry(json.dumps({"labels": [entry]}))
    assert str(info.value).endswith(f"label registry labels.json: {message}")


def _package_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "pkg"
    shutil.copytree(ROOT / "extractor", copy / "extractor", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "templates", copy / "templates")
    return copy


def _evidence(copy: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(copy)}
    return subprocess.run([sys.executable, "-c", "from extractor.cli import main; main()", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_a_label_added_to_the_registry_is_named_by_the_report(tmp_path):
    copy = _package_copy(tmp_path)
    labels_file = copy / "extractor" / "labels.json"
    data = json.loads(labels_file.read_text("utf-8"))
    data["labels"].append({"name": "price_complaint", "by": "buyer", "zh": "嫌贵", "claim": True,
                           "filters": ["negation", "quote"], "claim_zh": "价格", "phrase": "抱怨价格太高"})
    labels_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    rules = tmp_path / "price.json"
    rules.write_text(json.dumps({"rules": [{"id": "price.too_expensive", "label": "price_complaint",
                                            "terms": ["太贵了"]}]}, ensure_ascii=False), encoding="utf-8")
    _chat(tmp_path / "in", "tb_alpha", "这个面霜太贵了")
    done = _evidence(copy, "report", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--outputs", "html,json",
                     "--rules", str(rules), "--no-backoff", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    case = json.loads((tmp_path / "out" / "tb_alpha.json").read_text("utf-8"))
    assert [c["label"] for c in case["claims"]] == ["price_complaint"]
    assert any("抱怨价格太高" in s["text"] for s in case["summary"])
    html = (tmp_path / "out" / "tb_alpha.html").read_text("utf-8")
    assert "嫌贵" in html


def _add_builtin_rule(copy: Path, rule: dict) -> None:
    """Append a rule to the built-in rules file of its label, in that file's shape."""
    for path in sorted((copy / "extractor" / "nlp" / "rules").glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        rules = data.get("rules") if isinstance(data, dict) else None
        if isinstance(data, dict) and data.get("label", rule["label"]) != rule["label"]:
            continue
        if isinstance(rules, list) and rules:
            if "description" in rules[0]:
                rule = {**rule, "description": "a rule added by the cache test"}
            rules.append(rule)
            path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            return
    raise AssertionError("no built-in rules file with rules")


@pytest.mark.slow
def test_a_changed_builtin_rule_redoes_the_cases_it_changes(tmp_path):
    copy = _package_copy(tmp_path)
    _chat(tmp_path / "in", "tb_alpha", "颜色是紫罗兰色的吗")
    _chat(tmp_path / "in", "tb_beta", "你好，在吗")
    args = ("batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--outputs", "json", "-j", "1", "--no-backoff",
            "--no-calibration")

    def statuses() -> dict[str, str]:
        done = _evidence(copy, *args, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        run = json.loads((tmp_path / "out" / "run.json").read_text("utf-8"))
        return {c["buyer"]: c["status"] for c in run["cases_detail"]}

    assert statuses() == {"tb_alpha": "written", "tb_beta": "written"}
    assert statuses() == {"tb_alpha": "reused", "tb_beta": "reused"}
    rule = {"id": "threat.violet_test", "label": "threat", "terms": ["紫罗兰色"]}
    _add_builtin_rule(copy, rule)
    assert statuses() == {"tb_alpha": "written", "tb_beta": "unchanged"}
    case = json.loads((tmp_path / "out" / "tb_alpha.json").read_text("utf-8"))
    assert [c["label"] for c in case["claims"]] == ["threat"]
