"""Fuzz every input format with mutations of the project's own fixtures.

A mutation plan is a short list of edits (truncate, flip or insert bytes, a GBK line or
a UTF-16 fragment inside the file, an enormous line, odd Unicode in nicks and times,
a repeated slice, an edit inside an XLSX zip member) applied to a fixture.  Offsets are
fractions of the file's length, so a plan reads the same on every fixture and the
regressions below are plain data.

The only allowed outcomes are events, warnings, or the documented error (an
InputError).  Every mutated file goes through :func:`extractor.timeline.parse_file`
with the fixture's format forced, where an unexpected exception becomes an E199 report
(a parser bug, so a failure here), and through detect() + parse directly, where it
would simply raise.  Hypothesis runs derandomized so that CI sees the same inputs.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from extractor.errors import InputError
from extractor.model import event_to_dict
from extractor.sources import InputFile, ParseContext, ParseOptions, detect, formats, get_format, plausible_year
from extractor.textio import decode_bytes
from extractor.timeline import parse_file, parse_paths

ROOT = Path(__file__).resolve().parents[2]
SEED_DIRS = [ROOT / "tests" / "data" / "chat", ROOT / "tests" / "data" / "calls",
             ROOT / "tests" / "data" / "orders", ROOT / "corpora" / "demo"]
OPTIONS = ParseOptions(shop=(), staff=())
# Seconds one mutated file may take through both paths: a guard against a hang, far
# above what any parser needs (the slowest fixture, a 75-call PDF bill, takes 0.6 s).
GUARD = 30.0


@lru_cache(maxsize=None)
def seeds() -> dict[str, tuple[tuple[str, bytes], ...]]:
    """format name → (file name, bytes) of every fixture that parses as that format,
    plus a JSON Lines timeline of the demo corpus for the jsonl format."""
    found: dict[str, list[tuple[str, bytes]]] = {}
    for folder in SEED_DIRS:
        for path in sorted(folder.iterdir()):
            if path.suffix == ".py" or not path.is_file():
                continue
            _, report, _ = parse_file(str(path), OPTIONS)
            if report.format is not None:
                found.setdefault(report.format, []).append((path.name, path.read_bytes()))
    timeline = parse_paths([str(ROOT / "corpora" / "demo")])
    jsonl = "\n".join(json.dumps(event_to_dict(e, with_tags=True), ensure_ascii=False) for e in timeline.events)
    found["jsonl"] = [("timeline.jsonl", jsonl.encode("utf-8"))]
    return {name: tuple(files) for name, files in found.items()}


def test_every_format_has_a_fixture_to_mutate():
    assert sorted(seeds()) == sorted(f.NAME for f in formats())


# -- mutations ---------------------------------------------------------------------

# Odd Unicode a buyer can type or an export can carry: zero-width and joiners, BOM,
# bidi overrides and isolates, full-width digits and colon, combining marks, line and
# paragraph separators, NEL, ideographic space, an astral emoji and CJK ext-B.
ODD_CHARS = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u202d", "\u2066", "\u2067",
             "\u2069", "\u200f", "０", "１", "９", "：", "\u0301", "\u0336", "\u20dd", "\u2028", "\u2029",
             "\u0085", "\u3000", "\x0b", "\x1c", "\U0001f600", "\U00020000"]
# Byte sequences no decoder should turn into text silently: an encoded surrogate,
# a code point past U+10FFFF, an overlong slash, a lone UTF-16 high surrogate, NUL.
BAD_BYTES = [b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x00\xd8", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf"]
# What an enormous line is made of: blanks and the separators the line patterns use.
LONG_TOKENS = [" ", "\t", "\u3000", "(", ":", "：", "1", "=", "-", ",", '"', "客户：", "2022-06-24 ",
               "tb_9527xiaoyu ", "\u200b"]
GBK_LINES = ["悦颜美妆旗舰店:小雅(2022-06-24 10:02:13): 亲，已经发货了", "2022-06-24 10:02:13 tb_9527xiaoyu: 在吗",
             "客户：tb_9527xiaoyu", "6月24日 10:20 打电话给买家，无人接听", "没效果还过敏，我要退货退款，不然就给差评"]
UTF16_FRAGMENTS = ["tb_9527xiaoyu 2022-7-2 20:57:11\n在吗", "客户：小鹿爱买买", "10:02:13"]
NICK_MARKS = ["tb_", "悦颜", "小鹿", "客户", "对象", "13812345678"]

fraction = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
mutation = st.one_of(
    st.tuples(st.just("truncate"), fraction),
    st.tuples(st.just("flip"), fraction, st.integers(0, 255)),
    st.tuples(st.just("insert"), fraction, st.one_of(st.binary(min_size=1, max_size=24), st.sampled_from(BAD_BYTES))),
    st.tuples(st.just("gbk_line"), fraction, st.sampled_from(GBK_LINES)),
    st.tuples(st.just("utf16"), fraction, st.sampled_from(UTF16_FRAGMENTS)),
    st.tuples(st.just("long_line"), fraction, st.sampled_from(LONG_TOKENS), st.integers(1_000, 120_000)),
    st.tuples(st.just("odd_at"), fraction, st.sampled_from(ODD_CHARS)),
    st.tuples(st.just("odd_in_time"), st.integers(0, 200), st.sampled_from(ODD_CHARS)),
    st.tuples(st.just("odd_in_nick"), st.integers(0, 50), st.sampled_from(ODD_CHARS)),
    st.tuples(st.just("repeat"), fraction, st.integers(1, 400), st.integers(2, 200)),
)
plans = st.lists(mutation, min_size=1, max_size=4)


def _line_start(data: bytes, at: int) -> int:
    end = data.find(b"\n", at)
    return len(data) if end < 0 else end + 1


def _edit_text(data: bytes, edit) -> bytes:
    """An edit made on the decoded text, written back in the file's own encoding."""
    try:
        decoded = decode_bytes(data)
    except InputError:
        return data
    text = decoded.text
    kind, where, char = edit
    if kind == "odd_at":
        at = int(where * len(text))
    elif kind == "odd_in_time":
        digits = [i for i, ch in enumerate(text) if ch.isdigit()]
        if not digits:
            return data
        at = digits[where % len(digits)] + 1
    else:
        marks = sorted(i for mark in NICK_MARKS for i in _find_all(text, mark))
        if not marks:
            return data
        at = marks[where % len(marks)] + 1
    text = text[:at] + char + text[at:]
    codec = {"utf-16": "utf-16", "utf-16-le": "utf-16-le", "utf-16-be": "utf-16-be",
             "utf-8-sig": "utf-8-sig", "gb18030": "gb18030"}.get(decoded.encoding, "utf-8")
    return text.encode(codec)


