"""The demo's trade: US-CBP's declarations of the world with their past inspections, a model trained
on them, and the latest day's selection list; the TransBorder and wait-times samples when the public
data folder holds them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from binational.access import service as access
from binational.audit.scope import unit_of_work
from binational.config import get_settings
from binational.db import Database, act_as, act_as_system
from binational.trade import bts, declarations, ports, risk, service

AGENCY_USER = "cbp_analyst"
#: the share of the world's days whose declarations were inspected before the demo's day
HISTORY = 0.9


def load(db: Database, world: Path, folder: Path, echo: Callable[[str], None]) -> None:
    """Import, train and draw the list; then the public samples, if present."""
    file = world / "trade" / "declarations.csv"
    if file.is_file():
        frame = declarations.read(file, labels=True)
        days = sorted(frame["date"].unique())
        cut = days[int(len(days) * HISTORY)]
        past, today = frame[frame["date"] < cut], frame[frame["date"] >= cut].drop(columns=declarations.LABELS)
        with unit_of_work(db) as session:
            actor = access.actor_for(session=session, user=access.get_user(session=session, username=AGENCY_USER))
            act_as(session, actor)
            service.import_declarations(session, actor, past.reset_index(drop=True), source={"file": file.name})
            service.import_declarations(session, actor, today.reset_index(drop=True), source={"file": file.name})
            training, scope = service.training_data(session, actor)
        model = risk.train(*service.split_by_date(training))
        model.scope = scope
        model.save(folder / "trade-model.json")
        day = max(today["date"]).date()
        with unit_of_work(db) as session:
            actor = access.actor_for(session=session, user=access.get_user(session=session, username=AGENCY_USER))
            act_as(session, actor)
            chosen = service.select_day(session, actor, model, day, budget=0.1, exploration=0.1)
        echo(f"trade: {len(frame)} declarations of US-CBP, a risk model, and {len(chosen)} to inspect on "
             f"{day.isoformat()} (/trade)")
    public = Path(get_settings().public_data) / "border"
    transborder = public / "bts-transborder-2015-01"
    if (transborder / "dot1_0115.csv").is_file():
        codes = bts.read_codes(transborder / "codes")
        tables = {n: bts.read_table(transborder / f"dot{n}_0115.csv", n, codes) for n in (1, 2, 3)}
        with unit_of_work(db) as session:
            act_as_system(session)
            service.import_flows(session, None, tables, source={"folder": transborder.name})
        echo("trade: the TransBorder freight tables of January 2015 (/trade/indicators)")
    waits = public / "cbp-border-wait-times-sample" / "currentBorderCrossings.json"
    if waits.is_file():
        with unit_of_work(db) as session:
            act_as_system(session)
            service.import_waits(session, None, ports.parse(waits.read_bytes(), waits.name),
                                 source={"file": waits.name})
        echo("trade: a snapshot of the border's wait times (/trade/ports)")
