"""The API's documentation pages work with no internet: every file they load is the node's own."""

from __future__ import annotations

import re

import pytest

from tests.web.browsing import (  # noqa: F401 - fixtures
    CHROMIUM,
    REFUSED,
    _nothing_refused_by_the_policy,
    _watch,
    browser,
    server,
)

REFERENCE = re.compile(r"""(?:src|href|spec-url)="([^"]+)"|url: '([^']+)'""")


@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/v1/redoc"])
def test_a_docs_page_loads_every_file_from_the_node(client, path):
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    references = [a or b for a, b in REFERENCE.findall(page.text)]
    assert len(references) >= 3, references  # the bundle, the OpenAPI document, the icon (and Swagger's CSS)
    for url in references:
        assert url.startswith("/") and not url.startswith("//"), url  # on the node, never a CDN
        answer = client.get(url)
        assert answer.status_code == 200 and answer.content, url
    assert "fonts.googleapis" not in page.text and "http" not in page.headers["Content-Security-Policy"]


def test_the_node_has_an_icon(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content.startswith(b"<svg")
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/login").text
    assert client.get("/static/favicon.svg").content == icon.content


#: ReDoc's footer always shows its maker's logo from a CDN: the pages' policy refuses it, so not even
#: that request leaves the node (the logo hides itself when it does not load)
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (run `make browser`)")
def test_both_docs_pages_render_in_a_browser_with_no_internet(server, browser):  # noqa: F811 - fixtures
    """Headless Chromium with every request outside the node refused: Swagger UI lists the operations,
    ReDoc renders them, and the pages' policy refuses nothing they need."""
    outside: list[str] = []
    page = _watch(browser.new_context().new_page())

    def only_the_node(route):
        if route.request.url.startswith(server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_node)
    page.goto(f"{server}/api/v1/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    assert page.locator(".opblock").count() > 20
    page.goto(f"{server}/api/v1/redoc")
    page.wait_for_selector("[data-section-id^='tag/'], [data-section-id^='operation/']", timeout=30_000)
    assert "/api/v1/entities" in page.content()
    assert outside == []
    REFUSED[:] = [refused for refused in REFUSED if REDOC_LOGO not in refused]
