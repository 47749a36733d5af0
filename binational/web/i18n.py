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
from typing import Any, NamedTuple

from followthemoney.types import registry
from markupsafe import Markup
from starlette.requests import Request

from binational.vocabulary import labels

CATALOGS = Path(__file__).parent / "translations"
LANGUAGES = ("en", "es")
DEFAULT = "en"

#: English service messages -> catalog key; named groups become the message's arguments
ERROR_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"wrong username or password", "error.login"),
        (r"^(?P<chosen>\d+) series chosen, more than the (?P<limit>\d+) one request may forecast",
         "error.forecast_too_many"),
        (r"^(?:a )?forecast run .*is running: one at a time", "error.forecast_running"),
        (r"^(?:import \S+|an import of yours) is running: one at a time", "error.import_running"),
        (r"^interrupted: its worker stopped before the import finished", "error.import_interrupted"),
        (r"^the horizon is 1 to 24 months$", "error.forecast_horizon"),
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
        (r"unknown indicator '(?P<value>[^']*)'", "error.unknown_indicator"),
        (r"the target of (?P<value>\S+) is in (?P<unit>\w+), not", "error.target_unit"),
        (r"a commitment tied to an indicator needs a target", "error.target_needed"),
        (r"a target needs an indicator", "error.indicator_needed"),
        (r"unknown (?:status|format|topic) '(?P<value>[^']*)'", "error.unknown_choice"),
        (r"the readout is empty", "error.readout_empty"),
        (r"the file is not UTF-8 text", "error.not_utf8"),
        (r"unknown country", "error.unknown_country"),
        (r"unknown role", "error.unknown_role"),
        (r"agency name is empty", "error.required"),
        (r"search text has no letters or digits", "error.search_text"),
        (r"a saved search needs a name, alias or identifier", "error.saved_search_text"),
        (r"at most (?P<max>\d+) saved searches per user", "error.saved_search_max"),
        (r"token lifetime", "error.token_days"),
        (r"cannot move a request from (?P<value>\w+)", "error.request_state"),
        (r"an answer releases at least one entity", "error.answer_needs_entity"),
        (r"unknown selector type '?(?P<value>[^']*?)'?$", "error.selector_type_html"),
        (r"value is empty", "error.selector_empty"),
        (r"birth_date .* is not a date", "error.selector_birth"),
        (r"['\"](?P<value>.*)['\"] needs a given name and a surname", "error.selector_name"),
        (r"['\"](?P<value>.*)['\"] is not a phone selector", "error.selector_phone"),
        (r"['\"](?P<value>.*)['\"] is not a (?P<kind>\w+) selector", "error.selector_nothing_html"),
        (r"at most (?P<max>\d+) selectors per call, got (?P<count>\d+)", "error.selector_max"),
        (r"give at least one selector", "error.selector_none"),
        (r"a request goes to another agency", "error.request_own_agency"),
        (r"unknown agency ''$", "error.required"),
        (r"unknown agency '(?P<value>[^']*)'", "error.unknown_agency"),
        (r"the question is empty", "error.question_empty"),
        (r"due must be a time with a zone", "error.due_range"),
        (r"unknown request type", "error.unknown_request_type"),
        (r"hit_ref .* is a match of (?P<agency>\S+), not of", "error.hit_ref_other"),
        (r"the export would hold (?P<count>\d+) entries, more than \w+ \((?P<max>\d+)\)", "error.export_too_big"),
        (r"unknown export format", "error.export_format"),
        (r"the export holds (?P<count>\d+) entities, more than the (?P<limit>\d+) allowed", "error.export_too_large"),
        (r"^format is one of", "error.export_format"),
        (r"one run at a time", "error.run_running"),
        (r"bulk accept takes pairs scoring at least (?P<floor>[\d.]+), the floor", "error.bulk_floor"),
        (r"(?P<field>\w+) is a percentage between 0 and 100", "error.percent"),
        (r"^choose an outcome$", "error.choose_outcome"),
        (r"^a note holds at most (?P<max>\d+) characters$", "error.note_too_long"),
        (r"^'(?P<value>[^']*)' is not a date \(YYYY-MM-DD\)$", "error.not_a_day"),
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
        (r"^not found$", "reason.not_found"),
        (r"^marking above clearance$", "reason.marking_above_clearance"),
        (r"^value marking above clearance$", "reason.value_marking_above_clearance"),
        (r"^value kept to the owner agency$", "reason.value_kept_to_owner"),
        (r"^not released to the agency$", "reason.not_released"),
        (r"^only the owner agency may do this$", "reason.owner_only"),
        (r"^restricted case: not a member$", "reason.case_not_member"),
        (r"^restricted case: answers no hit$", "reason.case_no_hit"),
        (r"^TLP:RED: answers no hit$", "reason.red_no_hit"),
        (r"^role lacks (?P<capability>\S+)$", "reason.role_lacks"),
        (r"^another agency's entry$", "reason.other_agency_entry"),
        (r"^another agency's judgement$", "reason.other_agency_judgement"),
        (r"^another agency's notices$", "reason.other_agency_notices"),
        (r"^not a party to the request$", "reason.not_a_party"),
    )
)


