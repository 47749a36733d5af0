"""A customs user in headless Chromium, in English and in Spanish: the day's selection list with its
reasons, a declaration, recording a result; every page passes axe-core (WCAG 2.1 A/AA) with zero
violations. Skips as `test_browser.py` does when Chromium is missing."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from binational.cli import app
from binational.trade import declarations
from tests.trade import worlds
from tests.web.browsing import (  # noqa: F401 - the browser fixtures and the policy watch
    _nothing_refused_by_the_policy,
    _sign_in,
    browser,
    pytestmark,
    server,
    violations,
)

declaration_files, model_file = worlds.declaration_files, worlds.model_file  # the fixtures of tests/trade
runner = CliRunner()
WORDS = {
    "en-US": {"title": "Selection list", "record": "Record the result", "critical": "Threat to public safety",
              "recorded": "The result is recorded."},
    "es-MX": {"title": "Lista de selección", "record": "Registrar el resultado",
              "critical": "Amenaza a la seguridad pública", "recorded": "El resultado quedó registrado."},
}


@pytest.mark.parametrize("locale", ["en-US", "es-MX"])
def test_a_customs_user_reads_the_list_and_records_a_result(server, browser, declaration_files,  # noqa: F811
                                                             model_file, locale):
    test = declaration_files["test"]
    assert runner.invoke(app, ["trade", "import", str(test), "--as", "us_analyst"]).exit_code == 0
    day = str(declarations.read(test)["date"].value_counts().idxmax().date())
    assert runner.invoke(app, ["trade", "select", "--model", str(model_file), "--day", day, "--as", "us_analyst",
                               "--budget", "0.2"]).exit_code == 0
    words = WORDS[locale]
    page = _sign_in(browser, server, "us_analyst", locale=locale)
    page.goto(f"{server}/trade")
    assert page.get_by_role("heading", name=words["title"]).is_visible()
    table = page.get_by_test_id("selection")
    assert table.locator("ul.reasons li").count() >= 1
    assert violations(page) == []
    table.get_by_role("link").first.click()
    page.get_by_label(words["critical"]).check()
    page.get_by_role("button", name=words["record"]).click()
    assert page.get_by_role("status").filter(has_text=words["recorded"]).is_visible()
    assert violations(page) == []
    for path in ("/trade/ports", "/trade/indicators"):
        page.goto(f"{server}{path}")
        assert violations(page) == []
