"""Write the China Mobile PDF e-bills used by the tests and the demo corpus.

    .venv/bin/python tests/data/calls/make_pdfs.py

The e-bill is HTML rendered by WeasyPrint the way the carrier's own e-bill looks: a title
block with the 查询周期, then the call table.  ``cmcc-ebill-2025-06.pdf`` runs over three
pages: one long table whose header WeasyPrint repeats on page 2, then a continuation
table on page 5 printed without a header (as some provinces' e-bills do).
``cmcc-ebill-unruled.pdf`` prints its table without rules, so it is read from text lines.
``cmcc-ebill-yearless.pdf`` writes start times without a year (``06-24 10:20:11``); the
year comes from the 查询周期.  ``corpora/demo/cmcc-ebill-202506.pdf`` is the demo's CSV
bill printed as an e-bill.  The PDFs are committed; run this only to change them.
"""

from __future__ import annotations

import csv
import html
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
HEADER = ["起始时间", "通信地点", "通信方式", "对方号码", "通信时长", "通信类型", "套餐优惠", "实收通信费(元)"]

CSS = """
@page { size: A4; margin: 18mm 14mm 20mm 14mm;
        @bottom-center { content: "第" counter(page) "页/共" counter(pages) "页"; font-size: 9pt; } }
body { font-family: "Noto Sans CJK SC", sans-serif; font-size: 9.5pt; }
h1 { font-size: 15pt; text-align: center; margin: 0 0 4mm 0; }
p.info { margin: 0 0 3mm 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 0.6pt solid #444; padding: 1.2mm 1.5mm; text-align: left; }
th { background: #e8eef7; }
.next { break-before: page; }
"""
# Some e-bills print the table without rules: pdfplumber finds no table and the rows are
# read from the page's text lines.
UNRULED_CSS = CSS.replace("size: A4;", "size: A4 landscape;").replace("border: 0.6pt solid #444;", "border: none;")


def _durations(i: int) -> str:
    seconds = [0, 72, 123, 35, 3723, 9, 640][i % 7]
    if i % 5 == 3:  # some provinces print durations as a clock
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return (f"{h}小时" if h else "") + (f"{m}分" if h or m else "") + f"{s}秒"


def ebill_rows(count: int = 75) -> list[list[str]]:
    """A month of a shop line's calls: deterministic, varied numbers and durations."""
    numbers = ["13812345678", "13900001111", "+86 137 0000 2222", "0571-88886666", "15800003333", "95311"]
    start = datetime(2025, 6, 1, 9, 5, 12)
    rows = []
    for i in range(count):
        when = start + timedelta(hours=9 * i, minutes=7 * i % 50, seconds=13 * i % 60)
        outgoing = i % 4 != 2
        rows.append([
            f"{when:%Y-%m-%d %H:%M:%S}", "杭州", "主叫" if outgoing else "被叫", numbers[i % len(numbers)],
            _durations(i), "本地(非漫游、主叫)" if outgoing else "本地(非漫游、被叫)", "--", "0.00",
        ])
    return rows


def _table(rows: list[list[str]], header: bool, css_class: str = "") -> str:
    head = "<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in HEADER) + "</tr></thead>" if header else ""
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{css_class}">{head}<tbody>{body}</tbody></table>'


def render(path: Path, tables: list[tuple[list[list[str]], bool]], period: str, css: str = CSS) -> None:
    from weasyprint import HTML

    parts = [
        "<h1>中国移动 通话详单</h1>",
        f'<p class="info">客户姓名：王**　手机号码：139****0000　查询周期：{period}</p>',
    ]
    for i, (rows, header) in enumerate(tables):
        parts.append(_table(rows, header, "next" if i else ""))
    document = f"<html><head><meta charset='utf-8'><style>{css}</style></head><body>{''.join(parts)}</body></html>"
    HTML(string=document).write_pdf(path)
    print(f"wrote {path.relative_to(ROOT)}")


def yearless_rows() -> list[list[str]]:
    return [[row[0][5:]] + row[1:] for row in ebill_rows(12)]


def demo_rows() -> list[list[str]]:
    with open(ROOT / "corpora" / "demo" / "cmcc-bill-202506.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[1:]


def main() -> None:
    rows = ebill_rows()
    render(HERE / "cmcc-ebill-2025-06.pdf", [(rows[:68], True), (rows[68:], False)],
           "2025年06月01日至2025年06月30日")
    render(HERE / "cmcc-ebill-yearless.pdf", [(yearless_rows(), True)], "2025年06月01日至2025年06月30日")
    render(HERE / "cmcc-ebill-unruled.pdf", [(ebill_rows(8), True)], "2025年06月01日至2025年06月30日",
           css=UNRULED_CSS)
    demo = ROOT / "corpora" / "demo" / "cmcc-ebill-202506.pdf"
    render(demo, [(demo_rows(), True)], "2025年06月01日至2025年06月30日")


if __name__ == "__main__":
    main()
