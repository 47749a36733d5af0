"""Domain errors: services raise these; the API and CLI turn them into one shape each."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A failure a caller can act on; `status` is the HTTP status the API answers with."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def as_json(self) -> dict[str, Any]:
        """The one JSON error shape (docs/api.md)."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class InvalidInput(DomainError):
    """The input is malformed or breaks a rule; nothing was written."""

    status = 422
    code = "invalid_input"


class OverLimit(InvalidInput):
    """The request asks for more than a bound of the node allows (a setting): nothing is shown, and
    the refusal is audited as a denial of `action` naming no object."""

    def __init__(self, message: str, *, action: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message, details=details)
        self.action = action


class NotFound(DomainError):
    """The object does not exist for this viewer (whether or not it exists at all)."""

    status = 404
    code = "not_found"

    def __init__(
        self,
        kind: str = "object",
        ident: str | None = None,
        *,
        reason: str = "not found",
        action: str | None = None,
        owner: str | None = None,
    ) -> None:
        super().__init__(f"{kind} not found" if ident is None else f"{kind} {ident!r} not found")
        self.kind = kind
        self.ident = ident
        #: why it is hidden, the action refused and the object's owner: for the audit log only,
        #: never shown to the caller
        self.reason = reason
        self.action = action
        self.owner = owner


class Unauthenticated(DomainError):
    """No valid credential was presented."""

    status = 401
    code = "unauthenticated"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        #: why the credential was refused, for the node's own records only, never shown to the caller
        self.reason = reason or message


class Forbidden(DomainError):
    """The actor may not do this: its role lacks the capability, or the record it can see is not its
    agency's to change (records it cannot see are 404 instead)."""

    status = 403
    code = "forbidden"

    def __init__(self, message: str, *, action: str | None = None, ident: str | None = None,
                 owner: str | None = None) -> None:
        super().__init__(message)
        #: the action refused and the record concerned, for the audit log
        self.action = action
        self.ident = ident
        self.owner = owner


class Conflict(DomainError):
    """The request conflicts with the current state (for example an illegal state transition)."""

    status = 409
    code = "conflict"


class RateLimited(DomainError):
    """The actor (or its agency) has used up a limit for now; `retry_after` seconds until it may try
    again (the API's `Retry-After` header)."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, action: str | None = None, limit: str | None = None,
                 max_count: int | None = None) -> None:
        detail: dict[str, object] = {"limit": limit, "max": max_count} if limit else {}
        super().__init__(message, details=[{**detail, "retry_after": max(1, int(retry_after))}])
        self.retry_after = max(1, int(retry_after))
        #: the action refused, for the audit log (None: not recorded)
        self.action = action
        #: the limit reached (a setting's name)
        self.limit = limit


class TimeBudgetExceeded(DomainError):
    """The request ran out of its time budget (or a statement out of its timeout), or its client left;
    its work was stopped and nothing was written."""

    status = 503
    code = "time_budget_exceeded"

    def __init__(self, message: str = "the request took longer than the node allows; nothing was written",
                 *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after
