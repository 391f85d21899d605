"""The web app in a real Chromium (Selenium, Debian's chromium and chromium-driver):
upload the demo exports, open a case, dismiss a tag and confirm another, see the
findings change, download the pack; screenshots at desktop and phone width."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
DEMO_FILES = sorted(p for p in (ROOT / "corpora" / "demo").iterdir() if p.is_file() and p.suffix != ".md")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import extractor.nlp.calibration as calibration

    mp = pytest.MonkeyPatch()
    mp.setattr(calibration, "builtin", lambda: None)  # every claim stated: the clerk reviews them
    import uvicorn

    from extractor.web import app_for

    db = tmp_path_factory.mktemp("webapp") / "cases.db"
    app, note = app_for(db, "127.0.0.1")
    assert note is None
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}", db
    srv.should_exit = True
    thread.join(5)
    mp.undo()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM and DRIVER):
        pytest.fail("chromium and chromium-driver are needed (make test installs them: make sysdeps-test)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.downloads = downloads
    yield driver
    driver.quit()


def _wait(predicate, timeout=120.0, step=0.3):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    end = time.time() + timeout
    while time.time() < end:
        try:
            value = predicate()
        except (StaleElementReferenceException, NoSuchElementException):
            value = None  # the page is being replaced (a form's redirect, a refresh): look again
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out")


def _click_and_wait_for_the_next_page(browser, element) -> None:
    """Click a form's button and wait until its page is gone and the next one is loaded."""
    from selenium.webdriver.support.ui import WebDriverWait

    element.click()
    WebDriverWait(browser, 120).until(lambda _: _detached(element))
    _wait(lambda: browser.execute_script("return document.readyState") == "complete")


def _detached(element) -> bool:
    """Whether the clicked page's element is gone.  Chromium answers a node caught while its
    page is being replaced with an inspector error ("does not belong to the document")
    rather than a stale element: that is gone too."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in str(error) or "No node with given id" in str(error):
            return True
        raise
    return False


def _shots(driver, name: str, out: Path) -> None:
    for width, label in ((1280, "desktop"), (390, "phone")):
        driver.set_window_size(width, 900)
        path = out / f"{name}-{label}.png"
        assert driver.save_screenshot(str(path)) and path.stat().st_size > 5000


def test_a_clerk_imports_reviews_and_downloads(server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    base, _ = server
    shots = Path(os.environ.get("EVIDENCE_SHOTS", tmp_path))
    browser.get(base + "/import")
    _shots(browser, "import", shots)
    browser.set_window_size(1280, 900)
    browser.find_element(By.ID, "files").send_keys("\n".join(str(p) for p in DEMO_FILES))
    browser.find_element(By.ID, "start-import").click()
    _wait(lambda: "导入完成" in browser.find_element(By.ID, "run-status").text)
    _click_and_wait_for_the_next_page(browser, browser.find_element(By.ID, "to-cases"))
    assert "案件（2）" in browser.page_source
    _shots(browser, "cases", shots)
    browser.set_window_size(1280, 900)
    _click_and_wait_for_the_next_page(browser, browser.find_element(By.LINK_TEXT, "tb_lin8866"))
    risk_before = browser.find_element(By.ID, "risk").text
    assert "相威胁" in risk_before
    _shots(browser, "case", shots)
    browser.set_window_size(1280, 900)

    # dismiss every threat tag: the risk line loses its threat
    from selenium.common.exceptions import StaleElementReferenceException

    for _ in range(30):
        try:
            tags = browser.find_elements(By.CSS_SELECTOR, '.tag[data-label="threat"] button.dismiss')
            if not tags:
                break
            _click_and_wait_for_the_next_page(browser, tags[0])
        except StaleElementReferenceException:
            continue  # found on the page that was being replaced: look again on the new one
        _wait(lambda: browser.find_elements(By.ID, "risk"))
    risk_after = browser.find_element(By.ID, "risk").text
    assert "相威胁" not in risk_after and risk_after != risk_before

    # confirm a claim: it is marked as confirmed by a person
    _click_and_wait_for_the_next_page(
        browser, browser.find_element(By.CSS_SELECTOR, '.tag[data-label="return_claim"] button.confirm'))
    _wait(lambda: "人工确认" in browser.page_source)

    browser.find_element(By.ID, "download-pack").click()
    zipped = _wait(lambda: [p for p in browser.downloads.glob("*.zip") if p.stat().st_size > 0], timeout=180)
    names = zipfile.ZipFile(zipped[0]).namelist()
    assert any(n.endswith("第1次上传/01-摘要.jpg") for n in names)
