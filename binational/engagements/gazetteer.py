"""The officials and offices of the partner governments that intake matches readouts against.

The module ships a gazetteer (`data/gazetteer.json`); a node's administrators add people to it
(`engagement_gazetteer` rows, through `binational engagements gazetteer add` or the API), which join
the shipped ones. The multilingual topic and country lexicon ships beside it (`data/lexicon.json`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Office:
    """A ministry, department or agency of a partner government, named in several languages."""

    code: str
    country: str
    names: dict[str, str]

    def name(self, language: str) -> str:
        """The office's name in `language` (English when it has none in that language)."""
        return self.names.get(language) or self.names.get("en") or self.code


@dataclass(frozen=True)
class Official:
    """A person of the gazetteer: the name as its owner writes it, the surname, the office and title,
    and the forms other scripts write it in."""

    name: str
    surname: str
    office: str
    titles: dict[str, str] = field(default_factory=dict)
    forms: tuple[str, ...] = ()
    added: bool = False  # an administrator's addition on this node


@dataclass(frozen=True)
class Gazetteer:
    """Offices and officials, the shipped ones and the node's."""

    offices: dict[str, Office]
    people: tuple[Official, ...]

    def with_people(self, extra: list[Official]) -> Gazetteer:
        """This gazetteer with the node's own additions."""
        return Gazetteer(self.offices, self.people + tuple(extra))


def _data(name: str) -> Any:
    return json.loads(resources.files("binational.engagements").joinpath("data", name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def shipped() -> Gazetteer:
    """The gazetteer that ships with the module."""
    raw = _data("gazetteer.json")
    offices = {code: Office(code=code, country=o["country"], names=dict(o["names"]))
               for code, o in raw["offices"].items()}
    people = tuple(Official(name=p["name"], surname=p["surname"], office=p["office"], titles=dict(p["title"]),
                            forms=tuple(p["forms"])) for p in raw["people"])
    return Gazetteer(offices, people)


@lru_cache(maxsize=1)
def lexicon() -> dict[str, dict[str, dict[str, list[str]]]]:
    """The topic and country lexicon: `{"topics": {key: {lang: [entries]}}, "countries": {...}}`."""
    raw = _data("lexicon.json")
    return {"topics": raw["topics"], "countries": raw["countries"]}


def topic_keys() -> list[str]:
    """The topics intake proposes, in the lexicon's order."""
    return list(lexicon()["topics"])
