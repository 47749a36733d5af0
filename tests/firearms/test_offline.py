"""The offline candidates run (`binational firearms candidates`): its output, and bad input that names
the file, the line and the field and writes nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from binational.errors import InvalidInput
from binational.firearms.offline import write_candidates

RECORDS = """record_id,manufacturer,model,caliber,weapon_type,serial,dealer
r1,GLOCK,19,9MM,PISTOL,BKL123,FFL-1
r2,GLOCK,19,9MM,PISTOL,BKL124,FFL-1
r3,GLOCK,19,9MM,PISTOL,BKL125,FFL-1
r4,GLOCK,17,9MM,PISTOL,BKL126,FFL-2
r5,SMITH & WESSON,M&P15,5.56 NATO,RIFLE,TSO1234,FFL-3
r6,RUGER,AR-556,223 REM,RIFLE,850-12345,FFL-3
"""

TRACES = """trace_id,manufacturer,model,caliber,weapon_type,serial
t1,Glock,G19,9x19,P,BKL12?
t2,S&W,M&P 15,.223,RIFLE,TS01234
t3,Sturm Ruger,,,,850-1234S
t4,Glock,,,,BKL123
"""


def files(tmp_path: Path, records: str = RECORDS, traces: str = TRACES) -> tuple[Path, Path, Path]:
    (tmp_path / "records.csv").write_text(records, encoding="utf-8")
    (tmp_path / "traces.csv").write_text(traces, encoding="utf-8")
    return tmp_path / "records.csv", tmp_path / "traces.csv", tmp_path / "out" / "candidates.csv"


def test_writes_at_most_k_ranked_rows_per_trace(tmp_path: Path) -> None:
    records, traces, out = files(tmp_path)
    seen: list[tuple[int, int]] = []
    rows = write_candidates(records, traces, top=2, out=out, progress=lambda done, total: seen.append((done, total)))
    table = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows == len(table)
    assert list(table[0]) == ["trace_id", "record_id", "rank", "score"]
    by_trace: dict[str, list[dict[str, str]]] = {}
    for row in table:
        by_trace.setdefault(row["trace_id"], []).append(row)
    assert all(len(v) <= 2 for v in by_trace.values())
    assert len(by_trace["t1"]) == 2                       # BKL12? matches four records: only two kept
    assert {r["record_id"] for r in by_trace["t1"]} <= {"r1", "r2", "r3"}   # the model says 19, not 17
    assert by_trace["t2"][0]["record_id"] == "r5"
    assert by_trace["t3"][0]["record_id"] == "r6"
    assert by_trace["t4"][0]["record_id"] == "r1" and by_trace["t4"][0]["score"] == max(
        r["score"] for r in by_trace["t4"])
    for rows_of in by_trace.values():
        assert [int(r["rank"]) for r in rows_of] == list(range(1, len(rows_of) + 1))
        scores = [float(r["score"]) for r in rows_of]
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)
    assert [p.name for p in out.parent.iterdir()] == ["candidates.csv"]       # no temporary file left


@pytest.mark.parametrize(("which", "text", "message"), [
    ("records", RECORDS.replace(",serial,dealer", ",serialno,dealer"),
     "records.csv line 1 field serial: missing column"),
    ("traces", TRACES.replace("trace_id,", "id,"), "traces.csv line 1 field trace_id: missing column"),
    ("records", RECORDS.replace("BKL125", "BKL1#5"), "records.csv line 4 field serial: character '#' not allowed"),
    ("records", RECORDS.replace("BKL125", "BKL1?5"), "records.csv line 4 field serial: character '?' not allowed"),
    ("traces", TRACES.replace("850-1234S", "850/1234S"), "traces.csv line 4 field serial: character '/' not allowed"),
    ("traces", TRACES.replace(",,,,BKL123\n", ",,\n"), "traces.csv line 5 field weapon_type: missing value"),
    ("traces", TRACES.replace("t2,", ","), "traces.csv line 3 field trace_id: empty"),
    ("traces", TRACES.replace(",BKL123\n", ", - \n"), "traces.csv line 5 field serial: empty"),
    ("records", "", "records.csv line 1: empty file"),
])
def test_bad_input_names_file_line_and_field_and_writes_nothing(
        tmp_path: Path, which: str, text: str, message: str) -> None:
    records, traces, out = files(tmp_path, **{which: text})
    out.parent.mkdir()
    out.write_text("previous run\n")
    with pytest.raises(InvalidInput) as caught:
        write_candidates(records, traces, top=3, out=out)
    assert message in caught.value.message
    assert out.read_text() == "previous run\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["candidates.csv"]


def test_bad_top_and_unreadable_files(tmp_path: Path) -> None:
    records, traces, out = files(tmp_path)
    with pytest.raises(InvalidInput, match="--top"):
        write_candidates(records, traces, top=0, out=out)
    with pytest.raises(InvalidInput, match="cannot read"):
        write_candidates(tmp_path / "nope.csv", traces, top=3, out=out)
    records.write_bytes(b"record_id,manufacturer,model,caliber,weapon_type,serial\nr1,\xff,,,,A1\n")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        write_candidates(records, traces, top=3, out=out)
    assert not out.exists()
