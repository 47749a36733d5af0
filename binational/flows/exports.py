"""CSV exports of the flows module: a series' values and stored forecast, for the series a viewer may
see (`flows.series.load_series`), audited as `flows.export`; spreadsheet formulas written as text."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy.orm import Session

from binational.access.policy import Actor
from binational.audit import log as audit
from binational.audit.export import spreadsheet_cell
from binational.flows.forecasting import month_text
from binational.flows.forecasts import forecast_view, latest_forecast
from binational.flows.series import load_series, values_of

EXPORT_HEADER = ("series", "month", "value", "mean", "lo80", "hi80", "lo95", "hi95")


def export_csv(*, session: Session, actor: Actor, series_id: int) -> str:
    """The series' values and stored forecast as CSV text (`EXPORT_HEADER`), formulas written as text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_HEADER)
    rows = export_rows(session=session, actor=actor, series_id=series_id)
    writer.writerows([spreadsheet_cell(v) for v in row] for row in rows)
    return out.getvalue()


def export_rows(*, session: Session, actor: Actor, series_id: int) -> list[tuple[Any, ...]]:
    """`series,month,value,mean,lo80,hi80,lo95,hi95`: the values and the stored forecast, as CSV rows."""
    series = load_series(session=session, actor=actor, series_id=series_id, action="flows.export")
    values = values_of(session, series)
    rows: list[tuple[Any, ...]] = [(series.key, month_text(m), v, "", "", "", "", "") for m, v in values.items()]
    view = forecast_view(latest_forecast(session, series))
    for row in (view or {}).get("months", []):
        rows.append((series.key, row["month"], "", row["mean"], row["lo80"], row["hi80"], row["lo95"], row["hi95"]))
    audit.record(
        session,
        action="flows.export",
        actor=actor,
        objects=[(f"flow-series:{series.id}", series.owner_agency)],
        extra={"rows": len(rows)},
    )
    return rows
