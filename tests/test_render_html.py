"""The HTML case report: structure, escaping of hostile text, masking, CSP, template
overrides and determinism.  Parsed with BeautifulSoup (lxml)."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.cases import build_case, build_run
from extractor.errors import RenderError, UsageError
from extractor.model import Tag
from extractor.render import Renderer, RenderOptions, render_run
from extractor.render.env import builtin_templates_dir, highlight, mask_phones
from report_fixtures import FIXED_NOW, LIN, LIN_ORDER, SHOP, XIAOYA, single_chat, story

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
HOSTILE_NICK = '<script>alert("nick")</script>{{ 7*7 }}'
HOSTILE_TEXTS = [
    "<script>alert(document.cookie)</script>",
    "{{ 7*7 }} {{ config }}",
    "{% for x in range(3) %}loop{% endfor %}",
    '"><img src=x onerror=alert(1)>',
    "<style>body{background:url(http://evil.example/x.png)}</style>",
    '<link rel="stylesheet" href="https://evil.example/a.css">',
    "<a href=\"javascript:alert(1)\">点我退款</a>",
    "正常文字\u202e反转\u202c，含零宽\u200b字符",
]


def soup_of(html: bytes | str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


@pytest.fixture(scope="module")
def story_run(tmp_path_factory):
    events, files = story(tmp_path_factory.mktemp("story"))
    return build_run(events, files)


@pytest.fixture(scope="module")
def lin_case(story_run):
    return next(c for c in story_run.cases if c.buyer == LIN)


@pytest.fixture(scope="module")
def lin_html(lin_case) -> str:
    return Renderer(generated_at=FIXED_NOW, argv=("evidence", "report", "exports", "-o", "out")) \
        .render("html", lin_case, "tb_lin8866").decode("utf-8")


@pytest.fixture(scope="module")
def hostile_case(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    lines = [(HOSTILE_NICK, f"2025-06-24 10:{i:02d}:00", text) for i, text in enumerate(HOSTILE_TEXTS)]
    lines.append((XIAOYA, "2025-06-24 11:00:00", "亲，<b>已发货</b>"))
    events, files = single_chat(root, HOSTILE_NICK, lines)
    # Evidence words that themselves look like markup are escaped inside <mark> too.
    events = [e.with_tags(e.tags + (Tag("shipped", ("<b>已发货</b>",)),)) if "<b>" in e.text else e for e in events]
    return build_case(HOSTILE_NICK, events, files)


@pytest.fixture(scope="module")
def hostile_html(hostile_case) -> str:
    return Renderer(generated_at=FIXED_NOW).render("html", hostile_case, "x").decode("utf-8")


# -- structure ---------------------------------------------------------------


def test_head_has_csp_viewport_and_no_scripts(lin_html):
    doc = soup_of(lin_html)
    csp = doc.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert csp is not None and csp["content"] == CSP
    # The policy must come before anything that could load.
    assert doc.head.find_all(True)[1] is csp
    assert doc.find("meta", attrs={"name": "viewport"})["content"] == "width=device-width, initial-scale=1"
    assert doc.find_all("script") == []
    assert doc.find_all(["link", "img", "iframe", "object", "embed"]) == []
    main_css, phone_css = doc.find_all("style")
    assert phone_css["media"] == "screen" and "@media (max-width: 720px)" in phone_css.string
    assert "@page" in doc.style.string and 'counter(pages)' in doc.style.string


def test_nothing_points_outside_the_page(lin_html):
    doc = soup_of(lin_html)
    ids = {el["id"] for el in doc.find_all(id=True)}
    for a in doc.find_all("a"):
        assert a["href"].startswith("#") and a["href"][1:] in ids, a
    assert "http://" not in lin_html and "https://" not in lin_html
    assert "url(" not in lin_html


def test_header_facts(lin_html):
    facts = {dt.get_text(strip=True): dd.get_text(strip=True) for dt, dd in
             zip(soup_of(lin_html).select(".facts dt"), soup_of(lin_html).select(".facts dd"))}
    assert facts["店铺"] == SHOP
    assert facts["买家"] == LIN
    assert facts["订单编号"] == LIN_ORDER
    assert facts["付款时间"] == "2025-06-24 09:58:45"
    assert facts["发货时限（付款后72小时）"] == "2025-06-27 09:58:45"
    assert facts["发货时间"] == "2025-06-25 16:40:12"
    assert facts["风险提示"].startswith("疑似恶意：付款后失联")


def test_summary_sentences_link_to_timeline_rows(lin_html, lin_case):
    doc = soup_of(lin_html)
    items = doc.select("#summary ol.summary > li")
    assert len(items) == len(lin_case.summary)
    for li, sentence in zip(items, lin_case.summary):
        assert li.get_text().startswith(sentence.text)
        refs = [a["href"] for a in li.select(".refs a")]
        assert refs == [f"#{i}" for i in sentence.event_ids]
        for ref in refs:
            assert doc.select_one(f"#timeline tr{ref}") is not None


def test_timeline_rows(lin_html, lin_case):
    rows = soup_of(lin_html).select("#timeline tbody tr")
    assert [r["id"] for r in rows] == [ce.id for ce in lin_case.events]
    for row, ce in zip(rows, lin_case.events):
        cells = row.find_all("td", recursive=False)
        assert [c["data-label"] for c in cells] == ["编号", "时间", "渠道", "发送方", "内容", "来源"]
        assert cells[1].get_text(strip=True) == ce.event.time.strftime("%Y-%m-%d %H:%M:%S")
        # Sources by file name (the PDF attachment's name); full paths are in the appendix.
        short = replace(ce.event.source, file=Path(ce.event.source.file).name).where()
        assert cells[5].get_text() == short
        if ce.event.text:
            assert cells[4].select_one(".text").get_text() == mask_phones(ce.event.text)
        assert len(cells[4].select(".badge")) == len(ce.event.tags)
        assert f"role-{ce.event.role}" in row["class"]


def test_message_line_breaks_are_kept(lin_html):
    texts = [s.get_text() for s in soup_of(lin_html).select("#timeline .text")]
    assert "亲，您的玻尿酸精华液今天下午就给您发出了\n有问题随时联系我们" in texts


def test_evidence_words_are_marked(lin_html):
    row = soup_of(lin_html).select_one("#timeline tr#E3")
    assert [m.get_text() for m in row.select("mark")] == ["48小时内", "发货"]
    badges = [b.get_text() for b in row.select(".badge")]
    assert badges == ["卖家联系", "发货承诺：2025-06-26 10:03前"]


def test_channels_and_calls(lin_html):
    rows = {r["id"]: r for r in soup_of(lin_html).select("#timeline tbody tr")}
    call = rows["E4"]
    assert call.select("td")[2].get_text(strip=True) == "电话"
    assert call.select_one(".call").get_text() == "呼出 · 0秒 · 未接通 · 138****5678"
    assert "cmcc-bill-202506.csv row 2" in call.select("td")[5].get_text()


def test_appendix(lin_html, lin_case):
    doc = soup_of(lin_html)
    rows = doc.select("#appendix table.files tbody tr:not(.file-notes)")
    assert len(rows) == len(lin_case.files)
    for row, f in zip(rows, lin_case.files):
        text = row.get_text(" ", strip=True)
        # The base name only: an uploaded page shows no folder (the JSON keeps the path).
        assert f.file.rsplit("/", 1)[-1] in text and f.sha256 in text and "/" not in text.split(" SHA-256")[0]
        assert [c.get_text(strip=True) for c in row.find_all("td")][3:] == [
            str(f.events), str(lin_case.events_in_file(f.file)), str(len(f.warnings))]
    notes = doc.select_one("#appendix tr.file-notes").get_text()
    assert "header line without 消息对象" in notes
    facts = {dt.get_text(): dd.get_text() for dt, dd in zip(doc.select("#appendix dl dt"), doc.select("#appendix dl dd"))}
    assert facts["工具版本"] == "evidence 0.1.0"
    assert facts["命令行"] == "evidence report exports -o out（路径只保留文件名；完整路径见案件 JSON）"
    assert facts["生成时间"] == "2025-07-08 09:30:00 +0800"


# -- hostile input -----------------------------------------------------------


def test_hostile_text_renders_as_text(hostile_html, hostile_case):
    doc = soup_of(hostile_html)
    assert doc.find_all("script") == []
    assert doc.find_all(["img", "link", "a"], href=re.compile("javascript|http")) == []
    assert doc.find_all("img") == [] and doc.find_all("link") == []
    assert len(doc.find_all("style")) == 2
    shown = [s.get_text() for s in doc.select("#timeline .text")]
    for text in HOSTILE_TEXTS[:-1]:
        assert text in shown
    assert "{{ 7*7 }} {{ config }}" in shown and not any("49" in text for text in shown)
    assert "loop" not in "".join(shown).replace("loop{%", "")
    title = doc.title.get_text()
    assert HOSTILE_NICK in title and doc.select_one(".run-buyer").get_text() == HOSTILE_NICK


def test_markup_in_evidence_words_is_escaped_inside_mark(hostile_html):
    marks = [m for m in soup_of(hostile_html).select("#timeline mark")]
    assert any(m.get_text() == "<b>已发货</b>" for m in marks)
    assert soup_of(hostile_html).select("#timeline .text b") == []


def test_bidi_and_zero_width_characters_are_shown(hostile_html):
    markers = [s.get_text() for s in soup_of(hostile_html).select(".invisible")]
    assert markers == ["[U+202E]", "[U+202C]", "[U+200B]"]
    assert "\u202e" not in hostile_html


def test_highlight_escapes_every_piece():
    out = highlight('a<i>&"b"</i> 赔钱 <赔钱>', ["赔钱", "<i>"])
    assert str(out) == 'a<mark>&lt;i&gt;</mark>&amp;&#34;b&#34;&lt;/i&gt; <mark>赔钱</mark> &lt;<mark>赔钱</mark>&gt;'


def test_a_backoff_tag_says_it_is_the_models_with_its_probability(lin_case):
    from extractor.render.view import event_view, masker

    event = replace(lin_case.events[0].event, tags=(
        Tag("return_claim", evidence=("少了",), reason="missing_item", score=0.934),
        Tag("compensation_demand", evidence=("赔",), score=0.61),
        Tag("threat", evidence=("差评",)),
    ))
    details = [t["detail"] for t in event_view("e1", event, masker(True))["tags"]]
    assert details == ["少发漏发 · 模型 0.93", "模型 0.61", "差评"]


def test_a_claim_the_backoff_found_says_so_in_the_claims_table_and_the_json(lin_case):
    import json

    claim = next(c for c in lin_case.claims if c.label == "return_claim")
    case = replace(lin_case, claims=tuple(replace(c, score=0.934) if c is claim else c for c in lin_case.claims))
    renderer = Renderer(generated_at=FIXED_NOW, argv=("evidence", "report"))
    soup = BeautifulSoup(renderer.render("html", case, "tb_lin8866").decode("utf-8"), "html.parser")
    assert any(f"{claim.name_zh} · 模型 0.93" in td.get_text() for td in soup.select("td"))
    claims = json.loads(renderer.render("json", case, "tb_lin8866"))["claims"]
    assert [c.get("score") for c in claims] == [0.934 if c is claim else None for c in lin_case.claims]


def test_overlapping_evidence_merges_into_one_mark():
    assert str(highlight("延迟发货赔钱", ["延迟发货", "发货赔", "赔钱"])) == "<mark>延迟发货赔钱</mark>"


# -- masking -------------------------------------------------------------------


@pytest.mark.parametrize("text, masked", [
    ("电话13812345678", "电话138****5678"),
    ("+86 138 1234 5678", "138****5678"),
    ("138-1234-5678，或者8613900001111", "138****5678，或者8613900001111"),
    ("订单3021456789012345678", "订单3021456789012345678"),
    ("单号75312345678901", "单号75312345678901"),
    ("已打码138****5678", "已打码138****5678"),
])
def test_mask_phones(text, masked):
    assert mask_phones(text) == masked


def test_phones_masked_by_default_and_shown_with_no_mask(lin_case):
    masked = Renderer(generated_at=FIXED_NOW).render("html", lin_case, "x").decode()
    shown = Renderer(generated_at=FIXED_NOW, mask_phones=False).render("html", lin_case, "x").decode()
    assert "13812345678" not in masked and "138****5678" in masked
    assert "13812345678" in shown
    assert "已打码" in masked and "未打码（--no-mask）" in shown


# -- determinism ---------------------------------------------------------------


def test_same_inputs_same_html_but_for_the_generation_time(tmp_path):
    pages = []
    for i, out in enumerate(("a", "b")):
        events, files = story(tmp_path / "in")
        run = build_run(events, files)
        render_run(run, tmp_path / out, RenderOptions(generated_at=FIXED_NOW + timedelta(hours=i),
                                                      argv=("evidence", "report", "in"), outputs=("html",)))
        pages.append({p.name: p.read_text("utf-8") for p in sorted((tmp_path / out).glob("*.html"))})
    assert pages[0].keys() == pages[1].keys() == {"tb_lin8866.html", "小鹿爱买买.html", "index.html"}
    for name in pages[0]:
        a, b = pages[0][name], pages[1][name]
        assert a != b
        assert a.replace("09:30:00", "10:30:00") == b


# -- templates -----------------------------------------------------------------


def test_builtin_templates_are_found():
    assert (builtin_templates_dir() / "report.html.j2").is_file()
    assert (builtin_templates_dir() / "report.css").is_file()


def test_user_templates_override_one_file(tmp_path, lin_case):
    (tmp_path / "report.css").write_text("body { color: rgb(1, 2, 3); }\n", "utf-8")
    (tmp_path / "_summary.html.j2").write_text(
        '<section id="summary"><p class="mine">{{ v.summary|length }} 句</p></section>\n', "utf-8")
    html = Renderer(templates=tmp_path, generated_at=FIXED_NOW).render("html", lin_case, "x").decode()
    doc = soup_of(html)
    assert "rgb(1, 2, 3)" in doc.style.string and "--seller" not in doc.style.string
    assert doc.select_one("p.mine").get_text() == f"{len(lin_case.summary)} 句"
    assert doc.select("#timeline tbody tr")  # the rest is still the built-in template


def test_user_template_still_autoescapes(tmp_path, hostile_case):
    (tmp_path / "_summary.html.j2").write_text("<p id=n>{{ v.buyer }}</p>", "utf-8")
    html = Renderer(templates=tmp_path, generated_at=FIXED_NOW).render("html", hostile_case, "x").decode()
    assert soup_of(html).select_one("p#n").get_text() == HOSTILE_NICK
    assert "<script>alert" not in html


def test_broken_user_template_is_a_render_error(tmp_path, lin_case):
    (tmp_path / "_summary.html.j2").write_text("{% for s in v.summary %}never closed", "utf-8")
    with pytest.raises(RenderError) as exc:
        Renderer(templates=tmp_path, generated_at=FIXED_NOW).render("html", lin_case, "x")
    assert exc.value.code == "E300"
    assert "check the templates in your --templates folder" in exc.value.message


def test_templates_folder_must_exist(tmp_path):
    with pytest.raises(UsageError) as exc:
        Renderer(templates=tmp_path / "nope")
    assert exc.value.message.startswith(f"--templates {tmp_path / 'nope'}: not a folder")


def test_index_lists_cases_unassigned_calls_and_files(tmp_path, story_run):
    render_run(story_run, tmp_path, RenderOptions(generated_at=FIXED_NOW, outputs=("html",)))
    doc = soup_of((tmp_path / "index.html").read_bytes())
    rows = doc.select("#cases tbody tr")
    assert [r.find("td").get_text() for r in rows] == [c.buyer for c in story_run.cases]
    assert [a["href"] for a in rows[0].select("a")] == ["tb_lin8866.html"]
    unassigned = doc.select("#unassigned tbody tr")
    assert len(unassigned) == 1 and "137****9999" in unassigned[0].get_text()
    assert len(doc.select("#appendix table.files tbody tr:not(.file-notes)")) == len(story_run.files)
    # The index runs exactly one script, its table sorter, allowed by its hash alone.
    sorter = doc.find_all("script")
    assert len(sorter) == 1
    digest = base64.b64encode(hashlib.sha256(sorter[0].string.encode("utf-8")).digest()).decode()
    csp = doc.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    assert csp == f"{CSP}; script-src 'sha256-{digest}'"
    assert Path(tmp_path / "tb_lin8866.html").exists() and not Path(tmp_path / "tb_lin8866.pdf").exists()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>&\"'/{}%=ab赔钱过敏 \n\u202e")), max_size=60),
       st.lists(st.text(alphabet=st.sampled_from(list("<>&ab赔钱过敏")), min_size=1, max_size=4), max_size=4))
def test_highlight_never_changes_or_leaks_text(text, words):
    """Whatever the text and the evidence words, the marked-up result reads back as the
    text itself (invisible characters aside), and the only elements in it are ours."""
    # The brackets keep a whitespace-only text a text node: HTML parsers drop those.
    fragment = BeautifulSoup(f"<div>[{highlight(text, words)}]</div>", "lxml").div
    assert {el.name for el in fragment.find_all(True)} <= {"mark", "span"}
    for span in fragment.select("span.invisible"):
        span.replace_with("\u202e")
    assert fragment.get_text() == f"[{text}]"
