"""Federation pages: partner nodes with their anchors, what this node sent and received with receipts
and overdue revocations, and partners' step-1 queries (node administrators); the locked copies partner
nodes released to one's agency (anyone who reads records, under the ordinary policy)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from binational.db import utcnow
from binational.federation import service
from binational.routing import SessionDep
from binational.web.render import PageActor, render
from binational.web.sessions import check_csrf

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)


@router.get("/admin/federation", response_class=HTMLResponse)
def federation(request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """Partner nodes and their anchors, items sent and received, overdue revocations, step-1 queries."""
    status = service.status(session=s, actor=actor, settings=request.app.state.settings, now=utcnow())
    return render(request, "admin/federation.html", overview=status)


@router.get("/received", response_class=HTMLResponse)
def received(request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """The locked copies partner nodes released to the user's agency that the user may read."""
    return render(request, "received.html", copies=service.copies(session=s, actor=actor, now=utcnow()))
