"""Firearm markings as officers write them, brought to one form: makes, models, calibres, types and
serial numbers, the characters a worn or restored serial is misread as, and makers' serial formats.

A trace request's Part V is copied by hand from a recovered gun: `Glock`, `GLOCK INC.` and `Glock
GmbH` are one maker; `9MM`, `9X19`, `9mm Luger` and `9mm Parabellum` one calibre; a serial may be
written with or without the hyphen or spaces the maker stamps. Ranking compares the normal forms.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

#: what an unreadable character is written as in a trace's serial
WILDCARD = "?"

#: characters allowed in a serial as written (spaces and hyphens are dropped when normalising)
SERIAL_ALLOWED = re.compile(r"[A-Za-z0-9 \-]*")
TRACE_SERIAL_ALLOWED = re.compile(r"[A-Za-z0-9 \-?]*")

#: groups of characters a stamped serial is misread as (worn, peened, restored by etching)
LOOKALIKES: tuple[str, ...] = ("O0", "I1L", "S5", "B8", "Z2", "G6")

#: each letter of a look-alike group to the digit of its group: the group is one class when folded
_FOLD = {"O": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2", "G": "6"}
FOLD_TABLE = str.maketrans(_FOLD)

def lookalike(a: str, b: str) -> bool:
    """Whether two different characters are a known misreading of each other."""
    return a != b and _FOLD.get(a, a) == _FOLD.get(b, b)


def fold(serial: str) -> str:
    """The serial with every look-alike replaced by its group's representative."""
    return serial.translate(FOLD_TABLE)


def bad_serial_character(raw: str, *, wildcard: bool) -> str | None:
    """The first character of `raw` outside the allowed set, or None when all are allowed."""
    pattern = TRACE_SERIAL_ALLOWED if wildcard else SERIAL_ALLOWED
    if pattern.fullmatch(raw):
        return None
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -" + ("?" if wildcard else ""))
    return next(c for c in raw if c not in allowed)


def normalise_serial(raw: str) -> str:
    """Upper case, without the spaces and hyphens makers and officers put in differently."""
    return raw.upper().replace(" ", "").replace("-", "")


def _key(text: str) -> str:
    """Upper case letters and digits only, words separated by one space."""
    return " ".join(re.sub(r"[^A-Z0-9&]+", " ", text.upper().replace("'S ", " ")).split())


# ---------------------------------------------------------------- makes

#: canonical maker → the ways its name is written (compared after `_key`)
MAKES: dict[str, tuple[str, ...]] = {
    "GLOCK": ("GLOCK", "GLOCK INC", "GLOCK GMBH", "GLOCK GES M B H", "GLK"),
    "SMITH & WESSON": ("SMITH & WESSON", "SMITH AND WESSON", "S&W", "S & W", "SMITH&WESSON", "SW", "S AND W",
                       "SMITH WESSON"),
    "RUGER": ("RUGER", "STURM RUGER", "STURM RUGER & CO", "STURM RUGER AND CO", "STURM RUGER & COMPANY",
              "STURM & RUGER"),
    "COLT": ("COLT", "COLTS", "COLT S", "COLT MFG", "COLTS MFG", "COLTS MANUFACTURING", "COLT S MFG CO",
             "COLTS MFG CO", "COLT MANUFACTURING"),
    "SIG SAUER": ("SIG SAUER", "SIG", "SIGSAUER", "SIG ARMS", "SIGARMS", "SIG SAUER INC"),
    "TAURUS": ("TAURUS", "FORJAS TAURUS", "TAURUS INTERNATIONAL", "TAURUS INTL"),
    "CENTURY ARMS": ("CENTURY ARMS", "CENTURY INTERNATIONAL ARMS", "CENTURY INTL ARMS", "CAI", "CENTURY",
                     "ROMARM", "ROMARM CUGIR", "CUGIR", "WASR"),
    "HI-POINT": ("HI POINT", "HIPOINT", "HI POINT FIREARMS", "BEEMILLER"),
    "KEL-TEC": ("KEL TEC", "KELTEC", "KEL TEC CNC", "KELTEC CNC", "KEL TEC CNC INDUSTRIES"),
    "SPRINGFIELD ARMORY": ("SPRINGFIELD ARMORY", "SPRINGFIELD", "SPRINGFIELD ARMORY INC", "HS PRODUKT"),
    "BARRETT": ("BARRETT", "BARRETT FIREARMS", "BARRETT FIREARMS MFG"),
    "FN HERSTAL": ("FN HERSTAL", "FN", "FNH", "FN AMERICA", "FNH USA", "FABRIQUE NATIONALE"),
    "BERETTA": ("BERETTA", "BERETTA USA", "PIETRO BERETTA", "P BERETTA"),
    "BUSHMASTER": ("BUSHMASTER", "BUSHMASTER FIREARMS", "BUSHMASTER FIREARMS INTERNATIONAL"),
    "MOSSBERG": ("MOSSBERG", "O F MOSSBERG", "OF MOSSBERG", "MOSSBERG & SONS", "O F MOSSBERG & SONS"),
    "REMINGTON": ("REMINGTON", "REMINGTON ARMS", "REMINGTON ARMS CO"),
    "PALMETTO STATE ARMORY": ("PALMETTO STATE ARMORY", "PSA", "PALMETTO"),
    "DPMS": ("DPMS", "DPMS PANTHER ARMS", "PANTHER ARMS"),
}
_MAKE_INDEX = {_key(alias): make for make, aliases in MAKES.items() for alias in aliases + (make,)}


