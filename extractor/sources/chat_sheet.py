"""Chat sheets written by chat-record tools, as CSV or XLSX, one row a message::

    客户名, 消息序号, 发送时间, 发送内容, 发送账号, 账号类型
    tb_9527xiaoyu, 1, 2022-07-06 18:44:09, 没效果还过敏…, tb_9527xiaoyu, 客户

客户名 is the buyer key; 账号类型 (客服 / 客户) is a role signal beside the 店铺名:子账号
convention; --shop / --staff override both.  CSV comes in UTF-8 with BOM or GBK; XLSX
times are text or Excel dates, and a workbook often has one sheet per customer.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from typing import Any, Iterable, Iterator

from ..errors import FormatError
from ..i18n import N_
from ..model import Event
from .base import InputFile, ParseContext, SourceFormat, plausible_year, register
from .chat_common import ChatCollector, excerpt, head_lines
from .containers import MAX_SHEET_COLUMNS, SheetDamaged, check_workbook, csv_reader, sheet_rows, stop_reason

TIME_COL, TEXT_COL, SENDER_COL = "发送时间", "发送内容", "发送账号"
BUYER_COL, SEQ_COL, TYPE_COL = "客户名", "消息序号", "账号类型"
REQUIRED = (TIME_COL, TEXT_COL, SENDER_COL)
HEADER_SEARCH_ROWS = 5
ACCOUNT_TYPES = {"客服": "seller", "卖家": "seller", "商家": "seller",
                 "客户": "buyer", "买家": "buyer", "系统": "system"}
TEXT_TIME_RE = re.compile(
    r"^\s*(?P<y>\d{4})[-/.年](?P<mo>\d{1,2})[-/.月](?P<d>\d{1,2})日?[ T]+"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?(?:\.\d+)?\s*$"
)


def _clean_header(cell: Any) -> str:
    return str(cell).strip().lstrip("\ufeff").strip() if cell is not None else ""


def _header_map(row: Iterable[Any]) -> dict[str, int] | None:
    names = [_clean_header(c) for c in row]
    if not all(col in names for col in REQUIRED):
        return None
    return {name: i for i, name in reversed(list(enumerate(names))) if name}


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _SheetReader:
    """Turns one sheet's rows (after the header) into events for a collector."""

    def __init__(self, ctx: ParseContext, chat: ChatCollector, columns: dict[str, int],
                 sheet: str | None, epoch: datetime | None) -> None:
        self.ctx, self.chat, self.columns, self.sheet, self.epoch = ctx, chat, columns, sheet, epoch
        self.user_roles = bool(ctx.roles.shop or ctx.roles.staff)

    def _get(self, row: tuple, name: str) -> Any:
        i = self.columns.get(name)
        return row[i] if i is not None and i < len(row) else None

    def _warn(self, reason: str, row: int) -> None:
        where = f"sheet {self.sheet!r}: " if self.sheet else ""
        self.ctx.warn(where + reason, row=row)

    def row(self, values: tuple, number: int) -> None:
        if all(v is None or not str(v).strip() for v in values):
            return
        sender = _cell_text(self._get(values, SENDER_COL)).strip()
        raw_time = self._get(values, TIME_COL)
        text = _cell_text(self._get(values, TEXT_COL))
        if not sender:
            self._warn(f"no {SENDER_COL}; row left out (text {excerpt(text)!r})", number)
            return
        when = self._time(raw_time)
        if when is None:
            self._warn(f"{TIME_COL} {excerpt(_cell_text(raw_time))!r} is not a date and time; "
                       f"row left out (text {excerpt(text)!r})", number)
            return
        buyer = _cell_text(self._get(values, BUYER_COL)).strip() or None
        role = self._role(sender, _cell_text(self._get(values, TYPE_COL)).strip(), number)
        source = self.ctx.source(row=number, sheet=self.sheet)
        event = self.ctx.message(time=when, sender=sender, text=text, buyer=buyer, source=source,
                                 role=role, kind="system" if role == "system" else None)
        self.chat.add(event, keyed=buyer is not None)

    def _role(self, sender: str, account_type: str, number: int) -> str | None:
        """None lets ctx.message decide from the sender (colon convention, --shop/--staff)."""
        by_type = ACCOUNT_TYPES.get(account_type)
        if account_type and by_type is None:
            self._warn(f"unknown {TYPE_COL} {excerpt(account_type)!r}; role taken from the account name",
                       number)
        by_name = self.ctx.roles.role_of(sender)
        if by_type is None or self.user_roles or by_name == "system":
            return None
        # The colon is the strongest signal (FORMATS.md): 账号类型 decides for plain names
        # such as the shop's main account, and a 店铺名:子账号 marked 客户 stays a seller.
        if by_name == "seller" and by_type != "seller":
            self._warn(f"{TYPE_COL} {account_type} but the account {sender!r} is written as a shop "
                       "sub-account; taken as seller", number)
            return None
        return by_type

    def _time(self, value: Any) -> datetime | None:
        """The cell's time; None when it holds none, or one outside the years an export
        can hold."""
        moment = self._cell_time(value)
        return moment if moment is not None and plausible_year(moment.year) else None

    def _cell_time(self, value: Any) -> datetime | None:
        if isinstance(value, datetime):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool) and self.epoch is not None:
            # An Excel serial date left unformatted: days since the workbook's epoch.
            if not 0 < value < 2958466:
                return None
            try:
                stamp = self.epoch + timedelta(days=float(value))
                return stamp.replace(microsecond=0) + timedelta(seconds=round(stamp.microsecond / 1e6))
            except OverflowError:  # past 9999-12-31 from a 1904-based workbook
                return None
        if not isinstance(value, str):
            return None
        match = TEXT_TIME_RE.match(value)
        if not match:
            return None
        try:
            return datetime(int(match["y"]), int(match["mo"]), int(match["d"]), int(match["h"]),
                            int(match["mi"]), int(match["s"] or 0))
        except ValueError:
            return None


