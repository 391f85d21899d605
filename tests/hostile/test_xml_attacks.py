"""Android call-log XML from someone else's phone: entity expansion, external entities
and external DTDs are refused with E105 before anything is expanded or fetched."""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.sources import ParseOptions
from extractor.timeline import parse_file

runner = CliRunner()

REFUSAL = ("refused to read this XML: it declares a DTD, entities or an external reference (DTDForbidden). "
           "A call-log backup never contains these; they are how entity-expansion (\"billion laughs\") and "
           "external-entity attacks work. Export the call log again from the phone.")
CALL = '<call number="13812345678" duration="72" date="1750731611000" type="2" contact_name="{name}" />'


def calls_xml(doctype: str, name: str = "tb_9527xiaoyu", encoding: str = "UTF-8") -> str:
    return (f"<?xml version='1.0' encoding='{encoding}' standalone='yes' ?>\n{doctype}\n"
            f'<calls count="1">\n  {CALL.format(name=name)}\n</calls>\n')


def billion_laughs() -> str:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    return "<!DOCTYPE calls [\n  " + "\n  ".join(entities) + "\n]>"


def quadratic_blowup() -> str:
    # No nesting: one 100 KB entity used many times (defeats naive depth limits).
    return f'<!DOCTYPE calls [<!ENTITY big "{"x" * 100_000}">]>'


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("root:x:0:0:SECRET-9527:/root:/bin/bash\n", encoding="utf-8")
    return path


CASES = {
    "billion-laughs": lambda secret: calls_xml(billion_laughs(), "&lol9;"),
    "quadratic-blowup": lambda secret: calls_xml(quadratic_blowup(), "&big;" * 2000),
    "external-entity-file": lambda secret: calls_xml(
        f'<!DOCTYPE calls [<!ENTITY secret SYSTEM "file://{secret}">]>', "&secret;"),
    "external-entity-passwd": lambda secret: calls_xml(
        '<!DOCTYPE calls [<!ENTITY secret SYSTEM "file:///etc/passwd">]>', "&secret;"),
    "external-dtd": lambda secret: calls_xml('<!DOCTYPE calls SYSTEM "http://127.0.0.1:9/calls.dtd">'),
    "external-dtd-file": lambda secret: calls_xml(f'<!DOCTYPE calls SYSTEM "file://{secret}">'),
    "parameter-entity": lambda secret: calls_xml(
        f'<!DOCTYPE calls [<!ENTITY % remote SYSTEM "file://{secret}"> %remote;]>'),
    "internal-dtd-only": lambda secret: calls_xml("<!DOCTYPE calls [<!ELEMENT calls ANY>]>"),
    "utf-16-billion-laughs": lambda secret: calls_xml(billion_laughs(), "&lol9;", "UTF-16"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_dangerous_xml_is_refused_with_e105(tmp_path, secret, case):
    text = CASES[case](secret)
    encoding = "utf-16" if case.startswith("utf-16") else "utf-8"
    path = tmp_path / "calls-20250628.xml"
    path.write_bytes(text.encode(encoding))
    started = time.monotonic()
    events, report, _ = parse_file(str(path), ParseOptions())
    assert time.monotonic() - started < 10  # nothing was expanded
    assert events == [] and report.format == "android-calls-xml"
    assert report.error == f"[E105] {path}: {REFUSAL}"
    assert "SECRET-9527" not in report.error


def test_the_refusal_reaches_the_user_with_exit_code_2(tmp_path, secret):
    path = tmp_path / "calls-20250628.xml"
    path.write_text(CASES["external-entity-file"](secret), encoding="utf-8")
    result = runner.invoke(app, ["parse", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error [E105] {path}: {REFUSAL}\n1 of 1 inputs failed\n"


def test_a_refused_file_does_not_stop_the_others(tmp_path, secret):
    bad = tmp_path / "calls-1.xml"
    bad.write_text(CASES["billion-laughs"](secret), encoding="utf-8")
    good = tmp_path / "calls-2.xml"
    good.write_text(calls_xml(""), encoding="utf-8")
    result = runner.invoke(app, ["parse", str(bad), str(good)])
    assert result.exit_code == 6
    (line,) = result.stdout.splitlines()
    event = json.loads(line)
    assert (event["time"], event["text"]) == ("2025-06-24T10:20:11+08:00", "呼出 13812345678 1分12秒")
    assert f"error [E105] {bad}: {REFUSAL}" in result.stderr


def test_a_plain_backup_with_markup_in_the_contact_name_is_read_as_text(tmp_path):
    # Escaped markup in an attribute is the contact's name, not XML.
    name = "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}"
    path = tmp_path / "calls-20250628.xml"
    path.write_text(calls_xml("", name), encoding="utf-8")
    events, report, _ = parse_file(str(path), ParseOptions())
    assert report.error is None and report.warnings == ()
    assert [e.call.number for e in events] == ["13812345678"]
