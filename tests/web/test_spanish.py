"""Spanish everywhere: the main pages of the small world, read in Spanish, show no English.

The test loads the scenario's small world, resolves it, signs in as users of MX-FGR (and the node's
administrator) with a Spanish browser, and walks the pages an analyst, a supervisor, an auditor and an
administrator open. Every text node and every label-like attribute outside an element marked
`lang="en"` is split into words; a word from the list of common English interface words below is a
failure, unless it is part of a name the data holds (agency names, the people and places of the world).
"""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from binational.access.models import Agency, User
from binational.cli import app
from binational.db import act_as_system
from binational.entities.models import Entity
from binational.resolution import runs
from binational.scenario import generate
from tests.web.conftest import csrf_of

#: words of an English interface that are not Spanish words too (no "no", "a", "me", "con" ...)
ENGLISH_WORDS = """
    the of and or with without from this that these those your you not none nothing any all each
    is are was were be been has have had will would can could may should must here there when where
    which who whose what why how than then into onto over under about after before between within
    page pages next previous first last search show hide more less open close save cancel delete
    edit add remove new create submit send answer request requests reply inbox outbox
    record records entity entities name names date dates type types agency agencies owner marking
    value values property properties link links linked match matches matched review run runs running
    network graph node nodes edge edges tie ties community communities broker hub core shortest paths
    path innermost separates left leaves component components skipped sensitivity suggestion
    suggestions same different missing given birth phone phones passport address addresses city
    number numbers street code surname surnames document documents day month swapped
    digit digits apart common agree agrees either side other one two three kind kinds
    person people organization organisation company vehicle firearm seizure crossing border
    identification membership member ownership payment call family associate event
    serial manufacturer model caliber weapon country port entry direction traveler quantity unit
    substance goods items importer northbound southbound
    error errors invalid required unknown expired forbidden found allowed denied refused
    yes sign login logout password username user users administrator
    notification notifications unread read mark released release releases revoke until since
    audit log entry entries checkpoint verify verified size root signed
    loading failed empty members variant notes method target step role drop removed robustness
    betweenness degree eigenvector compare final caption schema bridges largest fraction
    pairs threshold prior kept bounded fewer holds hold labels needed default positive negative
"""
ENGLISH = frozenset(ENGLISH_WORDS.split())

#: names the data and the product hold that contain English words (places of the world, marks)
NAME_PHRASES = ("New Mexico", "New York", "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER+STRICT", "TLP:AMBER", "TLP:RED")

WORD = re.compile(r"[A-Za-zÁÉÍÓÚÜÑáéíóúüñ0-9]+")
ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-running")


