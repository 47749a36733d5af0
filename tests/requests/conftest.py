"""Shared steps of the requests tests: record entities, run discovery, count what was written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from binational.db import Database
from binational.entities.models import Selector
from binational.requests.models import HitRef, Notification, Request, RequestEvent, RequestItem

API = "/api/v1"
WRITTEN = (HitRef, Request, RequestItem, RequestEvent, Notification, Selector)


@pytest.fixture
def record(client, cast) -> Callable[..., str]:  # noqa: ANN001
    """Create an entity as a member of the cast; returns its id."""

    def make(who: str, schema: str, properties: dict[str, Any], **policy: Any) -> str:
        r = client.post(f"{API}/entities", headers=cast[who].headers,
                        json={"schema": schema, "properties": properties, **policy})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    return make


@pytest.fixture
def discover(client, cast) -> Callable[..., list[dict[str, Any]]]:  # noqa: ANN001
    """Run discovery as a member of the cast; returns the per-selector results."""

    def run(who: str, *selectors: dict[str, Any]) -> list[dict[str, Any]]:
        r = client.post(f"{API}/discovery", headers=cast[who].headers, json={"selectors": list(selectors)})
        assert r.status_code == 200, r.text
        return r.json()["results"]

    return run


@pytest.fixture
def counts(db: Database) -> Callable[[], dict[str, int]]:
    """Rows in every table discovery and requests write to."""

    def count() -> dict[str, int]:
        with db.unit_of_work() as s:
            return {m.__tablename__: s.execute(select(func.count()).select_from(m)).scalar_one() for m in WRITTEN}

    return count
