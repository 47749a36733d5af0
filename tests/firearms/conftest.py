"""Shared steps of the firearms tests: a US-ATF supervisor who traces, a small stock of sale records
and multiple-sale reports, and traces sent by MX-FGR."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from binational.access import service as access
from binational.db import Database, act_as_system
from binational.firearms.models import FirearmSale, MultipleSale, Recovery, Trace, TraceCandidate, TraceResult
from binational.requests.models import Request
from tests.conftest import PASSWORD, Member

API = "/api/v1"
WRITTEN = (FirearmSale, MultipleSale, Recovery, Trace, TraceCandidate, TraceResult, Request)

SALES = (
    "record_id,manufacturer,importer,wholesaler,dealer,dealer_state,purchaser,sale_date,model,caliber,weapon_type,"
    "serial\n"
) + """A1,Glock,Glock Inc,Sportsman Supply,Lone Star Guns,TX,John Straw,2024-01-10,19,9mm,pistol,BKLM123
A2,GLOCK INC,Glock Inc,Sportsman Supply,Lone Star Guns,TX,Ann Other,2023-03-02,19,9X19,pistol,BKLM128
A3,Smith & Wesson,,Desert Wholesale,Tucson Arms,AZ,John Straw,2024-02-01,M&P15,5.56,rifle,TM12345
A4,Smith & Wesson,,Desert Wholesale,Tucson Arms,AZ,Bob Buyer,2022-07-15,M&P15,5.56,rifle,TM12845
A5,Colt,,,Border Sports,NM,Mary Legit,2012-05-01,M4 Carbine,5.56,rifle,LE123456
A6,Acme Blasters,,,Border Sports,NM,Mary Legit,2013-05-01,X1,.999 Boom,pistol,ACME-1
"""
MULTIPLE = """report_id,dealer,dealer_state,purchaser,report_date,weapon_type,serials
M1,Tucson Arms,AZ,John Straw,2024-02-01,rifle,TM12345;TM12346
"""
TRACES = (
    "priority,crime_code,officer,recovery_place,recovery_state,recovered_on,possessor,manufacturer,model,caliber,"
    "weapon_type,serial,obliterated\n"
) + """urgent,5212,Lic. Ruiz,Culiacán,Sinaloa,2024-06-01,Pedro Sicario,GLOCK,G19,9MM,Pistola,BKLM123,no
routine,5212,Lic. Ruiz,Reynosa,Tamaulipas,2024-07-01,Luis Sicario,S&W,M&P 15,.223,rifle,TM12?45,yes
routine,5212,Lic. Ruiz,Tijuana,Baja California,2024-08-01,,Colt,M4,5.56,rifle,LE12345B,no
"""


@pytest.fixture
def atf(db: Database) -> Member:
    """A US-ATF supervisor: confirms candidates and answers traces."""
    with db.unit_of_work() as s:
        act_as_system(s)
        user = access.add_user(session=s, username="atf_tracer", agency="US-ATF", roles=["supervisor"],
                               clearance="TLP:AMBER", password=PASSWORD)
        outsider = access.get_user(session=s, username="outsider")
        access.set_password_hash(session=s, user=outsider, password_hash=access.hash_password(PASSWORD))
        _row, secret = access.create_token(session=s, user=user, days=30)
    return Member("atf_tracer", "US-ATF", ("supervisor",), "TLP:AMBER", secret)


@pytest.fixture
def stocked(client, atf: Member) -> Member:  # noqa: ANN001
    """The tracer's agency holds the sale records and the multiple-sale report above."""
    for kind, text in (("sales", SALES), ("multiple-sales", MULTIPLE)):
        r = client.post(f"{API}/firearms/records", headers=atf.headers, json={"kind": kind, "csv": text})
        assert r.status_code == 201, r.text
    return atf


@pytest.fixture
def sent(client, cast, stocked: Member) -> list[str]:  # noqa: ANN001
    """MX-FGR sent the three traces above as a batch; their ids in order."""
    r = client.post(f"{API}/firearms/traces/batch", headers=cast["mx_analyst"].headers, json={"csv": TRACES})
    assert r.status_code == 201, r.text
    return r.json()["ids"]


@pytest.fixture
def counts(db: Database) -> Callable[[], dict[str, int]]:
    """Rows in every table the firearms module writes to."""

    def count() -> dict[str, int]:
        with db.unit_of_work() as s:
            act_as_system(s)
            return {m.__tablename__: s.execute(select(func.count()).select_from(m)).scalar_one() for m in WRITTEN}

    return count


def get(client, who: Member, path: str, **params: Any) -> Any:  # noqa: ANN001
    """GET an API path as `who`."""
    return client.get(f"{API}{path}", headers=who.headers, params=params)
