"""Schemathesis against the OpenAPI document: every operation, generated valid and invalid requests,
as members of the cast and as nobody; no answer is a 5xx, and every answer's status and content type
are the ones the document promises."""

from __future__ import annotations

import itertools
import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from binational.app import create_app

#: Examples per operation: the whole test stays near a minute per database on two cores (docs/security.md).
EXAMPLES = int(os.environ.get("BINATIONAL_FUZZ_EXAMPLES", "6"))
#: Who sends each request, in turn: an outsider, partner analysts, an administrator, an auditor, nobody.
CALLERS = ("outsider", "us_analyst", "mx_analyst", "admin", "us_auditor", None)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]


def test_every_operation_answers_what_the_document_says(settings_, db, cast):  # noqa: ANN001
    """One database for all operations (a copy per operation cost more than the requests on
    PostgreSQL); a failure names its operation."""
    api = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(settings_, db, federation=True))
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) > 40
    turn = itertools.count()
    for operation in operations:
        cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                          operation.as_strategy(GenerationMode.NEGATIVE))

        @given(case=cases)
        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case) -> None:  # noqa: ANN001
            who = CALLERS[next(turn) % len(CALLERS)]
            case.call_and_validate(headers=dict(cast[who].headers) if who else {}, checks=CHECKS)

        try:
            call()
        except Exception as exc:
            raise AssertionError(f"{operation.label}: {exc}") from exc


@schemathesis.serializer("application/x-ndjson")
def _json_lines(_ctx, value):  # noqa: ANN001, ANN202 - the import's body: a file of JSON lines, generated as text
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else json.dumps(value).encode()


@pytest.fixture
def settings_(settings):  # noqa: ANN001, ANN201 - the suite's `settings` fixture, clear of hypothesis' name
    return settings
