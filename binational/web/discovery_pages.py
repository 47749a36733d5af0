"""The discovery page: paste or upload selectors, see per selector the matches one may see and bare hits.

Selectors are CSV lines, the format of `binational discovery check` (binational/requests/selector_lines.py).
Every line is checked before anything is searched: a bad line is named with its number and the reason
in the user's language, and then nothing is searched.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from binational.access.policy import require
from binational.requests import discovery, notices
from binational.requests.selector_lines import read_lines
from binational.routing import SessionDep
from binational.web import i18n
from binational.web.render import PageActor, render
from binational.web.sessions import check_csrf

router = APIRouter(prefix="/discovery", dependencies=[Depends(check_csrf)], include_in_schema=False)
#: an upload larger than this is refused before it is read as CSV (1,000 selectors fit easily)
MAX_BYTES = 1_000_000
#: notices per page
PAGE = 25


async def _text_of(form: Any, lang: str) -> tuple[str, dict[str, str]]:
    """The selectors' text: the uploaded file if there is one, else the pasted text."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            return "", {"file": i18n.translate(lang, "discovery.file_too_big", size=MAX_BYTES // 1000)}
        try:
            return raw.decode("utf-8-sig"), {}
        except UnicodeDecodeError:
            return "", {"file": i18n.translate(lang, "discovery.file_not_text")}
    return str(form.get("selectors", "")), {}


@router.get("/notices", response_class=HTMLResponse)
def discovery_notices(request: Request, s: SessionDep, actor: PageActor,
                      cursor: Annotated[str, Query(max_length=1000)] = "") -> HTMLResponse:
    """Deconfliction and sweep notices left for the user's agency (empty for a role that may not read them)."""
    items, next_cursor = notices.list_notices(session=s, actor=actor, limit=PAGE, cursor=cursor or None)
    return render(request, "discovery_notices.html", items=items, next_cursor=next_cursor, paged=bool(cursor))


@router.get("", response_class=HTMLResponse)
def discovery_form(request: Request, actor: PageActor) -> HTMLResponse:
    """The discovery form."""
    require(actor, "discovery.search")
    return render(request, "discovery.html", text="", errors={}, line_errors=[], results=None,
                  max_selectors=discovery.MAX_SELECTORS)


@router.post("", response_class=HTMLResponse)
async def check(request: Request, s: SessionDep, actor: PageActor) -> HTMLResponse:
    """Check the selectors; show the results per line, or the errors per line and search nothing."""
    require(actor, "discovery.search")
    lang = i18n.language(request)
    form = await request.form()
    text, errors = await _text_of(form, lang)
    lines, bad = read_lines(text) if not errors else ([], [])
    line_errors = [i18n.markup(lang, "discovery.line_error", line=n, message=i18n.error(lang, m)) for n, m in bad]
    count = len(lines) + len(bad)
    upload = form.get("file")
    field = "file" if isinstance(upload, UploadFile) and upload.filename else "selectors"
    if not errors and count > discovery.MAX_SELECTORS:
        errors[field] = i18n.error(lang, f"at most {discovery.MAX_SELECTORS} selectors per call, got {count}")
        line_errors = []
    elif not errors and not count:
        errors[field] = i18n.error(lang, "give at least one selector")
    elif line_errors:
        errors[field] = i18n.translate(lang, "discovery.bad_lines", count=len(line_errors))
    shown = text if field == "selectors" else ""
    if errors:
        return render(request, "discovery.html", 422, text=shown, errors=errors, line_errors=line_errors,
                      field=field, results=None, max_selectors=discovery.MAX_SELECTORS)
    found = discovery.search(session=s, actor=actor, selectors=[line.selector for line in lines])
    results = [{**result, "line": line.number, "typed": line.selector}
               for line, result in zip(lines, found, strict=True)]
    by_agency: dict[str, list[str]] = {}
    for result in results:
        for hit in result["hits"]:
            if hit["agency"] != actor.agency:
                by_agency.setdefault(hit["agency"], []).append(hit["hit_ref"])
    return render(request, "discovery.html", text=shown, errors={}, line_errors=[], field=field, results=results,
                  by_agency=sorted(by_agency.items()), max_selectors=discovery.MAX_SELECTORS,
                  seen=sum(1 for r in results if r["matches"]), held=sum(1 for r in results if r["hits"]))
