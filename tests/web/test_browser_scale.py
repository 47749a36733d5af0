"""Working at scale in headless Chromium: an import with its progress bar, answered in place."""

from __future__ import annotations

import json

import pytest

from tests.web.browsing import (  # noqa: F401 - the browser suite's fixtures, and its skip
    _nothing_refused_by_the_policy,
    _sign_in,
    browser,
    pytestmark,
    server,
)


@pytest.mark.parametrize("locale", ["en-US", "es-MX"])
def test_an_import_sends_the_file_with_progress_and_answers_in_place(server, browser, tmp_path, locale):  # noqa: F811
    good = tmp_path / "people.jsonl"
    good.write_text("".join(json.dumps({"id": f"b{i}", "schema": "Person", "properties": {"name": [f"Ana {i}"]}})
                            + "\n" for i in range(3)))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "c1", "schema": "Person", "properties": {"birthDate": ["1979-13-45"]}}\n')
    page = _sign_in(browser, server, "us_analyst", locale)
    page.goto(f"{server}/entities/import")
    page.locator("#file").set_input_files(str(bad))
    page.locator("#import-form button[type=submit]").click()
    error = page.get_by_test_id("import-error")
    error.wait_for()
    assert ("line 1" if locale == "en-US" else "línea 1") in error.inner_text()
    assert page.url == f"{server}/entities/import"  # the answer replaced the result, not the page
    page.locator("#file").set_input_files(str(good))
    page.locator("#import-form button[type=submit]").click()
    done = page.get_by_test_id("imported")
    done.wait_for()
    assert "3" in done.inner_text() and page.get_by_test_id("import-error").count() == 0
    assert page.locator("progress#import-bar").get_attribute("value") == "100"
