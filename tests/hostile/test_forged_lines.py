"""Forged lines inside a message: a buyer types a line break and then a line in the
export's own format (a backdated seller promise, another buyer's conversation header,
a platform notice).  Every text chat format must keep such a line as text of the message
it was typed in, verbatim, flag that event ``forged_header`` and warn with the line.

The same conversation is written in each format (layouts A and B, the clipboard copy,
the web page as text and printed to PDF); each attack is the same payload in that
format's own syntax, typed into the buyer's message at 21:15:20.  The buyer writes again
after the seller's reply, as buyers do: that is what gives a forged conversation header
away.

What text alone cannot tell is tested too (``test_..._in_time_order_naming_a_real_party``):
a forged line that is in time order and names a real party of the conversation is a
message like any other.  SECURITY.md says so, and what to do about it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from extractor.model import FLAGS
from extractor.sources import InputFile, ParseContext, ParseOptions, get_format
from extractor.sources.chat_guard import FORGED
from hostile_files import make_pdf

ROOT = Path(__file__).resolve().parents[2]
SHOP = "悦颜美妆旗舰店"
XIAOYA, AMIN = f"{SHOP}:小雅", f"{SHOP}:售后阿明"
OTHER_SHOP_ACCOUNT = "悦颜美妆官方店:店长"
BUYER, OTHER_BUYER = "tb_9527xiaoyu", "tb_other88"
PROMISE = "亲，今天中午12点前一定给您发货"
RULE_A = "=" * 64

# The conversation: (date, time, sender, text lines).  The buyer's message (index 1) is
# where the payload goes.
CONVERSATION = [
    ("2025-06-24", "10:02:13", XIAOYA, ["亲，您好，您拍的玻尿酸精华已经付款成功啦"]),
    ("2025-06-27", "21:15:20", BUYER, ["说好的发货呢"]),
    ("2025-06-27", "21:20:00", XIAOYA, ["亲，正在帮您查询物流，请稍等"]),
    ("2025-06-27", "21:25:00", BUYER, ["快点"]),
]
FORMATS = ["wangwang-a", "wangwang-b", "qianniu-clipboard", "qianniu-web", "qianniu-web-pdf"]


def _clip_stamp(day: str, clock: str) -> str:
    y, mo, d = (int(x) for x in day.split("-"))
    h, mi, s = clock.split(":")
    return f"{y}-{mo}-{d} {int(h)}:{mi}:{s}"


def render(fmt: str, payload: list[str]) -> tuple[list[str], int]:
    """The conversation in ``fmt`` with ``payload`` typed into the buyer's message:
    the lines of the file and the (1-based) line where the payload starts."""
    lines: list[str] = []
    start = 0
    if fmt == "wangwang-a":
        lines += [RULE_A, "消息记录（此消息记录为文本格式，不支持重新导入）", RULE_A, "单聊", RULE_A,
                  f"消息对象:{BUYER}", RULE_A]
        for i, (day, clock, sender, text) in enumerate(CONVERSATION):
            lines.append(f"{sender}({day} {clock}): {text[0]}")
            lines += text[1:]
            if i == 1:
                start = len(lines) + 1
                lines += payload
    elif fmt == "wangwang-b":
        lines += ["消息记录", f"对象: {BUYER}", "即时消息"]
        for i, (day, clock, sender, text) in enumerate(CONVERSATION):
            lines.append(f"{day} {clock} {sender}: {text[0]}")
            lines += text[1:]
            if i == 1:
                start = len(lines) + 1
                lines += payload
        lines.append(CONVERSATION[-1][0])
    elif fmt == "qianniu-clipboard":
        for i, (day, clock, sender, text) in enumerate(CONVERSATION):
            gap = "" if sender.startswith(SHOP) else " "
            lines.append(f"{sender}{gap}{_clip_stamp(day, clock)}")
            lines += text
            if i == 1:
                start = len(lines) + 1
                lines += payload
    else:  # the web page: 客户, a date line per day, then time / text / sender
        lines.append(f"客户：{BUYER}")
        day_open = None
        for i, (day, clock, sender, text) in enumerate(CONVERSATION):
            if day != day_open:
                lines.append(day)
                day_open = day
            lines.append(clock)
            lines += text
            if i == 1:
                start = len(lines) + 1
                lines += payload
            lines.append(sender)
            if fmt == "qianniu-web":
                lines.append("")
    return lines, start


def parse(fmt: str, lines: list[str], options: ParseOptions | None = None):
    if fmt == "qianniu-web-pdf":
        data = make_pdf([[line for line in lines if line]])
        label = "聊天记录_网页打印.pdf"
    else:
        data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
        label = "聊天记录.txt"
    file = InputFile(label, data)
    ctx = ParseContext(file, fmt, options or ParseOptions())
    return list(get_format(fmt).parse(file, ctx)), ctx.warnings


# What each attack looks like in each format: (payload, index in the payload of the line
# the warning must name).  The web page writes the sender after the text, so a forged
# message there also has to end the real message early (a sender line) and absorb the
# real sender line at its end (a trailing text line): the forged ``tb_9527xiaoyu`` line and
# the trailing message are part of the attack.
ATTACKS = {
    "backdated_promise": {
        "wangwang-a": ([f"{XIAOYA}(2025-06-24 10:05:00): {PROMISE}"], 0),
        "wangwang-b": ([f"2025-06-24 10:05:00 {XIAOYA}: {PROMISE}"], 0),
        "qianniu-clipboard": ([f"{XIAOYA}2025-6-24 10:05:00", PROMISE], 0),
        "web": ([BUYER, "2025-06-24", "10:05:00", PROMISE, XIAOYA, "10:06:00", "好的"], 1),
    },
    "unseen_seller_account": {
        "wangwang-a": ([f"{OTHER_SHOP_ACCOUNT}(2025-06-27 21:16:00): {PROMISE}"], 0),
        "wangwang-b": ([f"2025-06-27 21:16:00 {OTHER_SHOP_ACCOUNT}: {PROMISE}"], 0),
        "qianniu-clipboard": ([f"{OTHER_SHOP_ACCOUNT}2025-6-27 21:16:00", PROMISE], 0),
        "web": ([BUYER, "21:16:00", PROMISE, OTHER_SHOP_ACCOUNT, "10:06:00", "好的"], 1),
    },
    "other_buyers_conversation_header": {
        "wangwang-a": ([RULE_A, "消息记录（此消息记录为文本格式，不支持重新导入）", RULE_A, "单聊", RULE_A,
                        f"消息对象:{OTHER_BUYER}", RULE_A, f"{OTHER_BUYER}(2025-06-27 21:16:00): 我也要退款"], 5),
        "wangwang-b": (["2025-06-27", "消息记录", f"对象: {OTHER_BUYER}", "即时消息",
                        f"2025-06-27 21:16:00 {OTHER_BUYER}: 我也要退款"], 2),
        # the clipboard has no conversation header: another buyer's nick line is one
        "qianniu-clipboard": ([f"{OTHER_BUYER} 2025-6-27 21:16:00", "我也要退款"], 0),
        "web": ([BUYER, f"客户：{OTHER_BUYER}", "2025-06-27", "21:16:00", "我也要退款"], 1),
    },
    "system_line": {fmt: (["系统提示：卖家已同意退款并赔偿"], 0)
                    for fmt in ("wangwang-a", "wangwang-b", "qianniu-clipboard", "web")},
    # 小雅 serves this conversation: a transfer from another account is not the platform's
    "transfer_line": {fmt: ([f"由 {AMIN} 转交给 {SHOP}:退款专员"], 0)
                      for fmt in ("wangwang-a", "wangwang-b", "qianniu-clipboard", "web")},
    "recall_line": {fmt: ([f"{OTHER_BUYER} 撤回了一条消息"], 0)
                    for fmt in ("wangwang-a", "wangwang-b", "qianniu-clipboard", "web")},
}


def attack(shape: str, fmt: str) -> tuple[list[str], int]:
    forms = ATTACKS[shape]
    return forms["web" if fmt.startswith("qianniu-web") else fmt]


def test_the_flag_is_one_the_model_knows():
    assert FORGED in FLAGS


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_clean_conversation_parses_without_flags_or_warnings(fmt):
    events, warnings = parse(fmt, render(fmt, [])[0])
    assert warnings == []
    assert [(e.sender, e.text, e.flags) for e in events] == [
        (sender, "\n".join(text), ()) for _, _, sender, text in CONVERSATION]
    assert {e.buyer for e in events} == {BUYER}


@pytest.mark.parametrize("shape", sorted(ATTACKS))
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_forged_line_stays_text_of_the_message_it_was_typed_in(fmt, shape):
    payload, named = attack(shape, fmt)
    lines, start = render(fmt, payload)
    events, warnings = parse(fmt, lines)

    # No event was added, none moved to another buyer, none was lost.
    assert len(events) == len(CONVERSATION)
    assert [e.sender for e in events] == [sender for _, _, sender, _ in CONVERSATION]
    assert {e.buyer for e in events} == {BUYER}
    assert [e.kind for e in events] == ["message"] * len(CONVERSATION)
    # The buyer's message holds the payload verbatim, and is flagged; no other event is.
    message = events[1]
    assert message.text == "\n".join(["说好的发货呢", *payload])
    assert message.flags == (FORGED,)
    assert [e.flags for e in events[:1] + events[2:]] == [(), (), ()]
    # A warning names the forged line (the page, for the PDF) and says what it kept.
    forged = [w for w in warnings if "marked suspicious" in w.reason]
    assert forged, warnings
    if fmt == "qianniu-web-pdf":
        assert all(w.page == 1 and w.line is None for w in forged)
        assert forged[0].reason.startswith("page 1 has the form of ")
    else:
        line = start + named
        assert forged[0].line == line
        assert forged[0].reason.startswith(f"line {line} has the form of ")
        assert f"kept as part of the message from {BUYER} at line {message.source.line}" in forged[0].reason
    assert all(w.file == ("聊天记录_网页打印.pdf" if fmt == "qianniu-web-pdf" else "聊天记录.txt") for w in warnings)


def test_the_warnings_say_why(tmp_path):
    reasons = {}
    for shape in ATTACKS:
        payload, _ = attack(shape, "wangwang-a")
        _, warnings = parse("wangwang-a", render("wangwang-a", payload)[0])
        reasons[shape] = warnings[0].reason
    assert reasons["backdated_promise"] == (
        "line 10 has the form of a seller message header but its time 2025-06-24 10:05:00 is earlier than that "
        f"of the event before it (2025-06-27 21:15:20, line 9): kept as part of the message from {BUYER} at "
        "line 9, marked suspicious")
    assert f"{OTHER_SHOP_ACCOUNT} is not an account of this conversation's shop ({SHOP})" in reasons[
        "unseen_seller_account"]
    assert (f"has the form of a conversation header (消息对象:{OTHER_BUYER}) but {BUYER}, the buyer of the "
            "conversation it would end, writes again at line") in reasons["other_buyers_conversation_header"]
    assert "a platform notice is never a line inside a buyer's message" in reasons["system_line"]
    assert f"the account serving this conversation is {XIAOYA}" in reasons["transfer_line"]
    assert f"{OTHER_BUYER} is not a party of this conversation (its buyer is {BUYER})" in reasons["recall_line"]


@pytest.fixture(scope="module")
def tagger():
    from extractor.nlp import get_tagger

    return get_tagger()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_backdated_promise_tags_no_seller_promise(fmt, tagger):
    payload, _ = attack("backdated_promise", fmt)
    events, _ = parse(fmt, render(fmt, payload)[0])
    tagged = tagger.tag_events(events)
    assert not [e for e in tagged if e.role == "seller" and any(t.label == "shipping_promise" for t in e.tags)]
    assert not [e for e in tagged if e.time.strftime("%m-%d %H:%M") == "06-24 10:05"]


def test_tag_paths_on_a_file_with_a_backdated_promise(tmp_path):
    from extractor.nlp import tag_paths

    payload, _ = attack("backdated_promise", "wangwang-a")
    path = tmp_path / f"{BUYER}.txt"
    path.write_text("\n".join(render("wangwang-a", payload)[0]) + "\n", encoding="utf-8")
    result = tag_paths([str(path)])
    assert [e.flags for e in result.events] == [(), (FORGED,), (), ()]
    assert not [t for e in result.events if e.role == "seller" for t in e.tags if t.label == "shipping_promise"]
    (warning,) = result.warnings
    assert warning.line == 10 and warning.file == str(path)


# -- what text alone cannot tell -------------------------------------------------------------

IN_ORDER = {
    "wangwang-a": [f"{XIAOYA}(2025-06-27 21:16:00): {PROMISE}"],
    "wangwang-b": [f"2025-06-27 21:16:00 {XIAOYA}: {PROMISE}"],
    "qianniu-clipboard": [f"{XIAOYA}2025-6-27 21:16:00", PROMISE],
    "web": [BUYER, "21:16:00", PROMISE, XIAOYA, "21:17:00", "好的"],
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_forged_line_in_time_order_naming_a_real_party_is_a_message(fmt):
    """The limit (SECURITY.md): 小雅 writes in this conversation and 21:16 lies between the
    buyer's message and the reply, so the line is as plausible as a real one.  Only a
    second export of the same conversation, which lacks it, shows it up."""
    payload = IN_ORDER["web" if fmt.startswith("qianniu-web") else fmt]
    events, warnings = parse(fmt, render(fmt, payload)[0])
    assert warnings == []
    forged = [e for e in events if e.text == PROMISE]
    assert [(e.sender, e.role, e.time.strftime("%m-%d %H:%M:%S"), e.flags) for e in forged] == [
        (XIAOYA, "seller", "06-27 21:16:00", ())]
    assert len(events) == len(CONVERSATION) + (2 if fmt.startswith("qianniu-web") else 1)


# -- more shapes -------------------------------------------------------------------------------

FORWARD = {
    "wangwang-a": [f"{XIAOYA}(2025-06-28 09:00:00): 好的，同意退款", f"{XIAOYA}(2025-06-28 09:00:30): 另外赔偿您50元"],
    "wangwang-b": [f"2025-06-28 09:00:00 {XIAOYA}: 好的，同意退款", f"2025-06-28 09:00:30 {XIAOYA}: 另外赔偿您50元"],
    "qianniu-clipboard": [f"{XIAOYA}2025-6-28 9:00:00", "好的，同意退款", f"{XIAOYA}2025-6-28 9:00:30", "另外赔偿您50元"],
}


@pytest.mark.parametrize("fmt", sorted(FORWARD))
def test_forged_lines_dated_after_the_messages_that_follow_are_folded_back(fmt):
    # In time order with the message before them, but later than the seller's real reply
    # after them: it is the forged run that is out of place, not the reply.
    lines, start = render(fmt, FORWARD[fmt])
    events, warnings = parse(fmt, lines)
    assert [e.sender for e in events] == [sender for _, _, sender, _ in CONVERSATION]
    assert events[1].text == "\n".join(["说好的发货呢", *FORWARD[fmt]])
    assert events[1].flags == (FORGED,)
    assert [w.line for w in warnings] == [start, start + (2 if fmt == "qianniu-clipboard" else 1)]
    assert "is later than that of the event after it (2025-06-27 21:20:00)" in warnings[0].reason


def test_a_forged_header_after_a_forged_rule_is_still_checked():
    payload = ["-" * 64, f"{XIAOYA}(2025-06-24 10:05:00): {PROMISE}"]
    events, warnings = parse("wangwang-a", render("wangwang-a", payload)[0])
    assert events[1].text == "\n".join(["说好的发货呢", *payload])
    assert [w.line for w in warnings] == [11]


def test_a_forged_closing_date_in_layout_b_cannot_restart_the_day():
    payload = ["2025-06-24", "即时消息", f"2025-06-24 10:05:00 {XIAOYA}: {PROMISE}"]
    lines, start = render("wangwang-b", payload)
    events, warnings = parse("wangwang-b", lines)
    assert events[1].text == "\n".join(["说好的发货呢", *payload])
    assert warnings[0].line == start and "closing date line but its date 2025-06-24 is earlier" in warnings[0].reason


def test_a_forged_date_line_on_the_web_page_cannot_reopen_the_same_day():
    payload = [BUYER, "2025-06-27", "21:16:00", PROMISE, XIAOYA, "10:06:00", "好的"]
    lines, start = render("qianniu-web", payload)
    events, warnings = parse("qianniu-web", lines)
    assert len(events) == len(CONVERSATION) and events[1].text == "\n".join(["说好的发货呢", *payload])
    assert warnings[0].line == start + 1 and "is not later than that of the message before it" in warnings[0].reason


def test_a_shop_given_with_shop_makes_its_unseen_accounts_parties():
    payload = [f"{SHOP}:店长(2025-06-27 21:16:00): {PROMISE}"]
    events, warnings = parse("wangwang-a", render("wangwang-a", payload)[0], ParseOptions(shop=(SHOP,)))
    assert warnings == [] and len(events) == len(CONVERSATION) + 1


def test_a_conversation_header_whose_buyer_never_writes_again_is_taken():
    """The limit for conversation headers: after a forged header block in the buyer's
    last message, only the seller writes, as in a genuine export of several contacts."""
    payload = ATTACKS["other_buyers_conversation_header"]["wangwang-a"][0]
    lines, _ = render("wangwang-a", payload)
    lines = lines[:-1]  # the buyer's 21:25 message is gone
    events, warnings = parse("wangwang-a", lines)
    assert warnings == []
    assert [e.buyer for e in events] == [BUYER, BUYER, OTHER_BUYER, OTHER_BUYER]


def test_two_chat_windows_pasted_into_one_clipboard_file_keep_both_buyers():
    # Another buyer's header after a seller's message is the next window, not a forgery.
    lines = [f"{XIAOYA}2025-6-28 10:00:00", "亲，您的包裹已经到驿站了哦", f"{BUYER} 2025-6-28 10:01:30", "好的",
             f"{XIAOYA}2025-6-28 10:02:00", "不客气亲", f"{OTHER_BUYER} 2025-6-28 10:05:12", "面霜收到了"]
    events, warnings = parse("qianniu-clipboard", lines)
    assert [(e.sender, e.buyer, e.flags) for e in events] == [
        (XIAOYA, None, ()), (BUYER, BUYER, ()), (XIAOYA, BUYER, ()), (OTHER_BUYER, OTHER_BUYER, ())]
    assert [w.reason for w in warnings] == [  # the existing rule for a file of several buyers
        f"cannot tell which buyer this message is for: it comes before any buyer message and the file has "
        f"several buyers ({BUYER}, {OTHER_BUYER})"]


def test_a_web_page_copied_twice_repeats_its_messages_without_flags():
    lines, _ = render("qianniu-web", [])
    events, warnings = parse("qianniu-web", lines + lines)
    assert warnings == [] and len(events) == 2 * len(CONVERSATION)
    assert not [e for e in events if e.flags]


# -- genuine files ---------------------------------------------------------------------------

GENUINE = [ROOT / "tests" / "data" / "chat", ROOT / "corpora" / "demo", *sorted((ROOT / "corpora" / "eval").glob("*/")),
           Path("/work/shared/specimens")]


@pytest.mark.parametrize("folder", GENUINE, ids=lambda p: p.name)
def test_no_genuine_chat_file_is_flagged(folder):
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    from extractor.timeline import parse_paths

    text_chat = [str(p) for p in sorted(folder.iterdir()) if p.suffix in (".txt", ".pdf")]
    if not text_chat:
        pytest.skip(f"no text export in {folder}")
    result = parse_paths(text_chat)
    assert [w for w in result.warnings if "marked suspicious" in w.reason] == []
    assert [e for e in result.events if FORGED in e.flags] == []


# -- cost ------------------------------------------------------------------------------------

FLOOD = {
    "wangwang-a": lambda i: f"{XIAOYA}(2025-06-24 10:{i // 60 % 60:02d}:{i % 60:02d}): {PROMISE}",
    "wangwang-b": lambda i: f"2025-06-24 10:{i // 60 % 60:02d}:{i % 60:02d} {XIAOYA}: {PROMISE}",
    "qianniu-clipboard": lambda i: f"tb_n{i} 2025-6-27 21:16:{i % 60:02d}",
    "qianniu-web": lambda i: "10:05:00" if i % 2 else f"tb_n{i}",
}


@pytest.mark.parametrize("fmt", sorted(FLOOD))
def test_forty_thousand_forged_lines_in_one_message_cost_linear_time(fmt):
    payload = [FLOOD[fmt](i) for i in range(40_000)]
    lines, _ = render(fmt, payload)
    started = time.monotonic()
    events, warnings = parse(fmt, lines)
    took = time.monotonic() - started
    assert took < 20.0, f"{took:.1f} s"
    assert len(events) == len(CONVERSATION)
    assert events[1].flags == (FORGED,) and events[1].text.endswith(payload[-1])
    assert len([w for w in warnings if "marked suspicious" in w.reason]) >= 10_000
