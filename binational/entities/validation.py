"""Checking FollowTheMoney input against the model: schema, properties and each value's type."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from followthemoney.property import Property
from followthemoney.schema import Schema
from followthemoney.types.common import PropertyType

from binational.config import get_settings
from binational.errors import InvalidInput
from binational.text_input import forbidden_character
from binational.vocabulary import model

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,179}$")
MAX_VALUE_LENGTH = 65_536


@dataclass(frozen=True)
class CleanValue:
    """One checked value of one property."""

    prop: Property
    value: str
    original: str | None


@lru_cache(maxsize=200_000)
def _clean(kind: PropertyType, value: str) -> str | None:
    # Imports repeat the same cities, dates and countries many times; phone parsing is slow.
    return kind.clean(value)


def _bad(message: str, field: str, where: str = "") -> InvalidInput:
    detail = {"field": field}
    return InvalidInput(f"{where}{message}", details=[detail])


def check_schema(name: Any, where: str = "") -> Schema:
    """The named schema, if it exists and can hold entities."""
    schema = model.get(name) if isinstance(name, str) else None
    if schema is None:
        raise _bad(f"unknown schema {name!r}", "schema", where)
    if schema.abstract:
        raise _bad(f"schema {name!r} is abstract", "schema", where)
    return schema


def check_id(value: Any, field: str = "id", where: str = "") -> str:
    """An entity id: letters, digits and `._:-`, at most 180 characters."""
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise _bad(f"{field} {value!r} is not a valid entity id", field, where)
    return value


def check_properties(schema: Schema, properties: Any, where: str = "", *,
                     max_values: int | None = None) -> list[CleanValue]:
    """Every value cleaned by its property's FtM type; the first bad one raises InvalidInput.

    A property takes at most `max_values` values (default: the `max_values_per_property` setting),
    each at most `MAX_VALUE_LENGTH` characters, without NUL characters or lone surrogates.
    """
    if not isinstance(properties, dict):
        raise _bad("properties must be an object of lists of strings", "properties", where)
    limit = max_values if max_values is not None else get_settings().max_values_per_property
    values: list[CleanValue] = []
    for name, raw in properties.items():
        if not isinstance(name, str) or forbidden_character(name):
            raise _bad("a property name is not a valid text", "properties", where)
        prop = schema.get(name)
        if prop is None or prop.stub:
            raise _bad(f"unknown property {name!r} of {schema.name}", f"properties.{name}", where)
        items = raw if isinstance(raw, list) else [raw]
        # Before any value is cleaned: cleaning is the costly part, and one write of many thousand
        # values held a worker for more than a minute.
        if len(items) > limit:
            raise _bad(f"property {name!r} of {schema.name}: {len(items)} values, at most {limit} allowed",
                       f"properties.{name}", where)
        for item in items:
            if not isinstance(item, str) or not item.strip():
                raise _bad(f"property {name!r} of {schema.name}: {item!r} is not a non-empty string",
                           f"properties.{name}", where)
            if len(item) > MAX_VALUE_LENGTH:
                raise _bad(f"property {name!r} of {schema.name}: value is too long", f"properties.{name}", where)
            reason = forbidden_character(item)
            if reason:
                raise _bad(f"property {name!r} of {schema.name}: a value {reason}", f"properties.{name}", where)
            if prop.type.name == "entity":
                values.append(CleanValue(prop, check_id(item, f"properties.{name}", where), None))
                continue
            cleaned = _clean(prop.type, item)
            if cleaned is None:
                raise _bad(f"property {name!r} of {schema.name}: {item!r} is not a {prop.type.name}",
                           f"properties.{name}", where)
            values.append(CleanValue(prop, cleaned, item if cleaned != item else None))
    return values
