"""Languages of the web interface: message catalogs as JSON data, and the visitor's language.

The language is the one chosen with the header's switch (kept in the session), else the best match
of the browser's Accept-Language, else English. A message with a count has one key per CLDR plural
category (`KEY.one`, `KEY.other`, optionally Spanish `KEY.many`) and `translate(lang, KEY, count=n)`
picks the language's form. Service errors are English sentences; `error()` turns the
common ones into the catalog's words, keeping names and values from the original.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from starlette.requests import Request

CATALOGS = Path(__file__).parent / "translations"
LANGUAGES = ("en", "es")
DEFAULT = "en"

#: English service messages -> catalog key; named groups become the message's arguments
ERROR_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"wrong username or password", "error.login"),
        (r"property '(?P<prop>\w+)' of \w+: '(?P<value>.*)' is not a (?P<kind>\w+)$", "error.not_a_type"),
        (r"property '(?P<prop>\w+)' of \w+: entity '(?P<value>.*)' not found", "error.no_such_entity"),
        (r"marking (?P<value>\S+) is above your clearance", "error.above_clearance"),
        (r"release_to needs distribution", "error.release_needs_distribution"),
        (r"distribution `release` needs at least one agency", "error.release_needs_agency"),
        (r"cannot release to one's own agency", "error.release_own_agency"),
        (r"`until` is in the past", "error.until_past"),
        (r"name at least one agency to release to", "error.release_needs_agency"),
        (r"nothing to change", "error.nothing_to_change"),
        (r"password must have at least 8 characters", "error.password_short"),
        (r"user (?P<value>\S+) exists", "error.user_exists"),
        (r"agency (?P<value>\S+) exists", "error.agency_exists"),
        (r"invalid username", "error.invalid_username"),
        (r"invalid agency code", "error.invalid_agency_code"),
        (r"unknown country", "error.unknown_country"),
        (r"unknown role", "error.unknown_role"),
        (r"agency name is empty", "error.required"),
        (r"search text has no letters or digits", "error.search_text"),
        (r"token lifetime", "error.token_days"),
        (r"cannot move a request from (?P<value>\w+)", "error.request_state"),
        (r"an answer releases at least one entity", "error.answer_needs_entity"),
        (r"unknown selector type '?(?P<value>[^']*?)'?$", "error.selector_type"),
        (r"value is empty", "error.selector_empty"),
        (r"birth_date .* is not a date", "error.selector_birth"),
        (r"['\"](?P<value>.*)['\"] needs a given name and a surname", "error.selector_name"),
        (r"['\"](?P<value>.*)['\"] is not a phone selector", "error.selector_phone"),
        (r"['\"](?P<value>.*)['\"] is not a (?P<kind>\w+) selector", "error.selector_nothing"),
        (r"at most (?P<max>\d+) selectors per call, got (?P<count>\d+)", "error.selector_max"),
        (r"give at least one selector", "error.selector_none"),
        (r"a request goes to another agency", "error.request_own_agency"),
        (r"unknown agency ''$", "error.required"),
        (r"unknown agency '(?P<value>[^']*)'", "error.unknown_agency"),
        (r"the question is empty", "error.question_empty"),
        (r"due must be a time with a zone", "error.due_range"),
        (r"unknown request type", "error.unknown_request_type"),
        (r"hit_ref .* is a match of (?P<agency>\S+), not of", "error.hit_ref_other"),
    )
)


#: the policy's reasons for letting a viewer see a record -> catalog key
REASON_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"^owner agency$", "reason.owner"),
        (r"^national distribution in (?P<country>\w+)$", "reason.national"),
        (r"^released to (?P<agency>\S+) until (?P<until>\S+)$", "reason.released_until"),
        (r"^released to (?P<agency>\S+)$", "reason.released"),
    )
)


@lru_cache
def catalog(lang: str) -> dict[str, str]:
    """The messages of one language."""
    data: dict[str, str] = json.loads((CATALOGS / f"{lang}.json").read_text(encoding="utf-8"))
    return data


def from_header(accept_language: str | None) -> str:
    """The best supported language of an Accept-Language header (q-values honoured)."""
    best, best_q = DEFAULT, -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = tag.strip().lower().split("-")[0]
        if lang in LANGUAGES and q > best_q:
            best, best_q = lang, q
    return best


def language(request: Request) -> str:
    """The language of this visitor."""
    chosen = request.scope.get("web_session", {}).get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return from_header(request.headers.get("accept-language"))


def plural_category(lang: str, count: float) -> str:
    """The CLDR plural category of a number in `lang`: `one`, `many` (Spanish millions) or `other`.

    English and Spanish: `one` is the whole number 1 (a fraction such as 1.5 or "1.0" is `other`,
    and so is 0); Spanish says "1000000 de líneas", so whole millions are `many`.
    """
    if not isinstance(count, int):
        return "other"
    if count == 1:
        return "one"
    if lang == "es" and count != 0 and count % 1_000_000 == 0:
        return "many"
    return "other"


def _lookup(lang: str, key: str) -> str | None:
    return catalog(lang).get(key) or catalog(DEFAULT).get(key)


def translate(lang: str, key: str, **args: Any) -> str:
    """The message `key` in `lang` (English if missing there, the key itself if missing everywhere).

    With a `count` argument, the key's plural form for that count (`key.one`, `key.many`,
    `key.other`; `other` when the language has no form of its own for the category).
    """
    text = None
    if "count" in args and isinstance(args["count"], int | float):
        category = plural_category(lang, args["count"])
        text = catalog(lang).get(f"{key}.{category}") or catalog(lang).get(f"{key}.other")
        text = text or _lookup(DEFAULT, f"{key}.{plural_category(DEFAULT, args['count'])}")
    text = text or _lookup(lang, key) or key
    return text.format(**args) if args else text


def error(lang: str, message: str) -> str:
    """A service error message in the visitor's language."""
    for pattern, key in ERROR_PATTERNS:
        match = pattern.search(message)
        if match:
            return translate(lang, key, **match.groupdict())
    return translate(lang, "error.generic", message=message)


def reason(lang: str, text: str) -> str:
    """The policy's reason for a decision in the visitor's language."""
    for pattern, key in REASON_PATTERNS:
        match = pattern.search(text)
        if match:
            return translate(lang, key, **{k: v for k, v in match.groupdict().items() if v is not None})
    return text