def _read_rows(rows: Iterable[tuple], ctx: ParseContext, chat: ChatCollector, sheet: str | None,
               epoch: datetime | None) -> str:
    """Feed a sheet's rows (numbered from 1) to a reader.  Returns "read", "empty", or
    "no-header" when the first rows hold something but not the column header."""
    reader: _SheetReader | None = None
    skipped: list[int] = []
    for number, values in enumerate(rows, start=1):
        if reader is not None:
            reader.row(values, number)
            continue
        columns = _header_map(values)
        if columns is not None:
            reader = _SheetReader(ctx, chat, columns, sheet, epoch)
            for earlier in skipped:
                where = f"sheet {sheet!r}: " if sheet else ""
                ctx.warn(where + "row above the column header left out", row=earlier)
            continue
        if any(v is not None and str(v).strip() for v in values):
            skipped.append(number)
        if number >= HEADER_SEARCH_ROWS:
            break
    if reader is not None:
        return "read"
    return "no-header" if skipped else "empty"


@register
class ChatSheetCsv(SourceFormat):
    NAME = "chat-sheet-csv"
    DESCRIPTION = "chat sheet as CSV (客户名, 消息序号, 发送时间, 发送内容, 发送账号, 账号类型)"
    PRIORITY = 25

    def sniff(self, file: InputFile) -> bool:
        for line in head_lines(file.head_text, limit=HEADER_SEARCH_ROWS):
            names = [n.strip() for n in line.split(",")]
            if all(col in names for col in REQUIRED):
                return True
        return False

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:
        chat = ChatCollector(ctx)
        try:
            rows = list(csv_reader(file.text))
        except csv.Error as exc:
            raise FormatError(N_("{file}: not a readable CSV ({problem})"), file=file.label, problem=exc) from None
        if _read_rows((tuple(r) for r in rows), ctx, chat, None, None) != "read":
            raise FormatError(N_("{file}: no chat-sheet header (columns {columns}) in the first {rows} rows"),
                              file=file.label, columns=", ".join(REQUIRED), rows=HEADER_SEARCH_ROWS)
        yield from chat.finish(N_("chat sheet"))


@register
class ChatSheetXlsx(SourceFormat):
    NAME = "chat-sheet-xlsx"
    DESCRIPTION = "chat sheet as XLSX workbook (same columns; one sheet per customer allowed)"
    PRIORITY = 20

    def sniff(self, file: InputFile) -> bool:
        if not file.head.startswith(b"PK\x03\x04"):
            return False
        workbook = _open_workbook(file)
        try:
            sheet = workbook.worksheets[0]
            for values in sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, max_col=MAX_SHEET_COLUMNS,
                                          values_only=True):
                if _header_map(values) is not None:
                    return True
            return False
        finally:
            workbook.close()

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:
        chat = ChatCollector(ctx)
        workbook = _open_workbook(file)
        found = False
        try:
            epoch = workbook.epoch
            for sheet in workbook.worksheets:
                sheet.reset_dimensions()  # some tools write a wrong <dimension>; read every row

                def stopped(first_empty: int, at: int, title: str = sheet.title) -> None:
                    ctx.warn(stop_reason(title, first_empty, at), row=at)

                try:
                    outcome = _read_rows(sheet_rows(sheet, stopped), ctx, chat, sheet.title, epoch)
                except SheetDamaged as exc:
                    ctx.warn(f"sheet {sheet.title!r} could not be read to the end ({excerpt(str(exc), 80)}); "
                             "its later rows are missing")
                    outcome = "read"
                if outcome == "read":
                    found = True
                elif outcome == "no-header":
                    ctx.warn(f"sheet {sheet.title!r} has no chat header (columns {', '.join(REQUIRED)}); "
                             "sheet left out")
        finally:
            workbook.close()
        if not found:
            raise FormatError(N_("{file}: no sheet has a chat-sheet header (columns {columns})"),
                              file=file.label, columns=", ".join(REQUIRED))
        yield from chat.finish(N_("chat workbook"))


def _open_workbook(file: InputFile):
    import openpyxl

    check_workbook(file)
    try:
        return openpyxl.load_workbook(io.BytesIO(file.data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises KeyError, zipfile and XML errors for a damaged file
        raise FormatError(N_("{file}: not a readable XLSX workbook ({error}: {detail})"), file=file.label,
                          error=type(exc).__name__, detail=excerpt(str(exc), 80)) from None
