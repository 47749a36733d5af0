"""Tables of repatriation: detainees' case files, movements, manifest lines, gate results, official series.

Two rules of `access/policy.py` apply (docs/access.md): a detainee's case file and every gate result
are the sending agency's alone (`may_see_case_file` / `visible_case_files`); a movement and its
manifest lines are seen by its three parties, the sender, the receiver and the consulate
(`may_see_movement` / `visible_movements`), each through the allow-listed view of
`repatriation.confidential`. Imported official series are public figures any named user reads
(`may_see_public_figures` / `visible_public_figures`). PostgreSQL row-level security applies the same.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from binational.db import Base, UTCDateTime, utcnow
from binational.workers import UserRun


class Detainee(Base):
    """A detained person on the sender's side, with the legal facts the safeguards read. Never shared:
    what a partner sees of a person is the allow-listed projection on a manifest line."""

    __tablename__ = "repatriation_detainees"
    __table_args__ = (Index("ix_repatriation_detainees_owner", "owner_agency", "ready_date"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    owner_country: Mapped[str] = mapped_column(String(8))
    distribution: Mapped[str] = mapped_column(String(16), default="agency")
    marking: Mapped[str] = mapped_column(String(32), default="TLP:AMBER")
    marking_rank: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    nationality: Mapped[str] = mapped_column(String(8))
    family_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    unaccompanied_child: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the four TVPRA criteria and the rationale, as JSON: {"not_trafficking_victim": true, ..., "rationale": "..."}
    child_screening: Mapped[str | None] = mapped_column(Text, nullable=True)
    needs_medical: Mapped[bool] = mapped_column(Boolean, default=False)
    medical_clearance_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    order_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    order_final_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    automatic_stay: Mapped[bool] = mapped_column(Boolean, default=False)
    discretionary_stay_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fear_claim: Mapped[bool] = mapped_column(Boolean, default=False)
    #: none, pending or granted; with the country a grant protects from
    protection_claim: Mapped[str] = mapped_column(String(16), default="none")
    protection_country: Mapped[str | None] = mapped_column(String(8), nullable=True)
    counsel_of_record: Mapped[bool] = mapped_column(Boolean, default=False)
    counsel_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ready_date: Mapped[date] = mapped_column(Date)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    #: the detention facility the person waits in, by its id in the agency's land network (`convoys`)
    facility: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Movement(Base):
    """A proposed flight or land hand-over, from its proposal to its reconciliation."""

    __tablename__ = "repatriation_movements"
    __table_args__ = (Index("ix_repatriation_movements_date", "date"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    arrangement: Mapped[str] = mapped_column(String(64))
    from_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    to_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    consulate: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"), nullable=True)
    marking: Mapped[str] = mapped_column(String(32), default="TLP:AMBER")
    marking_rank: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(8))
    point: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(8))
    date: Mapped[date] = mapped_column(Date)
    start_hour: Mapped[int] = mapped_column(Integer)
    end_hour: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    medical_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    #: expected persons by category, as JSON: {"adults": n, "children": n, "unaccompanied_children": n, ...}
    expected: Mapped[str] = mapped_column(Text, default="{}")
    #: proposed, accepted, countered, refused, locked, boarded, departed, received, reconciled
    state: Mapped[str] = mapped_column(String(16))
    #: the rule a refusal named, or the receiver's counter-proposal as JSON
    refusal_rule: Mapped[str | None] = mapped_column(String(32), nullable=True)
    counter: Mapped[str | None] = mapped_column(Text, nullable=True)
    request_id: Mapped[str | None] = mapped_column(ForeignKey("requests.id"), nullable=True)
    verification_request_id: Mapped[str | None] = mapped_column(ForeignKey("requests.id"), nullable=True)
    #: the hand-over receipt (JSON) and its difference from the manifest
    receipt: Mapped[str | None] = mapped_column(Text, nullable=True)
    difference: Mapped[str | None] = mapped_column(Text, nullable=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    out_of_hours_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ManifestLine(Base):
    """A person on a movement, as the three parties may know them (allow-listed copies of the case
    file's fields). `status` is what everyone sees; why the sender pulled a person stays in its gate
    results, and a protection reason shows to the partners only as `legal_hold`."""

    __tablename__ = "repatriation_manifest_lines"
    __table_args__ = (Index("ix_repatriation_lines_movement", "movement_id", "line_no"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    movement_id: Mapped[str] = mapped_column(ForeignKey("repatriation_movements.id"))
    #: the movement's parties, copied so the row's own policy needs no join
    from_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    to_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    consulate: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"), nullable=True)
    marking_rank: Mapped[int] = mapped_column(Integer)
    detainee_id: Mapped[str] = mapped_column(String(64))
    line_no: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    nationality: Mapped[str] = mapped_column(String(8))
    #: adult, child (with family), unaccompanied_child
    category: Mapped[str] = mapped_column(String(24))
    family_group: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: the kind of order the person is returned under (`confidential.REPATRIATION_TYPES`), from the case file
    repatriation_type: Mapped[str] = mapped_column(String(24), default="other", server_default="other")
    #: listed, boarded, or pulled: legal_hold, medical, document, family, no_show
    status: Mapped[str] = mapped_column(String(16), default="listed")
    #: pending, verified, rejected (the consulate's answer), with the travel document
    verification: Mapped[str] = mapped_column(String(16), default="pending")
    document_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    document_valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class GateResult(Base):
    """One safeguard evaluated for one person at one stage: who, when, from what source, with what outcome.
    The sender's alone, with the case file."""

    __tablename__ = "repatriation_gate_results"
    __table_args__ = (Index("ix_repatriation_gates_detainee", "detainee_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_agency: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    marking_rank: Mapped[int] = mapped_column(Integer)
    detainee_id: Mapped[str] = mapped_column(ForeignKey("repatriation_detainees.id"))
    movement_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    stage: Mapped[str] = mapped_column(String(16))
    gate: Mapped[str] = mapped_column(String(32))
    passed: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    checked_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfficialFigure(Base):
    """One figure of an imported official series (DHS repatriations, ICE Air flights): public data."""

    __tablename__ = "repatriation_official_figures"
    __table_args__ = (Index("ix_repatriation_figures_series", "series", "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(16))
    #: the cut (citizenship, type, airport pair ...) as JSON
    dimensions: Mapped[str] = mapped_column(Text, default="{}")
    quantity: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportRun(UserRun, Base):
    """An official series' import too large for one request, worked in the background
    (`repatriation.import_runs`): who sent which file, how far its worker got, and what it imported
    or the line and field it refused (`summary`: the series, rows and total imported; or the refusal's
    details). Its starter's own (`policy.may_see_import_run`)."""

    __tablename__ = "repatriation_import_runs"
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(100))
    #: the uploaded bytes until the worker has read them (cleared when the run ends)
    data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
