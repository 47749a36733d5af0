"""Identifier formats of the US–Mexico border, with their real check digits.

Every number the scenario writes comes from here: CURP (with RENAPO's check digit, state codes,
internal-consonant and inconvenient-word rules), INE clave de elector, Mexican and US passports,
US driver's licences of the border states, VINs (ISO 3779 check digit at position 9), licence
plates of both countries and E.164 phone numbers with real border area codes.
"""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import date

# --- CURP -------------------------------------------------------------------------------------

#: RENAPO state codes (two letters) of the CURP; "NE" is "nacido en el extranjero".
CURP_STATES: dict[str, str] = {
    "Aguascalientes": "AS",
    "Baja California": "BC",
    "Baja California Sur": "BS",
    "Campeche": "CC",
    "Coahuila": "CL",
    "Colima": "CM",
    "Chiapas": "CS",
    "Chihuahua": "CH",
    "Ciudad de México": "DF",
    "Durango": "DG",
    "Guanajuato": "GT",
    "Guerrero": "GR",
    "Hidalgo": "HG",
    "Jalisco": "JC",
    "Estado de México": "MC",
    "Michoacán": "MN",
    "Morelos": "MS",
    "Nayarit": "NT",
    "Nuevo León": "NL",
    "Oaxaca": "OC",
    "Puebla": "PL",
    "Querétaro": "QT",
    "Quintana Roo": "QR",
    "San Luis Potosí": "SP",
    "Sinaloa": "SL",
    "Sonora": "SR",
    "Tabasco": "TC",
    "Tamaulipas": "TS",
    "Tlaxcala": "TL",
    "Veracruz": "VZ",
    "Yucatán": "YN",
    "Zacatecas": "ZS",
    "Extranjero": "NE",
}
#: INE numbers the states 01..32 in alphabetical order of their official names.
INE_STATE_NUMBERS: dict[str, int] = {
    name: i + 1 for i, name in enumerate(sorted(n for n in CURP_STATES if n != "Extranjero"))
}

_CURP_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ"
_CURP_RE = re.compile(r"^[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{2}[B-DF-HJ-NP-TV-Z]{3}[0-9A-Z]\d$")
_PARTICLES = {
    "DA",
    "DAS",
    "DE",
    "DEL",
    "DER",
    "DI",
    "DIE",
    "DD",
    "EL",
    "LA",
    "LOS",
    "LAS",
    "LE",
    "LES",
    "MAC",
    "MC",
    "VAN",
    "VON",
    "Y",
}
_SKIPPED_GIVEN = {"JOSE", "J", "J.", "MARIA", "MA", "MA.", "M", "M."}
_VOWELS = "AEIOU"
#: RENAPO's "palabras inconvenientes": the second letter becomes X.
INCONVENIENT_WORDS = frozenset(
    [
        "BACA",
        "BAKA",
        "BUEI",
        "BUEY",
        "CACA",
        "CACO",
        "CAGA",
        "CAGO",
        "CAKA",
        "CAKO",
        "COGE",
        "COGI",
        "COJA",
        "COJE",
        "COJI",
        "COJO",
        "COLA",
        "CULO",
        "FALO",
        "FETO",
        "GETA",
        "GUEI",
        "GUEY",
        "JETA",
        "JOTO",
        "KACA",
        "KACO",
        "KAGA",
        "KAGO",
        "KAKA",
        "KAKO",
        "KOGE",
        "KOGI",
        "KOJA",
        "KOJE",
        "KOJI",
        "KOJO",
        "KOLA",
        "KULO",
        "LILO",
        "LOCA",
        "LOCO",
        "LOKA",
        "LOKO",
        "MAME",
        "MAMO",
        "MEAR",
        "MEAS",
        "MEON",
        "MIAR",
        "MION",
        "MOCO",
        "MOKO",
        "MULA",
        "MULO",
        "NACA",
        "NACO",
        "PEDA",
        "PEDO",
        "PENE",
        "PIPI",
        "PITO",
        "POPO",
        "PUTA",
        "PUTO",
        "QULO",
        "RATA",
        "ROBA",
        "ROBE",
        "ROBO",
        "RUIN",
        "SENO",
        "TETA",
        "VACA",
        "VAGA",
        "VAGO",
        "VAKA",
        "VUEI",
        "VUEY",
        "WUEI",
        "WUEY",
    ]
)


