"""China Unicom call bills: the CSV and XLSX downloads.

Columns 序号, 业务类型, 通话起始时间, 通话时长, 呼叫类型, 对方号码, 本机通话地, 对方归属地,
通话类型, 通话费, 其他费, 小计; 呼叫类型 主叫 is a call the shop made, 被叫 one it
received.  Rows are read exactly like China Mobile's (:mod:`.call_records`); only the
column names differ.
"""

from __future__ import annotations

from typing import Iterator

from ..i18n import N_
from ..model import Event
from .base import InputFile, ParseContext, SourceFormat, register
from .call_records import BillLayout, bill_events, csv_head_header, xlsx_head_header

UNICOM = BillLayout(
    carrier=N_("China Unicom"),
    marker="呼叫类型",
    time=("通话起始时间", "起始时间", "开始时间"),
    direction=("呼叫类型",),
    number=("对方号码",),
    duration=("通话时长", "时长"),
)


@register
class UnicomBillCsv(SourceFormat):
    NAME = "unicom-bill-csv"
    DESCRIPTION = "China Unicom call bill, CSV download"
    PRIORITY = 30

    def sniff(self, file: InputFile) -> bool:
        return not file.head.startswith((b"PK\x03\x04", b"%PDF")) and csv_head_header(file, UNICOM)

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:
        return bill_events(file, ctx, UNICOM, "csv")


@register
class UnicomBillXlsx(SourceFormat):
    NAME = "unicom-bill-xlsx"
    DESCRIPTION = "China Unicom call bill, Excel download"
    PRIORITY = 30

    def sniff(self, file: InputFile) -> bool:
        return xlsx_head_header(file, UNICOM)

    def parse(self, file: InputFile, ctx: ParseContext) -> Iterator[Event]:
        return bill_events(file, ctx, UNICOM, "xlsx")
