"""Attack tests first: nothing the receiving country sees — API, exports, requests, notifications, audit
views, pages — reveals that a protection claim exists or was made (8 CFR 208.6). A person pulled for a
protection reason appears only as "legal hold"; people kept off for a claim never appear at all; the
sender's case files and gate results answer 404 to every partner, like a record that never existed.
"""

from __future__ import annotations

import json
import re

from binational.repatriation import casefiles, manifest
from tests.conftest import sequence_audit
from tests.repatriation.conftest import acting, build_week, run_to_lock, sign_in

API = "/api/v1"
#: words that would tell a partner of a claim, a stay, a screening or why someone was kept off
TELLING = re.compile(r"asyl|protection|fear|withhold|torture|\bcat\b|refoul|credible|stay|claim|screening|"
                     r"counsel|final_order|gate", re.IGNORECASE)
KEPT_OFF = ("fear", "asylum", "withholding", "uac_unscreened")


def _full_flow(db, client, parties):
    week = build_week(db)
    run_to_lock(db, week)
    land = week.movements["land"]
    with acting(db, "ice") as (s, actor):
        casefiles.record_fact(session=s, actor=actor, detainee_id=week.cases["counsel"], fact="counsel_notified",
                              value=True)
        assert manifest.lock(session=s, actor=actor, movement_id=land)["locked"]
        casefiles.record_fact(session=s, actor=actor, detainee_id=week.cases["late_claim"], fact="protection_claim",
                              value="pending")
        casefiles.record_fact(session=s, actor=actor, detainee_id=week.cases["late_stay"], fact="discretionary_stay",
                              value=True)
        manifest.board(session=s, actor=actor, movement_id=land)
        manifest.depart(session=s, actor=actor, movement_id=land)
    r = client.get(f"{API}/repatriation/movements/{land}", headers=parties["inm"].headers)
    counts = r.json()["counts"]["by_category"]
    r = client.post(f"{API}/repatriation/movements/{land}/receive", headers=parties["inm"].headers, json={
        "counts": counts, "receiving_officer": "Oficial Ruiz", "child_welfare_officer": "DIF Tijuana",
        "certificates": [f"CR-{n}" for n in range(counts["adults"] + counts["children"]
                                                  + counts["unaccompanied_children"])],
        "belongings_returned": True, "hour": 10})
    assert r.status_code == 200, r.text
    return week


def _partner_texts(client, member, week) -> list[tuple[str, str]]:
    """Every receiving-side output the member's agency can reach, as text."""
    h = member.headers
    out = []

    def get(path: str) -> None:
        r = client.get(path, headers=h)
        out.append((path, r.text))

    get(f"{API}/repatriation/movements")
    for mid in week.movements.values():
        get(f"{API}/repatriation/movements/{mid}")
        get(f"{API}/repatriation/movements/{mid}/manifest.csv")
        get(f"{API}/repatriation/movements/{mid}/convoy?buses=2&seats=45")  # the sender's alone: 404
    get(f"{API}/repatriation/statistics")
    get(f"{API}/repatriation/arrangements")
    r = client.get(f"{API}/requests?box=inbox", headers=h)
    out.append(("inbox", r.text))
    for item in r.json().get("items", []):
        get(f"{API}/requests/{item['id']}")
    get(f"{API}/notifications")
    return out


def test_no_receiving_side_output_reveals_a_protection_claim(db, client, parties):
    week = _full_flow(db, client, parties)
    sequence_audit(db)
    kept_names = ["Carla Temor Fundado", "Dario Asilo Pendiente", "Elena Retencion Otorgada", "Beto Menor Sinfiltro"]
    for who in ("inm", "sre"):
        texts = _partner_texts(client, parties[who], week)
        assert any("legal_hold" in text for _, text in texts), who
        for path, text in texts:
            found = TELLING.search(text)
            assert found is None, (who, path, found and text[max(0, found.start() - 80):found.end() + 80])
            for name in kept_names:
                assert name not in text, (who, path, name)
            for key in KEPT_OFF:
                assert week.cases[key] not in text, (who, path, key)
    # the two pulled at boarding show only as legal hold on the receiver's manifest
    r = client.get(f"{API}/repatriation/movements/{week.movements['land']}", headers=parties["inm"].headers)
    pulled = {line["name"]: line["status"] for line in r.json()["manifest"] if line["status"] != "boarded"}
    assert pulled == {"Hector Suspension Tardia": "legal_hold", "Irene Solicitud Tardia": "legal_hold"}


