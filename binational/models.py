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
from binational.engagements.models import GazetteerPerson
from binational.entities.models import Entity, SearchTerm, Selector, Statement
from binational.federation.models import DigestKey, Partner
from binational.firearms.models import (
    FirearmSale,
    MultipleSale,
    Recovery,
    Trace,
    TraceCandidate,
    TraceResult,
)
from binational.flows.models import (
    FlowAlert,
    FlowForecast,
    FlowImport,
    FlowNotice,
    FlowSeries,
    FlowSubscription,
    FlowValue,
)
from binational.repatriation.models import Detainee, GateResult, ManifestLine, Movement, OfficialFigure
from binational.requests.models import HitRef, Notification, Request, RequestEvent, RequestItem
from binational.resolution.models import Judgement, ResolutionRun, Suggestion
from binational.search.models import SavedSearch, SavedSearchMatch, SearchWord
from binational.trade.models import PortWait, TradeDeclaration, TradeDraw, TradeDrawScope, TradeFlow, TradeInspection

#: tables whose rows carry `owner_agency` (a trade draw: its drawer's `agency`): row-level security is forced
#: on each (PostgreSQL)
SHAREABLE_TABLES = ("entities", "statements", "search_terms", "selectors", "cases", "releases",
                    "resolution_judgements", "firearm_sales", "firearm_multiple_sales", "firearm_recoveries",
                    "repatriation_detainees", "repatriation_gate_results", "trade_declarations", "trade_inspections",
                    "trade_draws", "trade_draw_scopes", "flow_series", "flow_imports")

__all__ = [
    "Agency", "ApiToken", "AuditCheckpoint", "AuditEntry", "AuditHead", "AuditObjectRef", "AuditQueued",
    "Base", "Case", "CaseMember", "Country", "Detainee", "DigestKey", "Entity", "FirearmSale", "FlowAlert",
    "FlowForecast", "FlowImport", "FlowNotice", "FlowSeries", "FlowSubscription", "FlowValue", "GateResult",
    "GazetteerPerson", "HitRef", "Judgement", "LoginFailure", "ManifestLine", "Movement", "MultipleSale",
    "Notification", "OfficialFigure", "Partner", "PortWait", "Recovery", "Release", "Request", "RequestEvent",
    "RequestItem", "ResolutionRun", "SavedSearch", "SavedSearchMatch", "SearchTerm", "SearchWord", "Selector",
    "SHAREABLE_TABLES", "Statement", "Suggestion", "Trace", "TraceCandidate", "TraceResult", "TradeDeclaration",
    "TradeDraw", "TradeDrawScope", "TradeFlow", "TradeInspection", "User", "WebSession",
]
