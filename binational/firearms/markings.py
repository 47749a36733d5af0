"""Markings as officers write them: makers, calibres and weapon types put in one spelling, serials
checked and keyed. An unknown maker or calibre is kept as given and flagged, never refused."""

from __future__ import annotations

import re
import unicodedata

from binational.firearms import serials

#: weapon types of Form 3312.1 item 5d that a record or a trace may name
TYPES = ("pistol", "revolver", "rifle", "shotgun", "machine gun", "receiver")
HANDGUNS = frozenset({"pistol", "revolver"})


def maker(text: str) -> tuple[str, bool]:
    """The maker's one spelling (as the ranker compares it) and whether it is a known maker."""
    return serials.normalise_make(text), serials.known_make(text)


def caliber(text: str) -> tuple[str, bool]:
    """The calibre's one spelling and whether it is a known calibre."""
    return serials.normalise_calibre(text), serials.known_calibre(text)


def weapon_type(text: str) -> str | None:
    """The Form 3312.1 weapon type of a word an officer wrote, or None when it is not one."""
    kind = serials.normalise_type(text).lower()
    return kind if kind in TYPES else None


def flags(make: str, calibre: str) -> str:
    """The flags of unknown values, comma-separated: `unknown_make`, `unknown_caliber`."""
    found = []
    if make and not serials.known_make(make):
        found.append("unknown_make")
    if calibre and not serials.known_calibre(calibre):
        found.append("unknown_caliber")
    return ",".join(found)


_RECORD_SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9 \-]{0,47}")
_READ_SERIAL = re.compile(r"[A-Za-z0-9?][A-Za-z0-9? \-]{0,47}")


def serial_problem(serial: str, *, as_read: bool) -> str | None:
    """Why a serial cannot be taken (None when it can): letters, digits, spaces and dashes only, and
    `?` for an unreadable character in a serial as read on a recovered firearm."""
    pattern = _READ_SERIAL if as_read else _RECORD_SERIAL
    if not serial.strip():
        return "the serial is empty"
    if not pattern.fullmatch(serial.strip()):
        allowed = "letters, digits, spaces, dashes and ? for an unreadable character" if as_read \
            else "letters, digits, spaces and dashes"
        return f"the serial {serial!r} has characters outside {allowed}"
    return None


def serial_key(serial: str) -> str:
    """The serial as it is compared: upper case, without spaces and dashes."""
    return serials.normalise_serial(serial)


def person_key(name: str) -> str:
    """A name as purchasers are compared across records: upper case, accent-free, one space."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return " ".join(plain.upper().replace(",", " ").split())
