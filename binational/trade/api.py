"""HTTP routes of trade: the day's selection list, a declaration, recording a result, ports, indicators.
Everything reads through the trade service (the policy's `visible_trade`, audited); a declaration the
caller may not see is 404 as one that does not exist."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from binational.routing import ActorDep, SessionDep
from binational.trade import service
from binational.trade.models import TradeInspection
from binational.trade.schemas import DeclarationRead, ResultCreate, ResultRead, SelectionRow

router = APIRouter(prefix="/trade", tags=["trade"])


def _row(pick: service.Pick) -> dict[str, Any]:
    row = pick.row
    return {"id": row.id, "reference": row.reference, "agency": row.owner_agency, "date": row.declared_on,
            "rank": pick.rank, "kind": pick.kind, "score": pick.score, "hs_unknown": row.hs_unknown,
            "reasons": pick.reasons}


def _result(r: TradeInspection) -> ResultRead:
    return ResultRead(id=r.id, agency=r.owner_agency, fraud=r.fraud, critical=r.critical,
                      joint_agency=r.joint_agency, note=r.note)


@router.get("/selection")
def read_selection(s: SessionDep, actor: ActorDep,
                   day: Annotated[date, Query(description="the day of the list")]) -> list[SelectionRow]:
    """The selection list of `day` the caller may see, in order, with the reasons of each pick."""
    return [SelectionRow(**_row(r)) for r in service.selection_list(s, actor, day)]


@router.get("/declarations/{declaration_id}")
def read_declaration(declaration_id: int, s: SessionDep, actor: ActorDep) -> DeclarationRead:
    """One declaration the caller may see: fields, score, reasons and the results it may see."""
    pick, results = service.read_declaration(s, actor, declaration_id)
    return DeclarationRead(**_row(pick), fields=json.loads(pick.row.fields), results=[_result(r) for r in results])


@router.post("/declarations/{declaration_id}/results", status_code=201)
def record_result(declaration_id: int, body: ResultCreate, s: SessionDep, actor: ActorDep) -> ResultRead:
    """Record what an inspection found; a joint inspection's result is shared with `joint_agency`."""
    result = service.record_result(s, actor, declaration_id, fraud=body.fraud, critical=body.critical,
                                   note=body.note, joint_agency=body.joint_agency or None)
    return _result(result)


@router.get("/ports")
def read_ports(s: SessionDep, actor: ActorDep,
               crossing: Annotated[str | None, Query(max_length=6, description="one crossing's history")] = None,
               ) -> dict[str, Any]:
    """The latest conditions of the Mexican border's crossings, or one crossing's history per lane type."""
    return service.port_conditions(s, actor, border="Mexican Border", port_number=crossing)


@router.get("/indicators")
def read_indicators(s: SessionDep, actor: ActorDep,
                    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
                    month: Annotated[int | None, Query(ge=1, le=12)] = None) -> dict[str, Any]:
    """Trade with Mexico: value and weight by port, mode, commodity and state, trend and corridors."""
    return service.indicators(s, actor, year=year, month=month)
