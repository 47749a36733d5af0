"""Normalisation of selectors, and the selectors written with statements."""

from __future__ import annotations

from sqlalchemy import select

from binational.db import act_as_system
from binational.entities.models import Selector
from binational.entities.selectors import compact_identifier, key_of, name_birth_key, name_tokens, phone_key
from binational.requests.discovery import name_score


def test_identifiers_lose_case_spaces_punctuation_and_accents() -> None:
    assert compact_identifier(" g-123 4567 ") == "G1234567"
    assert compact_identifier("LOPJ800302HCHPRS09") == "LOPJ800302HCHPRS09"
    assert key_of("vehicle", "abc-12.34") == key_of("vehicle", "ABC 1234") == "ABC1234"
    assert key_of("firearm", "tca·123456") == "TCA123456"
    assert key_of("document", "---") == ""


def test_phones_become_e164_and_need_a_country_without_plus() -> None:
    assert phone_key("+1 (915) 555-1234") == "+19155551234"
    assert phone_key("915 555 1234") == ""
    assert phone_key("915 555 1234", "US") == "+19155551234"
    assert phone_key("664 123 4567", "mx") == "+526641234567"
    assert key_of("email", " Juan.Perez@Example.COM ") == "juan.perez@example.com"
    assert key_of("email", "not an address") == ""


def test_names_drop_accents_particles_titles_and_order() -> None:
    assert name_tokens("Sr. José María de la Cruz Hernández") == ["cruz", "hernandez", "jose", "maria"]
    assert name_tokens("HERNÁNDEZ, José María DE LA CRUZ") == name_tokens("Jose Maria Cruz Hernandez")
    assert name_birth_key("María López", "1980-03-02") == ("1980-03-02", "lopez maria")
    assert name_birth_key("Madonna", "1958-08-16") == ("", "")
    assert name_birth_key("María López", "not a date") == ("", "")


def test_name_scores_reward_missing_second_surname_less_than_a_full_match() -> None:
    full = tuple(name_tokens("José María López Pérez"))
    assert name_score(full, full) == 1.0
    one_surname = name_score(tuple(name_tokens("José María López")), full)
    typo = name_score(tuple(name_tokens("Jose Maria Lopes Perez")), full)
    assert 0.8 <= one_surname < 1.0 and 0.8 <= typo < 1.0
    assert name_score(tuple(name_tokens("Juan Gómez")), full) < 0.8


def test_statements_write_their_selectors(record, db) -> None:  # noqa: ANN001
    person = record("us_analyst", "Person", {
        "name": ["José López", "Pepe López Pérez"], "birthDate": ["1980-03-02"], "phone": ["+19155551234"],
        "passportNumber": ["G1234567"], "email": ["pepe@example.com"], "nationality": ["mx"]})
    car = record("us_analyst", "Vehicle", {"registrationNumber": ["ABC-1234", "1HGCM82633A004352"]})
    gun = record("us_atf", "Firearm", {"serialNumber": ["TCA 123456"]})
    doc = record("mx_analyst", "Identification", {"number": ["LOPJ800302HCHPRS09"], "country": ["mx"]})
    with db.unit_of_work() as s:
        act_as_system(s)
        rows = s.execute(select(Selector.entity_id, Selector.kind, Selector.value, Selector.detail)).all()
    got = {(e, k, v, d) for e, k, v, d in rows}
    assert got == {
        (person, "phone", "+19155551234", None), (person, "document", "G1234567", None),
        (person, "email", "pepe@example.com", None),
        (person, "name_birth", "1980-03-02", "jose lopez"), (person, "name_birth", "1980-03-02", "lopez pepe perez"),
        (car, "vehicle", "ABC1234", None), (car, "vehicle", "1HGCM82633A004352", None),
        (gun, "firearm", "TCA123456", None), (doc, "document", "LOPJ800302HCHPRS09", None),
    }


def test_a_birth_date_added_later_pairs_with_the_names(client, cast, record, db) -> None:  # noqa: ANN001
    person = record("us_analyst", "Person", {"name": ["Ana Ruiz Soto"]})
    r = client.patch(f"/api/v1/entities/{person}", headers=cast["us_analyst"].headers,
                     json={"add": {"birthDate": ["1975"]}})
    assert r.status_code == 200, r.text
    with db.unit_of_work() as s:
        act_as_system(s)
        rows = s.execute(select(Selector.kind, Selector.value, Selector.detail)
                         .where(Selector.entity_id == person)).all()
    assert [tuple(r) for r in rows] == [("name_birth", "1975", "ana ruiz soto")]


def test_imported_entities_are_indexed_too(db, tmp_path) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from binational.cli import app

    lines = '{"id": "p1", "schema": "Person", "properties": {"idNumber": ["RUSA750101MDFZTN08"]}}\n'
    path = tmp_path / "people.jsonl"
    path.write_text(lines)
    result = CliRunner().invoke(app, ["entities", "import", str(path), "--as", "mx_analyst"])
    assert result.exit_code == 0, result.output
    with db.unit_of_work() as s:
        act_as_system(s)
        assert s.execute(select(Selector.value).where(Selector.kind == "document")).scalars().all() == [
            "RUSA750101MDFZTN08"]
