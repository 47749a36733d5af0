"""The OpenAPI document tells the truth about failures: every operation lists the error statuses it
can answer, each in the one error shape, with `Retry-After` where the caller should wait."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message", "details"],
        "properties": {
            "code": {"type": "string", "description": "what went wrong, e.g. `invalid_input`, `not_found`"},
            "message": {"type": "string"},
            "details": {"type": "array", "items": {"type": "object"},
                        "description": "per problem: `field`, `reason` (and `type` for a shape error)"},
        },
    }},
}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again", "schema": {"type": "integer"}}}

#: status: (description, whether every operation can answer it, extra headers)
ERRORS: dict[int, tuple[str, bool, dict[str, Any]]] = {
    400: ("`malformed_json`: the body is not JSON (syntax, UTF-8, nesting, number size)", False, {}),
    401: ("`unauthenticated`: no valid credential", True,
          {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}}),
    403: ("`forbidden`: the caller's role lacks the capability, or the record is another agency's", True, {}),
    404: ("`not_found`: no such object, or one the caller may not see (the same answer)", True, {}),
    409: ("`conflict`: the request conflicts with the current state", False, {}),
    413: ("`payload_too_large`: the body is over the node's limit", True, {}),
    422: ("`invalid_input`: the request breaks a rule or a text holds a NUL or a lone surrogate; "
          "`details` names the field", True, {}),
    429: ("`rate_limited`: the caller's (or its agency's) limit is spent", True, _RETRY_AFTER),
    503: ("`unavailable`: the database is out of reach; `time_budget_exceeded`: the request ran past the "
          "node's time budget and nothing was written", True, _RETRY_AFTER),
}
_WRITES = {"post", "put", "patch", "delete"}


def add_errors(doc: dict[str, Any], *prefixes: str) -> None:
    """Add the error answers to every operation under one of `prefixes` of an OpenAPI document, in place."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in doc.get("paths", {}).items():
        if not path.startswith(prefixes):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status, (description, everywhere, headers) in ERRORS.items():
                applies = everywhere or (status == 400 and "requestBody" in operation) or (
                    status == 409 and method in _WRITES)
                if not applies:
                    continue
                answer: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": ref}}}
                if headers:
                    answer["headers"] = headers
                responses[str(status)] = answer
    # FastAPI's own validation shape is never sent: every 422 is the error shape above
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


def document_errors(app: FastAPI, *prefixes: str) -> None:
    """Make `app.openapi()` list the error answers of every operation under one of `prefixes`."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            add_errors(generate(), *prefixes)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
