"""The message catalogs: the same keys in every language, and every key the pages use exists."""

from __future__ import annotations

import re
from pathlib import Path

from binational.access.roles import ROLES
from binational.networks.analysis import REASONS
from binational.networks.graph import SHARED
from binational.requests.service import STATES
from binational.web import i18n

WEB = Path(i18n.__file__).parent
USED = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_]*[a-z])+)["']""")
KEY_ARGS = re.compile(r"""(?:_key=|translate\(lang, )["']([a-z_.]+)["']""")
PREFIXES = re.compile(r"""\bt\(\s*["']([a-z_]+\.)["']\s*\+""")


def test_every_language_has_the_same_keys():
    english = set(i18n.catalog("en"))
    for lang in i18n.LANGUAGES:
        assert set(i18n.catalog(lang)) == english, lang
        assert all(isinstance(v, str) and v.strip() for v in i18n.catalog(lang).values())


def engagement_keys() -> set[str]:
    """The engagements' pages build these keys from the module's data (topics, statuses, formats,
    indicators and their units, languages intake tells, who may see a record)."""
    from binational.engagements import indicators
    from binational.engagements.gazetteer import topic_keys
    from binational.engagements.schemas import FORMATS, STATUSES

    keys = {f"engagements.topic.{k}" for k in topic_keys()} | {f"engagements.status.{k}" for k in STATUSES}
    keys |= {f"engagements.format.{k}" for k in FORMATS}
    keys |= {f"engagements.{i.label}" for i in indicators.registered()}
    keys |= {f"engagements.unit.{i.unit}" for i in indicators.registered()}
    keys |= {f"engagements.language.{k}" for k in ("ar", "en", "es", "unknown")}
    keys |= {f"engagements.distribution.{d}" for d in ("agency", "national", "release")}
    return keys


def test_every_key_used_by_a_page_exists():
    used: set[str] = set()
    for path in list(WEB.rglob("*.html")) + list(WEB.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        used |= set(USED.findall(text)) | set(KEY_ARGS.findall(text))
        # `action.` words are held complete by tests/web/test_audit_pages.py, `repatriation.` words by
        # tests/repatriation/test_pages.py
        assert not set(PREFIXES.findall(text)) - {"language.", "distribution.", "releases.who.", "home.", "role.",
                                                  "action.", "repatriation.", "engagements."}
    used |= {key for _pattern, key in i18n.ERROR_PATTERNS + i18n.REASON_PATTERNS + i18n.NOTE_PATTERNS}
    used |= {f"count.{group[2:]}.other" for pattern, _key in i18n.NOTE_PATTERNS
             for group in pattern.groupindex if group.startswith("n_")}
    used |= {f"role.{role}" for role in ROLES}
    used |= {f"network.reason_{code}" for code in REASONS}
    used |= {f"network.type_{shared}" for shared in SHARED.values()}
    used |= {f"language.{lang}" for lang in i18n.LANGUAGES}
    used |= {f"distribution.{d}" for d in ("agency", "national", "release")}
    used |= {f"releases.who.{d}" for d in ("agency", "national", "release")}
    used |= {"audit.decision_allow", "audit.decision_deny"}
    used |= engagement_keys()
    used |= {f"requests.state_{state}" for state in STATES} | {f"requests.do_{m}" for m in ("acknowledge", "decline")}
    used |= {f"home.{box}" for box in ("inbox", "outbox", "overdue")}
    english = set(i18n.catalog("en"))
    assert {key for key in used if key not in english and f"{key}.other" not in english} == set()


def test_accept_language_picks_the_best_supported_language():
    assert i18n.from_header("es-MX,es;q=0.9,en;q=0.8") == "es"
    assert i18n.from_header("fr-FR,en;q=0.5,es;q=0.7") == "es"
    assert i18n.from_header("de") == "en"
    assert i18n.from_header(None) == "en"


def test_service_errors_are_translated_with_their_values():
    message = "property 'birthDate' of Person: '1979-13-45' is not a date"
    assert i18n.error("es", message) == "«1979-13-45» no es un valor válido de tipo fecha."
    assert i18n.error("en", "something unforeseen") == "Not accepted: something unforeseen"
    # an English message no pattern knows stays English on a Spanish page, marked, and escaped
    assert i18n.error("es", "<b>unforeseen</b>") == 'No aceptado: <span lang="en">&lt;b&gt;unforeseen&lt;/b&gt;</span>'
    assert i18n.error("es", "unknown selector type '<x>'") == (
        "tipo de selector desconocido «&lt;x&gt;»; use <code>document</code>, <code>phone</code>, <code>email</code>, "
        "<code>vehicle</code>, <code>firearm</code> o <code>name_birth</code>.")


def test_plural_forms_follow_the_languages_rules():
    assert [i18n.plural_category("en", n) for n in (0, 1, 2, 1.5)] == ["other", "one", "other", "other"]
    assert [i18n.plural_category("es", n) for n in (0, 1, 2, 1_000_000)] == ["other", "one", "other", "many"]
    for lang in i18n.LANGUAGES:  # a plural message has at least its `one` and `other` forms
        stems = {key.rsplit(".", 1)[0] for key in i18n.catalog(lang) if key.endswith((".one", ".many"))}
        assert all(f"{stem}.one" in i18n.catalog(lang) and f"{stem}.other" in i18n.catalog(lang) for stem in stems)


def test_every_label_a_page_can_show_has_spanish_words():
    from binational.vocabulary import labels, model

    missing = set()
    for schema in model.schemata.values():
        if schema.abstract or schema.hidden:
            continue
        texts = [schema._label, schema._plural, schema._edge_label]
        texts += [p._label for p in schema.properties.values() if not p.hidden]
        missing |= {text for text in texts if text and not labels.translated("es", text)}
    assert missing == set()
    assert labels.schema_label("es", "Firearm") == "Arma de fuego"
    assert labels.prop_label("es", "Person", "birthDate") == "Fecha de nacimiento"
    assert labels.caption("es", "Identification", "Identification") == "Identificación"
    assert labels.caption("es", "Person", "Identification") == "Identification"  # a name stays a name


def test_every_comparison_and_level_of_the_resolution_models_is_in_words():
    import json

    from binational.resolution import splink_model

    folder = Path(splink_model.__file__).parent / "settings"
    for path in folder.glob("*.json"):
        for comparison in json.loads(path.read_text(encoding="utf-8"))["splink"]["comparisons"]:
            name = comparison["output_column_name"]
            for lang in i18n.LANGUAGES:
                assert i18n.evidence(lang, name).lang == lang, (path.name, name)
                for level in comparison["comparison_levels"]:
                    said = i18n.evidence(lang, name, level.get("label_for_charts", ""))
                    assert said.lang == lang, (path.name, name, level.get("label_for_charts"))
    assert i18n.driver("es", "curp: same CURP") == ("CURP: misma CURP", "es")
    assert i18n.driver("es", "curp: a label no model has") == ("CURP: a label no model has", "en")


def test_notes_of_services_are_said_with_counts_in_the_language():
    assert i18n.note("es", "1 records of 2 agencies; 1 suggestions") == ("1 registro de 2 agencias; 1 sugerencia", "es")
    assert i18n.note("en", "1 records of 2 agencies; 1 suggestions").text == "1 record of 2 agencies; 1 suggestion"
    assert i18n.note("es", "something new") == ("something new", "en")
    assert i18n.translate("es", "count.records", count=1_000_000) == "1000000 registros"  # no `many` form needed
