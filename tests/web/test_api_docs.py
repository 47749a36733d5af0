"""The API's documentation pages work with no internet: every file they load is the node's own."""

from __future__ import annotations

import re

import pytest

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
