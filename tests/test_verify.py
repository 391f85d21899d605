"""`evidence verify REPORT.json SOURCES...`: file by file, are these the report's sources?"""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from extractor.cases import build_run
from extractor.cli import app
from extractor.errors import IntegrityError, UsageError
from extractor.render import RenderOptions, render_run
from extractor.verify import CHANGED, MATCH, UNKNOWN, require_verified, verify_report
from report_fixtures import FIXED_NOW, story

runner = CliRunner()


@pytest.fixture
def made(tmp_path):
    """A rendered story (JSON only) and the folder of its sources."""
    events, files = story(tmp_path / "in")
    render_run(build_run(events, files), tmp_path / "out", RenderOptions(generated_at=FIXED_NOW, outputs=("json",)))
    report = tmp_path / "out" / "tb_lin8866.json"
    sources = [f["file"] for f in json.loads(report.read_text("utf-8"))["files"]]
    return report, sources, tmp_path


def test_all_sources_match(made):
    report, sources, _ = made
    result = verify_report(report, sources)
    assert [c.status for c in result.checks] == [MATCH] * 4
    assert result.ok and result.not_given == ()
    require_verified(result)


def test_folder_skips_other_buyers_files(made):
    report, sources, root = made
    result = verify_report(report, [root / "in"])
    statuses = {c.path.rsplit("/", 1)[-1]: c.status for c in result.checks}
    assert statuses["qianniu-sheet-小鹿爱买买.csv"] == UNKNOWN
    assert sum(s == MATCH for s in statuses.values()) == 4
    assert result.ok
    assert any(line.startswith("skipped    ") and "小鹿爱买买" in line for line in result.lines())


def test_a_changed_source_is_named(made):
    report, sources, _ = made
    with open(sources[0], "ab") as fh:
        fh.write("tb_lin8866(2025-06-24 10:05:00): 我没收到\r\n".encode("utf-8"))
    result = verify_report(report, sources)
    assert [c.status for c in result.checks] == [CHANGED, MATCH, MATCH, MATCH]
    assert not result.ok
    with pytest.raises(IntegrityError) as exc:
        require_verified(result)
    assert exc.value.message == f"1 file(s) do not match {report}: {sources[0]}"
    assert exc.value.exit_code == 5


def test_a_renamed_copy_still_matches(made):
    report, sources, root = made
    copy = root / "copy-of-bill.csv"
    shutil.copy(sources[1], copy)
    result = verify_report(report, [copy], partial=True)
    (check,) = result.checks
    assert check.status == MATCH and check.recorded.file == sources[1]
    assert f"(recorded as {sources[1]})" in check.line()
    assert len(result.not_given) == 3 and result.ok


def test_a_recorded_source_not_given_fails_unless_partial(made):
    report, sources, _ = made
    result = verify_report(report, sources[1:])
    assert not result.ok and not result.failures
    with pytest.raises(IntegrityError) as exc:
        require_verified(result)
    assert exc.value.message == (f"1 recorded source(s) not given: {sources[0]}; "
                                 "name them too, or give --partial to check only the files given")
    cli = CliRunner().invoke(app, ["verify", str(report), *map(str, sources[1:])])
    assert cli.exit_code == 5
    assert CliRunner().invoke(app, ["verify", "--partial", str(report), *map(str, sources[1:])]).exit_code == 0


def test_cli_all_match(made):
    report, sources, _ = made
    result = runner.invoke(app, ["verify", str(report), *sources])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    assert all(line.startswith(f"ok         {src}  sha256 ") for line, src in zip(lines, sources))
    assert lines[-1] == "4 of 4 recorded sources verified"


def test_cli_mismatch_exit_code_and_message(made):
    report, sources, root = made
    stranger = root / "stranger.txt"
    stranger.write_text("与本案无关的文件\n", "utf-8")
    with open(sources[2], "ab") as fh:
        fh.write(b"\r\n")
    result = runner.invoke(app, ["verify", str(report), sources[2], str(stranger)])
    assert result.exit_code == 5
    out = result.stdout.splitlines()
    assert out[0].startswith(f"CHANGED    {sources[2]}  sha256 ")
    assert out[0].endswith(f"… for {sources[2]}")
    assert out[1].startswith(f"UNKNOWN    {stranger}  sha256 ") and out[1].endswith("is not a source of this report")
    assert out[-1] == "0 of 4 recorded sources verified; 2 file(s) do not match"
    assert result.stderr == f"error [E401] 2 file(s) do not match {report}: {sources[2]}, {stranger}\n"


def test_cli_nothing_relevant_given(made):
    report, _, root = made
    empty = root / "empty"
    empty.mkdir()
    (empty / "other.txt").write_text("x", "utf-8")
    result = runner.invoke(app, ["verify", str(report), str(empty)])
    assert result.exit_code == 5
    assert result.stderr == (f"error [E401] none of the given files is a source of {report}; "
                             "name the exports the report was made from\n")


def test_cli_unreadable_source(made):
    report, sources, root = made
    result = runner.invoke(app, ["verify", str(report), str(root / "gone.txt")])
    assert result.exit_code == 5
    assert result.stdout.startswith(f"UNREADABLE {root / 'gone.txt'}  cannot read (No such file or directory)")


@pytest.mark.parametrize("content, message", [
    ("not json", "not a JSON file; give the case's .json report (written next to its .html and .pdf)"),
    ('{"files": []}', 'not an evidence case report (no "schema": "evidence-case/…" and "files"); '
                      "give the case's .json report"),
    ('{"schema": "evidence-case/1", "files": [{"file": "a.txt"}]}', 'a "files" entry lacks "file" or "sha256"'),
])
def test_not_a_report(tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content, "utf-8")
    with pytest.raises(UsageError) as exc:
        verify_report(bad, [bad])
    assert exc.value.message == f"{bad}: {message}"
    result = runner.invoke(app, ["verify", str(bad), str(bad)])
    assert result.exit_code == 2 and result.stderr == f"error [E400] {bad}: {message}\n"


def test_the_pdf_is_verified_by_its_manifest(tmp_path):
    events, files = story(tmp_path)
    render_run(build_run(events, files), tmp_path / "out", RenderOptions(generated_at=FIXED_NOW, outputs=("pdf",)))
    pdf = tmp_path / "out" / "tb_lin8866.pdf"
    sources = [f.file for f in build_run(events, files).cases[0].files]
    runner = CliRunner()
    ok = runner.invoke(app, ["verify", str(pdf), *sources])
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.splitlines()[-1] == f"{len(sources)} of {len(sources)} recorded sources verified"
    with open(sources[0], "ab") as fh:
        fh.write(b"x")
    assert runner.invoke(app, ["verify", str(pdf), *sources]).exit_code == 5


def test_a_pdf_without_a_manifest_is_a_usage_error(tmp_path):
    bad = tmp_path / "other.pdf"
    bad.write_bytes(b"%PDF-1.4\n%%EOF\n")
    result = CliRunner().invoke(app, ["verify", str(bad), str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == f"error [E400] {bad}: no manifest.json attached; give a case report's .pdf or .json\n"
