"""Rendering pages: the Jinja2 environment, the signed-in actor of a page, and error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from binational.access import service as access
from binational.access.markings import MARKINGS
from binational.access.policy import Actor
from binational.errors import DomainError, Forbidden, NotFound, Unauthenticated
from binational.requests import notifications
from binational.routing import SessionDep, cookie_actor
from binational.vocabulary import labels
from binational.web import i18n
from binational.web.sessions import session_of

TEMPLATES = Path(__file__).parent / "templates"
env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False)


def page_actor(request: Request, s: SessionDep) -> Actor:
    """The signed-in user of a page (from the session cookie only); Unauthenticated sends to sign-in."""
    actor = cookie_actor(request, s, "sign in")
    request.state.actor = actor
    request.state.agency_name = access.get_agency(session=s, code=actor.agency).name
    request.state.unread = notifications.unread_count(session=s, actor=actor)
    return actor


PageActor = Annotated[Actor, Depends(page_actor)]


def translator(lang: str) -> Any:
    """The templates' `t`: a catalog message as markup, its arguments escaped unless they are markup
    (a `reason()` or `note()` keeps its `lang="en"` span inside a sentence); a key ending in `_html`
    is markup the catalog trusts (`<code>` around a literal)."""
    def t(key: str, **args: Any) -> Markup:
        if key.endswith("_html"):
            # the catalogs are the package's own files, trusted like its templates; arguments are escaped
            text = Markup(i18n.message_text(lang, key, args.get("count")))  # noqa: S704
            return text.format(**args) if args else text
        return i18n.markup(lang, key, **args)
    return t


def said_in(lang: str) -> Any:
    """The templates' `said(x)`: a text in the page's language as it is, any other wrapped in a span
    with its `lang` (an English fragment on a Spanish page)."""
    def said(value: i18n.Said) -> Markup:
        if value.lang == lang:
            return Markup("{}").format(value.text)
        return Markup('<span lang="{}">{}</span>').format(value.lang, value.text)
    return said


def context(request: Request, **values: Any) -> dict[str, Any]:
    """What every template gets: the translators, the language, the user, the CSRF token.

    `t(key, count=n, **args)` is a catalog message (plural by `count`); `note(text)` a service's
    English note in the language, `driver(text)` a suggestion's strongest evidence, `said(Said)` any
    text with its language marked when it is not the page's; `schema_label(name)`,
    `prop_label(schema, prop)`, `edge_label(schema)` and `caption(entity)` are the vocabulary's
    labels in the language.
    """
    lang = i18n.language(request)
    actor: Actor | None = getattr(request.state, "actor", None)
    return {
        "request": request,
        "lang": lang,
        "languages": i18n.LANGUAGES,
        "t": translator(lang),
        "said": said_in(lang),
        "note": lambda text: said_in(lang)(i18n.note(lang, text)),
        "driver": lambda text: said_in(lang)(i18n.driver(lang, text)),
        "reason": lambda text: said_in(lang)(i18n.reason_said(lang, text)),
        "schema_label": lambda name, plural=False: labels.schema_label(lang, name, plural=plural),
        "prop_label": lambda schema, prop: labels.prop_label(lang, schema, prop),
        "edge_label": lambda schema: labels.edge_label(lang, schema),
        "caption": lambda entity: labels.caption(lang, entity.schema, entity.caption),
        "actor": actor,
        "agency_name": getattr(request.state, "agency_name", ""),
        "unread": getattr(request.state, "unread", 0),
        "csrf": session_of(request).get("csrf", ""),
        "markings": MARKINGS,
        "path": request.url.path,
        **values,
    }


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """A page rendered now (inside the request's unit of work)."""
    html = env.get_template(template).render(context(request, **values))
    return HTMLResponse(html, status_code=status)


def redirect(url: str) -> RedirectResponse:
    """See-other after a form that changed something (so reloading does not post it again)."""
    return RedirectResponse(url, status_code=303)


def field_errors(lang: str, exc: DomainError, default: str = "_form") -> dict[str, str]:
    """A service error as {form field: message in the visitor's language}."""
    fields = [d.get("field") for d in exc.details if isinstance(d, dict) and d.get("field")]
    name = str(fields[0]) if fields else default
    name = name.removeprefix("properties.").removeprefix("add.").removeprefix("remove.")
    return {name: i18n.error(lang, exc.message)}


def error_page(request: Request, exc: DomainError | None, status: int) -> Response:
    """The HTML answer to a failure on a web page: sign-in redirect, 403, or the ordinary 404."""
    if isinstance(exc, Unauthenticated):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(f"/login?next={quote(target, safe='')}")
    if isinstance(exc, Forbidden) and exc.message == "csrf":
        return render(request, "error.html", 403, title_key="error.csrf_title", message_key="error.csrf")
    if isinstance(exc, Forbidden):
        return render(request, "error.html", 403, title_key="error.forbidden_title", message_key="error.forbidden")
    if isinstance(exc, NotFound) or status == 404:
        return render(request, "error.html", 404, title_key="error.not_found_title", message_key="error.not_found")
    lang = i18n.language(request)
    message = i18n.error(lang, exc.message) if exc else ""
    return render(request, "error.html", status, title_key="error.title", message=message)