def strip_accents(text: str) -> str:
    """'Quiñones Güero' -> 'Quinones Guero' (Ñ becomes N here; CURP code uses X for Ñ itself)."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def _curp_word(text: str, given: bool = False) -> str:
    """The word of a name part that CURP uses: particles dropped, José/María skipped if compound."""
    upper = text.upper().replace("Ñ", "&")
    words = [w for w in strip_accents(upper).replace("-", " ").split() if w not in _PARTICLES]
    if given and len(words) > 1 and words[0] in _SKIPPED_GIVEN:
        words = words[1:]
    word = words[0] if words else "X"
    return word


def _first_internal(word: str, vowels: bool) -> str:
    for ch in word[1:]:
        if ch == "&":
            if not vowels:
                return "X"
            continue
        if (ch in _VOWELS) == vowels and ch.isalpha():
            return ch
    return "X"


def curp_check_digit(first17: str) -> str:
    """RENAPO's check digit over the first 17 characters of a CURP."""
    if len(first17) != 17:
        raise ValueError("a CURP check digit needs exactly 17 characters")
    total = sum(_CURP_ALPHABET.index(c) * (18 - i) for i, c in enumerate(first17.upper()))
    return str((10 - total % 10) % 10)


def make_curp(
    paterno: str, materno: str | None, given: str, birth: date, sex: str, state: str, differentiator: str
) -> str:
    """Build a CURP from name, birth date, sex ('H'/'M'), state name and the homonym digit."""
    p, g = _curp_word(paterno), _curp_word(given, given=True)
    m = _curp_word(materno) if materno else "X"
    p1 = "X" if p[0] == "&" else p[0]
    head = (
        p1 + _first_internal(p, vowels=True) + ("X" if m[0] == "&" else m[0]) + ("X" if g[0] == "&" else g[0])
    )
    if head in INCONVENIENT_WORDS:
        head = head[0] + "X" + head[2:]
    consonants = "".join(_first_internal(w, vowels=False) for w in (p, m, g))
    first17 = f"{head}{birth:%y%m%d}{sex}{CURP_STATES[state]}{consonants}{differentiator}"
    return first17 + curp_check_digit(first17)


def curp_differentiator(rng: random.Random, birth: date) -> str:
    """Position 17: a digit for births before 2000, a letter from 2000 on."""
    return rng.choice("0123456789") if birth.year < 2000 else rng.choice("ABCDEFGHIJKLMNPQRSTUVWXYZ")


def is_valid_curp(curp: str) -> bool:
    if not _CURP_RE.match(curp or "") or curp[:4] in INCONVENIENT_WORDS:
        return False
    if curp[11:13] not in set(CURP_STATES.values()):
        return False
    try:
        date(int(curp[4:6]) + (2000 if curp[16].isalpha() else 1900), int(curp[6:8]), int(curp[8:10]))
    except ValueError:
        return False
    return curp_check_digit(curp[:17]) == curp[17]


# --- INE clave de elector -----------------------------------------------------------------------


def _consonant_pair(word: str) -> str:
    return word[0].replace("&", "X") + _first_internal(word, vowels=False)


def make_ine_clave(
    rng: random.Random, paterno: str, materno: str | None, given: str, birth: date, sex: str, state: str
) -> str:
    """18 chars: 6 name letters, YYMMDD, state number (01-32), sex, 3-digit homoclave."""
    m = _curp_word(materno) if materno else "XX"
    letters = _consonant_pair(_curp_word(paterno)) + (_consonant_pair(m) if materno else "XX")
    letters += _consonant_pair(_curp_word(given, given=True))
    number = INE_STATE_NUMBERS.get(state, 9)
    return f"{letters}{birth:%y%m%d}{number:02d}{sex}{rng.randint(0, 999):03d}"


# --- passports and driver's licences ----------------------------------------------------------------


def make_mx_passport(rng: random.Random) -> str:
    return rng.choice("GGGN") + f"{rng.randint(0, 99_999_999):08d}"


def make_us_passport(rng: random.Random) -> str:
    return f"{rng.randint(100_000_000, 999_999_999)}"


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def make_us_driver_licence(rng: random.Random, state: str) -> str:
    """TX 8 digits, CA letter+7 digits, AZ letter+8 digits, NM 9 digits."""
    if state == "Texas":
        return f"{rng.randint(10_000_000, 49_999_999)}"
    if state == "California":
        return rng.choice(_LETTERS) + f"{rng.randint(0, 9_999_999):07d}"
    if state == "Arizona":
        return rng.choice("ABDY") + f"{rng.randint(0, 99_999_999):08d}"
    if state == "New Mexico":
        return f"{rng.randint(0, 999_999_999):09d}"
    raise ValueError(f"no driver's licence format for {state!r}")


