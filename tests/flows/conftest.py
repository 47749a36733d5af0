"""Shared steps of the flows tests: import a file as a member of the cast, through the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

API = "/api/v1/flows"


@pytest.fixture
def upload(client, cast) -> Callable[..., dict[str, Any]]:  # noqa: ANN001
    """Import CSV text as a member of the cast; returns the answer (asserting its status)."""

    def send(who: str, text: str, name: str = "upload.csv", status: int = 201, **params: str) -> dict[str, Any]:
        r = client.post(
            f"{API}/imports",
            headers={**cast[who].headers, "Content-Type": "text/csv"},
            params={"source": name, **params},
            content=text.encode(),
        )
        assert r.status_code == status, r.text
        return r.json()

    return send


@pytest.fixture
def series_ids(client, cast) -> Callable[[str], dict[str, int]]:  # noqa: ANN001
    """key -> id of every series a member of the cast may see."""

    def ids(who: str) -> dict[str, int]:
        out, cursor = {}, None
        while True:
            r = client.get(
                f"{API}/series",
                headers=cast[who].headers,
                params={"limit": 1000, **({"cursor": cursor} if cursor else {})},
            )
            assert r.status_code == 200, r.text
            body = r.json()
            out.update({(row["owner_agency"], row["key"]): row["id"] for row in body["items"]})
            cursor = body["next_cursor"]
            if not cursor:
                return {f"{agency}:{key}": i for (agency, key), i in out.items()}

    return ids
