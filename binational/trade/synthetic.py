"""Synthetic customs declarations with the data set's columns, for tests and the demo world.

Written from scratch (no row of any real or published file): importers, declarants and sellers
drawn from pools; goods from a small HS list, each with its usual value per kilogram; fraud planted
as a modelled customs officer would find it — undervaluation against the HS norm, importers with a
record of it, a risky route (departure other than origin) for some goods — and critical fraud
(drugs or weapons) concentrated on a few front companies, some of which the caller may name.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd

from binational.trade.declarations import COLUMNS, LABELS

#: goods: HS6 code, usual value per kg (in the data set's currency units), tax rate
GOODS = [("870323", 9000.0, 8.0), ("847130", 60000.0, 0.0), ("610910", 12000.0, 13.0), ("220421", 8000.0, 15.0),
         ("090111", 5000.0, 2.0), ("300490", 90000.0, 0.0), ("854231", 400000.0, 0.0), ("640399", 20000.0, 13.0),
         ("940360", 3000.0, 8.0), ("392690", 4000.0, 6.5), ("071290", 2500.0, 27.0), ("950300", 7000.0, 0.0)]
COUNTRIES = ["CN", "US", "MX", "VN", "DE", "JP", "KR", "CO", "IN", "TH", "PA", "GT"]
RISKY_ROUTES = {"CO", "PA", "GT"}
OFFICES = ["10", "20", "30", "40", "50"]


def _id(rng: np.random.Generator, n: int, prefix: str) -> list[str]:
    return [f"{prefix}{i:05d}" for i in rng.choice(100000, size=n, replace=False)]


def declarations(n: int, *, start: date, days: int, seed: int = 0, fronts: Sequence[str] = (),
                 fraud_share: float = 0.2, world: int = 0, parties: int = 400) -> pd.DataFrame:
    """`n` declarations over `days` days from `start`, labelled; `fronts` are importers that
    carry critical fraud (three are made up when none are given). The parties (importers,
    declarants, sellers) come from pools of about `parties` drawn from `world`, so files of one
    world share them; `seed` draws the rows."""
    pools = np.random.default_rng(world)
    importers = _id(pools, parties, "IMP")
    bad_importers = set(importers[: max(len(importers) // 15, 2)])
    front_ids = list(fronts) or _id(pools, 3, "FRN")
    declarants = _id(pools, max(parties // 10, 5), "DCL")
    sellers = _id(pools, parties, "SEL")
    rng = np.random.default_rng(seed + 1000)
    rows = []
    for i in range(n):
        front = rng.random() < 0.02
        importer = front_ids[rng.integers(len(front_ids))] if front else importers[rng.integers(len(importers))]
        good = rng.integers(len(GOODS))
        hs, unit, tax = GOODS[good]
        origin = COUNTRIES[rng.integers(len(COUNTRIES))]
        departure = origin if rng.random() < 0.8 else COUNTRIES[rng.integers(len(COUNTRIES))]
        mass = float(np.round(np.exp(rng.normal(6, 1.5)), 1)) + 0.1
        risk = -2.2 + (1.8 if importer in bad_importers else 0.0) + (1.2 if departure in RISKY_ROUTES else 0.0)
        fraud = rng.random() < 1 / (1 + np.exp(-risk)) * (fraud_share / 0.2) ** 0.5
        critical = front and rng.random() < 0.8
        fraud = fraud or critical
        price_factor = np.exp(rng.normal(0, 0.25)) * (rng.uniform(0.25, 0.6) if fraud and not critical else 1.0)
        price = round(mass * unit * price_factor, 1)
        day = start + timedelta(days=int(rng.integers(days)))
        rows.append({
            "Declaration ID": f"{seed:02d}{i:07d}", "Date": day.isoformat(),
            "Office ID": OFFICES[rng.integers(len(OFFICES))], "Process Type": "B" if rng.random() < 0.7 else "A",
            "Import Type": str(11 + rng.integers(3)), "Import Use": str(21 + rng.integers(2)),
            "Payment Type": str(11 + rng.integers(3)), "Mode of Transport": str([10, 40, 50][rng.integers(3)]),
            "Declarant ID": declarants[rng.integers(len(declarants))], "Importer ID": importer,
            "Seller ID": "" if rng.random() < 0.08 else sellers[rng.integers(len(sellers))],
            "Courier ID": "" if rng.random() < 0.8 else f"C{rng.integers(20):02d}", "HS6 Code": hs,
            "Country of Departure": departure, "Country of Origin": origin, "Tax Rate": tax,
            "Tax Type": "A" if tax else "FEU1", "Country of Origin Indicator": "G" if rng.random() < 0.6 else "Y",
            "Net Mass": mass, "Item Price": price, "Fraud": int(fraud), "Critical Fraud": 2 if critical else int(fraud),
        })
    frame = pd.DataFrame(rows, columns=COLUMNS + LABELS)
    return frame.sort_values(["Date", "Declaration ID"], kind="stable").reset_index(drop=True)


def csv_text(frame: pd.DataFrame, *, labels: bool = True) -> str:
    """The declarations as the data set's CSV (with or without the labels)."""
    out = io.StringIO()
    frame[COLUMNS + (LABELS if labels else [])].to_csv(out, index=False)
    return out.getvalue()