# --- VIN (ISO 3779 / 49 CFR 565) --------------------------------------------------------------------

_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
_VIN_YEARS = "ABCDEFGHJKLMNPRSTVWXY123456789"  # 1980 (A) .. 2009 (9), then A again from 2010
_VIN_RE = re.compile(r"^[0-9A-HJ-NPR-Z]{17}$")

#: (make, model, body, WMI) — WMIs are real world manufacturer identifiers (some Mexican plants).
VEHICLE_MODELS: tuple[tuple[str, str, str, str], ...] = (
    ("Ford", "F-150", "pickup", "1FT"),
    ("Chevrolet", "Silverado", "pickup", "3GC"),
    ("Nissan", "Sentra", "sedan", "3N1"),
    ("Nissan", "NP300", "pickup", "3N6"),
    ("Volkswagen", "Jetta", "sedan", "3VW"),
    ("Toyota", "Tacoma", "pickup", "3TM"),
    ("Honda", "Civic", "sedan", "2HG"),
    ("Dodge", "Ram 2500", "pickup", "3C6"),
    ("Jeep", "Grand Cherokee", "SUV", "1C4"),
    ("Freightliner", "Cascadia", "tractor", "1FU"),
    ("Kenworth", "T680", "tractor", "1XK"),
    ("Chevrolet", "Tahoe", "SUV", "1GN"),
)


def vin_check_digit(vin: str) -> str:
    """The check digit (position 9) of a 17-character VIN; position 9 itself is ignored."""
    if len(vin) != 17:
        raise ValueError("a VIN has 17 characters")
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin.upper(), _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def is_valid_vin(vin: str) -> bool:
    return bool(_VIN_RE.match(vin or "")) and vin_check_digit(vin) == vin[8]


def make_vin(rng: random.Random, wmi: str, year: int) -> str:
    vds = "".join(rng.choice(_VIN_CHARS) for _ in range(5))
    plant = rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ")
    serial = f"{rng.randint(0, 999_999):06d}"
    partial = f"{wmi}{vds}0{_VIN_YEARS[(year - 1980) % 30]}{plant}{serial}"
    return partial[:8] + vin_check_digit(partial) + partial[9:]


# --- plates --------------------------------------------------------------------------------------

#: first letter of private plates in the Mexican border states (series letters vary by state)
_MX_PLATE_PREFIX = {
    "Baja California": "A",
    "Sonora": "V",
    "Chihuahua": "E",
    "Coahuila": "F",
    "Nuevo León": "R",
    "Tamaulipas": "W",
}


def make_us_plate(rng: random.Random, state: str) -> str:
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(3))
    if state == "California":
        return f"{rng.randint(5, 9)}{letters}{rng.randint(0, 999):03d}"
    if state == "New Mexico":
        return f"{letters}{rng.randint(0, 999):03d}"
    return f"{letters}{rng.randint(0, 9999):04d}"  # Texas, Arizona


def make_mx_plate(rng: random.Random, state: str) -> str:
    prefix = _MX_PLATE_PREFIX.get(state, "A")
    two = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2))
    return f"{prefix}{two}-{rng.randint(0, 999):03d}-{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}"


# --- phones (E.164) ---------------------------------------------------------------------------------

US_AREA_CODES: dict[str, tuple[str, ...]] = {
    "Texas": ("915", "956", "210", "830", "432"),
    "Arizona": ("520", "928", "602"),
    "California": ("619", "760", "442"),
    "New Mexico": ("575", "505"),
}
MX_AREA_CODES: dict[str, tuple[str, ...]] = {
    "Chihuahua": ("656", "614"),
    "Baja California": ("664", "686", "665"),
    "Sonora": ("631", "662", "653", "633"),
    "Tamaulipas": ("899", "867", "868"),
    "Coahuila": ("878", "877", "844"),
    "Nuevo León": ("81",),
}
PHONE_RE = re.compile(r"^\+(1[2-9]\d{2}[2-9]\d{6}|52\d{10})$")


def make_phone(rng: random.Random, country: str, state: str) -> str:
    if country == "us":
        area = rng.choice(US_AREA_CODES[state])
        return f"+1{area}{rng.randint(2, 9)}{rng.randint(0, 99):02d}{rng.randint(0, 9999):04d}"
    area = rng.choice(MX_AREA_CODES[state])
    rest = 10 - len(area)
    return f"+52{area}{rng.randint(10 ** (rest - 1), 10**rest - 1)}"
