"""The search page: ranked results for a name, alias or identifier, with the count, facets and sorting."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from binational.errors import InvalidInput
from binational.routing import SessionDep
from binational.search import service, watchlists
from binational.web import i18n
from binational.web.render import PageActor, field_errors, redirect, render
from binational.web.sessions import check_csrf

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
PAGE = 25
Text = Annotated[str, Query(max_length=200)]
Facet = Annotated[str, Query(max_length=64)]


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request, s: SessionDep, actor: PageActor, q: Text = "", schema: Facet = "", agency: Facet = "",
    country: Facet = "", marking: Facet = "", month: Facet = "",
    sort: Annotated[str, Query(max_length=16)] = "relevance", page: Annotated[int, Query(ge=1, le=1000)] = 1,
    saved: bool = False,
) -> HTMLResponse:
    """Search the records the user may see; an empty text shows the form alone."""
    chosen = {"schema": schema, "agency": agency, "country": country, "marking": marking, "month": month}
    filters = service.Filters(**{k: v or None for k, v in chosen.items()})
    errors: dict[str, str] = {}
    results = None
    if q.strip():
        try:
            results = service.search(session=s, actor=actor, q=q, filters=filters, sort=sort, limit=PAGE,
                                     offset=(page - 1) * PAGE)
        except InvalidInput as exc:
            errors = field_errors(i18n.language(request), exc, "q")
    def link(**changes: Any) -> str:
        """This search's address with some parameters changed (an empty value drops one)."""
        params = {"q": q, "sort": sort, **chosen, "page": page, **changes}
        return "/search?" + urlencode({k: v for k, v in params.items() if v and not (k == "page" and v == 1)})

    return render(request, "search/results.html", 422 if errors else 200, q=q, sort=sort, chosen=chosen,
                  results=results, errors=errors, page=page, link=link, saved=saved,
                  pages=-(-results.total // PAGE) if results else 0)


@router.post("/search/saved", response_model=None)
async def save_search(request: Request, s: SessionDep, actor: PageActor) -> Response:
    """Keep the search shown, watched: the user is notified of records that newly answer it."""
    form = await request.form()
    q = str(form.get("q", ""))[:200]
    try:
        watchlists.save(session=s, actor=actor, q=q)
    except InvalidInput as exc:
        return render(request, "search/results.html", 422, q=q, sort="relevance", chosen={}, results=None,
                      errors=field_errors(i18n.language(request), exc, "q"), page=1, pages=0, saved=False,
                      link=lambda **_: "/search")
    return redirect("/search?" + urlencode({"q": q, "saved": "true"}))
