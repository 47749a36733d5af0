"""The evidence beyond the markings (`firearms.evidence`): consecutive serials of one case that the
markings leave level are ordered by the sale date against the recovery, the dealer's state against
the recovery's, the purchaser against the possessor, and by what another trace of the batch bought."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from binational.errors import InvalidInput
from binational.firearms import evidence
from binational.firearms.candidates import Marking, SerialIndex
from binational.firearms.offline import write_candidates

# one case of Glock 19s, consecutive serials, sold by one Texas dealer over a spring
CASE = [
    Marking("a", "GLOCK", "19", "9MM", "PISTOL", "KTJ051", "2019-03-02", "TX", "Mary K Adams Lee"),
    Marking("b", "GLOCK", "19", "9MM", "PISTOL", "KTJ052", "2019-04-11", "TX", "Pedro R Diaz Cruz"),
    Marking("c", "GLOCK", "19", "9MM", "PISTOL", "KTJ053", "2019-06-20", "TX", "John A Smith Ortiz"),
]
# the same serials' case at an Ohio dealer: Glock 19s too, sold the same days (another run that touches)
OHIO = [Marking("o" + m.id, "GLOCK", "19", "9MM", "PISTOL", "KTJ05" + str(int(m.serial[-1]) + 5), m.date, "OH",
                m.person + " II") for m in CASE]


def ranked(records: list[Marking], *traces: Marking) -> list[list[str]]:
    return [[c.record_id for c in found] for found in SerialIndex(records).rank(list(traces), top=10)]


def gun(serial: str, recovered: str = "", state: str = "", possessor: str = "", tid: str = "t") -> Marking:
    return Marking(tid, "Glock", "", "9X19", "P", serial, recovered, state, possessor)


def test_without_evidence_the_case_is_level() -> None:
    found = SerialIndex(CASE).rank([gun("KTJ05?")], top=10)[0]
    assert {c.record_id for c in found} == {"a", "b", "c"}
    assert len({c.score for c in found}) == 1


def test_a_record_sold_after_the_recovery_is_no_candidate() -> None:
    assert sorted(ranked(CASE, gun("KTJ05?", "2019-05-01"))[0]) == ["a", "b"]    # c sold in June
    assert ranked(CASE, gun("KTJ05?", "2019-03-01"))[0] == []            # recovered before any sale


def test_the_possessor_named_as_the_purchaser_goes_first() -> None:
    # written surname first, without the middle initial's dot, in other case: still the purchaser
    assert ranked(CASE, gun("KTJ05?", "2024-01-01", possessor="DIAZ CRUZ, pedro r"))[0][0] == "b"
    # a possessor who bought none of them leaves the case as the other evidence orders it
    nobody = ranked(CASE, gun("KTJ05?", "2024-01-01", possessor="Juan Nadie"))[0]
    assert nobody == ranked(CASE, gun("KTJ05?", "2024-01-01"))[0]
    # ... and their scores: only a record the possessor bought takes 15 % off the trace's others,
    # not a name no record of the case has (nor one that bought a record of another case)
    others = CASE + [Marking("z", "GLOCK", "17", "9MM", "PISTOL", "QQQ999", "2019-01-01", "TX", "Juan Nadie")]
    scores = [[c.score for c in SerialIndex(others).rank([gun("KTJ05?", "2024-01-01", possessor=who)])[0]]
              for who in ("Juan Nadie", "Otro Nombre", "")]
    assert scores[0] == scores[1] == scores[2]


def test_the_corridor_puts_the_dealer_across_the_line_first() -> None:
    found = ranked(CASE + OHIO, gun("KTJ05?", "2024-01-01", "Tamaulipas"))[0]
    assert set(found[:3]) == {"a", "b", "c"} and set(found[3:]) == {"oa", "ob", "oc"}
    # an interior recovery: the southwest still before Ohio
    assert set(ranked(CASE + OHIO, gun("KTJ05?", "2024-01-01", "Jalisco"))[0][:3]) == {"a", "b", "c"}
    # Sonora is across from Arizona: Texas is a border state still, ahead of Ohio
    assert set(ranked(CASE + OHIO, gun("KTJ05?", "2024-01-01", "Sonora"))[0][:3]) == {"a", "b", "c"}


def test_the_time_to_crime_prior_prefers_the_likelier_sale() -> None:
    # a recovery days after the sale, or decades after, is less likely than one a year or so after
    f = evidence.ttc_factor(np.array([0, 0, 0, 0]), np.array([3, 400, 1500, 8000]))
    assert f[1] == max(f) and f[0] < f[1] and f[3] < f[2] and (f >= 1 - evidence.WEIGHT_TTC).all()
    assert evidence.ttc_factor(np.array([evidence.UNKNOWN_DAY]), np.array([5]))[0] == 1.0


def test_a_record_bought_by_another_traces_purchaser_is_likelier() -> None:
    # two guns recovered together: the first read cleanly (c), the second with its last digit lost;
    # c's purchaser also bought KTJ054 the same day, and KTJ050 went to someone else
    records = CASE + [Marking("d", "GLOCK", "19", "9MM", "PISTOL", "KTJ054", "2019-06-20", "TX", "John A Smith Ortiz"),
                      Marking("e", "GLOCK", "19", "9MM", "PISTOL", "KTJ050", "2019-02-01", "TX", "Ann B Kerr Lane")]
    clean, damaged = gun("KTJ053", "2020-01-09", tid="t1"), gun("KTJ05?", "2020-01-09", tid="t2")
    first, second = SerialIndex(records).rank([clean, damaged], top=10)
    assert first[0].record_id == "c" and first[0].reasons[0] == "serial_exact"
    assert second[0].record_id == "d" and "bought_with_other_trace" in second[0].reasons
    assert "claimed_by_other_trace" in next(c for c in second if c.record_id == "c").reasons


def test_a_record_another_damaged_trace_needs_goes_last() -> None:
    # KTJ4?2 can only be KTJ452, though not read cleanly enough to claim it: KTJ45? is then 451 or 453
    records = [Marking(f"r{k}", "GLOCK", "19", "9MM", "PISTOL", f"KTJ45{k}") for k in (1, 2, 3)]
    alone = SerialIndex(records).rank([gun("KTJ45?")])[0]
    assert len({c.score for c in alone}) == 1
    together = SerialIndex(records).rank([gun("KTJ45?", tid="a"), gun("KTJ4?2", tid="b")])
    assert together[1][0].record_id == "r2" and together[1][1].score < together[1][0].score / 4
    assert {c.record_id for c in together[0][:2]} == {"r1", "r3"} and together[0][2].record_id == "r2"
    assert together[0][2].score < alone[0].score < together[0][0].score


def test_guns_seized_together_point_at_their_purchaser() -> None:
    # one case, sold the same day: two guns to Ana Straw, two to others; a seizure of two of them,
    # both serials damaged, one of which can only be Ana's KTJ453
    buyers = {1: "Ana L Straw Diaz", 2: "Bob K Lane Hill", 3: "Ana L Straw Diaz", 4: "Cy M Ross Poe"}
    records = [Marking(f"r{k}", "GLOCK", "19", "9MM", "PISTOL", f"KTJ45{k}", "2019-03-02", "TX", who)
               for k, who in buyers.items()]
    seized = [gun("KTJ45?", "2020-01-09", "Sonora", "Pedro Nadie", "a"), gun("KTJ4?3", "2020-01-09", "Sonora",
                                                                              "Pedro Nadie", "b")]
    first = SerialIndex(records).rank(seized)[0][0]
    assert first.record_id == "r1" and "bought_with_other_trace" in first.reasons
    # the same two guns recovered apart (another day, another possessor): nothing ties them
    apart = [seized[0], gun("KTJ4?3", "2021-06-01", "Sonora", "Otro Nombre", "b")]
    found = SerialIndex(records).rank(apart)[0]
    assert {c.record_id for c in found[:3]} == {"r1", "r2", "r4"} and len({c.score for c in found[:3]}) == 1


def test_names_dates_and_states_as_written() -> None:
    assert evidence.person_key("Pérez García, Juan") == evidence.person_key("JUAN perez-garcia")
    assert evidence.person_key("") == ""
    assert evidence.neighbours("Nuevo León") == evidence.neighbours("NL") == {"TX"}
    assert evidence.neighbours("chihuahua") == {"TX", "NM"} and not evidence.neighbours("Jalisco")
    assert evidence.day("1970-01-02") == 1 and evidence.day(" ") == evidence.UNKNOWN_DAY
    for bad in ("2019-13-01", "01/02/2019", "2019-01-01T00:00"):
        with pytest.raises(ValueError):
            evidence.day(bad)


def test_offline_files_carry_the_evidence(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text(
        "record_id,manufacturer,model,caliber,weapon_type,serial,dealer_state,sale_date,purchaser\n"
        + "".join(f"{m.id},{m.manufacturer},{m.model},{m.caliber},{m.weapon_type},{m.serial},{m.state},{m.date},"
                  f"{m.person}\n" for m in CASE), encoding="utf-8")
    (tmp_path / "t.csv").write_text("trace_id,manufacturer,model,caliber,weapon_type,serial,recovered_on,"
                                    "recovery_state,possessor\nt1,Glock,19,9MM,P,KTJ05?,2019-05-01,Sonora,\n",
                                    encoding="utf-8")
    write_candidates(tmp_path / "r.csv", tmp_path / "t.csv", top=5, out=tmp_path / "o.csv")
    rows = (tmp_path / "o.csv").read_text(encoding="utf-8").splitlines()
    assert sorted(r.split(",")[1] for r in rows[1:]) == ["a", "b"]        # c was sold after the recovery
    (tmp_path / "t.csv").write_text("trace_id,manufacturer,model,caliber,weapon_type,serial,recovered_on\n"
                                    "t1,Glock,19,9MM,P,KTJ05?,2019-05-01\nt2,Glock,19,9MM,P,KTJ05?,May 2019\n",
                                    encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"line 3 field recovered_on: 'May 2019' is not a date"):
        write_candidates(tmp_path / "r.csv", tmp_path / "t.csv", top=5, out=tmp_path / "o2.csv")
    assert not (tmp_path / "o2.csv").exists()
