"""The file system as an attacker (or an accident) shapes it: links out of the input
folder, link loops, a full disk, outputs cut short, outputs of buyers since removed."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.errors import OutputWriteError
from extractor.fsutil import atomic_write, walk_inputs


def layout_b(buyer: str, *lines: str) -> str:
    return "\n".join(["消息记录", f"对象: {buyer}", "即时消息", *lines, ""])


ALPHA = layout_b("tb_alpha", "2025-03-08 20:11:04 tb_alpha: 在吗？玫瑰面霜还有货吗",
                 "2025-03-08 20:12:30 悦颜美妆旗舰店:小雅: 亲，今天发货")
BETA = layout_b("tb_beta", "2025-03-09 10:00:00 tb_beta: 怎么还没发货，不发我就给差评")
SECRET = layout_b("tb_secret", "2025-03-09 11:00:00 tb_secret: 我的地址是北京市朝阳区某某路1号")


@pytest.fixture
def linked(tmp_path) -> Path:
    """An input folder with a chat, a link to it, a link out to another buyer's chat,
    a linked folder out, a link loop, a broken link and a link back up."""
    inp, outside = tmp_path / "in", tmp_path / "outside"
    (inp / "sub").mkdir(parents=True)
    outside.mkdir()
    (inp / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    os.symlink("alpha.txt", inp / "again.txt")
    os.symlink(outside / "secret.txt", inp / "z_out.txt")
    os.symlink(outside, inp / "linked_dir")
    os.symlink("loop.txt", inp / "loop.txt")
    os.symlink("missing.txt", inp / "broken.txt")
    os.symlink("..", inp / "sub" / "up")
    return tmp_path


def skip_lines(tmp: Path) -> list[str]:
    inp = tmp / "in"
    return [
        f"skipped {inp / 'linked_dir'}: a link to a folder outside the input folder (→ {tmp / 'outside'}), not read; "
        "name it on the command line or pass --follow-links to read it",
        f"skipped {inp / 'broken.txt'}: a broken link (→ missing.txt), not read",
        f"skipped {inp / 'loop.txt'}: a link loop (→ loop.txt, which leads back round), not read",
        f"skipped {inp / 'z_out.txt'}: a link to a file outside the input folder (→ {tmp / 'outside' / 'secret.txt'}), "
        "not read; name it on the command line or pass --follow-links to read it",
        f"skipped {inp / 'sub' / 'up'}: a link to a folder already walked (→ {inp}); its files are read where they are",
    ]


COMMANDS = {
    "parse": lambda inp, out: ["parse", str(inp)],
    "tag": lambda inp, out: ["tag", str(inp), "--no-backoff"],
    "report": lambda inp, out: ["report", str(inp), "-o", str(out), "--outputs", "json"],
    "batch": lambda inp, out: ["batch", str(inp), "-o", str(out), "-j", "1", "--outputs", "json"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_links_follow_one_policy_in_every_command(linked, command):
    result = CliRunner().invoke(app, COMMANDS[command](linked / "in", linked / "out"))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert [line for line in lines if line.startswith("skipped ")] == skip_lines(linked)
    if command in ("parse", "tag"):
        buyers = {json.loads(line)["buyer"] for line in result.stdout.splitlines()}
        assert buyers == {"tb_alpha"}  # the linked copy of alpha.txt is read once, the secret never
        assert len(result.stdout.splitlines()) == 2
    else:
        assert sorted(p.name for p in (linked / "out").glob("tb_*.json")) == ["tb_alpha.json"]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_follow_links_reads_what_links_point_to(linked, command):
    result = CliRunner().invoke(app, COMMANDS[command](linked / "in", linked / "out") + ["--follow-links"])
    assert result.exit_code == 0, result.output
    if command in ("parse", "tag"):
        assert {json.loads(line)["buyer"] for line in result.stdout.splitlines()} == {"tb_alpha", "tb_secret"}
    else:
        assert sorted(p.name for p in (linked / "out").glob("tb_*.json")) == ["tb_alpha.json", "tb_secret.json"]
    # loops and broken links are still lines, never tracebacks
    assert any("a link loop" in line for line in result.stderr.splitlines())


def test_a_link_named_on_the_command_line_is_read(linked):
    result = CliRunner().invoke(app, ["parse", str(linked / "in" / "z_out.txt")])
    assert result.exit_code == 0
    assert {json.loads(line)["buyer"] for line in result.stdout.splitlines()} == {"tb_secret"}


def test_a_loop_named_on_the_command_line_is_an_unreadable_file(linked):
    result = CliRunner().invoke(app, ["parse", str(linked / "in" / "loop.txt")])
    assert result.exit_code == 2
    assert result.stderr == (f"error [E101] {linked / 'in' / 'loop.txt'}: cannot read (Too many levels of "
                             "symbolic links)\n1 of 1 inputs failed\n")


def test_a_folder_linked_in_twice_is_walked_once(tmp_path):
    inp = tmp_path / "in"
    (inp / "a").mkdir(parents=True)
    (inp / "a" / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    os.symlink(inp / "a", inp / "b")
    os.symlink(inp, inp / "a" / "self")
    walk = walk_inputs([inp], follow_links=True)
    assert walk.files == (str(inp / "a" / "alpha.txt"),)
    assert [s.reason.split(" (")[0] for s in walk.skipped] == ["a link to a folder already walked"] * 2


def test_a_fifo_in_the_folder_is_skipped_not_waited_on(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    os.mkfifo(inp / "pipe.txt")
    walk = walk_inputs([inp])
    assert walk.files == (str(inp / "alpha.txt"),)
    assert [str(s) for s in walk.skipped] == [
        f"{inp / 'pipe.txt'}: not a regular file (a pipe, socket or device), not read"]


# ---------------------------------------------------------------------------
# writing


def no_space(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_atomic_write_on_a_full_disk_keeps_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "tb_alpha.html"
    target.write_bytes(b"old, whole")
    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OutputWriteError) as info:
        atomic_write(target, b"new" * 1000)
    assert str(info.value) == (f"[E302] {target}: cannot write (No space left on device); free some space "
                               "and run again (files written before are whole)")
    assert target.read_bytes() == b"old, whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tb_alpha.html"]


def test_atomic_write_gives_the_mode_a_plain_write_gives(tmp_path):
    (tmp_path / "plain.html").write_bytes(b"x")
    atomic_write(tmp_path / "atomic.html", b"x")
    assert (tmp_path / "atomic.html").stat().st_mode == (tmp_path / "plain.html").stat().st_mode


@pytest.mark.parametrize("command", ["report", "batch"])
def test_a_full_disk_is_a_coded_error_with_no_traceback_and_no_temp_files(tmp_path, monkeypatch, command):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    monkeypatch.setattr(os, "fsync", no_space)
    result = CliRunner().invoke(app, COMMANDS[command](inp, tmp_path / "out"))
    assert result.exit_code == 4, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error [E302] ") and last.endswith(
        ": cannot write (No space left on device); free some space and run again (files written before are whole)")
    leftovers = [p for p in (tmp_path / "out").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def batch(inp: Path, out: Path, *extra: str):
    return CliRunner().invoke(app, ["batch", str(inp), "-o", str(out), "-j", "1", "--outputs", "json,html",
                                    *extra])


def statuses(out: Path) -> dict[str, str]:
    run = json.loads((out / "run.json").read_text("utf-8"))
    return {c["buyer"]: c["status"] for c in run["cases_detail"]}


@pytest.mark.parametrize("damage", ["truncate", "edit"])
def test_a_cut_short_output_is_made_again_not_trusted(tmp_path, damage):
    inp, out = tmp_path / "in", tmp_path / "out"
    inp.mkdir()
    (inp / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    (inp / "beta.txt").write_text(BETA, encoding="utf-8")
    assert batch(inp, out).exit_code == 0
    whole = (out / "tb_alpha.html").read_bytes()
    index = (out / "index.html").read_bytes()
    assert batch(inp, out).exit_code == 0
    assert statuses(out) == {"tb_alpha": "reused", "tb_beta": "reused"}
    cut = whole[: len(whole) // 2] if damage == "truncate" else whole.replace(b"tb_alpha", b"tb_alphb", 1)
    (out / "tb_alpha.html").write_bytes(cut)
    (out / "index.html").write_bytes(index[:100])
    result = batch(inp, out)
    assert result.exit_code == 0
    assert statuses(out) == {"tb_alpha": "written", "tb_beta": "reused"}
    # Made again, whole (only the generation time in it differs from the first run).
    for name, first in (("tb_alpha.html", whole), ("index.html", index)):
        again = (out / name).read_bytes()
        assert len(again) == len(first) and again.endswith(b"</html>\n")
    run = json.loads((out / "run.json").read_text("utf-8"))
    alpha = next(c for c in run["cases_detail"] if c["buyer"] == "tb_alpha")
    assert alpha["outputs"]["tb_alpha.html"] == hashlib.sha256((out / "tb_alpha.html").read_bytes()).hexdigest()


def test_outputs_of_a_removed_buyer_are_removed_and_said(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out"
    inp.mkdir()
    (inp / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    (inp / "beta.txt").write_text(BETA, encoding="utf-8")
    assert batch(inp, out).exit_code == 0
    (out / "my notes.txt").write_text("the seller's own file", encoding="utf-8")
    (inp / "beta.txt").unlink()
    result = batch(inp, out)
    assert result.exit_code == 0
    assert [line for line in result.stderr.splitlines() if line.startswith("removed ")] == [
        f"removed {out / 'tb_beta.html'}: an output of a case no longer in the input",
        f"removed {out / 'tb_beta.json'}: an output of a case no longer in the input",
    ]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "index.html", "my notes.txt", "register.csv", "register.xlsx", "run.json", "tb_alpha.html", "tb_alpha.json"]
    run = json.loads((out / "run.json").read_text("utf-8"))
    assert run["removed_outputs"] == ["tb_beta.html", "tb_beta.json"] and run["kept_outputs"] == []


def test_a_stale_output_changed_since_is_kept_and_named(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out"
    inp.mkdir()
    (inp / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    (inp / "beta.txt").write_text(BETA, encoding="utf-8")
    assert batch(inp, out).exit_code == 0
    (out / "tb_beta.html").write_text("annotated by hand", encoding="utf-8")
    (inp / "beta.txt").unlink()
    result = batch(inp, out)
    assert f"kept {out / 'tb_beta.html'}: an output of a case no longer in the input, changed since it was " \
           "written; remove it if it is no longer needed" in result.stderr.splitlines()
    assert (out / "tb_beta.html").read_text("utf-8") == "annotated by hand"
    assert not (out / "tb_beta.json").exists()


def test_a_planted_run_json_removes_nothing_outside_the_tool_s_outputs(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out"
    inp.mkdir()
    out.mkdir()
    (inp / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me", encoding="utf-8")
    (out / ".keep").write_text("x", encoding="utf-8")
    digest = hashlib.sha256(b"keep me").hexdigest()
    (out / "run.json").write_text(json.dumps({"cases_detail": [
        {"name": "gone", "outputs": {"../precious.txt": digest, ".keep": None, str(victim): digest}}]}),
        encoding="utf-8")
    assert batch(inp, out).exit_code == 0
    assert victim.read_text("utf-8") == "keep me" and (out / ".keep").exists()


class FullDisk:
    """A file object on a disk with no space left: the write fails, closing works."""

    def __init__(self, fh):
        self.fh = fh

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()

    def write(self, _data):
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to tell which file an fd is")
def test_a_disk_that_fills_during_one_case_fails_it_and_the_next_run_mends_it(tmp_path, monkeypatch):
    import extractor.fsutil as fsutil

    inp, out = tmp_path / "in", tmp_path / "out"
    inp.mkdir()
    (inp / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    (inp / "beta.txt").write_text(BETA, encoding="utf-8")
    real_fdopen = os.fdopen

    def fdopen(fd, *args, **kwargs):
        fh = real_fdopen(fd, *args, **kwargs)
        name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        return FullDisk(fh) if name.startswith(".tb_alpha.html.") else fh

    monkeypatch.setattr(fsutil.os, "fdopen", fdopen)
    result = batch(inp, out)
    monkeypatch.undo()
    assert result.exit_code == 6, result.output  # one case failed, the rest went through
    assert f"error case tb_alpha: [E302] {out / 'tb_alpha.html'}: cannot write (No space left on device); " \
           "free some space and run again (files written before are whole)" in result.stderr.splitlines()
    assert [p.name for p in out.rglob("*.tmp")] == []
    assert not (out / "tb_alpha.html").exists() and (out / "tb_beta.html").exists()
    again = batch(inp, out)
    assert again.exit_code == 0, again.output
    assert statuses(out) == {"tb_alpha": "written", "tb_beta": "reused"}
    assert (out / "tb_alpha.html").read_bytes().endswith(b"</html>\n")