def normalise_make(raw: str) -> str:
    """The canonical maker for a name as written; an unknown name is kept (upper case, one space)."""
    key = _key(raw)
    return _MAKE_INDEX.get(key, key)


def known_make(raw: str) -> bool:
    """Whether the name is one of the makers this module knows."""
    return _key(raw) in _MAKE_INDEX


# ---------------------------------------------------------------- calibres

#: canonical calibre → the ways it is written (compared after `_calibre_key`)
CALIBRES: dict[str, tuple[str, ...]] = {
    "9MM": ("9MM", "9", "9X19", "9X19MM", "9MM LUGER", "9MM PARA", "9MM PARABELLUM", "9 LUGER", "9MMP", "9 PARA",
            "9MM NATO", "9X19 PARABELLUM"),
    "380 ACP": (".380", "380", "380 ACP", "380 AUTO", "9MM KURZ", "9X17", "9MM SHORT", "9MM BROWNING"),
    "40 S&W": (".40", "40", "40 S&W", "40SW", "40 SW", "40 CAL", "10X22"),
    "45 ACP": (".45", "45", "45 ACP", "45 AUTO", "45ACP", "45 CAL", "11.43X23"),
    "38 SPECIAL": (".38", "38", "38 SPL", "38 SPECIAL", "38SPL", "38 SPEC", "38 S&W SPECIAL"),
    "38 SUPER": ("38 SUPER", "38 SUPER AUTO", ".38 SUPER", "38SUPER"),
    "357 MAGNUM": (".357", "357", "357 MAG", "357 MAGNUM", "357MAG"),
    "22 LR": (".22", "22", "22 LR", "22LR", "22 LONG RIFLE", "22 L R", ".22LR"),
    "5.56X45": ("5.56", "5.56X45", "5.56 NATO", "5.56X45MM", "556", ".223", "223", "223 REM", "223 REMINGTON",
                "5.56MM", "223 5.56", "5.56 223"),
    "7.62X39": ("7.62X39", "7.62 X 39", "762X39", "7.62X39MM", "7.62 SOVIET", "7.62"),
    "7.62X51": ("7.62X51", ".308", "308", "308 WIN", "308 WINCHESTER", "7.62 NATO", "7.62X51MM"),
    "50 BMG": (".50", "50", "50 BMG", ".50 BMG", "12.7X99", "50 CAL"),
    "5.7X28": ("5.7", "5.7X28", "5.7X28MM", "5.7 X 28"),
    "12 GAUGE": ("12", "12GA", "12 GA", "12 GAUGE", "12G", "12 CAL"),
    "10MM": ("10MM", "10MM AUTO", "10 MM"),
    "300 BLACKOUT": ("300 BLK", "300 BLACKOUT", "300 AAC", "300BLK", "7.62X35"),
}


def _calibre_key(text: str) -> str:
    text = text.upper().replace(",", ".").replace("CALIBER", "").replace("CALIBRE", "").replace("CAL.", "CAL")
    text = re.sub(r"(\d)\s*X\s*(\d)", r"\1X\2", text)
    text = re.sub(r"(\d)\s+MM\b", r"\1MM", text)
    text = re.sub(r"[^A-Z0-9.&X]+", " ", text)
    return " ".join(text.split()).lstrip(".")


_CALIBRE_INDEX = {_calibre_key(alias): calibre for calibre, aliases in CALIBRES.items()
                  for alias in aliases + (calibre,)}


def normalise_calibre(raw: str) -> str:
    """The canonical calibre for a calibre as written; an unknown one is kept (upper case)."""
    key = _calibre_key(raw)
    return _CALIBRE_INDEX.get(key, key)


def known_calibre(raw: str) -> bool:
    """Whether the calibre is one this module knows."""
    return _calibre_key(raw) in _CALIBRE_INDEX


# ---------------------------------------------------------------- types