def _find_all(text: str, mark: str) -> list[int]:
    out, at = [], text.find(mark)
    while at >= 0 and len(out) < 200:
        out.append(at)
        at = text.find(mark, at + 1)
    return out


def apply(data: bytes, plan) -> bytes:
    for edit in plan:
        kind = edit[0]
        at = int(edit[1] * len(data)) if isinstance(edit[1], float) else 0
        if kind == "truncate":
            data = data[:at]
        elif kind == "flip" and data:
            i = min(at, len(data) - 1)
            data = data[:i] + bytes([edit[2]]) + data[i + 1:]
        elif kind == "insert":
            data = data[:at] + edit[2] + data[at:]
        elif kind == "gbk_line":
            i = _line_start(data, at)
            data = data[:i] + edit[2].encode("gbk") + b"\r\n" + data[i:]
        elif kind == "utf16":
            data = data[:at] + edit[2].encode("utf-16-le") + data[at:]
        elif kind == "long_line":
            i = _line_start(data, at)
            data = data[:i] + (edit[2] * edit[3]).encode("utf-8") + b"\n" + data[i:]
        elif kind == "repeat":
            piece = data[at:at + edit[2]]
            data = data[:at] + piece * edit[3] + data[at:]
        elif kind.startswith("odd"):
            data = _edit_text(data, edit)
    return data


