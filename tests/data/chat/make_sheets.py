"""Write the XLSX chat-sheet fixture the way chat-record tools export it: one sheet per
customer, times as text on one sheet and as Excel dates on another (one of them an
unformatted serial number), plus a notes sheet without the column header.  The
committed file is the fixture; run this only to change it:

    .venv/bin/python tests/data/chat/make_sheets.py
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
HEADER = ("客户名", "消息序号", "发送时间", "发送内容", "发送账号", "账号类型")
XIAOYA, AMIN = "悦颜美妆旗舰店:小雅", "悦颜美妆旗舰店:售后阿明"


def main() -> None:
    book = Workbook()
    text_times = book.active
    text_times.title = "tb_9527xiaoyu"
    text_times.append(HEADER)
    for row in (
        ("tb_9527xiaoyu", 1, "2025-07-06 18:44:09", "没效果还过敏，我要退货退款，不然就给差评", "tb_9527xiaoyu", "客户"),
        ("tb_9527xiaoyu", 2, "2025-07-06 18:50:31",
         "亲，理解您的心情，麻烦提供一下过敏部位照片\n和医院检测报告，我们核实后第一时间为您处理", AMIN, "客服"),
        ("tb_9527xiaoyu", 3, "2025/7/7 10:00", "亲，还在吗？", AMIN, "客服"),
    ):
        text_times.append(row)

    date_cells = book.create_sheet("小鹿爱买买")
    date_cells.append(HEADER)
    for row in (
        ("小鹿爱买买", 1, datetime(2025, 6, 26, 14, 25, 3), "亲，什么时候能发货呀？", "小鹿爱买买", "客户"),
        ("小鹿爱买买", 2, datetime(2025, 6, 26, 14, 26, 10), "亲，明天上午给您发出哦", XIAOYA, "客服"),
        (None, None, None, None, None, None),
        ("小鹿爱买买", 3, datetime(2025, 6, 26, 14, 26, 45), "好的谢谢", "小鹿爱买买", "客户"),
    ):
        date_cells.append(row)
    # 2025-06-27 11:06:00 as a bare serial number, the way a sheet shows a date cell
    # whose number format was lost.
    date_cells.append(("小鹿爱买买", 4, 45835.4625, "已发货，顺丰单号SF1234567890123", XIAOYA, "客服"))
    for row in date_cells.iter_rows(min_row=2, max_col=3, min_col=3):
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"

    notes = book.create_sheet("说明")
    notes.append(("本表由聊天记录导出工具生成",))
    notes.append(("导出时间：2025-07-07 10:20",))

    target = HERE / "chat_sheet.xlsx"
    book.save(target)
    print("wrote", target)


if __name__ == "__main__":
    main()
