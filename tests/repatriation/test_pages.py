"""The repatriation pages through the web client: each side's steps from its forms, a refusal shown with
its rule and nothing written, and Spanish pages with no English left."""

from __future__ import annotations

import re
from datetime import timedelta

from binational.repatriation import casefiles, manifest
from tests.repatriation.conftest import acting, build_week, run_to_lock, sign_in
from tests.web.test_spanish import english_words

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
NAMES = ("US-ICE", "MX-INM", "MX-SRE", "LRA-1", "LRA-2", "CSV", "Persona Ordinaria", "Familia", "Menor Sola",
         "Cuidado Medico", "Abogada Registrada", "Suspension Tardia", "Solicitud Tardia", "Oficial Ruiz",
         "DIF Tijuana", "U.S. Immigration and Customs Enforcement")


def _post(client, path: str, data: dict | None = None, lang: str = "en"):
    page = client.get(path.rsplit("/", 1)[0] if "/movements/" in path else "/repatriation",
                      headers={"Accept-Language": lang})
    token = CSRF.search(page.text)
    assert token, page.text[:300]
    return client.post(path, data={"csrf": token.group(1), **(data or {})}, follow_redirects=False,
                       headers={"Accept-Language": lang})


def test_each_side_works_its_steps_from_the_pages(db, client, web_parties):
    week = build_week(db)
    land, land2 = week.movements["land"], week.movements["land2"]
    sign_in(client, "inm")
    board = client.get("/repatriation")
    assert board.status_code == 200 and 'data-testid="queue"' in board.text
    assert _post(client, f"/repatriation/movements/{land}/accept").status_code == 303
    r = _post(client, f"/repatriation/movements/{land2}/counter", {"start_hour": "9", "end_hour": "15"})
    assert r.status_code == 303
    # a counter-proposal outside the point's hours is refused naming the rule, and nothing changes
    r = _post(client, f"/repatriation/movements/{week.movements['air']}/counter", {"start_hour": "2"})
    assert r.status_code == 422 and "LRA-2" in r.text
    assert 'data-testid="state">proposed' in client.get(f"/repatriation/movements/{week.movements['air']}").text
    client.cookies.clear()
    sign_in(client, "ice")
    assert _post(client, f"/repatriation/movements/{land2}/accept_counter").status_code == 303
    r = _post(client, "/repatriation/plan", {"arrangement": "us-mx-2016", "date_from": week.monday.isoformat(),
                                             "date_to": week.monday.isoformat()})
    assert r.status_code == 200 and 'data-testid="plan-result"' in r.text
    page = client.get(f"/repatriation/movements/{land}")
    assert "Persona Ordinaria 0" in page.text
    client.cookies.clear()


def test_the_lock_refusal_shows_on_the_senders_page(db, client, web_parties):
    week = build_week(db)
    run_to_lock(db, week)
    sign_in(client, "ice")
    r = _post(client, f"/repatriation/movements/{week.movements['land']}/lock")
    assert r.status_code == 422 and "Gloria Abogada Registrada" in r.text and "counsel" in r.text
    with acting(db, "ice") as (s, actor):  # the refused lock's gate results were kept
        case = casefiles.read(session=s, actor=actor, detainee_id=week.cases["counsel"])
    assert any(g["stage"] == "lock" and not g["passed"] for g in case["gates"])


def test_spanish_pages_show_no_english(db, client, web_parties):
    week = build_week(db)
    run_to_lock(db, week)
    land = week.movements["land"]
    with acting(db, "ice") as (s, actor):
        casefiles.record_fact(session=s, actor=actor, detainee_id=week.cases["counsel"], fact="counsel_notified",
                              value=True)
        manifest.lock(session=s, actor=actor, movement_id=land)
        manifest.board(session=s, actor=actor, movement_id=land)
        manifest.depart(session=s, actor=actor, movement_id=land)
    for who in ("inm", "sre", "ice"):
        sign_in(client, who)
        for path in ("/repatriation", "/repatriation/statistics", "/repatriation/cases",
                     *([f"/repatriation/cases/{week.cases['late_stay']}", f"/repatriation/cases/{week.cases['asylum']}"]
                       if who == "ice" else ()),
                     *[f"/repatriation/movements/{m}" for m in week.movements.values()]):
            r = client.get(path, headers={"Accept-Language": "es-MX"})
            assert r.status_code == 200, (who, path)
            assert english_words(r.text, (*NAMES, who)) == [], (who, path)
        client.cookies.clear()


