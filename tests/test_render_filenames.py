"""File names made from nicks: safe on every system, unique within a run."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.render.filenames import (MAX_STEM_BYTES, safe_stem, unique_attachment_names,
                                        unique_names)

RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[1-9¹²³]|LPT[1-9¹²³])$", re.I)


def assert_safe(stem: str) -> None:
    assert stem and stem not in (".", "..")
    assert not re.search(r'[<>:"/\\|?*]', stem)
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn") for ch in stem)
    assert not stem.startswith(".") and not stem.endswith((".", " ")) and ".." not in stem
    assert not RESERVED.match(stem.split(".", 1)[0].rstrip(" "))
    assert len(stem.encode("utf-8")) <= MAX_STEM_BYTES + 9


@pytest.mark.parametrize("nick, stem", [
    ("tb_lin8866", "tb_lin8866"),
    ("小鹿爱买买", "小鹿爱买买"),
    ("../../etc/passwd", "_etc_passwd"),
    ("..\\..\\windows\\system32", "_windows_system32"),
    ("a/b\\c", "a_b_c"),
    ("nul\x00byte", "nul_byte"),
    ("line\nbreak\ttab", "line_break_tab"),
    ("CON", "_CON"), ("con", "_con"), ("Com1", "_Com1"), ("LPT9.txt", "_LPT9.txt"), ("NUL .html", "_NUL .html"),
    ("...", "buyer"), ("", "buyer"), ("///", "buyer"),
    ("name. ", "name"),
    ("\u202egpj.exe", "_gpj.exe"),
    ("t**9", "t_9"), ("a..b", "a_b"),
    ("店铺:子账号", "店铺_子账号"),
])
def test_safe_stem(nick, stem):
    assert safe_stem(nick) == stem
    assert_safe(stem)


def test_names_that_differ_only_in_case_stay_apart():
    names = unique_names(["Tb_Lin", "tb_lin", "TB_LIN"])
    assert len({n.casefold() for n in names.values()}) == 3
    assert sorted(names.values()) == ["TB_LIN", "Tb_Lin-2", "tb_lin-3"]


def test_names_that_collide_after_cleaning_stay_apart():
    names = unique_names(["a/b", "a\\b", "a:b", "a_b"])
    assert len(set(names.values())) == 4


def test_run_outputs_are_reserved():
    names = unique_names(["index", "Register", "run"])
    assert names == {"Register": "Register-2", "index": "index-2", "run": "run-2"}


def test_long_nicks_are_cut_and_kept_apart():
    a, b = "买" * 200 + "甲", "买" * 200 + "乙"
    names = unique_names([a, b])
    assert names[a] != names[b]
    for stem in names.values():
        assert len(stem.encode("utf-8")) <= MAX_STEM_BYTES
        assert_safe(stem)


def test_same_mapping_whatever_the_input_order():
    nicks = ["b", "B", "a", "A/..", "a"]
    assert unique_names(nicks) == unique_names(list(reversed(nicks)))


def test_attachment_names():
    names = unique_attachment_names(["in/a/chat.txt", "in/b/chat.txt", "in/CHAT.TXT", "in/账单.pdf", "x/CON.csv"])
    assert names == {"in/a/chat.txt": "chat.txt", "in/b/chat.txt": "chat-2.txt", "in/CHAT.TXT": "CHAT-3.TXT",
                     "in/账单.pdf": "账单.pdf", "x/CON.csv": "_CON.csv"}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=300), min_size=1, max_size=8))
def test_any_nicks_give_safe_unique_names(nicks):
    names = unique_names(nicks)
    assert set(names) == set(nicks)
    folded = [n.casefold() for n in names.values()]
    assert len(folded) == len(set(folded))
    for stem in names.values():
        assert_safe(stem)
        assert stem.casefold() not in ("index", "register", "run")
