"""CURP (Clave Única de Registro de Población): recognise one and read what it encodes.

A CURP's letters and digits encode the initials of the paternal surname (with its first inner
vowel), the maternal surname and the given name, the birth date, the sex and the birth state; so a
record that carries one can be checked against another record's name, date and sex even when the
other record has no CURP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from binational.resolution.names import drop_particles, plain

CURP_RE = re.compile(r"^[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{2}[B-DF-HJ-NP-TV-Z]{3}[0-9A-Z]\d$")
#: RENAPO's two-letter codes of the states of birth ("NE": born abroad)
STATES: dict[str, str] = {
    "AGUASCALIENTES": "AS", "BAJA CALIFORNIA": "BC", "BAJA CALIFORNIA SUR": "BS", "CAMPECHE": "CC",
    "COAHUILA": "CL", "COLIMA": "CM", "CHIAPAS": "CS", "CHIHUAHUA": "CH", "CIUDAD DE MEXICO": "DF",
    "DURANGO": "DG", "GUANAJUATO": "GT", "GUERRERO": "GR", "HIDALGO": "HG", "JALISCO": "JC",
    "ESTADO DE MEXICO": "MC", "MICHOACAN": "MN", "MORELOS": "MS", "NAYARIT": "NT", "NUEVO LEON": "NL",
    "OAXACA": "OC", "PUEBLA": "PL", "QUERETARO": "QT", "QUINTANA ROO": "QR", "SAN LUIS POTOSI": "SP",
    "SINALOA": "SL", "SONORA": "SR", "TABASCO": "TC", "TAMAULIPAS": "TS", "TLAXCALA": "TL", "VERACRUZ": "VZ",
    "YUCATAN": "YN", "ZACATECAS": "ZS",
}
_SKIPPED_GIVEN = {"JOSE", "J", "MARIA", "MA", "M"}


@dataclass(frozen=True)
class Curp:
    """What a CURP says about its holder."""

    value: str
    paterno_initial: str  # first letter and first inner vowel
    given_initial: str
    birth_date: str  # ISO
    sex: str  # "male" | "female"
    state: str  # RENAPO code


def parse(value: str) -> Curp | None:
    """The CURP in `value`, or None when it is not one (an INE key, a typo that breaks the format)."""
    text = re.sub(r"[^A-Z0-9]", "", value.upper())
    if not CURP_RE.match(text):
        return None
    century = 2000 if text[16].isalpha() else 1900
    try:
        born = date(century + int(text[4:6]), int(text[6:8]), int(text[8:10]))
    except ValueError:
        return None
    sex = {"H": "male", "M": "female"}.get(text[10], "")
    return Curp(text, text[0:2], text[3], born.isoformat(), sex, text[11:13])


def state_code(place: str) -> str | None:
    """The RENAPO code of a Mexican state named in a birth place ('Sonora' -> 'SR')."""
    return STATES.get(plain(place))


def name_initials(paterno: str, given: list[str]) -> str:
    """The three CURP letters a record's own names predict: paternal-surname initial and its first
    inner vowel, given initial (the second given name when the first is José or María, as RENAPO does)."""
    if not paterno or not given:
        return ""
    first = given[1] if len(given) > 1 and given[0] in _SKIPPED_GIVEN else given[0]
    pat = drop_particles(paterno)
    if not pat:
        return ""
    vowel = next((c for c in pat[1:] if c in "AEIOU"), "X")
    return pat[0] + vowel + first[0]