class _Text(HTMLParser):
    """Visible text and label-like attribute values, skipping script, style, code, `lang="en"` and
    `translate="no"` subtrees."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                      "track", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    def _skipping(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        # code, an English fragment, and what is marked not to be translated (selector syntax) are no UI words
        skip = (tag in ("script", "style", "code") or (values.get("lang") or "es").split("-")[0] != "es"
                or values.get("translate") == "no")
        if not skip and not self._skipping():
            self.parts += [v for k, v in attrs if k in ATTRIBUTES and v]
        if tag not in self.VOID:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            open_tag, _skip = self.stack.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.parts.append(data)


def english_words(html: str, names: tuple[str, ...]) -> list[str]:
    """The English interface words of a page's Spanish text, each with a little context; `names`
    (agencies, usernames) are taken out of the text first, longest first."""
    parser = _Text()
    parser.feed(html)
    found = []
    for part in parser.parts:
        text = part
        for phrase in (*sorted(names, key=len, reverse=True), *NAME_PHRASES):
            text = text.replace(phrase, " ")
        for word in WORD.findall(text):
            lower = word.lower()
            if lower in ENGLISH:
                found.append(f"{word!r} in {part.strip()[:120]!r}")
    return found


@pytest.fixture
def world(settings, db, tmp_path: Path) -> dict[str, object]:
    """The small world loaded (with only the users the walk signs in as) and resolved by DuckDB."""
    out = tmp_path / "small"
    generate(7, "small", out)
    users = out / "users.csv"
    with users.open(encoding="utf-8", newline="") as handle:
        # every agency's importer, and the auditor walked (hashing all the demo's passwords takes too long)
        rows = [r for r in csv.DictReader(handle) if r["roles"] in ("supervisor", "admin")
                or r["username"] == "fgr_auditor"]
    for row in rows:  # the test node has an `admin` of its own
        row["username"] = "world_admin" if row["username"] == "admin" else row["username"]
    with users.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    result = CliRunner().invoke(app, ["scenario", "load", str(out)])
    assert result.exit_code == 0, result.output
    with db.unit_of_work() as s:
        act_as_system(s)
        runs.run(session=s, actor=None, engine="duckdb", kinds=["person"])
    with db.session() as s:
        act_as_system(s)
        # agencies' names are names, in whatever language the agency writes them; so are usernames
        known = [name for (name,) in s.execute(select(Agency.name))]
        known += [name for (name,) in s.execute(select(User.username))]
        by_schema = {}
        for schema in ("Person", "Organization", "Company", "Firearm", "Seizure", "Vehicle", "Address",
                       "Membership", "Identification", "Call"):
            by_schema[schema] = s.execute(select(Entity.id).where(
                Entity.owner_agency == "MX-FGR", Entity.schema == schema).limit(1)).scalar()
    names = tuple(known)
    return {"entities": by_schema, "names": names}


def _client(client: TestClient, username: str) -> str:
    client.headers["accept-language"] = "es-MX,es;q=0.9"
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": f"demo-{username.removeprefix('world_')}",
                                    "csrf": token, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/").text)


def test_the_main_pages_in_spanish_show_no_english(client: TestClient, world: dict[str, object]) -> None:
    names = world["names"]
    entities = world["entities"]
    assert isinstance(entities, dict) and isinstance(names, tuple)
    found: dict[str, list[str]] = {}

    def walk(path: str, status: int = 200) -> str:
        r = client.get(path)
        assert r.status_code == status, (path, r.status_code)
        assert '<html lang="es">' in r.text, path
        words = english_words(r.text, names)
        if words:
            found[path] = words
        return r.text

    client.headers["accept-language"] = "es-MX,es;q=0.9"
    walk("/login")
    csrf = _client(client, "fgr_supervisor")
    for path in ("/", "/entities", "/entities?q=garcia", "/entities/new?schema=Person",
                 "/entities/new?schema=Firearm", "/entities/new?schema=Seizure", "/discovery",
                 "/discovery/notices", "/requests", "/requests?box=outbox", "/requests/new", "/notifications",
                 "/resolution", "/network", "/admin/agencies", "/admin/tokens"):
        walk(path)
    for entity_id in entities.values():
        if entity_id:
            walk(f"/entities/{entity_id}")
    walk(f"/entities/{entities['Person']}/matches")
    walk(f"/entities/{entities['Person']}/edit")
    r = client.post("/requests/new", data={"csrf": csrf, "type": "information", "to_agency": "US-CBP",
                                           "entity_ids": entities["Person"], "question": "¿Quién es?",
                                           "marking": "TLP:AMBER", "due": ""}, follow_redirects=False)
    assert r.status_code == 303, r.text
    request_page = r.headers["location"]
    walk(request_page)
    walk("/entities/no-such-record", 404)
    pair = client.get("/resolution/next", follow_redirects=False).headers["location"]
    assert pair.startswith("/resolution/") and "done" not in pair  # the world has pairs FGR may judge
    walk(pair)
    # what a form says back: results, refused lines, a value that is not a date
    for lines in ("phone,+52 664 123 4567\ndocument,XK-0000000\nname_birth,\"Pérez, Juan\",1980-01-01",
                  "fax,123\nphone,12\nname_birth,Juan"):
        r = client.post("/discovery", data={"csrf": csrf, "selectors": lines})
        assert r.status_code in (200, 422)
        if words := english_words(r.text, names):
            found[f"POST /discovery {lines[:12]}"] = words
    r = client.post("/entities/new", data={"csrf": csrf, "schema": "Person", "p.name": "Ana", "marking": "TLP:AMBER",
                                           "p.birthDate": "1980-13-45", "distribution": "agency"})
    assert r.status_code == 422
    if words := english_words(r.text, names):
        found["POST /entities/new"] = words
    plan = client.post("/network/plan", data={"csrf": csrf, "entity": entities["Person"], "depth": "2",
                                              "budget": "2", "method": "hybrid"})
    assert plan.status_code == 200, plan.text
    said = [t["role"] for t in plan.json()["targets"]] + [n["text"] for n in plan.json()["notes"] if n["lang"] == "es"]
    said.append(plan.json()["variant"])
    plan_words = [w for text in said for w in WORD.findall(text) if w.lower() in ENGLISH]
    if plan_words:
        found["/network/plan"] = plan_words
    _client(client, "cbp_supervisor")  # the receiver reads the request, its notice and its inbox in Spanish
    for path in (request_page, "/notifications", "/requests", "/"):
        walk(path)
    _client(client, "fgr_auditor")
    walk("/audit")
    _client(client, "world_admin")
    for path in ("/admin/users", "/resolution"):
        walk(path)
    assert found == {}, "\n".join(f"{path}: {words[:8]}" for path, words in found.items())
