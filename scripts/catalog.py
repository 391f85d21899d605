"""The command line's message catalog: find its msgids in the code, compile the .po.

    python scripts/catalog.py missing   # msgids the code uses that the .po lacks, as .po entries
    python scripts/catalog.py stale     # entries of the .po the code no longer uses
    python scripts/catalog.py compile   # extractor/locale/*/LC_MESSAGES/evidence.po -> .mo

The .mo is shipped beside the .po (the wheel needs no msgfmt and no Babel);
tests/test_i18n.py compiles the .po again and fails when the shipped .mo differs, and
checks that every msgid of the code has a translation with the same placeholders.
The compiler writes the GNU .mo layout the stdlib's gettext reads: a header, the sorted
msgids and their translations as two tables of (length, offset), and no hash table
(gettext does not use it).
"""

from __future__ import annotations

import ast
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "extractor"
LOCALE = PACKAGE / "locale"
# The web app speaks Chinese in its own templates; its code has no msgids.
EXCLUDED = ("web",)
MARKERS = {"_": 1, "N_": 1, "ngettext": 2}


@dataclass(frozen=True)
class Entry:
    msgid: str
    msgstr: tuple[str, ...]  # one, or one per plural form
    plural: str | None = None
    fuzzy: bool = False


@dataclass(frozen=True)
class Use:
    msgid: str
    plural: str | None
    where: str  # path:line


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def uses(package: Path = PACKAGE) -> list[Use]:
    """Every ``_("…")``, ``N_("…")`` and ``ngettext("…", "…", n)`` in the package, and
    the input formats' ``DESCRIPTION``."""
    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        if rel.parts[0] in EXCLUDED:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if (rel.parts[0] == "sources" and isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                    and any(isinstance(t, ast.Name) and t.id == "DESCRIPTION" for t in node.targets)):
                # `evidence formats` says each format's DESCRIPTION translated.
                found.append(Use(node.value.value, None, f"{_shown(path)}:{node.lineno}"))
                continue
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS):
                continue
            args = node.args[:MARKERS[node.func.id]]
            where = f"{_shown(path)}:{node.lineno}"
            if any(isinstance(a, (ast.JoinedStr, ast.BinOp)) for a in args) or node.func.id == "N_" and not (
                    args and isinstance(args[0], ast.Constant)):
                # _(f"…") is looked up after it is formatted: no catalog holds it.
                raise ValueError(f"{where}: {node.func.id}() needs literal strings, or no catalog can hold it")
            if not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
                continue  # _(variable): a msgid marked where it is written (N_), looked up here
            found.append(Use(args[0].value, args[1].value if len(args) > 1 else None, where))
    return found


def _unquote(text: str, where: str) -> str:
    text = text.strip()
    if not (len(text) >= 2 and text[0] == text[-1] == '"'):
        raise ValueError(f"{where}: expected a quoted string, got {text!r}")
    # PO strings use C escapes (\n \t \" \\), which a Python literal reads the same way.
    return ast.literal_eval(text)


def read_po(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    current: str | None = None
    fuzzy = False

    def flush() -> None:
        nonlocal fields, current, fuzzy
        if "msgid" in fields:
            forms = sorted(k for k in fields if k.startswith("msgstr["))
            msgstr = tuple(fields[k] for k in forms) if forms else (fields.get("msgstr", ""),)
            entries.append(Entry(fields["msgid"], msgstr, fields.get("msgid_plural"), fuzzy))
        fields, current, fuzzy = {}, None, False

    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        where = f"{path}:{n}"
        line = line.strip()
        if not line:
            flush()
        elif line.startswith("#"):
            if any(k.startswith("msgstr") for k in fields):  # the next entry's comments
                flush()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
        elif line.startswith('"'):
            if current is None:
                raise ValueError(f"{where}: a string continues no keyword")
            fields[current] += _unquote(line, where)
        else:
            keyword, _, rest = line.partition(" ")
            if keyword == "msgid" and "msgid" in fields:
                flush()
            if keyword == "msgctxt":
                raise ValueError(f"{where}: msgctxt is not used by this catalog")
            if keyword not in ("msgid", "msgid_plural", "msgstr") and not keyword.startswith("msgstr["):
                raise ValueError(f"{where}: unknown keyword {keyword!r}")
            current = keyword
            fields[keyword] = _unquote(rest, where)
    flush()
    seen: set[str] = set()
    for e in entries:
        if e.msgid in seen:
            raise ValueError(f"{path}: msgid {e.msgid!r} twice")
        seen.add(e.msgid)
    return entries


def compile_mo(entries: list[Entry]) -> bytes:
    """The .mo of the translated entries (a fuzzy or untranslated one is left out, as
    msgfmt does: gettext then shows the English)."""
    pairs = {}
    for e in entries:
        if e.fuzzy and e.msgid or not all(e.msgstr):
            continue
        key = e.msgid if e.plural is None else f"{e.msgid}\0{e.plural}"
        pairs[key.encode("utf-8")] = "\0".join(e.msgstr).encode("utf-8")
    keys = sorted(pairs)
    header_size = 7 * 4
    ids_at = header_size
    strs_at = ids_at + 8 * len(keys)
    data_at = strs_at + 8 * len(keys)
    ids, strs, blob = [], [], b""
    for key in keys:
        ids.append((len(key), data_at + len(blob)))
        blob += key + b"\0"
    for key in keys:
        value = pairs[key]
        strs.append((len(value), data_at + len(blob)))
        blob += value + b"\0"
    out = struct.pack("<7I", 0x950412DE, 0, len(keys), ids_at, strs_at, 0, data_at)
    out += b"".join(struct.pack("<2I", *p) for p in ids) + b"".join(struct.pack("<2I", *p) for p in strs)
    return out + blob


def catalogs() -> list[Path]:
    return sorted(LOCALE.glob("*/LC_MESSAGES/evidence.po"))


def _po_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "compile":
        for po in catalogs():
            po.with_suffix(".mo").write_bytes(compile_mo(read_po(po)))
            print(f"written {po.with_suffix('.mo').relative_to(ROOT)}")
        return 0
    if command == "missing":
        for po in catalogs():
            known = {e.msgid for e in read_po(po)}
            seen: set[str] = set()
            for use in uses():
                if use.msgid in known or use.msgid in seen:
                    continue
                seen.add(use.msgid)
                print(f"#: {use.where}\nmsgid {_po_string(use.msgid)}")
                if use.plural is None:
                    print('msgstr ""\n')
                else:
                    print(f'msgid_plural {_po_string(use.plural)}\nmsgstr[0] ""\n')
        return 0
    if command == "stale":
        used = {u.msgid for u in uses()}
        for po in catalogs():
            for e in read_po(po):
                if e.msgid and e.msgid not in used:
                    print(f"{po.relative_to(ROOT)}: msgid {_po_string(e.msgid)} is used nowhere")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
