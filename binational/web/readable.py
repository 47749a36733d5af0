"""Values as a person reads them, in the page's language: country and language names rather than codes,
dates written out, and references to other records by their caption.

Names of countries and languages and the forms of dates come from the Unicode CLDR through Babel (which
FollowTheMoney itself depends on); a code CLDR does not know (FtM's `zz`, `suhh` ...) falls back to
FollowTheMoney's own label, then to the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_skeleton
from followthemoney.types import registry

from binational.entities.schemas import ValueRead


@dataclass(frozen=True)
class Shown:
    """One value ready for the page: its text, the record it links to (if a reference), and its origin."""

    text: str
    href: str | None
    agency: str
    marking: str
    raw: str


@lru_cache(maxsize=4)
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def country(code: str, lang: str) -> str:
    """The name of a country (an FtM country code) in `lang`."""
    name = _locale(lang).territories.get(code.upper()) if len(code) == 2 else None
    return name or registry.country.caption(code) or code


def language_name(code: str, lang: str) -> str:
    """The name of a language (ISO 639-3, as FtM keeps them, or 639-1) in `lang`."""
    locale = _locale(lang)
    name = locale.languages.get(code)
    if name is None:
        try:
            name = locale.languages.get(Locale.parse(code).language)
        except (ValueError, TypeError):
            name = None
    return name or registry.language.caption(code) or code


def when(value: str, lang: str) -> str:
    """A date as FtM keeps it (`1979`, `1979-05`, `1979-05-03`, maybe with a time) written out in `lang`."""
    parts = value[:10].split("-")
    try:
        numbers = [int(p) for p in parts]
        if len(numbers) == 3:
            return format_date(date(*numbers), format="long", locale=_locale(lang))
        if len(numbers) == 2:
            return format_skeleton("yMMMM", date(numbers[0], numbers[1], 1), locale=_locale(lang))
    except (ValueError, TypeError):
        return value
    return value


def text(kind: str, value: str, lang: str, captions: dict[str, str]) -> str:
    """The text of one value of an FtM property type."""
    if kind == "country":
        return country(value, lang)
    if kind == "language":
        return language_name(value, lang)
    if kind == "date":
        return when(value, lang)
    if kind == "entity":
        return captions.get(value, value)
    return value


def shown(kind: str, value: ValueRead, lang: str, captions: dict[str, str]) -> Shown:
    """One value of the profile, linked when it names a record the viewer may see (one in `captions`)."""
    href = f"/entities/{value.value}" if kind == "entity" and value.value in captions else None
    return Shown(text(kind, value.value, lang, captions), href, value.agency, value.marking, value.value)
