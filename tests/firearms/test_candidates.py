"""The serial ranker on hand-made cases: each look-alike, unreadable characters, a missing or extra
character, makers and calibres as officers write them, a clean serial first, never more than K."""

from __future__ import annotations

import pytest

from binational.firearms import serials
from binational.firearms.candidates import Marking, SerialIndex

RECORDS = [
    Marking("g1", "GLOCK", "19", "9MM", "PISTOL", "BKL123"),
    Marking("g2", "GLOCK", "19", "9MM", "PISTOL", "BKL128"),      # B/8 away from g1's last digit
    Marking("g3", "GLOCK", "17", "9MM", "PISTOL", "BKL183"),
    Marking("g4", "GLOCK", "22", "40 S&W", "PISTOL", "ACX505"),
    Marking("g5", "GLOCK", "19", "9MM", "PISTOL", "ACX506"),
    Marking("s1", "SMITH & WESSON", "M&P15", "5.56 NATO", "RIFLE", "TSO1234"),
    Marking("s2", "SMITH & WESSON", "M&P9", "9MM", "PISTOL", "TS01234"),   # O/0 twin of s1
    Marking("r1", "STURM, RUGER & CO", "AR-556", "223 REM", "RIFLE", "850-12345"),
    Marking("r2", "RUGER", "LCP", "380 AUTO", "PISTOL", "850-12346"),
    Marking("r3", "RUGER", "SR9", "9MM", "PISTOL", "850-12845"),
    Marking("c1", "CENTURY ARMS", "WASR-10", "7.62X39", "RIFLE", "1975AB1234"),
    Marking("c2", "CENTURY ARMS", "WASR-10", "7.62X39", "RIFLE", "1975AB1235"),
    Marking("c3", "CENTURY ARMS", "WASR-10", "7.62X39", "RIFLE", "1975A81234"),
    Marking("t1", "TAURUS", "G2C", "9MM", "PISTOL", "ABZ123456"),
    Marking("t2", "TAURUS", "G2C", "9MM", "PISTOL", "AB2123456"),
    Marking("t3", "TAURUS", "PT92", "9MM", "PISTOL", "ACG654321"),
    Marking("x1", "SIG SAUER", "P320", "9MM", "PISTOL", "58A123456"),
    Marking("x2", "SIG SAUER", "P365", "9MM", "PISTOL", "66A123456"),
    Marking("h1", "HI-POINT", "C9", "9MM", "PISTOL", "P1234567"),
    Marking("k1", "KEL-TEC", "PMR30", "22 WMR", "PISTOL", "SIL12"),
    Marking("k2", "KEL-TEC", "P3AT", "380 ACP", "PISTOL", "S1L12"),
]


@pytest.fixture(scope="module")
def index() -> SerialIndex:
    return SerialIndex(RECORDS)


def trace(make: str, serial: str, model: str = "", caliber: str = "", kind: str = "") -> Marking:
    return Marking("t", make, model, caliber, kind, serial)


def first(index: SerialIndex, t: Marking) -> str:
    found = index.candidates(t, top=10)
    assert found, t
    return found[0].record_id


def test_makers_calibres_and_types_as_written() -> None:
    assert serials.normalise_make("Glock") == serials.normalise_make("GLOCK INC.") == "GLOCK"
    assert serials.normalise_make("S&W") == serials.normalise_make("Smith and Wesson") == "SMITH & WESSON"
    assert serials.normalise_make("Sturm, Ruger & Co., Inc") != "RUGER"  # unknown spellings kept ...
    assert serials.normalise_make("Sturm, Ruger & Co") == "RUGER"        # ... known ones folded
    assert serials.normalise_make("Acme Arms") == "ACME ARMS"
    for written in ("9MM", "9mm", "9X19", "9 x 19", "9mm Luger", "9MM PARABELLUM", "9"):
        assert serials.normalise_calibre(written) == "9MM", written
    assert serials.normalise_calibre(".223 Rem") == serials.normalise_calibre("5.56 NATO")
    assert serials.normalise_calibre(".380 ACP") == serials.normalise_calibre("380 Auto") == "380 ACP"
    assert serials.normalise_type("P") == serials.normalise_type("pistol") == "PISTOL"
    assert serials.normalise_model("Glock 19", "GLOCK") == "19"
    assert serials.models_agree("G19", "19") and not serials.models_agree("19", "17")
    assert serials.normalise_serial("850-12345") == serials.normalise_serial("850 12345") == "85012345"


