"""Markings as officers write them: makers, calibres and weapon types put in one spelling, serials
checked and keyed. An unknown maker or calibre is kept as given and flagged, never refused."""

from __future__ import annotations

import re
import unicodedata

#: one spelling of each maker the tracing centre knows, and the ways officers write it
MAKERS: dict[str, tuple[str, ...]] = {
    "BARRETT": ("BARRETT", "BARRETT FIREARMS"),
    "BERETTA": ("BERETTA", "PIETRO BERETTA", "BERETTA USA"),
    "BROWNING": ("BROWNING", "FN BROWNING"),
    "BUSHMASTER": ("BUSHMASTER",),
    "CENTURY ARMS": ("CENTURY ARMS", "CENTURY", "CENTURY INTERNATIONAL ARMS", "CAI"),
    "COLT": ("COLT", "COLTS", "COLT'S MFG", "COLT MFG", "COLTS MANUFACTURING"),
    "DPMS": ("DPMS", "DPMS PANTHER ARMS"),
    "FN HERSTAL": ("FN HERSTAL", "FN", "FNH", "FN AMERICA", "FABRIQUE NATIONALE"),
    "GLOCK": ("GLOCK", "GLOCK GMBH", "GLOCK INC"),
    "HECKLER & KOCH": ("HECKLER & KOCH", "HECKLER AND KOCH", "H&K", "HK"),
    "MOSSBERG": ("MOSSBERG", "O.F. MOSSBERG", "OF MOSSBERG"),
    "NORINCO": ("NORINCO",),
    "PALMETTO STATE ARMORY": ("PALMETTO STATE ARMORY", "PSA", "PALMETTO"),
    "REMINGTON": ("REMINGTON", "REMINGTON ARMS"),
    "RUGER": ("RUGER", "STURM RUGER", "STURM, RUGER", "STURM RUGER & CO"),
    "SIG SAUER": ("SIG SAUER", "SIG", "SIGSAUER", "SIG-SAUER"),
    "SMITH & WESSON": ("SMITH & WESSON", "SMITH AND WESSON", "S&W", "SMITH WESSON"),
    "SPRINGFIELD ARMORY": ("SPRINGFIELD ARMORY", "SPRINGFIELD"),
    "TAURUS": ("TAURUS", "FORJAS TAURUS"),
    "ZASTAVA": ("ZASTAVA", "ZASTAVA ARMS"),
}
#: one spelling of each calibre, and its aliases (metric and imperial names of one cartridge)
CALIBERS: dict[str, tuple[str, ...]] = {
    "9MM": ("9MM", "9", "9X19", "9X19MM", "9MM LUGER", "9MM PARABELLUM", "9 MM"),
    ".38 SUPER": (".38 SUPER", "38 SUPER", ".38 SUPER AUTO"),
    ".38 SPECIAL": (".38 SPECIAL", "38 SPL", ".38 SPL", "38 SPECIAL", ".38"),
    ".380": (".380", "380", ".380 ACP", "380 ACP", "9X17"),
    ".40 S&W": (".40 S&W", ".40", "40 S&W", "40", "10X22"),
    ".45 ACP": (".45 ACP", ".45", "45 ACP", "45", "45 AUTO"),
    ".22 LR": (".22 LR", ".22", "22 LR", "22"),
    "5.56X45MM": ("5.56X45MM", "5.56", "5.56MM", "5.56 NATO", ".223", "223", ".223 REM", "5.56X45"),
    "7.62X39MM": ("7.62X39MM", "7.62X39", "7.62", "7.62MM"),
    "7.62X51MM": ("7.62X51MM", "7.62X51", ".308", "308", ".308 WIN"),
    "5.7X28MM": ("5.7X28MM", "5.7X28", "5.7", "5.7MM"),
    ".50 BMG": (".50 BMG", ".50", "50 BMG", "12.7X99"),
    "12 GAUGE": ("12 GAUGE", "12GA", "12 GA", "12"),
}
#: weapon types of Form 3312.1 item 5d and the words officers use for them (English and Spanish)
TYPES: dict[str, tuple[str, ...]] = {
    "pistol": ("PISTOL", "PISTOLA", "HANDGUN"),
    "revolver": ("REVOLVER",),
    "rifle": ("RIFLE", "FUSIL", "CARBINE", "CARABINA", "RIFLE SEMIAUTOMATICO"),
    "shotgun": ("SHOTGUN", "ESCOPETA"),
    "machine gun": ("MACHINE GUN", "AMETRALLADORA", "SUBMACHINE GUN", "SUBAMETRALLADORA"),
}
HANDGUNS = frozenset({"pistol", "revolver"})


def _upper(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(plain.upper().replace(",", " ").split())


def _lookup(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_upper(alias): name for name, aliases in table.items() for alias in aliases}


_MAKERS, _CALIBERS, _TYPES = _lookup(MAKERS), _lookup(CALIBERS), _lookup(TYPES)


def maker(text: str) -> tuple[str, bool]:
    """The maker's one spelling and whether it is known (an unknown one is kept, upper-cased)."""
    key = _upper(text)
    known = _MAKERS.get(key) or _MAKERS.get(key.removesuffix(" INC").removesuffix(" USA"))
    return (known, True) if known else (key, False)


def caliber(text: str) -> tuple[str, bool]:
    """The calibre's one spelling and whether it is known (an unknown one is kept, upper-cased)."""
    key = _upper(text).replace(" X ", "X").replace("MM ", "MM")
    known = _CALIBERS.get(key)
    return (known, True) if known else (key, False)


def weapon_type(text: str) -> str | None:
    """The Form 3312.1 weapon type of a word an officer wrote, or None when it is not one."""
    return _TYPES.get(_upper(text))


def flags(make: str, calibre: str) -> str:
    """The flags of unknown values, comma-separated: `unknown_make`, `unknown_caliber`."""
    found = []
    if make and not maker(make)[1]:
        found.append("unknown_make")
    if calibre and not caliber(calibre)[1]:
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
    return re.sub(r"[\s\-]", "", serial.upper())


def person_key(name: str) -> str:
    """A name as purchasers are compared across records: upper case, accent-free, one space."""
    return _upper(name)
