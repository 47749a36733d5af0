"""Readout intake: from the text of a readout, a proposal of its participants, countries and topics.

Nothing here writes; an editor confirms the proposal (service.create_engagement). The steps:

1. the language, by script and function words (`stemming.detect_language`); `unknown` is flagged and
   the text is still read, with every language's lexicon and names through anyascii;
2. participants: each official of the gazetteer, by the sound keys of the words of the full name (or
   first name and surname) in any script, allowing the spelling an Arabic or other paper gives it
   (`transliterate`); in Latin text also the capitalised surname alone. Then, in Latin text, a known
   title followed by a capitalised name the gazetteer lacks proposes a new person;
3. countries: the lexicon's names and adjectives of countries, stemmed, plus the participants' own;
4. topics: the lexicon's words and phrases of each topic, stemmed like the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from binational.engagements import stemming
from binational.engagements.gazetteer import Gazetteer, Official, lexicon
from binational.engagements.transliterate import is_arabic, similarity, sound_key, to_latin

#: a name in the text is the official's when each word's sound key is at least this alike ...
WORD_FLOOR = 0.6
#: ... and the words together at least this
NAME_FLOOR = 0.84
#: a lexicon stem matches a longer word of the text as its beginning from this many letters
PREFIX_LETTERS = 4

_CAP = r"[A-ZÁÉÍÓÚÑ][\w'’-]+"
#: a title (any case), maybe "of/de" and its capitalised object, maybe a comma, then a capitalised name
_TITLES = re.compile(
    r"(?i:\b(?:deputy secretary|under ?secretary|secretary|minister|ambassador|director|commissioner|president|"
    r"subsecretari[oa]|secretari[oa]|canciller|embajador|embajadora|directora?|comisionad[oa]|presidente|presidenta))"
    rf"(?:\s(?:of|for|de|del)(?:\s(?:la|el|los|y|and|the|{_CAP}))*)?,?[ \t]"
    rf"((?:{_CAP})(?:[ \t](?:de la|del|de|y|{_CAP}))*[ \t]{_CAP})")
def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: capitalised words of titles and places, which no proposed name holds
_NOT_NAMES = _word_set("secretary minister foreign affairs state secretaria secretario relaciones "
        "exteriores seguridad nacional mexican american mexicana mexicano estados unidos "
        "united states mexico méxico call readout the el la attorney general deputy homeland trade "
        "representative president economy fiscal presidenta presidente secretariat department")
_ARABIC_CLITICS = ("وال", "بال", "لل", "ال", "و", "ب", "ل", "ف")


@dataclass
class Participant:
    """A proposed participant: who, their office and country, and how the text named them."""

    name: str
    office: str | None
    office_code: str | None
    title: str | None
    country: str | None
    mentioned_as: str
    score: float
    known: bool
    #: Person records the viewer already sees that may be this participant (service.propose fills it)
    candidates: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "office": self.office, "office_code": self.office_code, "title": self.title,
                "country": self.country, "mentioned_as": self.mentioned_as, "score": round(self.score, 2),
                "known": self.known, "candidates": self.candidates}


@dataclass
class Proposal:
    """What intake proposes for one readout."""

    language: str
    language_flagged: bool
    participants: list[Participant] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    topic_counts: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"language": self.language, "language_flagged": self.language_flagged,
                "participants": [p.as_json() for p in self.participants], "countries": self.countries,
                "topics": self.topics, "topic_counts": self.topic_counts}


@dataclass(frozen=True)
class _Word:
    text: str
    keys: tuple[str, ...]  # the word's sound key, and without an Arabic clitic


def _word(text: str) -> _Word:
    keys = [sound_key(text)]
    if is_arabic(text):
        for clitic in _ARABIC_CLITICS:
            if text.startswith(clitic) and len(text) - len(clitic) >= 3:
                keys.append(sound_key(text[len(clitic):]))
    return _Word(text, tuple(dict.fromkeys(k for k in keys if k)))


def _name_forms(person: Official) -> list[list[str]]:
    """The spellings of a person to look for, as lists of words' sound keys (two words at least)."""
    spellings = [person.name, *person.forms]
    given = person.name.split()[0]
    if person.surname and not person.name.lower().startswith(person.surname.lower()):
        spellings.append(f"{given} {person.surname}")
    forms = []
    for spelling in spellings:
        keys = [k for k in (sound_key(w) for w in stemming.words(spelling)) if k]
        if len(keys) >= 2 and keys not in forms:
            forms.append(keys)
    return forms


def _best_window(words: list[_Word], form: list[str]) -> tuple[float, int]:
    best, where = 0.0, -1
    for start in range(len(words) - len(form) + 1):
        scores = []
        for word, key in zip(words[start:start + len(form)], form, strict=True):
            score = max((similarity(k, key) for k in word.keys), default=0.0)
            if score < WORD_FLOOR:
                break
            scores.append(score)
        else:
            mean = sum(scores) / len(scores)
            if mean > best:
                best, where = mean, start
    return best, where


def _surname_in_latin(text: str, person: Official) -> bool:
    surname = person.surname.split()
    pattern = r"\b" + r"\s+".join(re.escape(w) for w in surname) + r"\b"
    # The last word of the surname capitalised: `la fuente` (a source) is not `de la Fuente`.
    return any(m.group(0).split()[-1][:1].isupper()
               for m in re.finditer(pattern, text, flags=re.IGNORECASE))


