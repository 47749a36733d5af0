"""Index words that look like a search's words, found by the engine's own trigram index, and scored.

SQLite answers from an FTS5 table with the trigram tokenizer (every indexed word sharing a trigram
with the text), PostgreSQL from `pg_trgm` (every word whose trigram similarity reaches
`TRIGRAM_FLOOR`), both over `search_words` (migration `search_words`), which holds words without
records or agencies: they only say which words exist. Which of them count, and how much, is decided
here by one rule for both engines: the same word, a prefix of it, a few typing errors (Levenshtein
distance, more allowed for longer words) or the same Spanish sound key.
"""

from __future__ import annotations

from rigour.text.distance import levenshtein
from sqlalchemy import text
from sqlalchemy.orm import Session

from binational.db import system_context
from binational.resolution.names import skeleton
from binational.search.query import Query, QueryWord

#: pg_trgm similarity below which a word is not even a candidate (two typos in a short name stay above)
TRIGRAM_FLOOR = 0.2
#: the score of a word that only starts with what was typed (a name being typed, a partial number)
PREFIX_SCORE = 0.9
SOUND_SCORE = 0.9
#: most letters a word may have past a prefix typed (Garc: García, Hatf: Hatfield), so that a given name
#: is not a prefix of every compacted full name it begins
PREFIX_REST = 6


_SHARED_TRIGRAM = text("SELECT w.word FROM search_words_fts f JOIN search_words w ON w.id = f.rowid "
                       "WHERE search_words_fts MATCH :q AND length(w.word) BETWEEN :shortest AND :longest")
_SAME_START = text("SELECT word FROM search_words WHERE word >= :low AND word < :high "
                   "AND length(word) BETWEEN :shortest AND :longest")
_SIMILAR = text("SELECT binational_similar_words(CAST(:w AS text), CAST(:floor AS real), "
                "CAST(:shortest AS integer), CAST(:longest AS integer))")


def _trigrams(word: str) -> list[str]:
    return sorted({word[i:i + 3] for i in range(len(word) - 2)})


def candidates(session: Session, lookups: set[str]) -> dict[str, set[str]]:
    """For each lookup text, the index words that may look like it (a superset of those that count)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    out: dict[str, set[str]] = {}
    # The word table is the node's, not any agency's: read as the system, it tells no viewer anything
    # until a word is matched against the viewer's own visible terms (search.service).
    with system_context(session):
        for lookup in sorted(lookups):
            edits = allowed_edits(len(lookup))
            # no longer than a prefix's word may be, no shorter than the typing errors forgiven allow
            lengths = {"shortest": len(lookup) - edits, "longest": len(lookup) + max(edits, PREFIX_REST)}
            if postgres:  # the word itself included (its similarity is 1)
                out[lookup] = set(session.execute(_SIMILAR, {"w": lookup, "floor": TRIGRAM_FLOOR,
                                                             **lengths}).scalars())
                continue
            found = set(session.execute(text("SELECT word FROM search_words WHERE word = :w"),
                                        {"w": lookup}).scalars())
            if len(lookup) >= 3:  # a trigram tokenizer has nothing to match in a shorter text
                expression = " OR ".join(f'"{gram}"' for gram in _trigrams(lookup))
                found.update(session.execute(_SHARED_TRIGRAM, {"q": expression, **lengths}).scalars())
                # Two errors in a short word can break every trigram (Reyes, Reies); pg_trgm's padding
                # keeps its first letters as a trigram, here the word index's range on them does.
                found.update(session.execute(_SAME_START, {
                    "low": lookup[:2], "high": lookup[:1] + chr(ord(lookup[1]) + 1), **lengths}).scalars())
            out[lookup] = found
    return out


def allowed_edits(length: int) -> int:
    """Typing errors forgiven in a word of this length: none up to three letters (Ana is not An), one in
    four, then two, three past ten (a long identifier)."""
    if length <= 3:
        return 0
    if length == 4:
        return 1
    return 2 if length <= 10 else 3


def text_score(typed: str, word: str, prefix_chars: int) -> float:
    """How well an index word answers a typed text, 0 when it does not; a text shorter than
    `prefix_chars` is no prefix (one letter would match a twenty-sixth of the index)."""
    if word == typed:
        return 1.0
    if len(typed) >= prefix_chars and len(word) - len(typed) <= PREFIX_REST and word.startswith(typed):
        return PREFIX_SCORE
    limit = allowed_edits(len(typed))
    if limit and abs(len(word) - len(typed)) <= limit:
        edits = levenshtein(typed, word, max_edits=limit)
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
