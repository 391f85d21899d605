"""Input formats.  Each module registers one or more formats by name; the imports below
are explicit so that registration, and thus detection order, is deterministic."""

from . import jsonl  # noqa: F401
from . import chat_sheet, qianniu_clipboard, qianniu_web, wangwang  # noqa: F401  (chat)
from . import android_calls, call_notes, cmcc_bill, taobao_orders, unicom_bill  # noqa: F401  (calls, orders)
from .base import (  # noqa: F401
    InputFile,
    ParseContext,
    ParseOptions,
    SourceFormat,
    detect,
    formats,
    get_format,
    plausible_year,
    register,
)
