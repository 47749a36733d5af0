"""Labels of schemata and properties in a language: FollowTheMoney's own gettext catalogues, then ours.

FtM translates its labels through one thread-wide locale (`followthemoney.util.set_model_locale`),
which a server answering English and Spanish visitors at once cannot share; this module reads the
same catalogues per language instead. Our overlay schemata (the YAML files beside this one) and the
stock labels FtM's catalogue leaves untranslated take their words from `translations/<lang>.json`,
keyed by the English text as gettext is.
"""

from __future__ import annotations

import gettext
import json
from functools import lru_cache
from pathlib import Path

from followthemoney.property import Property
from followthemoney.schema import Schema
from followthemoney.util import i18n_path

from binational.vocabulary import model

CATALOGS = Path(__file__).parent / "translations"


@lru_cache
def _stock(lang: str) -> gettext.NullTranslations:
    return gettext.translation("followthemoney", i18n_path, [lang], fallback=True)


@lru_cache
def catalog(lang: str) -> dict[str, str]:
    """Our own translations of vocabulary labels into `lang` (English text -> text), empty if none."""
    path = CATALOGS / f"{lang}.json"
    if not path.exists():
        return {}
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


def translated(lang: str, text: str | None) -> bool:
    """Whether a catalogue (ours or FtM's) has words for `text` in `lang` (English always has)."""
    if lang == "en" or not text or not text.strip():
        return True
    stock = getattr(_stock(lang), "_catalog", {})
    return bool(catalog(lang).get(text.strip()) or stock.get(text))


def term(lang: str, text: str | None) -> str:
    """One label of the model in `lang`: ours first, then FtM's, else the English text itself."""
    if not text or not text.strip():
        return ""
    ours = catalog(lang).get(text.strip())
    if ours:
        return ours
    # FtM's message ids keep the YAML's trailing newline of folded descriptions
    return (_stock(lang).gettext(text) if lang != "en" else text).strip()


# The English texts behind FtM's translated properties are private attributes (`_label` ...): the
# public ones are already translated into the thread's locale.
def schema_label(lang: str, schema: Schema | str, *, plural: bool = False) -> str:
    """The label (or plural) of a schema by object or name; an unknown name is returned as it is."""
    found = model.get(schema) if isinstance(schema, str) else schema
    if found is None:
        return str(schema)
    return term(lang, found._plural if plural else found._label) or found.name


def schema_description(lang: str, schema: Schema) -> str:
    """A schema's description in `lang`."""
    return term(lang, schema._description)


def property_label(lang: str, prop: Property) -> str:
    """A property's label in `lang`."""
    return term(lang, prop._label) or prop.name


def property_description(lang: str, prop: Property) -> str:
    """A property's description in `lang`; empty when no catalogue translates it (it is only a hint)."""
    return term(lang, prop._description) if translated(lang, prop._description) else ""


def type_label(lang: str, prop: Property) -> str:
    """The label of a property's type (Name, Date, Country ...) in `lang`."""
    return term(lang, prop.type.label) or prop.type.name


def prop_label(lang: str, schema: Schema | str, name: str) -> str:
    """The label of property `name` of a schema (by object or name); the name itself when unknown."""
    found = model.get(schema) if isinstance(schema, str) else schema
    prop = found.get(name) if found is not None else None
    return property_label(lang, prop) if prop is not None else name


def edge_label(lang: str, schema: Schema | str) -> str:
    """The label of an edge schema's tie (Membership: "Member of"), else the schema's label."""
    found = model.get(schema) if isinstance(schema, str) else schema
    if found is None:
        return str(schema)
    return term(lang, found._edge_label) or schema_label(lang, found)


def caption(lang: str, schema: str, text: str) -> str:
    """An entity's caption in `lang`: FtM falls back to the schema's English label when an entity has
    no name, and that label is translated like any other."""
    found = model.get(schema)
    if found is not None and text == found._label:
        return schema_label(lang, found)
    return text
