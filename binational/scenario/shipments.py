"""Shipments and their customs import declarations, a small share carrying drugs or weapons.

The world's importers, declarants and sellers come from pools of the world's seed; the trafficking
organisations' front companies (their RFC as importer id) import too, and most of their shipments
hide contraband: those declarations carry `Critical Fraud` 2 and a truth row naming the organisation,
the company and whether drugs or weapons were found. Other frauds (undervaluation, a risky route,
importers with a record) are planted as `binational.trade.synthetic` describes. The declarations are
written to `trade/declarations.csv` in the customs data set's columns, ready for `trade import` and
`trade train`.
"""

from __future__ import annotations

import random
from datetime import date

from binational.scenario.registry import register
from binational.scenario.world import World
from binational.trade import synthetic

#: declarations per size of world: small stays fast
DECLARATIONS = {"small": 1_500, "medium": 20_000, "large": 200_000}
SHIPMENTS_HEADER = ("declaration_id", "date", "importer", "organisation_id", "company_id", "contraband")


@register("shipments")
def generate_shipments(world: World, rng: random.Random, faker_us, faker_mx) -> None:  # noqa: ANN001
    fronts = {company.rfc: (org.organisation_id, company.company_id)
              for org in world.state.get("organisations", []) for company in org.companies}
    count = DECLARATIONS.get(world.size.name, 1_500)
    frame = synthetic.declarations(count, start=date(2024, 1, 1), days=365, seed=rng.getrandbits(31),
                                   fronts=sorted(fronts), world=world.seed % (2 ** 31),
                                   parties=max(count // 5, 50))
    folder = world.out / "trade"
    folder.mkdir(exist_ok=True)
    (folder / "declarations.csv").write_text(synthetic.csv_text(frame), encoding="utf-8")
    for row in frame.itertuples(index=False):
        importer = row[frame.columns.get_loc("Importer ID")]
        if row[frame.columns.get_loc("Critical Fraud")] != 2 or importer not in fronts:
            continue
        organisation, company = fronts[importer]
        world.truth("shipments", SHIPMENTS_HEADER,
                    (row[0], row[1], importer, organisation, company, rng.choice(("drugs", "weapons"))))
    world.counts["trade/declarations.csv"] = len(frame)