def test_a_clean_serial_ranks_its_record_first_and_is_exact(index: SerialIndex) -> None:
    for record in RECORDS:
        t = trace(record.manufacturer.lower(), record.serial, record.model, record.caliber, record.weapon_type)
        found = index.candidates(t)
        assert found[0].record_id == record.id
        assert found[0].score == max(c.score for c in found)
        assert "serial_exact" in found[0].reasons
        assert index.exact(t) == [record.id]


def test_exact_needs_the_maker_and_a_readable_serial(index: SerialIndex) -> None:
    assert index.exact(trace("Smith & Wesson", "TSO1234")) == ["s1"]
    assert index.exact(trace("S&W", "tso-1234")) == ["s1"]
    assert index.exact(trace("GLOCK", "TSO1234")) == []
    assert index.exact(trace("S&W", "TS?1234")) == []


@pytest.mark.parametrize(("read", "stamped"), [
    ("BKLI23", "g1"),      # I for 1
    ("BKL1Z3", "g1"),      # Z for 2 (a Glock has digits there)
    ("ACX5O5", "g4"),      # O for 0
    ("ACX50G", "g5"),      # G for 6
    ("ACX5S5", None),      # S for 0? no: S/5 twin of ACX555, which does not exist: still g4 (one misread)
    ("8KL123", "g1"),      # 8 for B
    ("BK1123", "g1"),      # 1 for L
])
def test_each_lookalike(index: SerialIndex, read: str, stamped: str | None) -> None:
    found = index.candidates(trace("Glock", read, "19" if stamped != "g4" else "22"))
    if stamped is None:
        assert found[0].record_id == "g4"
    else:
        assert found[0].record_id == stamped


def test_lookalike_twins_are_told_apart_by_the_format(index: SerialIndex) -> None:
    # Kel-Tec stamps letters in the first three places: `51L12` read from a gun is S1L12 or SIL12;
    # the model settles which
    assert first(index, trace("Kel-Tec", "51L12", "P3AT")) == "k2"
    assert first(index, trace("Kel-Tec", "51L12", "PMR-30")) == "k1"
    # Taurus: three letters, six digits; `AB2123456` is only a record of t2, `ABZ...` of t1
    assert first(index, trace("Taurus", "AB2123456")) == "t2"
    assert first(index, trace("Taurus", "ABZ123456")) == "t1"


def test_unreadable_characters(index: SerialIndex) -> None:
    assert first(index, trace("Smith & Wesson", "TS?1234", "M&P15", "223")) == "s1"
    assert first(index, trace("Smith & Wesson", "TS?1234", "M&P 9", "9x19")) == "s2"
    assert first(index, trace("Ruger", "850-1234?", "AR556")) == "r1"
    assert first(index, trace("Ruger", "850-1234?", "LCP", ".380")) == "r2"
    assert first(index, trace("Sig", "?8A12345?")) == "x1"
    got = {c.record_id for c in index.candidates(trace("Century", "1975AB123?"))}
    assert {"c1", "c2"} <= got
    assert all("serial_unreadable" in c.reasons for c in index.candidates(trace("Glock", "BKL12?")))


def test_missing_and_extra_characters(index: SerialIndex) -> None:
    assert first(index, trace("Hi Point", "P124567")) == "h1"        # a 3 not read
    assert first(index, trace("Hi-Point", "P12344567")) == "h1"      # a 4 read twice
    assert first(index, trace("Sig Sauer", "58A12456", "P320")) == "x1"
    found = index.candidates(trace("Hi-Point", "P124567"))
    assert "serial_missing" in found[0].reasons


def test_calibre_aliases_break_ties(index: SerialIndex) -> None:
    # r1 and r2 differ in the last digit; the unreadable digit leaves the calibre to decide
    assert first(index, trace("RUGER", "850-1234?", "", "5.56X45")) == "r1"
    assert first(index, trace("RUGER", "850-1234?", "", "9mm kurz")) == "r2"


