"""The discovery page: paste or upload selectors, see per selector the matches one may see and bare hits.

Selectors are CSV lines, the format of `binational discovery check`: `type,value[,birth_date][,country]`,
with or without the header line `type,value,birth_date,country` (with a header, columns may come in
any order). Every line is checked before anything is searched: a bad line is named with its number
and the reason in the user's language, and then nothing is searched.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from binational.access.policy import require
from binational.errors import InvalidInput
from binational.requests import discovery, notices
from binational.routing import SessionDep
from binational.web import i18n
from binational.web.render import PageActor, render
from binational.web.sessions import check_csrf

router = APIRouter(prefix="/discovery", dependencies=[Depends(check_csrf)], include_in_schema=False)
COLUMNS = ("type", "value", "birth_date", "country")
#: an upload larger than this is refused before it is read as CSV (1,000 selectors fit easily)
MAX_BYTES = 1_000_000
#: notices per page
PAGE = 25


@dataclass
class Line:
    """One selector as typed, with the line of the text or file it came from."""

    number: int
    selector: dict[str, str | None]


def read_lines(text: str) -> tuple[list[Line], list[tuple[int, str]]]:
    """The selectors of CSV text (header optional) and the errors per line (line number, English message)."""
    reader = csv.reader(io.StringIO(text))
    columns: tuple[str, ...] = COLUMNS
    lines: list[Line] = []
    errors: list[tuple[int, str]] = []
    first = True
    for row in reader:
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if first and {"type", "value"} <= {c.lower() for c in cells}:
            columns = tuple(c.lower() for c in cells)
            first = False
            continue
        first = False
        selector: dict[str, str | None] = {c: None for c in COLUMNS}
        for name, cell in zip(columns, cells, strict=False):
            if name in selector:
                selector[name] = cell or None
        try:
            discovery.parse([selector])
        except InvalidInput as exc:
            errors.append((reader.line_num, exc.message.removeprefix("selector 0: ")))
            continue
        lines.append(Line(reader.line_num, selector))
    return lines, errors


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
