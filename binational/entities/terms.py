"""Normalised search terms: name words and compact identifiers, matched by prefix."""

from __future__ import annotations

import re

from normality import normalize
from sqlalchemy import ColumnElement, SQLColumnExpression, and_

SEARCHABLE_TYPES = frozenset({"name", "identifier", "phone", "email", "checksum"})
_COMPACT = re.compile(r"[^a-z0-9]")


def words(text: str) -> list[str]:
    """Lower-case, accent-free words of a text (José María -> jose, maria)."""
    norm = normalize(text, lowercase=True, ascii=True) or ""
    return [w for w in norm.split() if w]


def compact(text: str) -> str:
    """An identifier without case, accents, spaces or punctuation (AB-12 34 -> ab1234)."""
    return _COMPACT.sub("", normalize(text, lowercase=True, ascii=True) or "")


def terms_of(prop_type: str, value: str) -> list[str]:
    """The terms a value is found by."""
    if prop_type not in SEARCHABLE_TYPES:
        return []
    terms = set(words(value)) if prop_type == "name" else set()
    key = compact(value)
    if key:
        terms.add(key)
    return sorted(t[:200] for t in terms)


def query_terms(q: str) -> tuple[list[str], str]:
    """The words of a search and its compact form (either may match)."""
    return words(q)[:8], compact(q)


def prefix_match(column: SQLColumnExpression[str], prefix: str, dialect: str) -> ColumnElement[bool]:
    """`column` starts with `prefix` (a non-empty term), in the form each database can index."""
    if dialect == "postgresql":
        # Under row-level security PostgreSQL applies only leakproof operators through an index
        # before the policy; LIKE is not leakproof, the text_pattern_ops range operators are.
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return and_(column.op("~>=~")(prefix), column.op("~<~")(upper))
    return column.startswith(prefix, autoescape=True)
