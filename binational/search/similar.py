"""Index words that look like a search's words, found in the node's word list kept in memory, and scored.

`search_words` (migration `search_words`) holds the distinct words of every search term, without
records or agencies: it only says which words exist. Each process keeps it in memory (`WordIndex`),
read once and then only what arrived since (the table only grows), by length, in order and by Spanish
sound key, so that every word a rule below accepts is found directly: the same word, a prefix of it,
a few typing errors (letters replaced, dropped, added or two neighbours swapped, more allowed for
longer words; rigour's compiled Levenshtein distance first, over the words of a near length only)
or the same sound key. One rule for both engines; a trigram index could only give a superset of
these, at tens of milliseconds a word on PostgreSQL (benchmarks/README.md, search).
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from rigour.text.distance import raw_levenshtein_cutoff
from sqlalchemy import text
from sqlalchemy.orm import Session

from binational.db import system_context
from binational.resolution.names import skeleton
from binational.search.query import Query, QueryWord

#: the score of a word that only starts with what was typed (a name being typed, a partial number)
PREFIX_SCORE = 0.9
SOUND_SCORE = 0.9
#: most letters a word may have past a prefix typed (Garc: García, Hatf: Hatfield), so that a given name
#: is not a prefix of every compacted full name it begins
PREFIX_REST = 6

_SINCE = {"sqlite": text("SELECT id, word FROM search_words WHERE id >= :after ORDER BY id"),
          "postgresql": text("SELECT id, word FROM binational_search_words_since(CAST(:after AS integer))")}


@dataclass
class WordIndex:
    """One database's search words: by (has a digit, length), in order, and by sound key."""

    last_id: int = 0
    last_word: str = ""
    by_length: dict[tuple[bool, int], list[str]] = field(default_factory=lambda: defaultdict(list))
    ordered: list[str] = field(default_factory=list)
    by_sound: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    known: set[str] = field(default_factory=set)

    def add(self, words: list[str], *, bulk: bool) -> None:
        for word in words:
            if word in self.known:
                continue
            self.known.add(word)
            digit = any(c.isdigit() for c in word)
            self.by_length[(digit, len(word))].append(word)
            if not digit and len(word) >= 3:
                self.by_sound[skeleton(word.upper())].append(word)
            if bulk:
                self.ordered.append(word)
            else:
                bisect.insort(self.ordered, word)
        if bulk:
            self.ordered.sort()

    def similar(self, lookup: str) -> set[str]:
        """Every word that the scoring rule may accept for `lookup` (and no other)."""
        edits = allowed_edits(len(lookup))
        found = {lookup} & self.known
        if len(lookup) >= 2:  # a prefix of at least two letters (the setting decides whether it counts)
            at = bisect.bisect_left(self.ordered, lookup)
            while at < len(self.ordered) and self.ordered[at].startswith(lookup):
                if len(self.ordered[at]) - len(lookup) <= PREFIX_REST:
                    found.add(self.ordered[at])
                at += 1
        if edits:
            # A name with a digit typed into it is no name: words with digits answer lookups with digits.
            kinds = (False, True) if any(c.isdigit() for c in lookup) else (False,)
            for digit in kinds:
                for length in range(len(lookup) - edits, len(lookup) + edits + 1):
                    # two letters swapped are two Levenshtein edits and one typing error
                    found.update(w for w in self.by_length.get((digit, length), ())
                                 if typing_errors(lookup, w, edits) <= edits)
        if len(lookup) >= 3 and not any(c.isdigit() for c in lookup):
            found.update(self.by_sound.get(skeleton(lookup.upper()), ()))
        return found


_INDEXES: dict[str, WordIndex] = {}
_LOCK = threading.Lock()


