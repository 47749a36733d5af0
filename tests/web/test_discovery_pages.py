"""Discovery, new requests and notifications through the TestClient: both analysts, a third agency, CSRF,
errors next to their field in Spanish, and nothing written by a refused form."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from binational.access import service as access
from binational.audit.models import AuditEntry
from binational.db import act_as_system
from binational.requests.models import HitRef, Notification, Request, RequestItem
from tests.conftest import sequence_audit
from tests.web.conftest import csrf_of, sign_in

API = "/api/v1"
HIT_REF = re.compile(r'href="/requests/new\?to_agency=MX-FGR&amp;hit_ref=(hr_[A-Za-z0-9_-]+)"')


@pytest.fixture
def world(client, cast, db):
    """MX-FGR holds one person to itself (document G-1234567) and releases another to US-CBP (a phone);
    mx_analyst is also its agency's liaison (who answers requests); the outsider may sign in."""
    held = client.post(f"{API}/entities", headers=cast["mx_analyst"].headers, json={
        "schema": "Person", "properties": {"name": ["Held By Fiscalía"], "idNumber": ["G-1234567"]}}).json()["id"]
    shared = client.post(f"{API}/entities", headers=cast["mx_analyst"].headers, json={
        "schema": "Person", "properties": {"name": ["Shared With Cbp"], "phone": ["+526641234567"]},
        "distribution": "release", "release_to": ["US-CBP"]}).json()["id"]
    with db.unit_of_work() as s:
        act_as_system(s)  # the node operator
        access.get_user(session=s, username="mx_analyst").roles = "analyst,liaison"
        access.get_user(session=s, username="outsider").password_hash = access.hash_password("outsider pw")
    return {"held": held, "shared": shared}


def _count(db, model, *where) -> int:
    sequence_audit(db)
    with db.unit_of_work() as s:
        act_as_system(s)
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _discover(client, csrf, text, **extra):
    return client.post("/discovery", data={"csrf": csrf, "selectors": text}, **extra)


