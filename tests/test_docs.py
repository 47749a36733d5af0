"""The documentation keeps up with the code: every action, setting and dependency is documented,
and every document the README links to exists."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from binational.access.actions import ACTIONS
from binational.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _read(name: str) -> str:
    path = DOCS / name
    assert path.is_file(), f"docs/{name} is missing"
    return path.read_text(encoding="utf-8")


def _dependency_names() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs.extend(extra)
    return sorted({re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0].strip() for spec in specs})


def test_every_action_is_documented():
    text = _read("access.md")
    missing = [name for name in sorted(ACTIONS) if f"`{name}`" not in text]
    assert not missing, f"actions missing from docs/access.md: {', '.join(missing)}"


def test_every_action_is_documented_with_its_capability():
    rows = re.findall(r"^\|\s*`([^`]+)`\s*\|\s*`?([^`|]*?)`?\s*\|", _read("access.md"), re.MULTILINE)
    wrong = [name for name, action in ACTIONS.items()
             if (name, action.capability or "any user") not in {(n, c.strip()) for n, c in rows}]
    assert not wrong, f"docs/access.md lacks the row with the right capability for: {', '.join(sorted(wrong))}"


def test_every_setting_is_documented():
    text = _read("settings.md")
    missing = [name for name in Settings.model_fields
               if f"`{name}`" not in text or f"`BINATIONAL_{name.upper()}`" not in text]
    assert not missing, f"settings missing from docs/settings.md: {', '.join(missing)}"


def test_every_dependency_is_documented():
    text = _read("dependencies.md").lower()
    missing = [name for name in _dependency_names() if f"`{name.lower()}`" not in text]
    assert not missing, f"dependencies missing from docs/dependencies.md: {', '.join(missing)}"


@pytest.mark.parametrize("link", sorted(set(re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)",
                                                        (ROOT / "README.md").read_text()))))
def test_readme_links_resolve(link):
    assert (ROOT / link).is_file(), f"README links to {link}, which does not exist"
