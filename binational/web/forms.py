"""Entity forms driven by the FollowTheMoney schema: which fields a schema has, and reading them back."""

from __future__ import annotations

from dataclasses import dataclass

from followthemoney.schema import Schema
from starlette.datastructures import FormData

from binational.vocabulary import labels, model

#: property types edited as a date input or as the id of another entity
DATE_TYPES = frozenset({"date"})
PREFIX = "p."


@dataclass(frozen=True)
class Field:
    """One property of a schema as a form field."""

    name: str
    label: str
    type: str
    description: str
    featured: bool
    type_label: str = ""


def schema_choices(lang: str) -> list[tuple[str, str]]:
    """(name, label in `lang`) of every schema an entity can have, by label."""
    return sorted(
        ((s.name, labels.schema_label(lang, s)) for s in model.schemata.values() if not s.abstract and not s.hidden),
        key=lambda pair: pair[1].lower(),
    )


def get_schema(name: str | None) -> Schema | None:
    """The concrete schema called `name`, or None."""
    schema = model.get(name) if name else None
    return schema if schema is not None and not schema.abstract else None


def fields(schema: Schema, lang: str) -> list[Field]:
    """The editable properties of a schema, labelled in `lang`: featured and required ones first, then by label."""
    featured = set(schema.featured) | set(schema.required) | set(schema.caption)
    out = []
    for prop in schema.properties.values():
        if prop.stub or prop.hidden:
            continue
        out.append(Field(prop.name, labels.property_label(lang, prop), prop.type.name,
                         labels.property_description(lang, prop), prop.name in featured,
                         labels.type_label(lang, prop)))
    return sorted(out, key=lambda f: (not f.featured, f.label.lower()))


def read_properties(schema: Schema, form: FormData) -> dict[str, list[str]]:
    """The values typed into the form: one value per line of each property's field."""
    properties: dict[str, list[str]] = {}
    for key, raw in form.multi_items():
        if not key.startswith(PREFIX) or not isinstance(raw, str):
            continue
        name = key[len(PREFIX):]
        if schema.get(name) is None:
            continue
        values = [line.strip() for line in raw.splitlines() if line.strip()]
        if values:
            properties.setdefault(name, []).extend(values)
    return properties


def as_text(properties: dict[str, list[str]]) -> dict[str, str]:
    """Values per property as the text of its field (one per line)."""
    return {name: "\n".join(values) for name, values in properties.items()}
