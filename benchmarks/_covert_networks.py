"""Load the 18 real covert networks of `../shared/data/networks/` as undirected weighted graphs.

Each file format is read as its folder's README describes. Weights count contacts (calls,
meetings, shared summits); undirected ties add up the two directions.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from binational.config import get_settings
from binational.networks.engine import Simple


@dataclass
class Network:
    """A named network: node labels as in the source, and the graph on their indices."""

    name: str
    labels: list[str]
    graph: Simple

    @property
    def n(self) -> int:
        return self.graph.n

    @property
    def m(self) -> int:
        return len(self.graph.edges)


def folder() -> Path:
    return Path(get_settings().public_data) / "networks"


class _Builder:
    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.pairs: list[tuple[int, int, float]] = []

    def node(self, label: str) -> int:
        return self.index.setdefault(label.strip(), len(self.index))

    def edge(self, a: str, b: str, w: float = 1.0) -> None:
        u, v = self.node(a), self.node(b)
        self.pairs.append((u, v, w))

    def done(self, name: str) -> Network:
        return Network(name, list(self.index), Simple.build(len(self.index), self.pairs))


def _matrix(paths: list[Path], name: str) -> Network:
    """Square adjacency matrices with labels in the first row and column (several are summed)."""
    b = _Builder()
    for path in paths:
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
        header = rows[0][1:]
        for label in header:
            b.node(label)
        for row in rows[1:]:
            if not row:
                continue
            for label, cell in zip(header, row[1:], strict=False):
                w = float(cell or 0)
                if w and row[0].strip() != label.strip():
                    b.edge(row[0], label, w)
    return b.done(name)


def _edgelist(path: Path, name: str, sep: str | None = None) -> Network:
    b = _Builder()
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = [p.strip() for p in (line.split(sep) if sep else line.split())]
        if len(parts) >= 2:
            b.edge(parts[0], parts[1], float(parts[2]) if len(parts) > 2 else 1.0)
    return b.done(name)


def _two_mode(path: Path, name: str) -> Network:
    """People x events matrix projected to co-attendance; weight = events shared."""
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    b = _Builder()
    attendees: dict[int, list[str]] = {}
    for row in rows[1:]:
        if not row:
            continue
        b.node(row[0])
        for j, cell in enumerate(row[1:]):
            if float(cell or 0):
                attendees.setdefault(j, []).append(row[0])
    for people in attendees.values():
        for i, a in enumerate(people):
            for c in people[i + 1:]:
                b.edge(a, c, 1.0)
    return b.done(name)


def _catalogue(root: Path) -> dict[str, Callable[[], Network]]:
    uc = root / "ucinet_covert_mcmacdonald"
    phases = sorted((root / "caviar").glob("phase*.csv"), key=lambda p: int(re.sub(r"\D", "", p.stem)))
    return {
        "caviar": lambda: _matrix(phases, "caviar"),
        "caviar_ucinet": lambda: _matrix([uc / "morselli_caviar.csv"], "caviar_ucinet"),
        "montagna_meetings": lambda: _edgelist(root / "montagna/Montagna_meetings_edgelist.csv", "montagna_meetings"),
        "montagna_phonecalls": lambda: _edgelist(root / "montagna/Montagna_phonecalls_edgelist.csv",
                                                 "montagna_phonecalls"),
        "oversize": lambda: _matrix([uc / "berlusconietal_oversize.csv"], "oversize"),
        "infinito": lambda: _two_mode(uc / "NDRANGHETAMAFIA_2M.csv", "infinito"),
        "siren": lambda: _matrix([uc / "morselli_siren.csv"], "siren"),
        "togo": lambda: _matrix([uc / "morselli_togo.csv"], "togo"),
        "cielnet": lambda: _matrix([uc / "morselli_cielnet.csv"], "cielnet"),
        "cocaine_nyc": lambda: _matrix([uc / "natajaran_cocaine.csv"], "cocaine_nyc"),
        "heroin_nyc": lambda: _matrix([uc / "natajaran_heroin.csv"], "heroin_nyc"),
        "french_connection": lambda: _matrix([uc / "macdonald_tfc.csv"], "french_connection"),
        "hijackers_911": lambda: _edgelist(root / "911_hijackers/before_9_11_edgelist.txt", "hijackers_911", ","),
        "italian_gangs": lambda: _matrix([uc / "ITALIAN_GANGS.csv"], "italian_gangs"),
        "london_gang": lambda: _matrix([uc / "LONDON_GANG.csv"], "london_gang"),
        "montreal_gangs": lambda: _matrix([uc / "MONTREALGANG.csv"], "montreal_gangs"),
        "gnd_crime": lambda: _edgelist(root / "gnd_crime_corruption/Crime_Gcc.txt", "gnd_crime"),
        "gnd_corruption": lambda: _edgelist(root / "gnd_crime_corruption/Corruption_Gcc.txt", "gnd_corruption"),
    }


NAMES = tuple(_catalogue(Path(".")))


def available() -> bool:
    return (folder() / "README.md").is_file()


def load(name: str) -> Network:
    return _catalogue(folder())[name]()


def load_all(names: tuple[str, ...] = NAMES) -> Iterator[Network]:
    for name in names:
        yield load(name)
