"""Headless Chromium opens each demo HTML report from disk, with the network off, and
the test fails if the page requests anything outside itself, breaks its
Content-Security-Policy or logs a console error.  A screenshot of each page is taken
(desktop and phone widths) and checked to be a real image.

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe): no
port, no extra package.  A page that does load something external is rendered first, to
prove the checks can fail.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest

from extractor.render import RenderOptions, report_paths
from report_fixtures import FIXED_NOW

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PHONE_WIDTH, DESKTOP_WIDTH = 390, 1280


class Chromium:
    """Just enough of the DevTools protocol: commands out on fd 3, replies and events
    in on fd 4, each a JSON object ended by NUL."""

    def __init__(self, profile: Path) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # Copies numbered 10 and up, so that wiring them to fds 3 and 4 in the child can
        # never overwrite one with the other.
        cmd_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD_CLOEXEC, 10)
        res_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_child_r)
        os.close(from_child_w)

        # The child reads commands on fd 3 and writes replies on fd 4 (dup2 clears
        # close-on-exec on the copies).  close_fds would close them again after
        # preexec_fn runs, so it is off; every other fd here is close-on-exec.
        def wire() -> None:
            os.dup2(cmd_r, 3)
            os.dup2(res_w, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
             # Network off: no proxy reachable, no name resolves.
             "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire, close_fds=False)
        os.close(cmd_r)
        os.close(res_w)
        self._buf = b""
        self._next = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30) -> dict:
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self._read(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
        raise TimeoutError(method)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read(deadline))
        raise TimeoutError(method)

    def drain(self, seconds: float) -> None:
        """Collect whatever events arrive in the next ``seconds``."""
        import select

        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if b"\0" not in self._buf:
                ready, _, _ = select.select([self._from_child], [], [], left)
                if not ready:
                    return
            self.events.append(self._read(end + 5))

    def _read(self, deadline: float) -> dict:
        import select

        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_child], [], [], max(left, 0))
            if not ready:
                raise TimeoutError("no message from Chromium")
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)


def visit(browser: Chromium, page: Path, shot_dir: Path) -> dict:
    """Open ``page`` and return what it requested and logged, and its screenshots."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Network", "Runtime", "Log"):
        browser.send(f"{domain}.enable", session=session)
    browser.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1,
                                                      "uploadThroughput": -1}, session=session)
    browser.events.clear()
    url = page.resolve().as_uri()
    browser.send("Page.navigate", {"url": url}, session=session)
    browser.wait_for("Page.loadEventFired")
    browser.drain(0.5)  # late console messages and CSP reports
    seen = [e for e in browser.events if e.get("sessionId") == session]
    requests = [e["params"]["request"]["url"] for e in seen if e.get("method") == "Network.requestWillBeSent"]
    errors = [e["params"]["entry"]["text"] for e in seen
              if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"]
    errors += [" ".join(str(a.get("value", a.get("description", ""))) for a in e["params"]["args"])
               for e in seen if e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert")]
    errors += [e["params"]["exceptionDetails"]["text"] for e in seen if e.get("method") == "Runtime.exceptionThrown"]
    shots = {}
    for label, width in (("desktop", DESKTOP_WIDTH), ("phone", PHONE_WIDTH)):
        browser.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": 900, "deviceScaleFactor": 1,
                                                            "mobile": label == "phone"}, session=session)
        png = base64.b64decode(browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                                            session=session)["data"])
        path = shot_dir / f"{page.stem}-{label}.png"
        path.write_bytes(png)
        shots[label] = path
    layout = browser.send("Runtime.evaluate", {"expression": "document.documentElement.scrollWidth",
                                               "returnByValue": True}, session=session)["result"]["value"]
    browser.send("Target.closeTarget", {"targetId": target})
    browser.events.clear()
    return {"url": url, "requests": requests, "errors": errors, "shots": shots, "scroll_width": layout}


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: sudo apt-get install chromium); "
                    "the browser test needs it to load the reports")
    b = Chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        b.send("Browser.getVersion", timeout=60)
    except Exception as exc:
        b.close()
        pytest.skip(f"chromium did not start headless: {exc}")
    yield b
    b.close()


@pytest.fixture(scope="module")
def demo_pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo-html")
    result = report_paths([ROOT / "corpora" / "demo"], out,
                          options=RenderOptions(generated_at=FIXED_NOW, argv=("evidence", "report", "corpora/demo"),
                                                outputs=("html",)))
    assert result.output is not None
    pages = sorted(out.glob("*.html"))
    assert len(pages) == 3
    return pages


def test_the_checks_catch_an_external_load(browser, tmp_path):
    """A page breaking our policy is caught; a page without a policy that fetches a URL
    shows the request."""
    csp = ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "style-src 'unsafe-inline'; img-src data:\">")
    (tmp_path / "csp.html").write_text(f"<!doctype html><html><head>{csp}</head><body>"
                                       "<img src=\"http://evil.example/x.png\"><script>1</script></body></html>")
    (tmp_path / "open.html").write_text("<!doctype html><html><body><img src=\"http://evil.example/x.png\">"
                                        "</body></html>")
    blocked = visit(browser, tmp_path / "csp.html", tmp_path)
    assert any("Content Security Policy" in e for e in blocked["errors"]), blocked
    open_page = visit(browser, tmp_path / "open.html", tmp_path)
    assert any(u.startswith("http://evil.example/") for u in open_page["requests"]), open_page


def test_demo_reports_load_nothing_and_log_no_error(browser, demo_pages, tmp_path):
    for page in demo_pages:
        seen = visit(browser, page, tmp_path)
        assert seen["requests"] == [seen["url"]], (page.name, seen["requests"])
        assert seen["errors"] == [], (page.name, seen["errors"])
        for label, shot in seen["shots"].items():
            width, height = png_size(shot)
            assert width == (DESKTOP_WIDTH if label == "desktop" else PHONE_WIDTH)
            assert height >= 900
            assert shot.stat().st_size > 20_000  # a page with content, not a blank image
        # Phone: the timeline turns into cards, nothing runs off the side.
        assert seen["scroll_width"] <= DESKTOP_WIDTH
