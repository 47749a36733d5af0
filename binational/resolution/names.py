"""Names as the records of this border write them: two surnames, particles, nicknames, spelling variants.

Everything here is plain Python run before Splink sees a record: the comparisons then work on
canonical columns (accent-free upper case, nickname-resolved given names, particle-fused surnames,
a Spanish skeleton key that keeps H/F apart but joins J/X/G, Y/I, Z/S, V/B, LL/Y).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: Spanish (and a few English) hypocoristics -> the given name they stand for. Ambiguous ones
#: (Beto: Alberto or Roberto; Memo: Guillermo or Manuel) map to the more frequent; the alternative
#: still meets through the surname, date and document comparisons.
NICKNAMES: dict[str, str] = {
    "PEPE": "JOSE", "CHEPE": "JOSE", "JOE": "JOSE",
    "CHUY": "JESUS", "CHUCHO": "JESUS",
    "LUPE": "GUADALUPE", "LUPITA": "GUADALUPE",
    "PACO": "FRANCISCO", "PANCHO": "FRANCISCO", "FRANK": "FRANCISCO", "KIKO": "FRANCISCO",
    "NACHO": "IGNACIO",
    "MEMO": "GUILLERMO",
    "BETO": "ALBERTO",
    "LALO": "EDUARDO",
    "QUIQUE": "ENRIQUE",
    "CHAVA": "SALVADOR", "CHAVO": "SALVADOR",
    "CHENTE": "VICENTE",
    "MANOLO": "MANUEL",
    "ALEX": "ALEJANDRO",
    "COQUE": "JORGE",
    "CONCHA": "CONCEPCION", "CONCHITA": "CONCEPCION",
    "CHAYO": "ROSARIO",
    "LOLA": "DOLORES",
    "CUCA": "REFUGIO", "CUQUITA": "REFUGIO",
    "MAGO": "MARGARITA",
    "CHELO": "CONSUELO",
    "MECHE": "MERCEDES",
    "CHELA": "GRACIELA",
    "TOÑO": "ANTONIO", "TONO": "ANTONIO", "TOÑA": "ANTONIA", "TONA": "ANTONIA",
    "NENA": "MAGDALENA",
    "PILI": "PILAR",
    "RAFA": "RAFAEL",
    "RICHI": "RICARDO",
    "GOYO": "GREGORIO",
    "LENCHO": "LORENZO",
    "POLO": "LEOPOLDO",
    "CHALO": "GONZALO",
    "TERE": "TERESA",
    "PATY": "PATRICIA", "PATI": "PATRICIA",
    "JUANITO": "JUAN",
    "NANDO": "FERNANDO", "LICHA": "ALICIA", "CHABELA": "ISABEL", "GABY": "GABRIELA",
    # English forms a US record gives a Spanish given name
    "JOSEPH": "JOSE", "JOHN": "JUAN", "WILLIAM": "GUILLERMO", "MICHAEL": "MIGUEL", "MARY": "MARIA",
    "PETER": "PEDRO", "PAUL": "PABLO", "ANTHONY": "ANTONIO", "RICHARD": "RICARDO", "ROBERT": "ROBERTO",
    "CHARLES": "CARLOS", "HENRY": "ENRIQUE", "EDWARD": "EDUARDO", "GEORGE": "JORGE", "ANDREW": "ANDRES",
    "THOMAS": "TOMAS", "PHILIP": "FELIPE", "STEPHEN": "ESTEBAN", "STEVEN": "ESTEBAN", "JAMES": "JAIME",
    "FRANCIS": "FRANCISCO", "RAYMOND": "RAMON", "ALBERT": "ALBERTO", "ARTHUR": "ARTURO",
    "VINCENT": "VICENTE",
    "THERESA": "TERESA", "ROSE": "ROSA", "JOAN": "JUANA", "JOSEPHINE": "JOSEFINA", "CECILY": "CECILIA",
}
#: words of surname particles, fused with the following word ("de la Cruz" -> "DELACRUZ")
PARTICLES = ("DE LOS ", "DE LAS ", "DE LA ", "DEL ", "DE ")
_PARTICLE_WORDS = {"DE", "DEL", "LA", "LAS", "LOS", "Y"}
_NOT_LETTERS = re.compile(r"[^A-Z ]+")


@lru_cache(maxsize=200_000)
def plain(text: str) -> str:
    """Upper case, accents and ñ folded, punctuation and hyphens to spaces, single-spaced."""
    decomposed = unicodedata.normalize("NFKD", text.upper())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_LETTERS.sub(" ", ascii_only).split())


def fuse_particles(text: str) -> str:
    """'DE LA CRUZ' -> 'DE_LA_CRUZ' (whitelist of particle words: DELGADO stays DELGADO)."""
    words = text.split()
    out: list[str] = []
    pending = ""
    for i, word in enumerate(words):
        if word in _PARTICLE_WORDS and i + 1 < len(words) and word != "Y":
            pending += word + "_"
            continue
        out.append(pending + word)
        pending = ""
    return " ".join(out)


def drop_particles(word: str) -> str:
    """'DE_LA_CRUZ' -> 'CRUZ' (for the sound key, so 'de la Cruz' meets 'Cruz')."""
    return word.rsplit("_", 1)[1] if "_" in word else word


@lru_cache(maxsize=200_000)
def skeleton(word: str) -> str:
    """A Spanish sound key: H silent (not initial F), J/X/G(e,i) -> J, Y/LL -> I, Z/S/C(e,i) -> S,
    V -> B, QU/C/K -> K, Ñ -> N, doubled letters once; vowels after the first letter kept."""
    w = drop_particles(word)
    if not w:
        return ""
    w = w.replace("LL", "Y").replace("QU", "K").replace("GUE", "%E").replace("GUI", "%I")
    w = re.sub(r"C([EI])", r"S\1", w)
    w = re.sub(r"G([EI])", r"J\1", w)
    w = w.replace("CH", "#").replace("H", "").replace("#", "CH")
    table = str.maketrans({"X": "J", "Y": "I", "Z": "S", "V": "B", "C": "K", "W": "U", "%": "G"})
    w = w.translate(table)
    return re.sub(r"(.)\1+", r"\1", w)


def given_names(first: str, middle: str = "") -> list[str]:
    """Canonical given names in order: nicknames resolved, particles fused ('MARIA DEL CARMEN')."""
    words = fuse_particles(plain(f"{first} {middle}")).split()
    return [NICKNAMES.get(w, w) for w in words if w]


def split_full_name(name: str, known_givens: frozenset[str] = frozenset(),
                    known_surnames: frozenset[str] = frozenset()) -> tuple[str, str]:
    """A name written in one field, as (given names, surnames).

    'GARCIA LOPEZ, JUAN' puts the surnames first. Otherwise the first word is a given name, and so is
    each following word that other records use as a given name and not as a surname ('MARIA SANDRA
    HERNANDEZ TORRES'), leaving at least one word for the surnames.
    """
    if "," in name:
        last, _, first = name.partition(",")
        return plain(first), plain(last)
    words = plain(name).split()
    if len(words) < 2:
        return " ".join(words), ""
    cut = 1
    while cut < len(words) - 1 and words[cut] in known_givens and words[cut] not in known_surnames:
        cut += 1
    return " ".join(words[:cut]), " ".join(words[cut:])


def split_surnames(last: str, known: frozenset[str] = frozenset()) -> list[str]:
    """Surnames in order, particles fused; a concatenation of two known surnames is split, and a
    particle written together with a known surname ('DELANGEL') is marked as one ('DEL_ANGEL')."""
    words = [_particle_prefix(w, known) for w in fuse_particles(plain(last)).split()]
    if len(words) == 1 and known and len(words[0]) >= 8:
        word = words[0]
        for cut in range(3, len(word) - 2):
            if word[:cut] in known and word[cut:] in known:
                return [word[:cut], word[cut:]]
    return words


def _particle_prefix(word: str, known: frozenset[str]) -> str:
    if "_" in word or not known:
        return word
    for particle in ("DELOS", "DELAS", "DELA", "DEL", "DE"):
        if word.startswith(particle) and word[len(particle):] in known and len(word) > len(particle) + 2:
            return f"{particle}_{word[len(particle):]}"
    return word


def organisation_name(name: str) -> str:
    """A company or organisation name without legal forms and filler words."""
    text = plain(name.replace(".", "").replace(" ", "  "))
    forms = r"S DE R ?L|S R ?L|SRL|SA|SAPI|SC|SAB|DE CV|CV|LLC|INC|CORP|CO|LTD|GRUPO|LOS|LAS|EL|LA|Y|DE|DEL"
    text = re.sub(rf"\b({forms})\b", " ", text)
    text = re.sub(r"\b(S RL|RL|S)\b", " ", text)
    return " ".join(text.split())
