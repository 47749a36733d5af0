"""Schemathesis against the OpenAPI document: every operation, generated valid and invalid requests,
as members of the cast and as nobody; no answer is a 5xx, and every answer's status and content type
are the ones the document promises."""

from __future__ import annotations

import itertools
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from binational.app import create_app
from binational.config import Settings

#: Examples per operation: the whole test stays within a few minutes per database on two cores.
EXAMPLES = int(os.environ.get("BINATIONAL_FUZZ_EXAMPLES", "25"))
#: Who sends each request, in turn: an outsider, partner analysts, an administrator, an auditor, nobody.
CALLERS = ("outsider", "us_analyst", "mx_analyst", "admin", "us_auditor", None)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]

# The operations, read from the document of an app that is never served (no database is opened).
_DOC = create_app(Settings(database_url="sqlite://", secret_key="x" * 32)).openapi()
OPERATIONS = [(method.upper(), path) for path, ops in _DOC["paths"].items() for method in ops]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_answers_what_the_document_says(settings_, db, cast, method, path):  # noqa: ANN001
    api = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(settings_, db))
    operation = api[path][method]
    turn = itertools.count()

    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def call(case) -> None:  # noqa: ANN001
        who = CALLERS[next(turn) % len(CALLERS)]
        case.call_and_validate(headers=dict(cast[who].headers) if who else {}, checks=CHECKS)

    call()


@pytest.fixture
def settings_(settings):  # noqa: ANN001, ANN201 - the suite's `settings` fixture, clear of hypothesis' name
    return settings