def test_two_bad_characters(index: SerialIndex) -> None:
    assert first(index, trace("Century Arms", "1975A8I234", "WASR")) in {"c1", "c3"}
    top3 = [c.record_id for c in index.candidates(trace("Century Arms", "19?5AB12?4", "WASR-10"), top=3)]
    assert "c1" in top3
    top3 = [c.record_id for c in index.candidates(trace("Taurus", "ACG65432", "PT-92"), top=3)]
    assert top3[0] == "t3"
    assert first(index, trace("Taurus", "ACG6S4E21", "PT92")) == "t3"  # a look-alike and a misread


def test_never_more_than_top_and_scores_in_range(index: SerialIndex) -> None:
    for k in (1, 2, 3):
        found = index.candidates(trace("", "?????"), top=k)
        assert len(found) <= k
    found = index.candidates(trace("Ruger", "850-12?4?"), top=2)
    assert len(found) == 2
    assert all(0.0 <= c.score <= 1.0 for c in found)
    assert found == sorted(found, key=lambda c: -c.score)
    assert index.candidates(trace("Ruger", "850-12345"), top=0) == []


def test_an_unknown_maker_is_searched_under_every_maker(index: SerialIndex) -> None:
    found = index.candidates(trace("", "1975AB1234"))
    assert found[0].record_id == "c1"
    found = index.candidates(trace("Romarm/Cugir", "1975AB1234"))
    assert found[0].record_id == "c1"


def _reference_cost(read: str, stamped: str, make: str) -> float:
    """The alignment cost written plainly (whole table, one pair at a time), for comparison."""
    from binational.firearms import alignment as c

    positions = serials.format_positions(make, len(stamped))

    def allowed(j: int, ch: str) -> bool:
        if positions is None:
            return True
        pos = positions[j]
        if pos.literal:
            return ch == pos.literal
        return (pos.digit and ch.isdigit()) or (pos.letter and ch.isalpha())

    n, m = len(read), len(stamped)
    table = [[0.0] * (m + 1) for _ in range(n + 1)]
    for j in range(m + 1):
        table[0][j] = j * c.COST_MISSING
    for i in range(1, n + 1):
        table[i][0] = i * c.COST_EXTRA
        for j in range(1, m + 1):
            r, s = read[i - 1], stamped[j - 1]
            if r == s:
                step = 0.0
            elif r == "?":
                step = c.COST_WILD
            elif serials.lookalike(r, s):
                step = c.COST_LOOKALIKE if allowed(j - 1, r) else c.COST_LOOKALIKE_FORMAT
            else:
                step = c.COST_SUBSTITUTE if allowed(j - 1, r) else c.COST_SUBSTITUTE_FORMAT
            table[i][j] = min(table[i - 1][j - 1] + step, table[i - 1][j] + c.COST_EXTRA,
                              table[i][j - 1] + c.COST_MISSING)
    return table[n][m]


def test_the_vectorised_alignment_equals_the_plain_one() -> None:
    """Random serials of real formats, damaged at random: the array alignment gives the plain
    dynamic programme's cost wherever a candidate can be (at most MAX_COST)."""
    import random

    import numpy as np

    from binational.firearms import alignment as c

    rng = random.Random(7)
    makes = ["GLOCK", "RUGER", "SIG SAUER", "COLT", "ACME"]
    pairs = []
    for _ in range(600):
        make = rng.choice(makes)
        fmt = rng.choice(serials.FORMATS.get(make, ("@@##@##",)))
        stamped = "".join(rng.choice("0123456789") if f == "#" else rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                          if f == "@" else f for f in fmt)
        read = list(stamped)
        for _ in range(rng.randint(0, 3)):
            p = rng.randrange(len(read) + 1)
            kind = rng.choice("?lsdi")
            if kind == "d" and p < len(read):
                del read[p]
            elif kind == "i":
                read.insert(p, rng.choice("0123456789ABZ"))
            elif p < len(read):
                read[p] = "?" if kind == "?" else rng.choice("0OIL1S5B8Z2G6X")
        pairs.append((make, "".join(read), stamped))
    index = SerialIndex([Marking(str(k), make, "", "", "", stamped) for k, (make, _, stamped) in enumerate(pairs)])
    reads, read_len = c.encode([r for _, r, _ in pairs])
    rec = np.arange(len(pairs))
    cost, _ = c.align(reads, read_len, index._codes[rec], index._length[rec], index._fmt[rec],
                      index._digit, index._letter, index._literal)
    for (make, read, stamped), got in zip(pairs, cost.tolist(), strict=True):
        want = _reference_cost(read, stamped, serials.normalise_make(make))
        if want <= c.MAX_COST:
            assert got == pytest.approx(want, abs=1e-4), (make, read, stamped)
        else:
            assert got > c.MAX_COST - 1e-4, (make, read, stamped)


