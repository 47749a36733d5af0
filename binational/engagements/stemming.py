"""Words of a readout reduced to stems, and the readout's language, by rules (no dictionary of forms).

The topic lexicon and the text go through the same rules, so an entry in its dictionary form matches
its plurals, its articles and clitics, and its derived adjectives:

- Arabic: letters normalised (hamza seats, alef maqsura, taa marbuta, diacritics, tatweel), then the
  clitic prefixes (و ف ب ك ل and the article ال, alone or combined: وال، بال، لل ...) and the
  inflection suffixes (ات ون ين ان ية ها هم ي ة ...) taken off while a stem of three letters stays;
- Spanish and English: accents folded, then the inflection endings taken off, longest first, while a
  stem of three letters stays (Spanish -aciones, -ación, -ales, -es, -os, -as, -o, -a ...; English -ations,
  -ation, -ing, -ers, -ed, -es, -s ...).

The language is told by the script (Arabic letters) or by the function words of English and Spanish;
a text that is neither is `unknown`, which intake stores and flags rather than refuses.
"""

from __future__ import annotations

import re
import unicodedata

ARABIC = "ar"
SPANISH = "es"
ENGLISH = "en"
UNKNOWN = "unknown"

_ARABIC_LETTER = re.compile(r"[\u0621-\u064A\u0671-\u06D3]")
_LATIN_LETTER = re.compile(r"[A-Za-zÀ-ÿ]")
_WORD = re.compile(r"(?:[^\W_]|[\u0621-\u065F\u0670-\u06D3])+(?:[.'’](?:[^\W_])+)*", re.UNICODE)
_DIACRITICS = re.compile(r"[\u064B-\u065F\u0670\u0640]")

def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_FUNCTION_WORDS = {
    ENGLISH: _word_set("the and of to with for on in that was were is are their his her its by from this "
        "will would have has"),
    SPANISH: _word_set("el la los las de del y con para por en que fue fueron es son su sus al una un "
        "este esta como se"),
    # Languages intake does not cover, told apart so that they are flagged rather than misread.
    "fr": _word_set("le les des et du une est dans pour avec sur qui ne pas au aux ont été"),
    "pt": _word_set("o os e do da dos das com um uma não em no na foi foram são ao"),
}
_COVERED = (ENGLISH, SPANISH)

# Longest first: the first that leaves a stem of three letters is taken off.
_AR_PREFIXES = ("وبال", "وكال", "فال", "وال", "بال", "كال", "ولل", "ال", "لل", "و", "ف", "ب", "ل", "ك")
_AR_SUFFIXES = ("يين", "تين", "ات", "ون", "ين", "ان", "يه", "ها", "هم", "هن", "كم", "نا", "ه", "ي", "ا")
_ES_ENDINGS = ("aciones", "iciones", "acion", "icion", "ciones", "cion", "amiento", "imiento", "mente",
               "idades", "idad", "ales",
               "ario", "aria", "ivos", "ivas", "ivo", "iva", "icos", "icas", "ico", "ica", "eros", "eras", "ero",
               "era", "es", "os", "as", "al", "o", "a", "e", "s")
_EN_ENDINGS = ("ations", "ation", "ings", "ing", "ers", "er", "ies", "ied", "ed", "es", "al", "ic", "s", "y", "e")


def normalise_arabic(word: str) -> str:
    """An Arabic word without diacritics or tatweel, its hamza seats and final letters unified."""
    word = _DIACRITICS.sub("", word)
    return (word.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا").replace("ٱ", "ا")
            .replace("ى", "ي").replace("ة", "ه").replace("ؤ", "و").replace("ئ", "ي"))


def fold(text: str) -> str:
    """Latin text in lower case without accents (ñ kept apart from n only by its stem's length)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of a text, in order, as written (abbreviations like U.S. kept whole)."""
    return _WORD.findall(text)


def stem_arabic(word: str) -> str:
    """The light stem of an Arabic word: clitics and inflection suffixes off, three letters kept."""
    word = normalise_arabic(word)
    for prefix in _AR_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            word = word[len(prefix):]
            break
    for _ in range(2):  # a plural or adjective ending, then a possessive or the nisba's ي
        for suffix in _AR_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


def _strip(word: str, endings: tuple[str, ...]) -> str:
    for ending in endings:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def stem_spanish(word: str) -> str:
    """The stem of a Spanish word: accents folded, one inflection ending off."""
    return _strip(fold(word), _ES_ENDINGS)


def stem_english(word: str) -> str:
    """The stem of an English word: one inflection ending off, a doubled final consonant made single."""
    word = _strip(fold(word), _EN_ENDINGS)
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]
    return word


def stem(word: str, language: str) -> str:
    """The stem of `word` in `language` (Arabic letters are always stemmed as Arabic)."""
    if _ARABIC_LETTER.search(word):
        return stem_arabic(word)
    if language == SPANISH:
        return stem_spanish(word)
    if language == ENGLISH:
        return stem_english(word)
    return fold(word)


def stems(text: str, language: str) -> list[str]:
    """The stems of the words of `text`, in order."""
    return [stem(w, language) for w in words(text)]


def detect_language(text: str) -> str:
    """`ar`, `es`, `en`, or `unknown`: by script, then by the share of each language's function words."""
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if arabic and arabic >= latin:
        return ARABIC
    tokens = [fold(w) for w in words(text)]
    if not tokens or latin < len(text.strip()) * 0.4:
        return UNKNOWN
    counts = {lang: sum(t in table for t in tokens) for lang, table in _FUNCTION_WORDS.items()}
    ranked = sorted(counts, key=lambda lang: counts[lang], reverse=True)
    best, second = ranked[0], ranked[1]
    # Function words make a fifth or so of running English or Spanish; a tenth is a clear signal.
    # A short text (a summary, a title) may hold a single function word.
    least = 1 if len(tokens) < 15 else 2
    if (best in _COVERED and counts[best] >= max(least, len(tokens) * 0.1)
            and counts[best] > counts[second] * 1.5):
        return best
    return UNKNOWN