def apply_in_zip(data: bytes, member: float, plan) -> bytes:
    """The plan applied to one member of an XLSX (a sheet, the shared strings…), the
    zip written again so that it opens: the damage is inside the workbook."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(archive.namelist())
        parts = {name: archive.read(name) for name in names}
    target = names[min(int(member * len(names)), len(names) - 1)]
    parts[target] = apply(parts[target], plan)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(name, parts[name])
    return out.getvalue()


# -- the property --------------------------------------------------------------------

def check_events(events, label: str, data: bytes, fmt: str) -> None:
    sha = hashlib.sha256(data).hexdigest()
    for event in events:
        assert event.time.tzinfo is not None and plausible_year(event.time.year)
        assert isinstance(event.text, str)
        if fmt == "jsonl":
            continue  # a timeline read back keeps its original sources
        src = event.source
        assert (src.file, src.sha256, src.format) == (label, sha, fmt)
        assert sum(p is not None for p in (src.line, src.row, src.page)) == 1
        assert all(p is None or p >= 1 for p in (src.line, src.row, src.page))


def check_outcome(label: str, data: bytes, fmt: str) -> None:
    """Events, warnings or an InputError, through both paths; never another exception
    (an E199 report is one), never a hang."""
    started = time.monotonic()
    events, report, _ = parse_file(label, OPTIONS, fmt, data=data)
    assert report.error is None or not report.error.startswith("[E199]"), report.error
    if report.error is None:
        check_events(events, label, data, fmt)
        assert all(w.file == label for w in report.warnings)

    file = InputFile(label, data)
    try:
        chosen = detect(file)
    except InputError:
        chosen = get_format(fmt)
    ctx = ParseContext(file, chosen.NAME, OPTIONS)
    try:
        events = list(chosen.parse(file, ctx))
    except InputError:
        events = None
    if events is not None:
        check_events(events, label, data, chosen.NAME)
    assert time.monotonic() - started < GUARD, f"{label} took {time.monotonic() - started:.1f} s"


def pick(fmt: str, index: int) -> tuple[str, bytes]:
    files = seeds()[fmt]
    return files[index % len(files)]


TEXT_FORMATS = ["call-notes", "chat-sheet-csv", "cmcc-bill-csv", "jsonl", "qianniu-clipboard", "qianniu-web",
                "taobao-orders", "unicom-bill-csv", "wangwang-a", "wangwang-b", "android-calls-xml"]
SHEET_FORMATS = ["chat-sheet-xlsx", "cmcc-bill-xlsx", "unicom-bill-xlsx"]
PDF_FORMATS = ["cmcc-bill-pdf", "qianniu-web-pdf"]


def test_the_three_groups_cover_every_format():
    assert sorted(TEXT_FORMATS + SHEET_FORMATS + PDF_FORMATS) == sorted(f.NAME for f in formats())


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(index=st.integers(0, 10), plan=plans)
# Regressions the fuzzers found (each was an E199 or a minutes-long parse before its fix):
@example(index=0, plan=[("long_line", 0.5, "客户：", 40_000)])
@example(index=0, plan=[("insert", 0.5, b"\n0001-01-01 00:00 \xe6\x89\x93\xe7\x94\xb5\xe8\xaf\x9d \xe6\x97\xa0\xe4\xba\xba\xe6\x8e\xa5\xe5\x90\xac\n")])
@example(index=0, plan=[("long_line", 0.9, "[", 100_000)])
@example(index=1, plan=[("long_line", 0.3, "\t", 100_000), ("odd_in_time", 3, "\u202e")])
@example(index=0, plan=[("odd_in_nick", 0, "\u200d"), ("odd_in_time", 0, "０"), ("gbk_line", 0.2, GBK_LINES[0])])
def test_text_formats_take_any_mutation(fmt, index, plan):
    name, data = pick(fmt, index)
    check_outcome(name, apply(data, plan), fmt)


@pytest.mark.parametrize("fmt", SHEET_FORMATS)
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(member=fraction, plan=plans, inside=st.booleans())
@example(member=0.0, plan=[("truncate", 0.5)], inside=False)
@example(member=0.75, plan=[("truncate", 0.6)], inside=True)  # sheet XML cut short: was E199 ParseError
@example(member=0.99, plan=[("repeat", 0.6, 60, 150)], inside=True)
def test_sheet_formats_take_any_mutation(fmt, member, plan, inside):
    name, data = pick(fmt, 0)
    mutated = apply_in_zip(data, member, plan) if inside else apply(data, plan)
    check_outcome(name, mutated, fmt)


# PDFs: fewer examples (each parse costs 0.1-0.5 s) and enormous lines kept to 20 KB:
# pdfminer's lexer is super-linear on long runs of "(" (1 MB: 8 s), a known limit of
# the library that SECURITY.md-level docs mention rather than a parser bug of ours.
pdf_mutation = st.one_of(
    st.tuples(st.just("truncate"), fraction),
    st.tuples(st.just("flip"), fraction, st.integers(0, 255)),
    st.tuples(st.just("insert"), fraction, st.one_of(st.binary(min_size=1, max_size=24), st.sampled_from(BAD_BYTES))),
    st.tuples(st.just("long_line"), fraction, st.sampled_from(LONG_TOKENS), st.integers(1_000, 20_000)),
    st.tuples(st.just("repeat"), fraction, st.integers(1, 200), st.integers(2, 50)),
)


@pytest.mark.parametrize("fmt", PDF_FORMATS)
@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(index=st.integers(0, 10), plan=st.lists(pdf_mutation, min_size=1, max_size=3))
def test_pdf_formats_take_any_mutation(fmt, index, plan):
    name, data = pick(fmt, index)
    check_outcome(name, apply(data, plan), fmt)
