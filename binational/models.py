"""Every table of the platform, imported in one place so migrations see the whole schema."""

from binational.access.models import (
    Agency,
    ApiToken,
    Case,
    CaseMember,
    Country,
    LoginFailure,
    Release,
    User,
    WebSession,
)
from binational.audit.models import AuditCheckpoint, AuditEntry, AuditHead, AuditObjectRef, AuditQueued
from binational.db import Base
from binational.entities.models import Entity, SearchTerm, Selector, Statement
from binational.federation.models import DigestKey, Partner
from binational.requests.models import HitRef, Notification, Request, RequestEvent, RequestItem
from binational.resolution.models import Judgement, ResolutionRun, Suggestion
from binational.search.models import SavedSearch, SavedSearchMatch, SearchWord

#: tables whose rows carry `owner_agency`: row-level security is forced on each (PostgreSQL)
SHAREABLE_TABLES = ("entities", "statements", "search_terms", "selectors", "cases", "releases",
                    "resolution_judgements")

__all__ = [
    "Agency", "ApiToken", "AuditCheckpoint", "AuditEntry", "AuditHead", "AuditObjectRef", "AuditQueued", "Base",
    "Case", "CaseMember", "Country", "DigestKey", "Entity", "HitRef", "Judgement", "LoginFailure", "Notification",
    "Partner", "Release", "Request", "RequestEvent", "RequestItem", "ResolutionRun", "SavedSearch",
    "SavedSearchMatch", "SearchTerm", "SearchWord", "Selector", "SHAREABLE_TABLES", "Statement", "Suggestion", "User",
    "WebSession",
]