def find_participants(text: str, gazetteer: Gazetteer, display: str = "en") -> list[Participant]:
    """The officials the text names, then the unknown people after a title (Latin text); offices and
    titles in the `display` language."""
    words = [w for w in (_word(t) for t in stemming.words(text)) if w.keys]
    found: list[Participant] = []
    lang = display
    for person in gazetteer.people:
        best, where, size = 0.0, -1, 0
        for form in _name_forms(person):
            score, start = _best_window(words, form)
            if score > best:
                best, where, size = score, start, len(form)
        mention = " ".join(w.text for w in words[where:where + size]) if where >= 0 else ""
        if best < NAME_FLOOR and not is_arabic(text) and person.surname and _surname_in_latin(text, person):
            best, mention = NAME_FLOOR, person.surname
        if best >= NAME_FLOOR:
            office = gazetteer.offices.get(person.office)
            found.append(Participant(
                name=person.name, office=office.name(lang) if office else person.office,
                office_code=person.office, title=person.titles.get(lang) or person.titles.get("en"),
                country=office.country if office else None, mentioned_as=mention, score=best, known=True))
    if not is_arabic(text):
        found += _unknown_after_titles(text, found)
    return found


def _unknown_after_titles(text: str, known: list[Participant]) -> list[Participant]:
    seen = {sound_key(w) for p in known for w in p.name.split()}
    out: list[Participant] = []
    for match in _TITLES.finditer(text):
        name = match.group(1).strip()
        if any(w.lower() in _NOT_NAMES for w in name.split()):
            continue
        keys = [sound_key(w) for w in name.split() if sound_key(w)]
        if any(stemming.fold(p.name) in stemming.fold(name) for p in known):
            continue
        if not keys or sum(k in seen for k in keys) >= max(1, len(keys) - 1):
            continue  # a known official, named again
        title = text[match.start():match.start(1)].strip(" ,")
        out.append(Participant(name=name, office=None, office_code=None, title=title,
                               country=_country_of(title), mentioned_as=name, score=0.5, known=False))
        seen.update(keys)
    return out


def _stem_sequences(entries: dict[str, list[str]], language: str) -> list[tuple[list[str], bool]]:
    """Each entry as a list of stems, with whether it is an acronym matched by case (US, EE. UU.)."""
    languages = [language] if language in entries else list(entries)
    out = []
    for lang in languages:
        for entry in entries.get(lang, []):
            acronym = entry.replace(".", "").replace(" ", "").isupper() and len(entry.replace(".", "")) <= 5
            seq = stemming.words(entry) if acronym else stemming.stems(entry, lang)
            if seq:
                out.append((seq, acronym))
    return out


def _same(stem: str, wanted: str) -> bool:
    return stem == wanted or (len(wanted) >= PREFIX_LETTERS and stem.startswith(wanted))


def _count(text_stems: list[str], raw_words: list[str], sequences: list[tuple[list[str], bool]]) -> int:
    """How many times the entries occur (a phrase once, however many words it has)."""
    hits: set[int] = set()
    at: dict[bool, dict[str, list[int]]] = {True: {}, False: {}}  # where each distinct word is
    for i, (stem, raw) in enumerate(zip(text_stems, raw_words, strict=True)):
        at[False].setdefault(stem, []).append(i)
        at[True].setdefault(raw, []).append(i)
    for seq, acronym in sequences:
        source = raw_words if acronym else text_stems
        first = seq[0]
        starts = at[True].get(first, []) if acronym else \
            [i for word, places in at[False].items() if _same(word, first) for i in places]
        for i in starts:
            window = source[i:i + len(seq)]
            if i not in hits and len(window) == len(seq) and \
                    all((w == s) if acronym else _same(w, s) for w, s in zip(window, seq, strict=True)):
                hits.update(range(i, i + len(seq)))
    # A phrase's words count once, as one mention.
    return len(_runs(sorted(hits)))


def _runs(positions: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for p in positions:
        if runs and runs[-1][-1] == p - 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


def _country_of(phrase: str) -> str | None:
    language = stemming.detect_language(phrase + " the de")
    counts = _count_countries(phrase, language)
    return max(counts, key=lambda c: counts[c]) if counts else None


def _count_countries(text: str, language: str) -> dict[str, int]:
    raw = stemming.words(text)
    text_stems = [stemming.stem(w, language) for w in raw]
    counts = {}
    for code, names in lexicon()["countries"].items():
        n = _count(text_stems, raw, _stem_sequences(names, language))
        if n:
            counts[code] = n
    return counts


def propose(text: str, gazetteer: Gazetteer, display: str = "en") -> Proposal:
    """The proposal for one readout; offices and titles named in the `display` language."""
    language = stemming.detect_language(text)
    reading = text if language != stemming.UNKNOWN or is_arabic(text) else to_latin(text)
    participants = find_participants(reading, gazetteer, display)
    countries = _count_countries(reading, language)
    codes = sorted(countries, key=lambda c: -countries[c])
    for person in participants:
        if person.country and person.country not in codes:
            codes.append(person.country)
    raw = stemming.words(reading)
    text_stems = [stemming.stem(w, language) for w in raw]
    topic_counts = {}
    for key, entries in lexicon()["topics"].items():
        n = _count(text_stems, raw, _stem_sequences(entries, language))
        if n:
            topic_counts[key] = n
    topics = sorted(topic_counts, key=lambda k: -topic_counts[k])
    return Proposal(language=language, language_flagged=language == stemming.UNKNOWN, participants=participants,
                    countries=codes, topics=topics, topic_counts=topic_counts)
