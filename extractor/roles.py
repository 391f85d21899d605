"""Who said it: seller, buyer or system, and whether a line is an auto-reply.

The strongest signal in Taobao exports is the ``店铺名:子账号`` convention (half- or
full-width colon): sub-accounts are always written with their shop's name.  A user's
``--shop`` / ``--staff`` override it, for exports where the shop's main account writes
without a colon or where a nick contains a colon.
"""

from __future__ import annotations

import re

SYSTEM_SENDERS = frozenset({"系统提示", "系统提醒", "系统消息", "系统通知", "system"})
AUTO_REPLY_RE = re.compile(r"^\s*[\[【（(]?\s*自动回复\s*[\]】）)]?")
SYSTEM_PREFIXES = ("当前用户来自", "系统提示", "系统提醒")


# A name a shop has (旗舰店, 专营店, 小店…): a sender so named writing without a colon may be
# the shop's main account, which only the user can confirm (--shop) when no input says.
_SHOPLIKE_RE = re.compile(r"店$")


def shoplike(name: str) -> bool:
    return bool(_SHOPLIKE_RE.search(name.strip()))


def shop_of(sender: str) -> str | None:
    """The shop part of ``店铺名:子账号``, or None when the sender has no colon."""
    for colon in (":", "："):
        if colon in sender:
            shop, _, sub = sender.partition(colon)
            if shop.strip() and sub.strip():
                return shop.strip()
    return None


class RoleResolver:
    def __init__(self, shop: tuple[str, ...] = (), staff: tuple[str, ...] = (),
                 known_shops: tuple[str, ...] = ()) -> None:
        self.shop = tuple(s.strip() for s in shop if s.strip())
        self.staff = frozenset(s.strip() for s in staff if s.strip())
        # A shop's main account writes as the bare shop name (no colon).
        self.known_shops = frozenset(s.strip() for s in known_shops if s.strip())

    def is_seller(self, sender: str) -> bool:
        name = sender.strip()
        if name in self.staff or name in self.known_shops:
            return True
        account_shop = shop_of(name)
        if self.shop:
            return name in self.shop or (account_shop is not None and account_shop in self.shop)
        return account_shop is not None

    def role_of(self, sender: str) -> str:
        name = sender.strip()
        if name in SYSTEM_SENDERS:
            return "system"
        return "seller" if self.is_seller(name) else "buyer"

    def classify(self, sender: str, text: str) -> tuple[str, str]:
        """(role, kind) of a chat line.  Only the shop's account sends auto-replies (the
        platform sends them from the shop): a buyer who types 【自动回复】 writes a message."""
        role = self.role_of(sender)
        if role == "system":
            return "system", "system"
        if role == "seller" and AUTO_REPLY_RE.match(text):
            return role, "auto_reply"
        return role, "message"


def transfer_parties(text: str) -> tuple[str, str] | None:
    """``由 A 转交给 B`` → (A, B).  Plain string operations: a regex with two lazy groups
    is quadratic on the long runs of spaces a hostile line can carry."""
    stripped = text.strip()
    if not stripped.startswith("由"):
        return None
    src, sep, dst = stripped[1:].partition("转交给")
    src, dst = src.strip(), dst.strip()
    return (src, dst) if sep and src and dst else None


def is_system_line(text: str) -> bool:
    """Transfer notices, 当前用户来自…, recall notices: lines with no sender of their own."""
    stripped = text.strip()
    if transfer_parties(stripped) or stripped.startswith(SYSTEM_PREFIXES):
        return True
    head, sep, tail = stripped.rpartition("撤回了一条消息")
    return bool(sep) and not tail and 0 < len(head.strip()) <= 40
