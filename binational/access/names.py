"""The spelling of the names principals are known by: agency codes and usernames.

Both are ASCII letters, digits, `-` and `_` only, so that no two names look alike on screen (a
Cyrillic `С` in `US-СBP`, a fullwidth `ＦＧＲ`) and none needs normalising before it is compared.
"""

from __future__ import annotations

import re

from binational.errors import InvalidInput

_NAME = re.compile(r"[A-Za-z0-9_-]+")
AGENCY_CODE_LENGTH = 32
USERNAME_LENGTH = 100


def is_name(value: object, longest: int) -> bool:
    """Whether `value` is a string of 1 to `longest` ASCII letters, digits, `-` or `_`."""
    return isinstance(value, str) and 0 < len(value) <= longest and _NAME.fullmatch(value) is not None


def agency_code(code: object, *, field: str = "code", where: str = "") -> str:
    """`code`, upper-cased, if it spells an agency code; InvalidInput naming `field` otherwise."""
    if not isinstance(code, str) or not is_name(code.strip(), AGENCY_CODE_LENGTH):
        raise InvalidInput(f"{where}invalid agency code {code!r}: use ASCII letters, digits, - and _",
                           details=[{"field": field}])
    return code.strip().upper()


def username(name: object, *, field: str = "username") -> str:
    """`name` if it spells a username; InvalidInput naming `field` otherwise."""
    if not isinstance(name, str) or not is_name(name.strip(), USERNAME_LENGTH):
        raise InvalidInput(f"invalid username {name!r}: use ASCII letters, digits, - and _",
                           details=[{"field": field}])
    return name.strip()


#: an address as mail systems take it: one @, no spaces or controls, a dot in the domain
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def email(address: object, *, field: str = "email") -> str | None:
    """`address` if it spells an e-mail address (none for empty); InvalidInput naming `field` otherwise."""
    if address is None or (isinstance(address, str) and not address.strip()):
        return None
    if not isinstance(address, str) or len(address.strip()) > 254 or not _EMAIL.fullmatch(address.strip()):
        raise InvalidInput(f"invalid e-mail address {address!r}", details=[{"field": field}])
    return address.strip()
