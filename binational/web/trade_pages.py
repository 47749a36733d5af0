"""Trade pages: the day's selection list with reasons, a declaration with its results and the form
to record an inspection, port conditions and trade indicators. Every read goes through the trade
service (policy.visible_trade / may_see_trade) and is audited there; a declaration the user may not
see is the ordinary 404."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from binational.errors import DomainError, InvalidInput, NotFound
from binational.routing import SessionDep
from binational.trade import service
from binational.web import i18n
from binational.web.render import PageActor, field_errors, redirect, render
from binational.web.sessions import check_csrf

router = APIRouter(prefix="/trade", dependencies=[Depends(check_csrf)], include_in_schema=False)
STATS = ("earlier declarations", "inspected before", "fraud found before", "fraud rate before",
         "critical found before", "critical rate before", "value per kg against its norm")
#: the lane types of a crossing, in the order the ports page shows them
LANES = ("commercial_standard", "commercial_fast", "passenger_standard", "passenger_nexus_sentri",
         "passenger_ready", "pedestrian_standard", "pedestrian_ready")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def reason_text(lang: str, feature: str) -> str:
    """A reason's feature in the user's language: a key's history statistic, or a plain feature."""
    key, _, stat = feature.partition(": ")
    if stat in STATS:
        return i18n.translate(lang, f"trade.stat.{_slug(stat)}", what=i18n.translate(lang, f"trade.key.{_slug(key)}"))
    return i18n.translate(lang, f"trade.feature.{_slug(feature)}")


def _reasons(lang: str, pick: service.Pick) -> list[dict[str, Any]]:
    return [{"text": reason_text(lang, r["feature"]), "value": r["value"], "contribution": r["contribution"]}
            for r in pick.reasons]


@router.get("", response_class=HTMLResponse)
def selection(request: Request, s: SessionDep, actor: PageActor,
              day: Annotated[str, Query(max_length=10)] = "") -> Response:
    """The selection list of a day (the latest with one by default), with the reasons of each pick."""
    lang = i18n.language(request)
    try:
        when = date.fromisoformat(day) if day else service.latest_selection_day(s, actor)
    except ValueError:
        return render(request, "trade/selection.html", 422, rows=[], day=day,
                      errors={"day": i18n.error(lang, f"{day!r} is not a date (YYYY-MM-DD)")})
    rows = service.selection_list(s, actor, when) if when else []
    shown = [{"row": p.row, "rank": p.rank, "kind": p.kind, "score": p.score, "reasons": _reasons(lang, p)}
             for p in rows]
    return render(request, "trade/selection.html", rows=shown, day=when.isoformat() if when else "", errors={})


@router.get("/declarations/{declaration_id}", response_class=HTMLResponse)
def declaration(request: Request, s: SessionDep, actor: PageActor, declaration_id: int) -> HTMLResponse:
    """One declaration: its fields, score, reasons and the results the user may see; the result form."""
    pick, results = service.read_declaration(s, actor, declaration_id)
    lang = i18n.language(request)
    return render(request, "trade/declaration.html", row=pick.row, pick=pick, fields=json.loads(pick.row.fields),
                  reasons=_reasons(lang, pick), results=results, errors={}, form={})


@router.post("/declarations/{declaration_id}/inspect", response_model=None)
async def inspect(request: Request, s: SessionDep, actor: PageActor, declaration_id: int) -> Response:
    """Record an inspection's result; bad input comes back beside its field, with nothing written."""
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in ("outcome", "note", "joint_agency")}
    outcome = {"none": (0, 0), "fraud": (1, 1), "critical": (1, 2)}.get(values["outcome"])
    lang = i18n.language(request)
    try:
        if outcome is None:
            raise InvalidInput("choose an outcome", details=[{"field": "outcome"}])
        service.record_result(s, actor, declaration_id, fraud=outcome[0], critical=outcome[1],
                              note=values["note"], joint_agency=values["joint_agency"] or None)
    except NotFound:
        raise
    except DomainError as exc:  # refused before anything was written
        pick, results = service.read_declaration(s, actor, declaration_id)
        return render(request, "trade/declaration.html", 422, row=pick.row, pick=pick,
                      fields=json.loads(pick.row.fields), reasons=_reasons(lang, pick), results=results,
                      errors=field_errors(lang, exc, "outcome"), form=values)
    return redirect(f"/trade/declarations/{declaration_id}?recorded=1")


@router.get("/ports", response_class=HTMLResponse)
def port_conditions(request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """The latest delays and lanes open at every crossing of the Mexican border."""
    conditions = service.port_conditions(s, actor, border="Mexican Border")
    return render(request, "trade/ports.html", crossings=conditions["crossings"], lanes=LANES)


@router.get("/indicators", response_class=HTMLResponse)
def indicators(request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """Trade with Mexico by port, mode, commodity and state, the monthly trend and the top corridors."""
    data = service.indicators(s, actor)
    return render(request, "trade/indicators.html", data=data, chart=ports_chart(i18n.language(request), data))


def ports_chart(lang: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """A Vega-Lite spec: exports and imports by port of entry, stacked, in the page's language."""
    if not data["ports"]:
        return None

    def word(key: str) -> str:
        return i18n.translate(lang, key)

    values = [{"port": p["name"], "side": word(f"trade.{side}"), "usd": p[side]}
              for p in data["ports"] for side in ("exports", "imports")]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": word("trade.by_port"), "width": "container", "height": 260,
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "port", "type": "nominal", "sort": "-x", "title": word("trade.port")},
            "x": {"field": "usd", "type": "quantitative", "stack": True, "title": word("trade.usd")},
            "color": {"field": "side", "type": "nominal", "title": None, "legend": {"orient": "bottom"}},
        },
    }

