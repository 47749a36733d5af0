"""PostgreSQL row-level security, the backstop under the policy: forced on every table with an
`owner_agency`, and exact enough that a raw query without our WHERE clause shows only what the
policy allows; with no viewer named, the application role sees nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from binational.access import service as access
from binational.access.policy import visible, visible_values
from binational.db import act_as, act_as_system
from binational.entities import releases
from binational.entities.models import Entity, SearchTerm, Statement
from binational.models import SHAREABLE_TABLES, Base
from binational.trade import declarations, synthetic
from binational.trade import service as trade


@pytest.fixture(autouse=True)
def _postgres_only(settings):
    if not settings.is_postgres:
        pytest.skip("row-level security exists on PostgreSQL only")


def test_every_table_with_an_owner_agency_forces_row_security(db):
    owned = {t.name for t in Base.metadata.sorted_tables if "owner_agency" in t.columns}
    assert {"entities", "statements", "cases", "releases"} <= owned
    assert owned <= set(SHAREABLE_TABLES), "add the table to binational.models.SHAREABLE_TABLES"
    with db.engine.connect() as conn:
        for table in sorted(set(SHAREABLE_TABLES)):
            rls, forced = conn.execute(text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
                                            "WHERE relname = :t AND relkind = 'r'"), {"t": table}).one()
            policies = conn.execute(text("SELECT count(*) FROM pg_policies WHERE tablename = :t"),
                                    {"t": table}).scalar_one()
            assert rls and forced and policies >= 1, f"{table}: rls={rls} forced={forced} policies={policies}"
        bypass = conn.execute(text("SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = :r"),
                              {"r": db.settings.db_app_role}).scalar_one()
        assert bypass is False


def _world(client, cast, db) -> None:
    us, boss, mx = cast["us_analyst"], cast["us_supervisor"], cast["mx_analyst"]
    with db.unit_of_work() as s:
        actor = access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst"))
        act_as(s, actor)
        access.create_case(session=s, actor=actor, case_id="op-shared", title="Shared")
        access.create_case(session=s, actor=actor, case_id="op-closed", title="Closed")
        actor = access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst"))
        access.add_case_member(session=s, actor=actor, case_id="op-shared", username="mx_analyst")
        releases.release_case(session=s, actor=actor, case_id="op-shared", to=["MX-FGR"])
        releases.release_case(session=s, actor=actor, case_id="op-closed", to=["MX-FGR"])
    bodies = [
        (us, {"distribution": "agency"}), (us, {"distribution": "national"}),
        (us, {"distribution": "release", "release_to": ["MX-FGR"]}),
        (us, {"distribution": "release", "release_to": ["MX-INM"]}),
        (boss, {"distribution": "release", "release_to": ["MX-FGR"], "marking": "TLP:RED"}),
        (us, {"distribution": "national", "case_id": "op-shared"}),
        (us, {"distribution": "national", "case_id": "op-closed"}),  # released, but mx is no member
        (mx, {"distribution": "agency"}), (cast["mx_inm"], {"distribution": "national"}),
    ]
    made = []
    for n, (member, policy) in enumerate(bodies):
        r = client.post("/api/v1/entities", headers=member.headers,
                        json={"schema": "Person", **policy,
                              "properties": {"name": [f"Row Number{n}"], "phone": [f"+1915555{n:04d}"]}})
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
        if n == 2:  # a value kept to US-CBP on a released entity
            r = client.patch(f"/api/v1/entities/{r.json()['id']}", headers=us.headers,
                             json={"add": {"alias": ["Only Cbp"]}, "distribution": "agency"})
            assert r.status_code == 200
    records = [  # firearms records: US-ATF's sales and multiple-sale reports, MX-FGR's recoveries
        (cast["us_atf"], "sales", "record_id,manufacturer,dealer,dealer_state,purchaser,sale_date,weapon_type,serial\n"
                                  "A1,Glock,Gun Shop,TX,Jo Doe,2024-01-10,pistol,BKLM123\n"),
        (cast["us_atf"], "multiple-sales", "report_id,dealer,dealer_state,purchaser,report_date,weapon_type,serials\n"
                                           "M1,Gun Shop,TX,Jo Doe,2024-01-10,handgun,BKLM123;BKLM124\n"),
        (mx, "recoveries", "recovery_id,place,state,recovered_on,manufacturer,weapon_type,serial\n"
                           "R1,Culiacan,Sinaloa,2024-06-01,Glock,pistol,BKLM1?3\n"),
    ]
    for member, kind, text_ in records:
        r = client.post("/api/v1/firearms/records", headers=member.headers, json={"kind": kind, "csv": text_})
        assert r.status_code == 201, r.text
    r = client.post("/api/v1/resolution/judgements", headers=us.headers,  # a resolution judgement of US-CBP
                    json={"left_id": made[0], "right_id": made[1], "verdict": "unsure", "distribution": "agency"})
    assert r.status_code == 201, r.text
    with db.unit_of_work() as s:  # declarations of US-CBP with their inspection results (trade)
        actor = access.actor_for(session=s, user=access.get_user(session=s, username="us_analyst"))
        act_as(s, actor)
        frame = synthetic.declarations(3, start=date(2024, 1, 1), days=2, seed=4)
        trade.import_declarations(s, actor, declarations.parse(synthetic.csv_text(frame), labels=True),
                                  source={"file": "test"})
    r = client.post("/api/v1/flows/imports", headers={**us.headers, "Content-Type": "text/csv"},  # a flows series
                    params={"source": "series.csv"}, content=b"series_id,month,value\ncbp-internal,2024-01,5\n")
    assert r.status_code == 201, r.text


def test_raw_sql_as_a_partner_returns_only_what_the_policy_allows(client, cast, db):
    _world(client, cast, db)
    with db.session() as s:
        act_as_system(s)  # the expectation: the application's filters over every row
        mx = access.actor_for(session=s, user=access.get_user(session=s, username="mx_analyst"))
        entities = set(s.execute(select(Entity.id).where(visible(mx, Entity))).scalars())
        values = set(s.execute(select(Statement.value).join(Entity, Entity.id == Statement.entity_id)
                               .where(visible(mx, Entity), visible_values(mx, Statement))).scalars())
        terms = set(s.execute(select(SearchTerm.term).join(Statement, Statement.id == SearchTerm.statement_id)
                              .join(Entity, Entity.id == Statement.entity_id)
                              .where(visible(mx, Entity), visible_values(mx, Statement))).scalars())
        s.rollback()
    # its own, MX-INM's national row, the AMBER release and the shared case's row (not the RED one)
    assert len(entities) == 4 and "Only Cbp" not in values
    with db.session() as s:
        act_as(s, mx)
        assert s.execute(text("SELECT current_user")).scalar_one() == db.settings.db_app_role
        assert set(s.execute(text("SELECT id FROM entities")).scalars()) == entities
        assert set(s.execute(text("SELECT value FROM statements")).scalars()) == values
        assert set(s.execute(text("SELECT DISTINCT entity_id FROM search_terms")).scalars()) == entities
        # a term follows its value's policy too: the agency-only alias "Only Cbp" is not searchable
        assert set(s.execute(text("SELECT term FROM search_terms")).scalars()) == terms and "cbp" not in terms
        assert set(s.execute(text("SELECT id FROM cases")).scalars()) == set()
        rows = s.execute(text("SELECT owner_agency, to_agency FROM releases")).all()
        assert rows and all("MX-FGR" in row for row in rows)
        # nor can it write what it does not own
        assert s.execute(text("UPDATE entities SET marking_rank = 0 WHERE owner_agency = 'US-CBP'")).rowcount == 0
        assert s.execute(text("UPDATE releases SET revoked_at = now() WHERE owner_agency = 'US-CBP'")).rowcount == 0
        with pytest.raises(DBAPIError, match="row-level security"):
            s.execute(text("INSERT INTO entities (id, schema, owner_agency, owner_country, distribution, marking, "
                           "marking_rank, created_by, created_at, updated_at) VALUES ('us-cbp.forged', 'Person', "
                           "'US-CBP', 'US', 'national', 'TLP:CLEAR', 0, 4, now(), now())"))
        s.rollback()


def test_the_application_role_with_no_viewer_sees_nothing(client, cast, db):
    _world(client, cast, db)
    with db.engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
                  for t in SHAREABLE_TABLES}
        # the world holds rows of every core table (a module's table may be empty here: it still must show none)
        assert all(counts[t] for t in ("entities", "statements", "search_terms", "selectors", "cases", "releases",
                                       "resolution_judgements")), counts
        conn.execute(text(f'SET ROLE "{db.settings.db_app_role}"'))
        for table in SHAREABLE_TABLES:
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table  # noqa: S608
        conn.rollback()


def test_a_session_that_names_no_viewer_fails_closed(client, cast, db):
    _world(client, cast, db)
    with db.session() as s:  # no act_as: a code path that forgot to name its viewer
        assert s.execute(text("SELECT current_user")).scalar_one() == db.settings.db_app_role
        for table in SHAREABLE_TABLES:
            assert s.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table  # noqa: S608
        with pytest.raises(DBAPIError, match="row-level security"):
            s.execute(text("INSERT INTO cases (id, title, owner_agency, created_by, created_at) "
                           "VALUES ('forged', 'x', 'US-CBP', 1, now())"))
        s.rollback()
    with db.session() as s:
        act_as_system(s)
        assert all(s.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
                   for t in ("entities", "statements", "releases"))


def test_a_sessions_statements_share_one_transaction_that_commits_or_rolls_back(db):
    """Sessions open their transaction themselves, with their viewer, in one query (db._open)."""
    with db.session() as s:
        act_as_system(s)
        first = s.execute(text("SELECT txid_current(), now(), binational_system_on()")).one()
        s.execute(text("INSERT INTO countries (code, name) VALUES ('ZZ', 'Rolled Back')"))
        second = s.execute(text("SELECT txid_current(), now()")).one()
        assert first[:2] == second and first[2] is True
        s.rollback()
        s.execute(text("INSERT INTO countries (code, name) VALUES ('ZY', 'Committed')"))
        assert s.execute(text("SELECT txid_current()")).scalar_one() != first[0]
        s.commit()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT code FROM countries WHERE code IN ('ZZ', 'ZY')")).scalars().all() == ["ZY"]


def test_plain_rows_run_in_the_sessions_transaction_as_its_viewer(client, cast, db):
    """db.plain_rows hands compiled statements to psycopg itself: same transaction, same viewer,
    pending changes flushed first, errors raised as SQLAlchemy's."""
    from binational.access.models import Country
    from binational.db import plain_rows

    _world(client, cast, db)
    with db.session() as s:
        act_as_system(s)
        txid = s.execute(text("SELECT txid_current()")).scalar_one()
        s.add(Country(code="ZX", name="Pending"))  # not flushed yet
        row = plain_rows(s, select(Country.code, Country.name, text("txid_current() AS txid"),
                                   text("binational_system_on() AS system"))
                         .where(Country.code == "ZX"))[0]
        assert (row.code, row.name, row.txid, row.system) == ("ZX", "Pending", txid, True)
        with pytest.raises(DBAPIError):
            plain_rows(s, select(text("1/0 AS boom")))
        s.rollback()
    with db.session() as s:
        actor = access.actor_for(session=s, user=access.get_user(session=s, username="mx_analyst"))
        act_as(s, actor)
        ids = select(Entity.id).order_by(Entity.id)
        seen = [r.id for r in plain_rows(s, ids)]  # row-level security alone
        assert seen and seen == list(s.execute(ids.where(visible(actor, Entity))).scalars())


def test_plain_rows_refuse_what_only_sqlalchemy_can_run(db):
    from binational.access.policy import _NOW
    from binational.db import plain_rows, plain_write

    with db.session() as s:
        act_as_system(s)
        with pytest.raises(ValueError, match="policy_now"):  # a value computed when run
            plain_rows(s, select(Entity.id).where(Entity.updated_at < _NOW))
        with pytest.raises(ValueError, match="needs SQLAlchemy"):  # a list SQLAlchemy expands
            plain_rows(s, select(Entity.id).where(Entity.id.in_(["a", "b"])))
        with pytest.raises(ValueError, match="column defaults"):  # created_at's default
            plain_write(s, insert(Entity.__table__), [{"id": "x", "schema": "Person"}])