def test_every_word_a_page_builds_from_a_value_is_in_both_catalogs():
    from binational.repatriation import arrangements, gates, service
    from binational.repatriation.confidential import LINE_STATUSES
    from binational.repatriation.manifest import RECEIPT_COUNTS
    from binational.web import i18n

    keys = {f"repatriation.state_{s}" for s in service.STATES}
    keys |= {f"repatriation.role_{r}" for r in ("sender", "receiver", "consulate")}
    keys |= {f"repatriation.mode_{m}" for m in arrangements.MODES}
    keys |= {f"repatriation.cat_{c}" for c in (*service.CATEGORIES, *RECEIPT_COUNTS, "certificates")}
    keys |= {f"repatriation.category_{c}" for c in ("adult", "child", "unaccompanied_child")}
    keys |= {f"repatriation.status_{c}" for c in LINE_STATUSES} | {f"repatriation.status_{c}" for c in
                                                                   gates.PARTNER_STATUSES}
    keys |= {f"repatriation.verification_{v}" for v in ("pending", "verified", "rejected")}
    keys |= {f"repatriation.gate_{g}" for g in gates.GATES} | {f"repatriation.stage_{s}" for s in gates.STAGES}
    keys |= {f"repatriation.claim_{c}" for c in ("none", "pending", "granted")}
    from binational.repatriation.confidential import REPATRIATION_TYPES
    keys |= {"repatriation.dhs_" + kind.lower().replace(" ", "_") for kind, _detail in REPATRIATION_TYPES.values()}
    keys |= {f"repatriation.rule_{r.replace('-', '_')}" for r in service.REFUSAL_RULES}
    keys |= {f"repatriation.{name}" for name in ("by_month", "by_point", "by_age_group", "by_nationality", "by_sex",
                                                 "by_category", "by_mode", "strike_offs")}
    for lang in ("en", "es"):
        assert keys - set(i18n.catalog(lang)) == set(), lang


def test_case_files_page_by_page_and_what_the_receiver_sees(db, client, web_parties):
    week = build_week(db)
    run_to_lock(db, week)
    land = week.movements["land"]
    with acting(db, "ice") as (s, actor):
        casefiles.record_fact(session=s, actor=actor, detainee_id=week.cases["counsel"], fact="counsel_notified",
                              value=True)
        assert manifest.lock(session=s, actor=actor, movement_id=land)["locked"]
        casefiles.record_fact(session=s, actor=actor, detainee_id=week.cases["late_claim"], fact="protection_claim",
                              value="pending")
        manifest.board(session=s, actor=actor, movement_id=land)
        total = casefiles.list_cases(session=s, actor=actor)["total"]
    sign_in(client, "ice")
    first = client.get("/repatriation/cases")
    assert first.status_code == 200 and f"{total} case files · page 1 of 1" in first.text
    # filters: a part of the name (case and spaces ignored; LIKE wildcards are literal), the ready date
    r = client.get("/repatriation/cases?q=persona%20%20ORDINARIA")
    assert r.text.count('href="/repatriation/cases/us-ice.case-adult') == 6
    assert "Familia" not in r.text and 'rel="next"' not in r.text
    assert "No case file matches." in client.get("/repatriation/cases?q=%25").text
    before = (week.monday - timedelta(days=30)).isoformat()
    assert "No case file matches." in client.get(f"/repatriation/cases?ready_by={before}").text
    assert client.get("/repatriation/cases?ready_by=tomorrow").status_code == 422
    assert client.get("/repatriation/cases?page=0").status_code == 422
    # pages of the API: per_page 5, so the last page holds the rest
    r = client.get("/api/v1/repatriation/cases?per_page=5&page=2", headers=web_parties["ice"].headers)
    assert r.status_code == 200 and r.json()["pages"] == -(-total // 5) and len(r.json()["items"]) == 5
    # the file of the person pulled for a claim: the sender sees the claim; what MX-INM sees is a legal hold
    page = client.get(f"/repatriation/cases/{week.cases['late_claim']}")
    assert page.status_code == 200 and 'data-testid="claim">pending' in page.text
    shown = re.search(r'data-testid="partner-sees".*?</section>', page.text, re.S).group(0)
    assert "legal hold" in shown and "pending" not in shown and "protection" not in shown.lower()
    client.cookies.clear()
    # the receiver: no case file of ICE in its list, and ICE's file answers like one that does not exist
    sign_in(client, "inm")
    assert "Irene" not in client.get("/repatriation/cases").text
    hidden = client.get(f"/repatriation/cases/{week.cases['late_claim']}")
    missing = client.get("/repatriation/cases/us-ice.case-no-such-one")
    assert hidden.status_code == missing.status_code == 404
    assert "Irene" not in hidden.text
    r = client.get(f"/api/v1/repatriation/cases/{week.cases['late_claim']}", headers=web_parties["inm"].headers)
    assert r.status_code == 404