def test_partner_auditors_see_no_claim_and_case_files_are_the_senders_alone(db, client, parties):
    week = _full_flow(db, client, parties)
    sequence_audit(db)
    for who in ("inm_auditor", "sre_auditor"):
        h = parties[who].headers
        for path in (f"{API}/audit", f"{API}/audit/export?format=jsonl", f"{API}/audit/export?format=csv"):
            r = client.get(path, headers=h)
            assert r.status_code == 200, (who, path, r.text)
            assert TELLING.search(r.text) is None, (who, path)
            for case in week.cases.values():
                assert case not in r.text, (who, path, case)
        for case in (week.cases["late_claim"], week.cases["asylum"]):
            r = client.get(f"{API}/audit/who-saw/{case}", headers=h)
            assert r.status_code in (200, 404)
            assert case not in r.text or r.status_code == 404
    case = week.cases["late_claim"]
    mine = client.get(f"{API}/repatriation/cases/{case}", headers=parties["ice"].headers)
    assert mine.status_code == 200 and mine.json()["protection_claim"] == "pending"
    for who in ("inm", "sre", "inm_auditor"):
        never = client.get(f"{API}/repatriation/cases/us-ice.case-never-was", headers=parties[who].headers)
        r = client.get(f"{API}/repatriation/cases/{case}", headers=parties[who].headers)
        assert r.status_code == never.status_code and r.status_code in (403, 404), who
        assert r.json() == json.loads(never.text.replace("us-ice.case-never-was", case)), who
        r = client.post(f"{API}/repatriation/cases/{case}/facts", headers=parties[who].headers,
                        json={"fact": "protection_claim", "value": "none"})
        assert r.status_code in (403, 404), who


def test_an_outsider_and_a_partner_of_another_agency_see_no_movement(db, client, parties, cast):
    week = build_week(db)
    for member in (cast["outsider"], cast["mx_analyst"], cast["us_analyst"]):
        for mid in week.movements.values():
            r = client.get(f"{API}/repatriation/movements/{mid}", headers=member.headers)
            assert r.status_code == 404, member.username
        r = client.get(f"{API}/repatriation/movements", headers=member.headers)
        assert r.json() == [], member.username
        r = client.get(f"{API}/repatriation/statistics", headers=member.headers)
        assert r.json()["movements"] == 0


def test_the_lock_refusal_names_person_and_gate_to_the_sender_only(db, client, parties):
    week = build_week(db)
    run_to_lock(db, week)
    land = week.movements["land"]
    r = client.post(f"{API}/repatriation/movements/{land}/lock", headers=parties["ice"].headers)
    assert r.status_code == 409
    body = r.json()["error"]
    assert body["code"] == "conflict" and "Gloria Abogada Registrada" in body["message"]
    assert [(d["name"], d["gate"]) for d in body["details"]] == [("Gloria Abogada Registrada", "counsel")]
    # the results were recorded though the lock was refused
    case = client.get(f"{API}/repatriation/cases/{week.cases['counsel']}", headers=parties["ice"].headers).json()
    assert any(g["stage"] == "lock" and g["gate"] == "counsel" and not g["passed"] for g in case["gates"])
    # the receiver's view of the movement is unchanged and tells nothing of it
    r = client.get(f"{API}/repatriation/movements/{land}", headers=parties["inm"].headers)
    assert r.json()["state"] == "accepted" and TELLING.search(r.text) is None
    for who in ("inm", "sre"):
        r = client.post(f"{API}/repatriation/movements/{land}/lock", headers=parties[who].headers)
        assert r.status_code == 403


def test_pages_of_the_receiver_and_consulate_reveal_no_claim(db, client, web_parties):
    week = _full_flow(db, client, web_parties)
    for who in ("inm", "sre"):
        sign_in(client, who)
        for lang in ("en", "es"):
            for path in ("/repatriation", "/repatriation/statistics",
                         *[f"/repatriation/movements/{m}" for m in week.movements.values()]):
                r = client.get(path, headers={"Accept-Language": lang})
                assert r.status_code == 200, (who, path, r.status_code)
                text = re.sub(r"<script.*?</script>", "", r.text, flags=re.S)
                assert TELLING.search(re.sub(r"<[^>]+>", " ", text)) is None, (who, lang, path)
                assert "Carla Temor Fundado" not in text
        client.cookies.clear()