#: canonical weapon type (ATF Form 3312.1 item 5d) → the ways it is written
TYPES: dict[str, tuple[str, ...]] = {
    "PISTOL": ("PISTOL", "P", "PIST", "SEMI AUTOMATIC PISTOL", "SEMIAUTOMATIC PISTOL", "SEMI AUTO PISTOL", "PISTOLA",
               "HANDGUN", "AUTOMATIC PISTOL"),
    "REVOLVER": ("REVOLVER", "R", "REV", "REVOLVER PISTOL"),
    "RIFLE": ("RIFLE", "RI", "RFL", "SEMI AUTOMATIC RIFLE", "SEMIAUTOMATIC RIFLE", "SEMI AUTO RIFLE", "RIFLE SEMI",
              "FUSIL", "RIFLE SEMI AUTOMATIC", "ASSAULT RIFLE"),
    "SHOTGUN": ("SHOTGUN", "S", "SG", "ESCOPETA", "SHOT GUN", "PUMP SHOTGUN"),
    "MACHINE GUN": ("MACHINE GUN", "MG", "AMETRALLADORA", "MACHINEGUN"),
    "RECEIVER": ("RECEIVER", "FRAME", "RECEIVER FRAME", "LOWER", "LOWER RECEIVER"),
}
_TYPE_INDEX = {_key(alias): kind for kind, aliases in TYPES.items() for alias in aliases + (kind,)}


def normalise_type(raw: str) -> str:
    """The canonical weapon type as written; an unknown one is kept (upper case)."""
    key = _key(raw.replace("-", " "))
    return _TYPE_INDEX.get(key, key)


# ---------------------------------------------------------------- models

@functools.lru_cache(maxsize=65536)
def normalise_model(raw: str, make: str = "") -> str:
    """Letters and digits only, the maker's name dropped from its front (`Glock 19` → `19`, `G19` kept)."""
    key = _key(raw)
    for alias in sorted((a for a, m in _MAKE_INDEX.items() if m == make), key=len, reverse=True):
        if key.startswith(alias + " "):
            key = key[len(alias) + 1:]
            break
    return key.replace(" ", "").replace("&", "")


def models_agree(a: str, b: str) -> bool:
    """Whether two normalised models name one model: equal, or equal once a letter prefix is dropped
    (`G19` and `19`, `MP15` and `M&P15`)."""
    if not a or not b:
        return False
    if a == b:
        return True
    return a.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == b.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" and (
        a.endswith(b) or b.endswith(a))


# ---------------------------------------------------------------- serial formats

#: makers' serial formats, normalised (no hyphens or spaces): `@` a letter, `#` a digit, anything
#: else that character literally. A maker numbers several product lines differently.
FORMATS: dict[str, tuple[str, ...]] = {
    "GLOCK": ("@@@###", "@@@@###"),                     # BKLM123; older US guns AB123US are not generated
    "SMITH & WESSON": ("@@@####", "@######"),            # M&P: DVH1234; older revolvers: K123456
    "RUGER": ("########",),                             # 3 digits, hyphen, 5 digits: 123-45678
    "COLT": ("LE######", "@######"),                     # AR-15 LE6920: LE123456
    "SIG SAUER": ("##@######", "@@@######"),              # P320/P365: 58A123456, 66A123456
    "TAURUS": ("@@@######", "@@@#####"),                 # ABC123456
    "CENTURY ARMS": ("####@@####", "@@####"),             # WASR-10: 1975AB1234 (year, letters, number)
    "HI-POINT": ("P#######", "@######"),                 # P1234567
    "KEL-TEC": ("@@@##", "@@@@##"),                      # ABC12
    "SPRINGFIELD ARMORY": ("@@######",),                 # XD: BY123456
    "BARRETT": ("#####", "AA#####"),                     # 12345
    "FN HERSTAL": ("386######", "FN######"),              # Five-seveN: 386123456
    "BERETTA": ("BER######", "@#####@"),                 # 92FS: BER123456
    "BUSHMASTER": ("L######", "BFI#####"),                # L123456
    "MOSSBERG": ("V#######", "@@######"),                # V1234567
    "REMINGTON": ("@@#####@", "RM#####@"),                # AB12345M
    "PALMETTO STATE ARMORY": ("SCD######", "@@######"),   # SCD123456
    "DPMS": ("FH######", "@@######"),                    # FH123456
}


@dataclass(frozen=True, slots=True)
class Position:
    """What a maker stamps at one position of its serials of one length."""

    digit: bool
    letter: bool
    literal: str = ""        # the one character a format fixes there, if every format of the length does


def format_positions(make: str, length: int) -> tuple[Position, ...] | None:
    """Per position, whether the maker's formats of this length allow a digit or letter there; None
    when no format of the maker has this length (or the maker is unknown)."""
    fits = [f for f in FORMATS.get(make, ()) if len(f) == length]
    if not fits:
        return None
    out = []
    for i in range(length):
        chars = {f[i] for f in fits}
        digit = "#" in chars or any(c.isdigit() for c in chars)
        letter = "@" in chars or any(c.isalpha() for c in chars)
        literal = chars.pop() if len(chars) == 1 and not chars & {"#", "@"} else ""
        out.append(Position(digit, letter, literal))
    return tuple(out)
