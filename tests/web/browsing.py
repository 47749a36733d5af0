"""What the browser tests share: the app served on a free port, headless Chromium (Debian's), signing
in through the login page, the watch on the pages' Content-Security-Policy, axe-core's WCAG 2.1 A/AA
check and the server time of a page.

A test module imports the fixtures it uses from here (and `pytestmark`, which skips it with a reason
when Playwright or /usr/bin/chromium is missing: `make browser` installs it). axe-core is one of the
front-end packages `npm ci` installs; a page checked without it fails rather than skips.
"""

from __future__ import annotations

import re
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from binational.app import create_app
from tests.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
#: the rules axe-core holds a page to: WCAG 2.1 A and AA
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: what a navigation page may take on the server, median of five loads, on the tests' small worlds
PAGE_MS = 300
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (run `make browser`)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(settings, db) -> Iterator[str]:  # noqa: ANN001
    """The app served by uvicorn in a thread on a free port, on the test database."""
    port = _free_port()
    config = uvicorn.Config(create_app(settings, db), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


#: what the browser refused under the pages' Content-Security-Policy, in the test running now
REFUSED: list[str] = []


@pytest.fixture(autouse=True)
def _nothing_refused_by_the_policy():
    """Every page works under the policy: no script, style or connection of ours is refused."""
    REFUSED.clear()
    yield
    assert REFUSED == [], REFUSED


def _watch(page):  # noqa: ANN001, ANN202
    page.on("console", lambda message: REFUSED.append(f"{page.url}: {message.text} {message.location}")
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)
    return page


def _sign_in(browser, base: str, username: str, locale: str = "en-US", password: str = PASSWORD):  # noqa: ANN001, ANN202
    """A new browser context in `locale`, signed in as `username` through the login page, on the home page."""
    page = _watch(browser.new_context(locale=locale).new_page())
    page.goto(f"{base}/")
    page.get_by_label(re.compile("Username|Usuario")).fill(username)
    page.get_by_label(re.compile("Password|Contraseña")).fill(password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
    return page


def violations(page) -> list[dict]:  # noqa: ANN001
    """axe-core's WCAG 2.1 A/AA violations of the page as it is now (rule and the nodes it failed on)."""
    assert AXE.is_file(), f"{AXE} is missing: run `npm ci`"
    # Evaluated through the browser's debugging protocol, which the page's script policy does not govern.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async (rules) => {
        const result = await axe.run(document, {runOnly: {type: "tag", values: rules}});
        return {passes: result.passes.length,
                violations: result.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(" "))}))};
    }""", RULES)
    assert result["passes"] > 10, result  # the rules ran on the page
    return result["violations"]


def server_ms(page, url: str) -> float:  # noqa: ANN001
    """The median time from request to the last byte of the page, over five loads."""
    times = []
    for _ in range(5):
        page.goto(url)
        times.append(page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                                   " return n.responseEnd - n.requestStart; }"))
    return statistics.median(times)
