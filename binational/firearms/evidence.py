"""What a trace's recovery says of a sale record beyond the markings: the evidence a tracing analyst
uses to tell apart records the serial cannot (consecutive serials of one case, with one model).

- **Time-to-crime.** A firearm is never recovered before its first retail sale: a record sold after
  the recovery is no candidate. Otherwise the days from sale to recovery are weighed against a broad
  prior: ATF reports a US average above six years (6.34 in 2022) while the firearms trafficked to
  Mexico are recovered sooner (under three years is ATF's trafficking indicator), so a log-normal with
  a median of four years and a wide spread.
- **Corridor.** Firearms recovered in a Mexican border state were most often bought in the US state
  across the line (Sonora from Arizona, Baja California from California, Tamaulipas, Nuevo León and
  Coahuila from Texas, Chihuahua from Texas and New Mexico); about four in five traced firearms come
  from the four southwest border states. A record of the neighbouring state is likeliest, one of
  another border state less, one of anywhere else least.
- **Purchaser and possessor.** When the possessor's name is the first retail purchaser's, that record
  is likelier than a record of the same case bought by someone else.

Each weighs as a factor at most 1 on a candidate's score, small beside the markings' (a model that
disagrees halves a score): the evidence orders records the markings leave level or nearly so, and
never lifts a record whose serial or model does not fit over one that does.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: days from 1970-01-01; -1 stands for an unknown date
UNKNOWN_DAY = -1
_EPOCH = date(1970, 1, 1).toordinal()

#: time-to-crime prior: log-normal, median four years, spread (sigma of the log) 1.0
TTC_MEDIAN_DAYS = 4 * 365.25
TTC_SIGMA = 1.0
#: how much each piece of evidence may take off a score
WEIGHT_TTC = 0.05
WEIGHT_CORRIDOR = 0.06
WEIGHT_NAME = 0.15

_WORD = re.compile(r"[^\W_]+")
SOUTHWEST = frozenset({"TX", "AZ", "NM", "CA"})
#: the US states across the line from each Mexican border state (names and common abbreviations)
_NEIGHBOURS: dict[str, frozenset[str]] = {}
for _names, _us in ((("BAJA CALIFORNIA", "BC", "BCN", "B.C."), {"CA"}),
                    (("SONORA", "SON"), {"AZ"}),
                    (("CHIHUAHUA", "CHIH"), {"TX", "NM"}),
                    (("COAHUILA", "COAHUILA DE ZARAGOZA", "COAH"), {"TX"}),
                    (("NUEVO LEON", "NL", "N.L."), {"TX"}),
                    (("TAMAULIPAS", "TAMPS", "TAMS"), {"TX"})):
    for _name in _names:
        _NEIGHBOURS[_name] = frozenset(_us)


def _plain(text: str) -> str:
    """Upper case without accents, one space between words."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.upper().split())


def day(text: str) -> int:
    """An ISO date as days from 1970-01-01; `UNKNOWN_DAY` for an empty one. Raises ValueError for
    a text that is not a date."""
    text = text.strip()
    if not text:
        return UNKNOWN_DAY
    if len(text) != 10:
        raise ValueError(f"{text!r} is not YYYY-MM-DD")
    return date.fromisoformat(text).toordinal() - _EPOCH


def person_key(name: str) -> str:
    """A name compared without case, accents, punctuation or word order (`Pérez, Juan` is `JUAN
    PEREZ`); empty for no name."""
    text = name.upper() if name.isascii() else _plain(name)
    return " ".join(sorted(_WORD.findall(text)))


def us_state(text: str) -> str:
    """A dealer's state as its two-letter code, upper case."""
    return _plain(text)


def neighbours(recovery_state: str) -> frozenset[str]:
    """The US states across the line from a Mexican state (none for an interior state)."""
    return _NEIGHBOURS.get(_plain(recovery_state), frozenset())


def ttc_factor(sale_day: I64, recovery_day: I64) -> F64:
    """The time-to-crime factor of each pair (1 where either date is unknown); callers drop the
    pairs sold after the recovery first."""
    known = (sale_day != UNKNOWN_DAY) & (recovery_day != UNKNOWN_DAY)
    days = np.maximum(recovery_day - sale_day, 0).astype(np.float64) + 1.0
    # the log-normal density over days, as a share of its highest (at the mode)
    mu = np.log(TTC_MEDIAN_DAYS)
    mode = np.exp(mu - TTC_SIGMA ** 2)
    z, z_mode = (np.log(days) - mu) / TTC_SIGMA, (np.log(mode) - mu) / TTC_SIGMA
    likely = np.exp(-0.5 * (z * z - z_mode * z_mode)) * mode / days
    return np.where(known, 1.0 - WEIGHT_TTC * (1.0 - likely), 1.0)


def corridor_table(dealer_states: list[str], recovery_states: list[str]) -> F64:
    """The corridor factor for each recovery (rows) and each dealer's state (columns, "" unknown):
    1 for a state across the line, or where either is unknown; a southwest border state a little
    less when the recovery is in another border state's corridor (and 1 for an interior recovery:
    those came from the southwest most of all); any other state least."""
    out = np.ones((len(recovery_states), len(dealer_states)))
    southwest = np.array([s in SOUTHWEST for s in dealer_states], bool)
    known = np.array([bool(s) for s in dealer_states], bool)
    for k, mx in enumerate(recovery_states):
        if not mx.strip():
            continue
        near = neighbours(mx)
        across = np.array([s in near for s in dealer_states], bool)
        out[k] = np.where(~known | across, 1.0,
                          np.where(southwest, 1.0 - WEIGHT_CORRIDOR / 2 if near else 1.0, 1.0 - WEIGHT_CORRIDOR))
    return out