#: notes that services write as English sentences (stored with a run, returned with a plan) -> catalog
#: key; a group named `n_<word>` is a count, shown with the plural message `count.<word>`
NOTE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"^no records to resolve$", "note.no_records"),
        (r"^only one agency \((?P<agency>\S+)\) holds records: nothing to match across agencies$",
         "note.one_agency"),
        (r"^(?P<n_records>\d+) records of (?P<n_agencies>\d+) agencies; (?P<n_suggestions>\d+) suggestions$",
         "note.run_summary"),
        (r"^fewer than two agencies hold records of this kind$", "note.fewer_agencies"),
        (r"^model default \((?P<positive>\d+) positive, (?P<negative>\d+) negative labels; "
         r"(?P<minimum>\d+) of each needed\)$", "note.model_default"),
        (r"^calibrated on (?P<n_pairs>\d+) judged pairs \(F1 (?P<f1>[\d.]+)\)$", "note.calibrated"),
        (r"^dismantling set of (?P<n_nodes>\d+) nodes \(from (?P<before>\d+) before reinsertion\) "
         r"leaves no component above (?P<limit>\d+) nodes$", "note.dismantling_set"),
        (r"^tie sensitivity skipped: over (?P<limit>\d+) nodes$", "note.sensitivity_skipped"),
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


def message_text(lang: str, key: str, count: Any = None) -> str:
    """The unformatted text of `key` in `lang`: its plural form for `count` when it has plural forms,
    English when `lang` lacks it, the key itself when no catalog has it."""
    if isinstance(count, int | float) and not isinstance(count, bool):
        text = catalog(lang).get(f"{key}.{plural_category(lang, count)}") or catalog(lang).get(f"{key}.other")
        text = text or _lookup(DEFAULT, f"{key}.{plural_category(DEFAULT, count)}")
        if text:
            return text
    return _lookup(lang, key) or key


def translate(lang: str, key: str, **args: Any) -> str:
    """The message `key` in `lang` (English if missing there, the key itself if missing everywhere).

    With a `count` argument, the key's plural form for that count (`key.one`, `key.many`,
    `key.other`; `other` when the language has no form of its own for the category).
    """
    text = message_text(lang, key, args.get("count"))
    return text.format(**args) if args else text


def markup(lang: str, key: str, **args: Any) -> Markup:
    """The message `key` as markup: its text escaped, its arguments escaped unless they are markup
    already (a message from `error()` that holds `<code>` keeps it)."""
    text = Markup.escape(message_text(lang, key, args.get("count")))
    return text.format(**args) if args else text  # without arguments a `{seconds}` is for the page's script


def error(lang: str, message: str) -> str:
    """A service error message in the visitor's language. A value's type (`date`) is named in words;
    a message whose key ends in `_html` is markup (`<code>` around what the user types), its values
    escaped; a message no pattern knows is shown in English inside `<span lang="en">`."""
    for pattern, key in ERROR_PATTERNS:
        match = pattern.search(message)
        if match:
            args = match.groupdict()
            if key == "error.not_a_type":
                kind = next((t for t in registry.types if t.name == args["kind"]), None)
                args["kind"] = labels.term(lang, kind.label).lower() if kind is not None else args["kind"]
            if key.endswith("_html"):
                # the catalogs are the package's own files, trusted like its templates
                return Markup(message_text(lang, key)).format(**args)  # noqa: S704
            return translate(lang, key, **args)
    if lang == DEFAULT:
        return translate(lang, "error.generic", message=message)
    # a message no pattern knows stays the service's English, marked as such
    return markup(lang, "error.generic", message=Markup('<span lang="{}">{}</span>').format(DEFAULT, message))


class Said(NamedTuple):
    """A text and the language it is in (a page marks it `lang="en"` when that is not the page's)."""

    text: str
    lang: str


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def evidence(lang: str, comparison: str, level: str | None = None) -> Said:
    """A resolution comparison's name (`given`), or one of its levels' labels ("same CURP"), in the
    visitor's language; a label the catalogs do not know stays as the model wrote it, in English."""
    key = f"evidence.level.{_slug(level)}" if level is not None else f"evidence.{comparison}"
    if key in catalog(lang):
        return Said(translate(lang, key), lang)
    return Said(level if level is not None else comparison, DEFAULT)


def driver(lang: str, text: str) -> Said:
    """A suggestion's driver ("curp: same CURP") in the visitor's language."""
    name, sep, level = text.partition(": ")
    if not sep:
        return evidence(lang, text)
    said_name, said_level = evidence(lang, name), evidence(lang, name, level)
    same = said_name.lang == said_level.lang
    return Said(f"{said_name.text}: {said_level.text}", said_name.lang if same else DEFAULT)


def note(lang: str, text: str) -> Said:
    """A service's note in the visitor's language, and the language it is in: a note no pattern knows
    stays English (the page marks it `lang="en"`)."""
    for pattern, key in NOTE_PATTERNS:
        match = pattern.search(text)
        if match:
            args: dict[str, Any] = {}
            for name, value in match.groupdict().items():
                if name.startswith("n_"):
                    args[name[2:]] = translate(lang, f"count.{name[2:]}", count=int(value))
                else:
                    args[name] = value
            return Said(translate(lang, key, **args), lang)
    return Said(text, DEFAULT)


def reason_said(lang: str, text: str) -> Said:
    """The policy's reason for a decision in the visitor's language (English when no pattern knows it)."""
    for pattern, key in REASON_PATTERNS:
        match = pattern.search(text)
        if match:
            return Said(translate(lang, key, **{k: v for k, v in match.groupdict().items() if v is not None}), lang)
    return Said(text, DEFAULT)


def reason(lang: str, text: str) -> str:
    """The policy's reason for a decision in the visitor's language."""
    return reason_said(lang, text).text
