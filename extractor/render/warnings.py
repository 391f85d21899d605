"""Warnings in the Chinese report: one Chinese rendering per kind of warning.

A parser, the join or the run states a warning in English (:class:`~extractor.model.
ParseWarning`), which is what the terminal and the JSON show.  The HTML and the PDF are
read by the shop and by a platform reviewer, in Chinese: each kind of warning is
recognised here by its wording (the English is the warning's code, written by the code
that raises it) and said in Chinese, with the parts that vary (an excerpt of the line, an
order number, a time) carried over as they are.  This table is the one place: a new kind
of warning gets its row here, and ``tests/test_render_warnings.py`` checks that the
warnings the real-looking fixtures raise all have one.  A warning of a kind not listed
is shown as 其他警告 with its English words, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping

from ..model import ParseWarning

Render = Callable[[Mapping[str, str]], str]


@dataclass(frozen=True)
class WarningKind:
    code: str
    pattern: re.Pattern[str]
    zh: Render


def _k(code: str, pattern: str, zh: str | Render) -> WarningKind:
    render: Render = zh if callable(zh) else (lambda g, t=zh: t.format(**g))
    return WarningKind(code, re.compile(pattern, re.S), render)


_WHAT = {"messages": "消息", "calls": "通话", "row": "此行", "note": "此条记录"}


def _candidates(listed: str) -> str:
    """``09:29:00 with 小鹿爱买买 (bill.csv row 4); …`` in Chinese."""
    def one(m: re.Match[str]) -> str:
        who = "未知号码" if m.group(2) == "an unknown number" else m.group(2)
        return f"{m.group(1)} 与{who}（{_where_zh(m.group(3))}）"
    return "；".join(re.sub(r"^(\S+) with (.+) \((.+)\)$", one, part) for part in listed.split("; "))


def _line_zh(where: str) -> str:
    """``line 10`` / ``page 2`` / ``row 4`` in Chinese (anything else as it is)."""
    m = re.fullmatch(r"(line|row|page) (\d+)", where.strip())
    if m is None:
        return _where_zh(where)
    return f"第{m.group(2)}{'页' if m.group(1) == 'page' else '行'}"


def _owner_zh(owner: str) -> str:
    m = re.fullmatch(r"the message from (.+)", owner)
    return f"{m.group(1)} 的消息" if m else "所在消息"


def _where_zh(where: str) -> str:
    """``bill.csv row 4`` / ``chat.txt:12`` / ``bill.pdf p.2`` in Chinese."""
    m = re.fullmatch(r"(.+?)(?:(?::(\d+))|(?:(\[[^\]]*\])? row (\d+))|(?: p\.(\d+)))?", where)
    if m is None:
        return where
    name, line, sheet, row, page = m.groups()
    if line:
        return f"{name} 第{line}行"
    if row:
        return f"{name}{sheet or ''} 第{row}行"
    if page:
        return f"{name} 第{page}页"
    return name


KINDS: tuple[WarningKind, ...] = (
    # chat exports: lines that fit no message
    _k("forged_line", r"(?P<w>line \d+|page \d+|row \d+|.*?) has the form of .*: kept as part of "
                      r"(?P<owner>the message(?: from .+?)?) at (?P<at>[^,]+), marked suspicious$",
       lambda g: f"{_line_zh(g['w'])}形似导出文件的消息头或系统提示，但与此文件不符（时间顺序、参与者或位置）："
                 f"已作为{_owner_zh(g['owner'])}（{_line_zh(g['at'])}）的一部分保留，并标为可疑"),
    _k("notice_without_time", r"system notice before any message, so it has no time: (?P<x>.*)$",
       "系统提示出现在任何消息之前，没有时间：{x}"),
    _k("message_before_date", r"message at (?P<t>\S+) comes before any date line; left out$",
       "{t} 的消息出现在任何日期行之前：未收录"),
    _k("message_without_sender_line", r"message at (?P<t>\S+) needs a text line and a sender line after its time; left out$",
       "{t} 的消息在时间之后缺少正文行和发送人行：未收录"),
    _k("message_sender_unknown", r"message at (?P<t>\S+): its last line (?P<x>.*) is not an account name, so the "
                                 r"sender is unknown; left out$",
       "{t} 的消息最后一行 {x} 不是账号名，发送人不明：未收录"),
    _k("message_part_left_out", r"part of the message at (?P<t>\S+) left out: (?P<x>.*)$", "{t} 的消息的一部分未收录：{x}"),
    _k("impossible_time", r"impossible time of day: (?P<x>.*)$", "不可能的时刻：{x}"),
    _k("impossible_date_line", r"impossible date: (?P<x>.*); messages up to the next date line are left out$",
       "不可能的日期：{x}；至下一个日期行之前的消息未收录"),
    _k("header_without_nick", r"broken header: (?P<k>\S+) without a nick$", "文件头损坏：{k}后没有昵称"),
    _k("header_without_colon", r"broken header: 消息对象 line without a colon: (?P<x>.*)$", "文件头损坏：消息对象一行缺少冒号：{x}"),
    _k("line_outside_message", r"not part of a message \(no time line above it\): (?P<x>.*)$",
       "不属于任何消息（上方没有时间行）：{x}"),
    _k("page_unreadable", r"page could not be read \((?P<e>[^)]*)\); its (?P<w>messages|calls) are missing$",
       lambda g: f"此页无法读取（{g['e']}）：其中的{_WHAT[g['w']]}缺失"),
    _k("line_without_message", r"not a message line and no message to continue \((?P<w>.*)\): (?P<x>.*)$",
       "既不是消息行，也没有可续接的消息：{x}"),
    _k("impossible_header_time", r"message(?: header)? with an impossible date or time: (?P<x>.*)$",
       "消息头的日期或时间不可能：{x}"),
    _k("unknown_header_line", r"unrecognised line in the export header: (?P<x>.*)$", "导出文件头中无法识别的行：{x}"),
    _k("text_without_header", r"text with no message header above it \((?P<w>.*)\): (?P<x>.*)$", "上方没有消息头的文字：{x}"),
    _k("no_buyer_in_file", r"no buyer in this file .*: (?P<n>\d+) events have no buyer key$",
       "文件中没有买家（没有消息对象/客户文件头，且发送人均为卖家或系统）：{n} 条事件无法归入买家"),
    _k("buyer_unclear", r"cannot tell which buyer this message is for: it comes before any buyer message and the "
                        r"file has several buyers \((?P<x>.*)\)$",
       "无法判断此消息属于哪位买家：它出现在任何买家消息之前，而文件中有多位买家（{x}）"),
    # chat sheets and sheets in general
    _k("row_without_sender", r"no (?P<c>\S+); row left out \(text (?P<x>.*)\)$", "缺少{c}：此行未收录（内容 {x}）"),
    _k("row_bad_time", r"(?P<c>\S+) (?P<v>.*) is not a date and time; row left out \(text (?P<x>.*)\)$",
       "{c} {v} 不是日期时间：此行未收录（内容 {x}）"),
    _k("unknown_account_type", r"unknown (?P<c>\S+) (?P<v>.*); role taken from the account name$",
       "未知的{c} {v}：按账号名判断角色"),
    _k("account_type_disagrees", r"(?P<c>\S+) (?P<v>.*) but the account (?P<a>.*) is written as a shop sub-account; "
                                 r"taken as seller$",
       "{c}为{v}，但账号 {a} 写作店铺子账号：按卖家处理"),
    _k("row_above_header", r"row above the column header left out$", "列标题上方的行未收录"),
    _k("empty_rows_stop", r"rows (?P<a>\d+)–(?P<b>\d+) are all empty; reading stopped at row (?P<s>\d+) .*$",
       "第{a}–{b}行均为空：读取在第{s}行停止（连续空行过多即视为表格结束），其后的行未读取"),
    _k("sheet_cut_short", r"sheet (?P<s>'.*') could not be read to the end \((?P<e>.*)\); its later rows are missing$",
       "工作表 {s} 未能读到末尾（{e}）：其后的行缺失"),
    _k("sheet_without_header", r"sheet (?P<s>'.*') has no chat header \(columns (?P<c>.*)\); sheet left out$",
       "工作表 {s} 没有聊天记录的列标题（{c}）：未收录"),
    # calls: bills, phone logs, staff notes
    _k("call_type_unknown", r"call of type (?P<k>.*) \((?P<w>.*)\) is not an incoming, outgoing, missed or rejected "
                            r"call: left out$",
       "通话类型 {k}（{w}）不是呼入、呼出、未接或拒接：未收录"),
    _k("call_unreadable", r"call without a readable date/duration \((?P<x>.*)\): left out$",
       "通话缺少可读的日期或时长（{x}）：未收录"),
    _k("call_impossible_date", r"call dated (?P<d>\S+) \((?P<x>.*)\) is not a real call time: left out$",
       "通话日期 {d}（{x}）不是真实的通话时间：未收录"),
    _k("not_a_call_record", r"not a call record \((?P<e>.*)\): (?P<x>.*)$", "不是通话记录：{x}"),
    _k("bill_row_no_year", r"(?P<d>\d\d-\d\d) is written without a year and nothing in this bill gives one: row left out$",
       "{d} 没有年份，账单中也无从得知：此行未收录"),
    _k("not_a_date", r"(?P<d>\d+-\d\d-\d\d) is not a date: (?P<w>row|note) left out$",
       lambda g: f"{g['d']} 不是有效日期：{_WHAT[g['w']]}未收录"),
    _k("bill_years_filled", r"(?P<n>\d+) call\(s\) written without a year were given the year of the bill's other "
                            r"records or its query period$",
       "{n} 条通话没有年份：按账单其他记录或查询期间补上年份"),
    _k("bill_columns_unclear", r"call row outside a ruled table whose columns cannot be told apart "
                               r"\((?P<a>\d+) words for (?P<b>\d+) columns\): (?P<x>.*)$",
       "表格线之外的通话行，无法分辨各列（{a} 个词对应 {b} 列）：{x}"),
    _k("note_no_date", r"not a call note \(no date at the start of the line\)$", "不是通话记录（行首没有日期）"),
    _k("note_not_about_a_call", r"not a call note \(nothing in it about a phone call\)$", "不是通话记录（内容与电话无关）"),
    _k("note_unreadable", r"not a call note: (?P<x>.*)$", "不是通话记录：{x}"),
    _k("note_no_clock", r"call note without a time of day: not placed on the timeline$", "通话记录没有时刻：未放入时间线"),
    _k("note_year_from_neighbours", r"(?P<m>\d+)月(?P<d>\d+)日 has no year: took (?P<y>\d+) from the neighbouring "
                                    r"notes of this file$",
       "{m}月{d}日没有年份：按本文件相邻记录取 {y} 年"),
    _k("note_no_year", r"(?P<m>\d+)月(?P<d>\d+)日 has no year and no other note in this file has one: note left out$",
       "{m}月{d}日没有年份，本文件其他记录也没有：未收录"),
    _k("note_answer_unknown", r"the note does not say whether the call was answered .*: recorded as not answered$",
       "记录未说明电话是否接通（接通、无人接听、挂断等）：按未接通记录"),
    _k("note_several_numbers", r"several numbers in one note \((?P<x>.*)\): the first is the call's$",
       "一条记录中有多个号码（{x}）：取第一个为通话号码"),
    # order exports
    _k("order_before_header", r"line before the order header: not an order$", "订单表头之前的行：不是订单"),
    _k("order_row_incomplete", r"order row without an order number or buyer: left out$", "订单行缺少订单编号或买家：未收录"),
    _k("order_id_rounded", r"order number (?P<o>\S+) was rounded by Excel \(re-saved export\); kept as written$",
       "订单编号 {o} 已被 Excel 舍入（导出文件被重新保存过）：按原样保留"),
    _k("order_not_paid", r"order (?P<o>\S+) \((?P<s>.*)\) has no payment time: no event$",
       lambda g: f"订单 {g['o']}（{'无状态' if g['s'] == 'no status' else g['s']}）没有付款时间：不生成事件"),
    _k("order_bad_payment_time", r"order (?P<o>\S+): payment time (?P<x>.*) is not a date and time: no event$",
       "订单 {o} 的付款时间 {x} 不是日期时间：不生成事件"),
    _k("order_bad_shipping_time", r"order (?P<o>\S+): shipping time (?P<x>.*) is not a date and time$",
       "订单 {o} 的发货时间 {x} 不是日期时间"),
    # the timeline read back
    _k("not_a_timeline_event", r"not a timeline event: (?P<x>.*)$", "不是时间线事件：{x}"),
    # the run: years, the join, the user's assignments
    _k("no_year_anywhere", r"dates without a year and no other input to take the year from: .*$",
       "日期没有年份，其他输入也无从得知：这些行未收录，并逐条列为警告"),
    _k("year_from_run", r"dates without a year were given the year (?P<y>\d+) from the run's other inputs$",
       "日期没有年份：按本次其他输入取 {y} 年"),
    _k("note_nick_number_disagree", r"the note names (?P<n>.+) but (?P<num>.+) is the number of (?P<b>.+): left unassigned$",
       "记录中写的买家是 {n}，但号码 {num} 属于 {b}：未归属"),
    _k("note_several_nicks", r"the note names several buyers \((?P<b>.*)\): left unassigned$", "记录中写了多位买家（{b}）：未归属"),
    _k("number_several_buyers", r"(?:masked )?number (?P<num>.+) fits several buyers \((?P<b>.*)\): left unassigned$",
       "号码 {num} 与多位买家相符（{b}）：未归属"),
    _k("note_several_calls", r"the note names no buyer and no number, and (?P<n>\d+) calls are within minutes of it "
                             r"\((?P<x>.*)\): left unassigned$",
       lambda g: f"记录没有写买家或号码，而前后几分钟内有 {g['n']} 通电话（{_candidates(g['x'])}）：未归属，"
                 "可用 --assign 指定"),
    _k("assigned_by_hand", r"assigned to (?P<b>.+) by hand \((?P<w>.+)\)$", "已按归属文件 {w} 手动归入买家 {b}"),
    # case keys (extractor.keys)
    _k("placeholder_joined", r"the buyer of the conversation starting at (?P<w>.+?) is shown as (?P<n>.+), a placeholder, "
                             r"not a nick: joined to the case of (?P<b>.+?) by (?P<why>.+) written in it$",
       "自 {w} 起的会话中买家显示为占位昵称 {n}（并非买家账号）：因聊天中写有{why}，并入买家 {b} 的案件"),
    _k("placeholder_own_case", r"the buyer of the conversation starting at (?P<w>.+?) is shown as (?P<n>.+), a placeholder, "
                               r"not a nick: a case of its own \((?P<why>.+)\)$",
       lambda g: f"自 {g['w']} 起的会话中买家显示为占位昵称 {g['n']}（并非买家账号）：单独成案（"
                 + ("聊天中没有写订单号或订单的手机号" if g["why"].startswith("no order number")
                    else f"聊天中写有多位买家的订单：{g['why'].removeprefix('it names orders of several buyers ')}") + "）"),
    _k("buyer_in_several_shops", r"(?P<b>.+) has cases in several shops \((?P<s>.+?)\) and nothing in (?P<n>\d+) of this "
                                 r"file's records of .+ says which: they make a case of no shop; give --shop to name it$",
       "买家 {b} 在多个店铺（{s}）都有案件，此文件中 {n} 条记录无法判断属于哪个店铺：归入未注明店铺的案件；可用 --shop 指定"),
    _k("main_account_vouched", r"(?P<n>.+) writes without a 店铺名: prefix, and the run's other inputs name .+ as a shop: "
                               r"its messages are the shop's main account's, the seller's$",
       "{n} 发言时没有“店铺名:”前缀，但本次其他导出文件表明这是店铺名：其消息按店铺主账号（卖家）处理"),
    _k("main_account_unvouched", r"(?P<n>.+) writes without a 店铺名: prefix and no other input names it as a shop: "
                                 r"taken for a buyer; if it is the shop's main account, run again with --shop .+$",
       "{n} 发言时没有“店铺名:”前缀，其他导出文件也未表明这是店铺名：按买家处理；若这是店铺主账号，请加 --shop {n} 重新运行"),
    # window and page furniture (the clipboard's status lines, a printed page's header and footer)
    _k("status_lines_left_out", r"(?P<n>\d+) read/sending status line\(s\) of the chat window \((?P<c>.+?)\) left out of "
                                r"the messages' text: line\(s\) (?P<l>.+)$",
       "聊天窗口的已读/发送状态行共 {n} 行（{c}）未计入消息正文：第 {l} 行"),
    _k("page_furniture_left_out", r"(?P<n>\d+) header/footer line\(s\) the browser printed at the page edges .* left out of "
                                  r"the messages' text, on page\(s\) (?P<p>[^:]+): e\.g\. (?P<x>.*)$",
       "浏览器打印在页边的页眉页脚共 {n} 行（页面标题、打印时间、网址、页码）未计入消息正文，见第 {p} 页，例如 {x}"),
)

_SHEET = re.compile(r"sheet (?P<sheet>'[^']*'|[^:']+): (?P<rest>.*)$", re.S)


def warning_kind(reason: str) -> str | None:
    """The code of a warning's kind, None for a kind this table does not know."""
    found = _match(reason)
    return found[0].code if found else None


def _match(reason: str) -> tuple[WarningKind, Mapping[str, str], str] | None:
    prefix = ""
    sheet = _SHEET.match(reason)
    if sheet and not any(k.pattern.match(reason) for k in KINDS):
        prefix, reason = f"工作表 {sheet['sheet']}：", sheet["rest"]
    for kind in KINDS:
        m = kind.pattern.match(reason)
        if m:
            return kind, {k: v or "" for k, v in m.groupdict().items()}, prefix
    return None


def reason_zh(reason: str) -> str:
    found = _match(reason)
    if found is None:
        return f"其他警告：{reason}"
    kind, groups, prefix = found
    return prefix + kind.zh(groups)


def warning_zh(warning: ParseWarning) -> str:
    """The warning as the Chinese report shows it: where, then what."""
    return f"{_where_zh(warning.where())}：{reason_zh(warning.reason)}"


__all__ = ["KINDS", "WarningKind", "warning_kind", "reason_zh", "warning_zh"]
