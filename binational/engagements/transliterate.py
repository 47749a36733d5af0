"""Names across scripts: Arabic written in Latin letters, and a sound key that compares a name as an
Arabic newspaper spells it with the name as its owner writes it.

Arabic spells foreign names by their consonants and long vowels (كريستوفر for Christopher, فوينتي for
Fuente); Latin spelling varies the other way (ph for f, j for the Spanish kh sound, c for k or s). The
sound key keeps one class per consonant sound, drops vowels and the letters Arabic uses as vowels, and
merges repeated classes, so both spellings of a name reduce to one short string; similar strings
(Levenshtein ratio) are the same name spelt by another hand. Other scripts go to Latin letters through
anyascii first.
"""

from __future__ import annotations

import re
from functools import lru_cache

from anyascii import anyascii

from binational.engagements.stemming import fold, normalise_arabic

#: Arabic letters in Latin, for showing a name the gazetteer has no Latin form of.
_AR_TO_LATIN = {
    "ا": "a", "ب": "b", "ت": "t", "ث": "th", "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "dh", "ر": "r",
    "ز": "z", "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "ع": "'", "غ": "gh", "ف": "f",
    "ق": "q", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "و": "w", "ي": "y", "ء": "'", "ة": "a",
    "ى": "a", "پ": "p", "چ": "ch", "ڤ": "v", "گ": "g",
}

#: the sound class of each Arabic consonant ('' for the letters that write vowels or nothing)
_AR_CLASS = {
    "ب": "B", "پ": "B", "ت": "T", "ط": "T", "ث": "T", "د": "D", "ض": "D", "ذ": "D", "ظ": "D",
    "ج": "K", "خ": "K", "ك": "K", "ق": "K", "غ": "K", "گ": "K", "ح": "", "ه": "", "ع": "", "ء": "",
    "س": "S", "ص": "S", "ز": "S", "ش": "S", "چ": "S", "ف": "F", "ڤ": "F", "ل": "L", "م": "M", "ن": "N",
    "ر": "R", "ا": "", "و": "", "ي": "", "ى": "", "ة": "",
}

# Latin spellings, longest first: each becomes one sound class.
_LATIN_RULES = [
    ("sch", "S"), ("chr", "KR"), ("ph", "F"), ("th", "T"), ("sh", "S"), ("ch", "S"), ("kh", "K"),
    ("gh", "K"), ("qu", "K"),
    ("ll", "L"), ("ck", "K"), ("gue", "K"), ("gui", "K"), ("ce", "S"), ("ci", "S"), ("ge", "K"), ("gi", "K"),
    ("x", "KS"), ("b", "B"), ("p", "B"), ("v", "F"), ("f", "F"), ("t", "T"), ("d", "D"), ("c", "K"),
    ("k", "K"), ("q", "K"), ("g", "K"), ("j", "K"), ("s", "S"), ("z", "S"), ("l", "L"), ("m", "M"),
    ("n", "N"), ("ñ", "N"), ("r", "R"),
]
_VOWEL_FOLLOWS = re.compile(r"[aeiou]")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")


def is_arabic(text: str) -> bool:
    """Whether `text` is written in Arabic letters."""
    return bool(_ARABIC_LETTER.search(text))


def arabic_to_latin(text: str) -> str:
    """Arabic letters in Latin, with و and ي read as vowels between consonants (كريستوفر -> Kristofr)."""
    out: list[str] = []
    letters = normalise_arabic(text).replace("ه ", "ة ")
    for i, ch in enumerate(letters):
        prev = letters[i - 1] if i else " "
        nxt = letters[i + 1] if i + 1 < len(letters) else " "
        if ch in "وي" and prev not in " او ي" and nxt not in " اوي" or ch in "وي" and nxt == " " and prev != " ":
            out.append("o" if ch == "و" else "i")
        else:
            out.append(_AR_TO_LATIN.get(ch, ch))
    return " ".join(word.capitalize() for word in "".join(out).split())


def to_latin(text: str) -> str:
    """Any script in Latin letters: our Arabic rules, anyascii for the rest."""
    return arabic_to_latin(text) if is_arabic(text) else anyascii(text)


@lru_cache(maxsize=65_536)
def sound_key(word: str) -> str:
    """The sound key of one word in any script (empty for a word of vowels only)."""
    if is_arabic(word):
        # تش is how Arabic writes the ch of Ochoa or Richard: one sound, as ch is in Latin letters
        classes = [_AR_CLASS.get(ch, "") for ch in normalise_arabic(word).replace("تش", "ش")]
    else:
        latin = fold(anyascii(word)) if not word.isascii() else word.lower()
        latin = re.sub(r"[^a-zñ]", "", latin)
        classes = []
        i = 0
        while i < len(latin):
            for spelling, cls in _LATIN_RULES:
                if latin.startswith(spelling, i):
                    # a soft c or g before e/i keeps the vowel for what follows
                    classes.append(cls)
                    i += len(spelling) - (1 if spelling in ("ce", "ci", "ge", "gi", "gue", "gui") else 0)
                    break
            else:
                i += 1  # a vowel, h, w or y
    key: list[str] = []
    for cls in "".join(classes):
        if not key or key[-1] != cls:
            key.append(cls)
    return "".join(key)


@lru_cache(maxsize=65_536)
def similarity(a: str, b: str) -> float:
    """How alike two sound keys are, 0..1 (1 - Levenshtein distance / the longer length); a readout
    repeats its words, so the pairs are remembered."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return 1.0 - previous[-1] / max(len(a), len(b))
