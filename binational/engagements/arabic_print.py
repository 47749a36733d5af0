"""Arabic text for a PDF: letters joined (Unicode's presentation forms) and lines laid out right to left.

A PDF draws glyphs in the order given; Arabic needs each letter in the form its neighbours call for
(isolated, final, initial, medial; lam-alef as one ligature) and its lines in visual order. No shaping
engine is among the dependencies, so this file does what an Arabic readout needs: the joining rules of
the basic letters, the lam-alef ligatures, diacritics left out, words broken into lines by the font's
widths in reading order, and each line reversed for drawing (runs of Latin letters and digits kept
left to right).
"""

from __future__ import annotations

import re
from collections.abc import Callable

# letter -> first presentation form; four forms (isolated, final, initial, medial) or two (isolated, final)
_FOUR = {"ئ": 0xFE89, "ب": 0xFE8F, "ت": 0xFE95, "ث": 0xFE99, "ج": 0xFE9D, "ح": 0xFEA1, "خ": 0xFEA5,
         "س": 0xFEB1, "ش": 0xFEB5, "ص": 0xFEB9, "ض": 0xFEBD, "ط": 0xFEC1, "ظ": 0xFEC5, "ع": 0xFEC9,
         "غ": 0xFECD, "ف": 0xFED1, "ق": 0xFED5, "ك": 0xFED9, "ل": 0xFEDD, "م": 0xFEE1, "ن": 0xFEE5,
         "ه": 0xFEE9, "ي": 0xFEF1}
_TWO = {"آ": 0xFE81, "أ": 0xFE83, "ؤ": 0xFE85, "إ": 0xFE87, "ا": 0xFE8D, "ة": 0xFE93, "د": 0xFEA9,
        "ذ": 0xFEAB, "ر": 0xFEAD, "ز": 0xFEAF, "و": 0xFEED, "ى": 0xFEEF}
_LAM_ALEF = {"آ": 0xFEF5, "أ": 0xFEF7, "إ": 0xFEF9, "ا": 0xFEFB}
_DIACRITICS = re.compile(r"[\u064B-\u065F\u0670]")
_MIRROR = str.maketrans("()[]{}«»", ")(][}{»«")
_LTR_RUN = re.compile(r"[A-Za-z0-9À-ÿ.,:%/+-]+")


def _joins(letter: str) -> bool:
    return letter in _FOUR or letter in _TWO or letter == "ء" or letter == "ـ"


def shape(word: str) -> str:
    """A word's letters in their joined presentation forms (logical order)."""
    letters = list(_DIACRITICS.sub("", word))
    out: list[str] = []
    i = 0
    while i < len(letters):
        ch = letters[i]
        prev = letters[i - 1] if i else ""
        after_prev = bool(prev) and (prev in _FOUR or prev == "ـ") and not (out and out[-1] in _LIGATURE_CHARS)
        if ch == "ل" and i + 1 < len(letters) and letters[i + 1] in _LAM_ALEF:
            out.append(chr(_LAM_ALEF[letters[i + 1]] + (1 if after_prev else 0)))
            i += 2
            continue
        nxt = letters[i + 1] if i + 1 < len(letters) else ""
        to_next = ch in _FOUR and _joins(nxt) and nxt != "ء"
        if ch in _FOUR:
            base = _FOUR[ch]
            form = 3 if after_prev and to_next else 1 if after_prev else 2 if to_next else 0
            out.append(chr(base + form))
        elif ch in _TWO:
            out.append(chr(_TWO[ch] + (1 if after_prev else 0)))
        else:
            out.append(ch)
        i += 1
    return "".join(out)


_LIGATURE_CHARS = frozenset(chr(c + k) for c in _LAM_ALEF.values() for k in (0, 1))


def _visual(word: str) -> str:
    """A shaped word as drawn left to right: Arabic reversed, Latin letters and digits kept in order."""
    parts = []
    last = 0
    for match in _LTR_RUN.finditer(word):
        parts.append(word[last:match.start()][::-1].translate(_MIRROR))
        parts.append(match.group(0))
        last = match.end()
    parts.append(word[last:][::-1].translate(_MIRROR))
    # The runs themselves go right to left too.
    return "".join(reversed(parts))


def lines(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """A paragraph of Arabic as lines to draw right-aligned, each in visual (left-to-right) order."""
    words = [shape(w) for w in text.split()]
    out: list[list[str]] = [[]]
    for word in words:
        candidate = " ".join([*out[-1], word])
        if out[-1] and measure(candidate) > width:
            out.append([word])
        else:
            out[-1].append(word)
    return [" ".join(_visual(w) for w in reversed(line)) for line in out if line]
