"""A search text read as the records of this border write names: the words to look for and their forms.

Accents, case and punctuation go (`terms.words`, as the index stores them); particles ("de", "la",
"del", "y") are not words to look for, since "de la Cruz" is found by "cruz"; a particle written
together with a surname ("delacruz") also looks for the surname, and a surname after particles for
the fused form ("de la Torre": "delatorre"); two neighbouring words also for the two written as one
("García López": "garcialopez"); a nickname also looks for the given
name it stands for and a given name for its nicknames (Pepe, José: `resolution.names.NICKNAMES`);
and the whole text, compacted, is an identifier when it has a digit (a passport number typed with
dashes or spaces).
"""

from __future__ import annotations

from dataclasses import dataclass

from binational.entities import terms
from binational.errors import InvalidInput
from binational.resolution.names import NICKNAMES, skeleton

#: Most words of a search that are looked for (a longer text is a sentence, not a name).
MAX_WORDS = 8
_PARTICLES = frozenset({"de", "del", "la", "las", "los", "y", "da", "dos", "van", "von"})
_FUSED = ("delos", "delas", "dela", "del", "de")
#: a given name -> its nicknames (José -> Pepe, Chepe, Joe): a record may carry either
_NICKNAMES_OF: dict[str, list[str]] = {}
for _nickname, _given in sorted(NICKNAMES.items()):
    _NICKNAMES_OF.setdefault(_given.lower(), []).append(_nickname.lower())


@dataclass(frozen=True)
class QueryWord:
    """One word of the search and the other forms that count as the same word."""

    text: str
    forms: tuple[str, ...]
    #: its Spanish sound key, so that Xavier meets Javier and Vázquez meets Basquez
    sound: str


@dataclass(frozen=True)
class Query:
    """The words to look for and the compact form of the whole text."""

    words: tuple[QueryWord, ...]
    compact: str

    def lookups(self) -> set[str]:
        """Every text whose similar index words are wanted."""
        out = {form for word in self.words for form in word.forms}
        if self.compact:
            out.add(self.compact)
        return out


def _forms(word: str, particles: str = "") -> tuple[str, ...]:
    forms = [word]
    if particles:  # "de la Torre" is also written "Delatorre"
        forms.append(particles + word)
    given = NICKNAMES.get(word.upper())
    if given:
        forms.append(given.lower())
    forms += _NICKNAMES_OF.get(given.lower() if given else word, [])
    for particle in _FUSED:
        if word.startswith(particle) and len(word) - len(particle) >= 4:
            forms.append(word[len(particle):])
            break
    return tuple(dict.fromkeys(forms))


def parse(text: str) -> Query:
    """The query of a search text; a text with no letter or digit is refused."""
    words = terms.words(text)
    compact = terms.compact(text)
    if not words and not compact:
        raise InvalidInput("search text has no letters or digits", details=[{"field": "q"}])
    meaningful: dict[str, str] = {}  # each word looked for, with the particles written before it
    pending = ""
    for word in words:
        if word in _PARTICLES and word != "y":
            pending += word
            continue
        if word != "y":
            meaningful.setdefault(word, pending)
        pending = ""
    if not meaningful:  # a name made of particles alone is looked for as written
        meaningful = dict.fromkeys(words, "")
    unique = list(meaningful)[:MAX_WORDS]
    # Two neighbouring words may be one word of the record ("García López" written "Garcialopez"): the
    # joined text is a form of both, so a record holding it answers each of them.
    joined = [unique[i] + unique[i + 1] if i + 1 < len(unique) else "" for i in range(len(unique))]
    query_words = tuple(
        QueryWord(w, _forms(w, meaningful[w]) + tuple(j for j in (joined[i - 1] if i else "", joined[i]) if j),
                  skeleton(w.upper()))
        for i, w in enumerate(unique))
    # The compact text is an identifier typed in pieces (G12 345 678); names are found by their words.
    if (len(unique) == 1 and compact == unique[0]) or not any(c.isdigit() for c in compact):
        compact = ""
    return Query(query_words, compact[:200])
