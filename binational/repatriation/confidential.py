"""What each party of a movement is shown, built from explicit allow-lists of fields.

A partner (the receiver, the consulate) gets only the fields named here: never a case file, a gate
result, a claim, a stay or the reason a person was pulled beyond its partner code (`legal_hold` for
every legal reason). The sender gets the same plus what is its own. Every receiving-side output —
API, pages, exports, request texts, notifications — is built from these functions.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from binational.repatriation.gates import PARTNER_STATUSES, age_on
from binational.repatriation.models import ManifestLine, Movement

#: fields of a movement any party sees
MOVEMENT_FIELDS = ("id", "arrangement", "from_agency", "to_agency", "consulate", "mode", "point", "country", "date",
                   "start_hour", "end_hour", "capacity", "medical_staff", "state", "refusal_rule", "flagged",
                   "out_of_hours_reason", "created_at", "updated_at", "locked_at", "departed_at", "received_at")
#: JSON fields of a movement any party sees
MOVEMENT_JSON_FIELDS = ("expected", "counter", "receipt", "difference")
#: fields of a hand-over receipt any party sees (not the departure notice's request, which only the
#: sender and the receiver are party to)
RECEIPT_FIELDS = ("counts", "receiving_officer", "child_welfare_officer", "certificates", "belongings_returned",
                  "hour", "out_of_hours")
#: fields of a manifest line any party sees
LINE_FIELDS = ("line_no", "name", "sex", "birth_date", "nationality", "category", "family_group", "status",
               "verification", "document_number", "document_valid_until", "repatriation_type")
#: the kind of order a person is returned under -> the repatriation type of the DHS tables (KHSM)
#: and its detailed type, in the tables' own words; `other` for an order the tables do not name
REPATRIATION_TYPES = {
    "expedited_removal": ("Removals", "Expedited Removals"),
    "reinstatement": ("Removals", "Reinstatements of Removal Orders"),
    "final_removal": ("Removals", "Other Removals"),
    "voluntary_return": ("Enforcement Returns", "Voluntary Returns"),
    "voluntary_departure": ("Enforcement Returns", "Voluntary Departures"),
    "withdrawal": ("Enforcement Returns", "Withdrawals"),
    "other": ("Other", "Other"),
}


def repatriation_type(order_type: str | None) -> str:
    """The line's repatriation type for a case file's order type (`other` when the tables do not name it)."""
    return order_type if order_type in REPATRIATION_TYPES else "other"
#: what the sender sees beside them
SENDER_LINE_FIELDS = ("detainee_id",)
#: what a criminal-interest notice tells the prosecutor's liaison of the person and of the hand-over
NOTICE_LINE_FIELDS = ("name", "sex", "birth_date", "nationality")
NOTICE_MOVEMENT_FIELDS = ("mode", "point", "date", "start_hour", "end_hour")
#: why the prosecutors are interested: an arrest warrant, a conviction, an open investigation
NOTICE_BASES = ("warrant", "conviction", "investigation")
#: statuses of a line: listed and boarded, or a pull by a partner-visible code
LINE_STATUSES = ("listed", "boarded", *PARTNER_STATUSES)


def age_group(birth: date, on: date) -> str:
    """The age group of the statistics of both countries (0-11, 12-17, 18-29, 30-49, 50+)."""
    age = age_on(birth, on)
    for top, label in ((11, "0-11"), (17, "12-17"), (29, "18-29"), (49, "30-49")):
        if age <= top:
            return label
    return "50+"


def movement_view(viewer_agency: str, movement: Movement, lines: list[ManifestLine] | None = None) -> dict[str, Any]:
    """A movement as one of its parties sees it, with its manifest when `lines` are given."""
    view: dict[str, Any] = {name: getattr(movement, name) for name in MOVEMENT_FIELDS}
    for name in MOVEMENT_JSON_FIELDS:
        raw = getattr(movement, name)
        view[name] = json.loads(raw) if raw else None
    if view["receipt"] is not None:
        view["receipt"] = {k: v for k, v in view["receipt"].items() if k in RECEIPT_FIELDS} or None
    view["verification_requested"] = movement.verification_request_id is not None
    view["role"] = ("sender" if viewer_agency == movement.from_agency else
                    "receiver" if viewer_agency == movement.to_agency else "consulate")
    if lines is not None:
        view["manifest"] = [line_view(viewer_agency, movement, line) for line in lines]
        view["counts"] = counts(lines)
    return view


def partner_status(status: str) -> str:
    """A line's status as a partner reads it: a code no allow-list knows is shown as `legal_hold`."""
    return status if status in LINE_STATUSES else "legal_hold"


def line_view(viewer_agency: str, movement: Movement, line: ManifestLine) -> dict[str, Any]:
    """A manifest line as a party sees it: the allow-listed fields, the sender's own id for the sender."""
    view: dict[str, Any] = {name: getattr(line, name) for name in LINE_FIELDS}
    view["status"] = partner_status(line.status)
    view["age_group"] = age_group(line.birth_date, movement.date)
    if viewer_agency == movement.from_agency:
        for name in SENDER_LINE_FIELDS:
            view[name] = getattr(line, name)
    return view


def counts(lines: list[ManifestLine]) -> dict[str, Any]:
    """Counts of a manifest by status and, for the people on board or listed, by category and sex."""
    by_status: dict[str, int] = {}
    for line in lines:
        shown = partner_status(line.status)
        by_status[shown] = by_status.get(shown, 0) + 1
    travelling = [line for line in lines if line.status in ("listed", "boarded")]
    return {
        "listed": len(lines),
        "by_status": dict(sorted(by_status.items())),
        "by_category": category_counts(travelling),
    }


def category_counts(lines: list[ManifestLine]) -> dict[str, int]:
    """People by category and sex, as a hand-over receipt counts them."""
    found = {"adults": 0, "children": 0, "unaccompanied_children": 0, "men": 0, "women": 0}
    for line in lines:
        key = {"adult": "adults", "child": "children"}.get(line.category, "unaccompanied_children")
        found[key] += 1
        if line.category == "adult":
            found["men" if line.sex == "M" else "women"] += 1
    return found


def request_text(movement: Movement, kind: str) -> str:
    """The question of a workflow request: the movement's allow-listed facts only, never a person's case."""
    expected = json.loads(movement.expected or "{}")
    parts = ", ".join(f"{k} {v}" for k, v in sorted(expected.items()))
    return (f"{kind}: {movement.mode} movement {movement.id} to {movement.point} on {movement.date.isoformat()} "
            f"{movement.start_hour:02d}:00-{movement.end_hour:02d}:00, capacity {movement.capacity}"
            + (f"; expected {parts}" if parts else ""))


def notice_text(movement: Movement, line: ManifestLine, basis: str, reference: str) -> str:
    """The text of a criminal-interest notice: the allow-listed facts of one person and of the
    hand-over, with the basis and the sender's reference; nothing else of the movement or the case."""
    person = {name: getattr(line, name) for name in NOTICE_LINE_FIELDS}
    trip = {name: getattr(movement, name) for name in NOTICE_MOVEMENT_FIELDS}
    return (f"criminal-interest notice ({basis}, reference {reference}): {person['name']}, sex {person['sex']}, "
            f"born {person['birth_date'].isoformat()}, nationality {person['nationality']}; "
            f"{trip['mode']} hand-over at {trip['point']} on {trip['date'].isoformat()} "
            f"{trip['start_hour']:02d}:00-{trip['end_hour']:02d}:00")
