"""The local web app for shop staff (``evidence serve``): see :mod:`extractor.web.app`."""

from __future__ import annotations

from pathlib import Path

from .security import is_loopback, load_or_create_token

DEFAULT_DB = Path("evidence-data") / "cases.db"


def app_for(db: str | Path, host: str, mask: bool = True):
    """The app as ``evidence serve`` runs it, and the token line to print (or None)."""
    from .app import create_app

    db = Path(db)
    if is_loopback(host):
        return create_app(db, token=None, hosts=("127.0.0.1", "localhost", "[::1]"), mask=mask), None
    token, made = load_or_create_token(db.with_name(db.name + ".token"))
    note = (f"访问码（首次生成，已保存在 {db.name}.token）：{token}" if made
            else f"访问码保存在 {db.with_name(db.name + '.token')}")
    return create_app(db, token=token, hosts=("*",), mask=mask), note


__all__ = ["app_for", "DEFAULT_DB"]