def _index(session: Session) -> WordIndex:
    """This database's word index, brought up to date: only the words that arrived since are read.

    The row of the last word read comes back first; if it is not the same word (a database recreated
    under the same address, as tests do), the index is read again from the start."""
    bind = session.get_bind()
    key = bind.engine.url.render_as_string(hide_password=True)
    since = _SINCE[bind.dialect.name]
    with _LOCK:
        index = _INDEXES.get(key) or WordIndex()
        rows = session.execute(since, {"after": index.last_id}).all()
        if index.last_id and (not rows or tuple(rows[0]) != (index.last_id, index.last_word)):
            index = WordIndex()
            rows = session.execute(since, {"after": 0}).all()
        fresh = [row.word for row in rows if row.id != index.last_id]
        if fresh:
            index.add(fresh, bulk=not index.known)
            index.last_id, index.last_word = rows[-1].id, rows[-1].word
        _INDEXES[key] = index
        return index


def candidates(session: Session, lookups: set[str]) -> dict[str, set[str]]:
    """For each lookup text, the index words that may answer it."""
    # The word table is the node's, not any agency's: read as the system, it tells no viewer anything
    # until a word is matched against the viewer's own visible terms (search.service).
    with system_context(session):
        index = _index(session)
    with _LOCK:
        return {lookup: index.similar(lookup) for lookup in sorted(lookups)}


def allowed_edits(length: int) -> int:
    """Typing errors forgiven in a word of this length: none up to three letters (Ana is not An), one in
    four or five (two would make López Pérez), then two, three past ten (a long identifier)."""
    if length <= 3:
        return 0
    if length <= 5:
        return 1
    return 2 if length <= 10 else 3


def typing_errors(typed: str, word: str, limit: int) -> int:
    """Letters replaced, dropped, added, or two neighbours swapped, that turn `typed` into `word`
    (the optimal string alignment distance); `limit + 1` once it is known to be above `limit`."""
    edits = raw_levenshtein_cutoff(typed, word, 2 * limit)
    if edits <= limit or edits > 2 * limit:  # a swap saves at most one edit of every two
        return min(edits, limit + 1)
    previous2: list[int] = []
    previous = list(range(len(word) + 1))
    for i in range(1, len(typed) + 1):
        current = [i] + [0] * len(word)
        for j in range(1, len(word) + 1):
            cost = typed[i - 1] != word[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and typed[i - 1] == word[j - 2] and typed[i - 2] == word[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def text_score(typed: str, word: str, prefix_chars: int) -> float:
    """How well an index word answers a typed text, 0 when it does not; a text shorter than
    `prefix_chars` is no prefix (one letter would match a twenty-sixth of the index)."""
    if word == typed:
        return 1.0
    if len(typed) >= prefix_chars and len(word) - len(typed) <= PREFIX_REST and word.startswith(typed):
        return PREFIX_SCORE
    limit = allowed_edits(len(typed))
    if limit and abs(len(word) - len(typed)) <= limit:
        edits = typing_errors(typed, word, limit)
        if edits <= limit:
            return 1.0 - edits / (max(len(typed), len(word)) + 1)
    return 0.0


def word_score(query_word: QueryWord, word: str, prefix_chars: int) -> float:
    """How well an index word answers a word of the search: its best form, or its sound."""
    best = max(text_score(form, word, prefix_chars) for form in query_word.forms)
    if best < SOUND_SCORE and len(word) >= 3 and query_word.sound and skeleton(word.upper()) == query_word.sound:
        best = SOUND_SCORE
    return best


def scored_words(query: Query, found: dict[str, set[str]], prefix_chars: int
                 ) -> tuple[list[dict[str, float]], dict[str, float]]:
    """For each query word, the index words that answer it with their scores; and those answering the
    compact text."""
    per_word = []
    for query_word in query.words:
        scores: dict[str, float] = {}
        for form in query_word.forms:
            for word in found.get(form, ()):
                score = word_score(query_word, word, prefix_chars)
                if score > scores.get(word, 0.0):
                    scores[word] = score
        per_word.append(scores)
    compact: dict[str, float] = {}
    if query.compact:
        for word in found.get(query.compact, ()):
            score = text_score(query.compact, word, prefix_chars)
            if score:
                compact[word] = score
    return per_word, compact