def _ask(client, csrf, ref, question="Who is this person?"):
    r = client.post("/requests/new", data={"csrf": csrf, "type": "information", "to_agency": "MX-FGR",
                                           "hit_ref": ref, "question": question, "marking": "TLP:AMBER"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[1]


def test_discovery_shows_matches_one_may_see_and_bare_hits(client, world):
    csrf = sign_in(client, "us_analyst")
    assert 'href="/discovery"' in client.get("/").text
    page = client.get("/discovery")
    assert page.status_code == 200 and 'name="selectors"' in page.text and 'type="file"' in page.text
    r = _discover(client, csrf, "document,g 123 4567\nphone,+52 664 123 4567\nemail,nobody@example.org\n")
    assert r.status_code == 200
    text = html.unescape(r.text)
    assert "3 selectors checked: 1 with records you may see, 1 held by agencies you may ask." in text
    assert f'href="/entities/{world["shared"]}"' in r.text and "score 1.00" in text
    assert "MX-FGR holds a match" in text and len(HIT_REF.findall(r.text)) == 2  # the line's and "ask all"
    assert world["held"] not in r.text and "Held By" not in r.text
    assert "no hit" in text


def test_csv_upload_with_a_header_and_per_line_errors(client, world, db):
    csrf = sign_in(client, "us_analyst")
    good = "value,type\nG-1234567,document\n"
    r = client.post("/discovery", data={"csrf": csrf}, files={"file": ("hits.csv", good.encode(), "text/csv")})
    assert r.status_code == 200 and "MX-FGR holds a match" in r.text
    searches = _count(db, AuditEntry, AuditEntry.action == "discovery.search")
    bad = "type,value\ndocument,G-1\nfax,123\n"
    r = client.post("/discovery", data={"csrf": csrf}, files={"file": ("bad.csv", bad.encode(), "text/csv")})
    assert r.status_code == 422 and 'id="e-file"' in r.text
    assert "Line 3: unknown selector type “fax”" in html.unescape(r.text)
    assert _count(db, AuditEntry, AuditEntry.action == "discovery.search") == searches


def test_bad_selectors_are_named_by_line_in_spanish_and_nothing_is_searched(client, world, db):
    csrf = sign_in(client, "us_analyst")
    client.post("/language", data={"csrf": csrf, "lang": "es", "next": "/"})
    refs, searches = _count(db, HitRef), _count(db, AuditEntry, AuditEntry.action == "discovery.search")
    lines = "passport,X123\ndocument,---\nphone,abc\nname_birth,Ana,1980-01-01\nname_birth,Ana López\ndocument,G1234567"
    r = _discover(client, csrf, lines)
    assert r.status_code == 422
    text = html.unescape(r.text)
    errors = re.search(r'<div class="error" id="e-selectors">(.*?)</div>', text, re.S).group(1)
    assert "5 líneas no son selectores válidos; no se buscó nada." in errors
    assert "Línea 1: tipo de selector desconocido «passport»" in errors
    assert "Línea 2: «---» no queda en nada al normalizarlo como selector <code>document</code>." in errors
    assert "Línea 3: «abc» no es un número de teléfono" in errors
    assert "Línea 4: «Ana» necesita un nombre y un apellido." in errors
    assert "Línea 5: un nombre necesita la fecha de nacimiento" in errors and "Línea 6" not in errors
    assert 'aria-invalid="true"' in r.text and "passport,X123" in text  # the text typed is kept
    too_many = _discover(client, csrf, "document,G1234567\n" * 1001)
    assert too_many.status_code == 422
    assert "Como máximo 1000 selectores por búsqueda; hay 1001." in html.unescape(too_many.text)
    empty = _discover(client, csrf, "\n\n")
    assert empty.status_code == 422 and "Indique al menos un selector." in empty.text
    assert (_count(db, HitRef), _count(db, AuditEntry, AuditEntry.action == "discovery.search")) == (refs, searches)


def test_request_a_hit_the_holder_answers_and_a_third_agency_sees_nothing(client, world, db):
    csrf = sign_in(client, "us_analyst")
    ref = HIT_REF.search(_discover(client, csrf, "document,G1234567").text).group(1)
    form = client.get(f"/requests/new?to_agency=MX-FGR&hit_ref={ref}").text
    assert f'value="{ref}" checked' in form and '<option value="MX-FGR" selected>' in form
    assert 'value="information" selected>Request for information' in form
    asked = _ask(client, csrf, ref)
    mine = client.get(f"/requests/{asked}").text
    assert "Who is this person?" in mine and "Asked about 1 discovery hit." in mine and "Held By" not in mine
    assert f"/requests/{asked}" in client.get("/requests?box=outbox").text
    assert 'href="/requests/new"' in client.get("/requests").text

    client.cookies.clear()
    sign_in(client, "outsider", "outsider pw")
    assert client.get(f"/requests/{asked}").status_code == 404
    for box in ("inbox", "outbox"):
        assert asked not in client.get(f"/requests?box={box}").text
    notices = client.get("/notifications").text
    assert "No notification." in notices and '<span class="count">0</span>' in notices
    with db.unit_of_work() as s:
        act_as_system(s)
        notice_id = s.execute(select(Notification.id).where(Notification.request_id == asked)).scalars().first()
    outsider_csrf = csrf_of(client.get("/").text)
    assert client.post(f"/notifications/{notice_id}/read", data={"csrf": outsider_csrf}).status_code == 404

    client.cookies.clear()
    csrf = sign_in(client, "mx_analyst")
    home = client.get("/").text
    assert '<span class="count">1</span>' in home
    assert client.post(f"/notifications/{notice_id}/read", data={}).status_code == 403  # no CSRF token
    notices = client.get("/notifications?unread=true").text
    assert f'href="/requests/{asked}"' in notices and "Request for information" in notices
    assert client.post(f"/notifications/{notice_id}/read", data={"csrf": csrf}, follow_redirects=False
                       ).status_code == 303
    assert '<span class="count">0</span>' in client.get("/").text
    page = client.get(f"/requests/{asked}").text
    assert "Held By Fiscalía" in page and f'name="release" value="{world["held"]}" checked' in page
    r = client.post(f"/requests/{asked}/answer", data={"csrf": csrf, "release": world["held"], "note": "Ours."},
                    follow_redirects=False)
    assert r.status_code == 303

    client.cookies.clear()
    sign_in(client, "us_analyst")
    assert '<span class="count">1</span>' in client.get("/").text
    page = client.get(f"/requests/{asked}").text
    assert f'href="/entities/{world["held"]}">Held By Fiscalía</a>' in page and "answered" in page
    assert "Held By Fiscalía" in client.get(f"/entities/{world['held']}").text


def test_ask_the_owner_from_an_entity_page(client, world):
    csrf = sign_in(client, "us_analyst")
    page = client.get(f"/entities/{world['shared']}").text
    link = f'href="/requests/new?to_agency=MX-FGR&amp;entity={world["shared"]}"'
    assert link in page and "Ask MX-FGR about it" in page
    form = client.get(f"/requests/new?to_agency=MX-FGR&entity={world['shared']}").text
    assert f">{world['shared']}</textarea>" in form
    r = client.post("/requests/new", data={"csrf": csrf, "type": "information", "to_agency": "MX-FGR",
                                           "entity_ids": world["shared"], "question": "More?"},
                    follow_redirects=False)
    assert r.status_code == 303
    mine = client.post("/entities/new", data={"csrf": csrf, "schema": "Person", "p.name": "Our Own",
                                              "distribution": "agency", "marking": "TLP:AMBER"},
                       follow_redirects=False).headers["location"]
    assert "Ask " not in client.get(mine).text


def test_request_form_errors_in_spanish_next_to_their_field_and_nothing_written(client, world, db):
    csrf = sign_in(client, "us_analyst")
    ref = HIT_REF.search(_discover(client, csrf, "document,G1234567").text).group(1)
    client.post("/language", data={"csrf": csrf, "lang": "es", "next": "/"})
    before = (_count(db, Request), _count(db, RequestItem), _count(db, Notification))
    denials = _count(db, AuditEntry, AuditEntry.decision == "deny")
    base = {"csrf": csrf, "type": "information", "to_agency": "MX-FGR", "question": "¿Quién es?",
            "marking": "TLP:AMBER"}
    cases = [
        ({"to_agency": "US-CBP"}, "to_agency", "Una solicitud va a otra agencia, no a la suya."),
        ({"to_agency": ""}, "to_agency", "Este campo es obligatorio."),
        ({"question": "  "}, "question", "Escriba la pregunta."),
        ({"due": "2001-01-01"}, "due", "La fecha límite debe ser futura y dentro de un año."),
        ({"due": "mañana"}, "due", "«mañana» no es un valor válido de tipo fecha."),
        ({"marking": "TLP:RED"}, "marking", "TLP:RED está por encima de su autorización."),
        ({"hit_ref": "hr_forged"}, "hit_refs", "Estas coincidencias son desconocidas o vencieron"),
        ({"hit_ref": ref, "to_agency": "MX-INM"}, "hit_refs", "Una coincidencia pertenece a MX-FGR"),
        ({"entity_ids": "mx-fgr.nothing"}, "entity_ids", "No hay ninguna entidad «mx-fgr.nothing»"),
    ]
    for change, field, message in cases:
        r = client.post("/requests/new", data={**base, **change})
        assert r.status_code == 422, (change, r.text)
        shown = re.search(rf'<p class="error" id="e-{field}">(.*?)</p>', html.unescape(r.text), re.S)
        assert shown and message in shown.group(1), (change, r.text)
        assert 'lang="es"' in r.text and f">{change.get('question', '¿Quién es?')}</textarea>" in html.unescape(r.text)
    assert (_count(db, Request), _count(db, RequestItem), _count(db, Notification)) == before
    # the forged hit_ref and the invisible entity are refusals, kept in the audit log
    assert _count(db, AuditEntry, AuditEntry.decision == "deny") == denials + 2


@pytest.mark.parametrize("token", [None, "forged"])
def test_forms_without_the_csrf_token_change_nothing(client, world, db, token):
    csrf = sign_in(client, "us_analyst")
    ref = HIT_REF.search(_discover(client, csrf, "document,G1234567").text).group(1)
    refs, searches = _count(db, HitRef), _count(db, AuditEntry, AuditEntry.action == "discovery.search")
    data = {"selectors": "document,G1234567"} | ({"csrf": token} if token else {})
    r = client.post("/discovery", data=data)
    assert r.status_code == 403 and "Nothing was changed" in r.text
    data = {"type": "information", "to_agency": "MX-FGR", "hit_ref": ref, "question": "Forged?"}
    assert client.post("/requests/new", data=data | ({"csrf": token} if token else {})).status_code == 403
    assert _count(db, Request) == 0
    assert (_count(db, HitRef), _count(db, AuditEntry, AuditEntry.action == "discovery.search")) == (refs, searches)
