"""Request types, declared as data: later modules register their own (traces, nationality checks ...)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from binational.access.roles import ROLES
from binational.errors import InvalidInput


@dataclass(frozen=True)
class RequestType:
    """A kind of request: its labels, how long the receiver has by default, who may answer it."""

    name: str
    label_en: str
    label_es: str
    default_due: timedelta
    #: roles of the receiving agency that may acknowledge, answer or decline (each grants request.answer)
    answer_roles: frozenset[str] = frozenset({"supervisor", "liaison"})
    description: str = ""


TYPES: dict[str, RequestType] = {}


def register_type(request_type: RequestType) -> RequestType:
    """Declare a request type (a module calls this at import); declaring it twice differently fails."""
    unknown = sorted(request_type.answer_roles - set(ROLES))
    if unknown or not request_type.answer_roles:
        raise ValueError(f"request type {request_type.name}: unknown answer roles {unknown}")
    unable = sorted(r for r in request_type.answer_roles if "request.answer" not in ROLES[r])
    if unable:
        raise ValueError(f"request type {request_type.name}: roles {unable} lack the request.answer capability")
    if request_type.default_due <= timedelta(0):
        raise ValueError(f"request type {request_type.name}: default due time must be positive")
    known = TYPES.get(request_type.name)
    if known is not None and known != request_type:
        raise ValueError(f"request type {request_type.name} declared twice")
    TYPES[request_type.name] = request_type
    return request_type


def get_type(name: object) -> RequestType:
    """The registered type called `name`, or InvalidInput listing the known ones."""
    found = TYPES.get(name) if isinstance(name, str) else None
    if found is None:
        raise InvalidInput(f"unknown request type {name!r}", details=[{"field": "type", "allowed": sorted(TYPES)}])
    return found


register_type(RequestType(
    name="information",
    label_en="Request for information",
    label_es="Solicitud de información",
    default_due=timedelta(hours=48),
    description="ask the holder of a hit, or a partner, for what it knows about entities",
))
