"""Which timeline events are webhook events, and what a receiver is told of them.

Every change in Steward writes a timeline event in its own transaction (cases/services/timeline.py),
so the timeline is the one place that sees them all. A few changes write more than one event of a
kind (a handoff writes the staff record and the customer's version; a resolution with loose ends
adds the staff-only reason); the rules below keep the one event that stands for the change.

The payload carries ids, statuses and kinds only, never names, addresses, message text or notes:
a receiver is another system, whose logs and queues Steward cannot erase when a customer asks
(docs/privacy.md), nor restrict to what each party may see. A receiver that needs more reads it
through the REST API with its own token, under the same access rules as everyone else.
"""

import json
from collections.abc import Callable
from typing import Any

from cases.models import TimelineEvent
from webhooks.models import EventKind

Kind = TimelineEvent.Kind

# The sentence intake writes beside "Case opened" when it also creates the customer record.
NEW_CUSTOMER_RECORD = "New customer record: %(name)s."


def _always(event: TimelineEvent) -> bool:
    return True


def _opens_the_case(event: TimelineEvent) -> bool:
    return (event.data or {}).get("sentence", {}).get("text") != NEW_CUSTOMER_RECORD


def _is_the_handoff_record(event: TimelineEvent) -> bool:
    # The customer's version ("… now looks after your case") carries no ids.
    return "to_user_id" in (event.data or {})


def _is_the_resolution(event: TimelineEvent) -> bool:
    return "override_reason" not in (event.data or {})


def _closes_the_merged_case(event: TimelineEvent) -> bool:
    # A merge writes an event on both cases; only the duplicate, merged away, is closed.
    case = event.case
    return case.merged_into_id is not None and event.subject_key == f"case:{case.merged_into_id}"


def _is_the_report(event: TimelineEvent) -> bool:
    # Corrections and repair plans are INCIDENT events too; only the report says what it affects.
    return "affects" in (event.data or {})


EVENT_OF: dict[str, tuple[str, Callable[[TimelineEvent], bool]]] = {
    Kind.CASE_OPENED: (EventKind.CASE_OPENED, _opens_the_case),
    Kind.HANDOFF: (EventKind.CASE_HANDED_OFF, _is_the_handoff_record),
    Kind.RESOLVED: (EventKind.CASE_RESOLVED, _is_the_resolution),
    Kind.CLOSED: (EventKind.CASE_CLOSED, _always),
    Kind.CONFIRMED: (EventKind.CASE_CLOSED, _always),
    Kind.MERGED: (EventKind.CASE_CLOSED, _closes_the_merged_case),
    Kind.MESSAGE_IN: (EventKind.MESSAGE_RECEIVED, _always),
    Kind.MESSAGE_OUT: (EventKind.MESSAGE_SENT, _always),
    Kind.PROMISE_MADE: (EventKind.PROMISE_MADE, _always),
    Kind.PROMISE_KEPT: (EventKind.PROMISE_KEPT, _always),
    Kind.PROMISE_BROKEN: (EventKind.PROMISE_BROKEN, _always),
    Kind.FLAG_RAISED: (EventKind.FLAG_RAISED, _always),
    Kind.FLAG_ESCALATED: (EventKind.FLAG_ESCALATED, _always),
    Kind.JOB_REQUESTED: (EventKind.JOB_STATUS_CHANGED, _always),
    Kind.JOB_SCHEDULED: (EventKind.JOB_STATUS_CHANGED, _always),
    Kind.JOB_STATUS: (EventKind.JOB_STATUS_CHANGED, _always),
    Kind.JOB_CANCELLED: (EventKind.JOB_STATUS_CHANGED, _always),
    Kind.JOB_COMPLETED: (EventKind.JOB_STATUS_CHANGED, _always),
    Kind.INCIDENT: (EventKind.INCIDENT_REPORTED, _is_the_report),
    Kind.CLAIM_FILED: (EventKind.CLAIM_UPDATED, _always),
    Kind.CLAIM_UPDATED: (EventKind.CLAIM_UPDATED, _always),
}

# The records a timeline event's subject key may name, sent as "<name>_id".
SUBJECTS = ("message", "promise", "flag", "job", "incident", "claim", "handoff")
# Values of the event's data that are ids or codes, never personal data.
DATA_KEPT = ("flag_kind", "level", "from_user_id", "to_user_id")


def webhook_kind(event: TimelineEvent) -> str | None:
    """The webhook event this timeline event stands for, if any."""
    found = EVENT_OF.get(event.kind)
    if found is None or not found[1](event):
        return None
    return found[0]


def payload(*, delivery_id: str, kind: str, event: TimelineEvent) -> dict[str, Any]:
    case = event.case
    data: dict[str, Any] = {"timeline_event_id": event.pk, "timeline_kind": event.kind}
    subject, _sep, ident = event.subject_key.partition(":")
    if subject in SUBJECTS and ident.isdigit():
        data[f"{subject}_id"] = int(ident)
    data.update({key: value for key, value in (event.data or {}).items() if key in DATA_KEPT})
    if kind == EventKind.CASE_CLOSED:
        data["close_reason"] = case.close_reason
        if case.merged_into_id is not None:
            data["merged_into_case_id"] = case.merged_into_id
    return {
        "id": delivery_id,
        "kind": kind,
        "occurred_at": event.created_at.isoformat(),
        "case": {"id": case.pk, "reference": case.reference, "status": case.status, "owner_id": case.owner_id},
        "data": data,
    }


def body(document: dict[str, Any]) -> str:
    """The exact text sent and signed: compact and with sorted keys, so it never changes on a retry."""
    return json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
