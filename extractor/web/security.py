"""Who may use the web app, and proof that a form came from it.

- Bound to a loopback address, the app serves the person at that computer; bound to any
  other address it asks for the access token first (generated on first start, kept
  beside the store with mode 0600, printed once) and then keeps a session.
- Sessions are random ids in an HttpOnly, SameSite=Strict cookie, held server-side.
- Every state change (POST) carries the session's CSRF token in a form field; one
  without it, or with another session's, is refused with 403.
- Only the Host names the app was started for are served (no DNS rebinding).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

COOKIE = "evidence_session"
CSRF_FIELD = "csrf"


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_or_create_token(path: Path) -> tuple[str, bool]:
    """The access token kept at ``path`` (made if missing); True when it was just made."""
    if path.is_file():
        return path.read_text(encoding="utf-8").strip(), False
    token = secrets.token_urlsafe(18)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    return token, True


@dataclass
class Session:
    csrf: str
    authenticated: bool = False


@dataclass
class Sessions:
    token: str | None  # None: no login (loopback)
    _by_id: dict[str, Session] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, sid: str | None) -> Session | None:
        with self._lock:
            return self._by_id.get(sid or "")

    def new(self) -> tuple[str, Session]:
        sid = secrets.token_urlsafe(24)
        session = Session(csrf=secrets.token_urlsafe(24), authenticated=self.token is None)
        with self._lock:
            self._by_id[sid] = session
        return sid, session

    def login(self, session: Session, given: str) -> bool:
        ok = self.token is not None and hmac.compare_digest(given.strip().encode(), self.token.encode())
        if ok:
            session.authenticated = True
        return ok

    @staticmethod
    def csrf_ok(session: Session | None, given: str | None) -> bool:
        return session is not None and bool(given) and hmac.compare_digest(str(given).encode(), session.csrf.encode())