def test_guns_recovered_together_tell_about_each_other() -> None:
    """A record another trace of the batch names is claimed; a record in the run of consecutive
    serials of another trace's record is likelier."""
    records = [
        Marking("a1", "GLOCK", "19", "9MM", "PISTOL", "XKT451"),
        Marking("a2", "GLOCK", "19", "9MM", "PISTOL", "XKT452"),    # a1's run
        Marking("b1", "GLOCK", "19", "9MM", "PISTOL", "XRT452"),    # another run, R for K
        Marking("c1", "GLOCK", "19", "9MM", "PISTOL", "MNP110"),
        Marking("c2", "GLOCK", "19", "9MM", "PISTOL", "MNP111"),
    ]
    index = SerialIndex(records)
    # alone, XKT45? is a1 or a2 (a tie broken by the order of the records)
    alone = index.candidates(trace("Glock", "XKT45?", "19"))
    assert {c.record_id for c in alone[:2]} == {"a1", "a2"} and alone[0].score == alone[1].score
    # with a1 read cleanly in the same batch, a1 is taken: a2 comes first
    ranked = index.rank([trace("Glock", "XKT451", "19"), trace("Glock", "XKT45?", "19")])
    assert ranked[0][0].record_id == "a1" and "serial_exact" in ranked[0][0].reasons
    assert ranked[1][0].record_id == "a2"
    assert "claimed_by_other_trace" in next(c.reasons for c in ranked[1] if c.record_id == "a1")
    # X?T452 is a2 or b1; a trace of a1 in the batch makes a2 (a1's run) the likelier
    assert {c.record_id for c in index.candidates(trace("Glock", "X?T452", "19"))[:2]} == {"a2", "b1"}
    ranked = index.rank([trace("Glock", "X?T452", "19"), trace("Glock", "XKT451", "19")])
    assert ranked[0][0].record_id == "a2" and "run_with_other_trace" in ranked[0][0].reasons
    # the same gun traced twice claims nothing from itself
    ranked = index.rank([trace("Glock", "MNP110"), trace("Glock", "MNP110")])
    assert [found[0].record_id for found in ranked] == ["c1", "c1"]
    alone_score = index.candidates(trace("Glock", "MNP110"))[0].score
    assert all(found[0].score == alone_score for found in ranked)


def test_a_query_leaves_the_index_as_it_was(index: SerialIndex) -> None:
    """Threads may share an index: ranking a trace with words no record has adds nothing to it."""
    before = (list(index.models.words), list(index.calibres.words), list(index.types.words))
    found = index.candidates(trace("Glock", "BKL12?", "Model Nobody Has", "4.6x30", "Blunderbuss"))
    assert found and all("caliber_differs" in c.reasons and "type_differs" in c.reasons for c in found)
    assert (index.models.words, index.calibres.words, index.types.words) == before


def test_columns_build_the_same_index_and_an_empty_one_answers_nothing() -> None:
    import numpy as np

    columns = [np.array([getattr(r, f) for r in RECORDS], object)
               for f in ("id", "manufacturer", "model", "caliber", "weapon_type", "serial")]
    from_columns = SerialIndex.from_columns(*columns)
    from_objects = SerialIndex(RECORDS)
    for t in (trace("S&W", "TS?1234", "M&P15"), trace("Ruger", "850-1234?", "LCP"), trace("", "1975AB1234")):
        assert from_columns.candidates(t) == from_objects.candidates(t)
    empty = SerialIndex([])
    assert len(empty) == 0
    assert empty.candidates(trace("Glock", "BKL12?")) == [] and empty.exact(trace("Glock", "BKL123")) == []
    assert empty.rank([trace("Glock", "BKL123"), trace("Glock", "BKL12?")]) == [[], []]
