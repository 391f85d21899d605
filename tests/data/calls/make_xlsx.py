"""Write the XLSX bills used by the tests (run only to change them; the files are committed).

    .venv/bin/python tests/data/calls/make_xlsx.py

``cmcc-2025-06.xlsx``: a summary sheet without calls, then 通话详单 with a title block,
the header on row 4, start times as Excel dates and durations as text; then 6月下旬
with start times as text (one without a year) and durations as Excel times.
``unicom-2025-06.xlsx``: start times as Excel dates, durations as text and as seconds.
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
CMCC_HEADER = ["起始时间", "通信地点", "通信方式", "对方号码", "通信时长", "通信类型", "套餐优惠", "实收通信费(元)"]
UNICOM_HEADER = ["序号", "业务类型", "通话起始时间", "通话时长", "呼叫类型", "对方号码", "本机通话地",
                 "对方归属地", "通话类型", "通话费", "其他费", "小计"]


def cmcc() -> None:
    book = Workbook()
    summary = book.active
    summary.title = "费用汇总"
    summary.append(["项目", "金额(元)"])
    summary.append(["套餐及固定费", "58.00"])
    summary.append(["语音通信费", "1.20"])
    detail = book.create_sheet("通话详单")
    detail.append(["中国移动通话详单"])
    detail.append(["手机号码：139****0000", "查询周期：2025年06月01日至2025年06月30日"])
    detail.append([])
    detail.append(CMCC_HEADER)
    detail.append([datetime(2025, 6, 24, 10, 20, 11), "杭州", "主叫", "13812345678", "0秒", "本地(非漫游、主叫)", "--", "0.00"])
    detail.append([datetime(2025, 6, 25, 9, 35, 40), "杭州", "主叫", 13812345678, "1分12秒", "本地(非漫游、主叫)", "--", "0.00"])
    detail.append([datetime(2025, 6, 26, 15, 1, 2), "杭州", "被叫", "+86 139 9999 0000", "2分3秒", "本地(非漫游、被叫)", "--", "0.00"])
    for row in detail.iter_rows(min_row=5, max_col=1):
        row[0].number_format = "yyyy-mm-dd hh:mm:ss"
    late = book.create_sheet("6月下旬")
    late.append(CMCC_HEADER)
    late.append(["2025-06-27 10:10:05", "杭州", "主叫", "139-0000-1111", time(0, 1, 35), "本地(非漫游、主叫)", "--", "0.00"])
    late.append(["06-28 20:00:00", "上海", "主叫", "0571-88886666", time(1, 2, 3), "国内长途", "--", "1.20"])
    late.append(["2025-06-29 08:00:00", "杭州", "呼转", "13700002222", time(0, 0, 10), "呼叫转移", "--", "0.00"])
    for row in late.iter_rows(min_row=2, min_col=5, max_col=5):
        row[0].number_format = "hh:mm:ss"
    book.save(HERE / "cmcc-2025-06.xlsx")


def unicom() -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "通话详单"
    sheet.append(UNICOM_HEADER)
    sheet.append([1, "语音通话", datetime(2025, 6, 24, 10, 20, 11), "0秒", "主叫", "13812345678", "杭州", "浙江杭州", "本地通话", "0.00", "0.00", "0.00"])
    sheet.append([2, "语音通话", datetime(2025, 6, 25, 9, 35, 40), "00:01:12", "主叫", "13812345678", "杭州", "浙江杭州", "本地通话", "0.00", "0.00", "0.00"])
    sheet.append([3, "语音通话", datetime(2025, 6, 26, 15, 1, 2), 123, "被叫", "13999990000", "杭州", "浙江杭州", "本地通话", "0.00", "0.00", "0.00"])
    for row in sheet.iter_rows(min_row=2, min_col=3, max_col=3):
        row[0].number_format = "yyyy/m/d h:mm:ss"
    book.save(HERE / "unicom-2025-06.xlsx")


if __name__ == "__main__":
    cmcc()
    unicom()
    print("wrote cmcc-2025-06.xlsx, unicom-2025-06.xlsx")
