"""Which texts the node refuses before they reach a database: NUL characters and lone surrogates.

PostgreSQL cannot store U+0000 in a text and no UTF-8 encoder can write a lone surrogate (U+D800 to
U+DFFF, which JSON's `\\ud800` escapes and Python's decoders let through); either would fail deep
in the driver as an internal error. The request guard (`binational.input_guard`) and the importer
refuse them where they come in, naming the field.
"""

from __future__ import annotations

import re
from typing import Any

_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


def forbidden_character(value: str) -> str | None:
    """What is wrong with a text that may not be stored, or None when it may."""
    found = _FORBIDDEN.search(value)
    if found is None:
        return None
    return "contains a NUL character" if found.group() == "\x00" else "contains a lone surrogate"


def find_forbidden(data: Any, field: str = "", max_depth: int = 32) -> tuple[str, str] | None:
    """The first (field, reason) of a parsed JSON value whose text, key or nesting may not be stored.

    Walks iteratively (a deep value cannot exhaust the stack); a value nested more than `max_depth`
    levels is refused as such, with the field where it went too deep.
    """
    stack: list[tuple[Any, str, int]] = [(data, field, 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > max_depth:
            return where, f"nested more than {max_depth} levels"
        if isinstance(value, str):
            reason = forbidden_character(value)
            if reason:
                return where, reason
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{where}.{key}" if where else str(key)
                reason = forbidden_character(str(key))
                if reason:
                    return (where or "body"), f"a key {reason}"
                stack.append((item, name, depth + 1))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                stack.append((item, f"{where}.{i}" if where else str(i), depth + 1))
    return None
