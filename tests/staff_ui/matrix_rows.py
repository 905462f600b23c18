"""The role-matrix rows of the staff pages (issue 4), added to tests/role_matrix.py's table.

Only members of staff reach these pages: anonymous visitors are sent to sign in, and
customers, delegates, contractor users and the administrator (a superuser with no staff
profile) get a 404, as for a page that does not exist. In the matrix's world the "staff"
role owns the cast's case and "manager" manages them, so both may change it; the read-only
colleague is covered by tests/staff_ui/test_access.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from cases.models import Flag, Handoff, Promise, ServiceAlert
from cases.services import alert_post
from contractors.models import IncidentReport
from contractors.services import job_update_status
from people.models import Service
from tests.role_matrix import (
    ACCEPTED,
    DENIED,
    HIDDEN,
    LOGIN,
    NOT_ALLOWED,
    OK,
    REDIRECT,
    Expectations,
    Outcome,
    Row,
    World,
    every,
)


def staff_only(staff: Outcome, manager: Outcome | None = None) -> Expectations:
    """`staff` for the case owner, `manager` (same unless said) for their manager; 404 for
    everyone outside staff, sign-in for anonymous visitors."""
    return every(HIDDEN, staff=staff, manager=manager or staff, anonymous=LOGIN)


Payload = Callable[[World, User | None], dict[str, object]]

READ = staff_only(OK)
POST_ONLY = staff_only(NOT_ALLOWED)
CHANGE = staff_only(ACCEPTED)


def _when(days: float) -> str:
    return timezone.localtime(timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _case(world: World) -> str:
    return world.cast.case.reference


def case_page(name: str, *more: Callable[[World], object]) -> Callable[[World], str]:
    return lambda world: reverse(name, args=[_case(world), *(arg(world) for arg in more)])


def _open_promise(world: World) -> int:
    return Promise.objects.filter(case=world.cast.case, status=Promise.Status.OPEN).order_by("pk").first().pk


def _claim(world: World) -> int:
    return world.cast.case.claims.order_by("pk").first().pk


def _job(world: World) -> int:
    return world.cast.job.pk


def _incident(world: World) -> int:
    return IncidentReport.objects.filter(job=world.cast.job).order_by("pk").first().pk


def _flag(world: World) -> int:
    return Flag.objects.filter(case=world.cast.case, cleared_at__isnull=True).order_by("pk").first().pk


def _attachment(world: World) -> int:
    """A photo the customer sent on the cast's case (the test's savepoint undoes it)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.services import message_receive

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    message = message_receive(
        case=world.cast.case, body="Photo of the socket", attachments=[SimpleUploadedFile("socket.png", png)]
    )
    return message.attachments.get().pk


def _letter(world: World) -> int:
    """A letter to the cast's customer, who prefers the post (the test's savepoint undoes it)."""
    from correspondence.services.tell import customer_tell

    customer = world.cast.case.customer
    customer.address, customer.preferred_channel = "3 rue des Lilas\n69003 Lyon", "post"
    customer.save(update_fields=["address", "preferred_channel"])
    (notice,) = customer_tell(case=world.cast.case, topic="survey", copies=False)
    return notice.pk


def _emerging_flag(world: World) -> int:
    """An emerging-incident flag on the cast's case (the test's savepoint undoes it)."""
    from cases.services import flag_raise

    flag = flag_raise(
        kind=Flag.Kind.EMERGING_INCIDENT,
        subject_key="area:matrix:69003",
        summary="Three new mail cases in 69003",
        case=world.cast.case,
    )
    return flag.pk


def _alert(world: World) -> int:
    return ServiceAlert.objects.order_by("pk").first().pk


def _handoff_to_owner(world: World) -> Handoff:
    return Handoff.objects.filter(to_user=world.cast.owner, acknowledged_at__isnull=True).select_related("case").first()


def _payload(**fields: object) -> Callable[[World, User | None], dict[str, object]]:
    return lambda world, user: dict(fields)


def _promise_payload(world: World, user: User | None) -> dict[str, object]:
    return {
        "promise-kind": "callback",
        "promise-text": "Call back",
        "promise-due_at": _when(1),
        "promise-owed_to_customer": "on",
    }


def _settle_payload(world: World, user: User | None) -> dict[str, object]:
    return {f"settle-{_open_promise(world)}-outcome": "kept"}


def _claim_update_payload(world: World, user: User | None) -> dict[str, object]:
    return {f"claim-{_claim(world)}-note": "Insurer called back"}


def _schedule_payload(world: World, user: User | None) -> dict[str, object]:
    job = _job(world)
    return {f"schedule-{job}-window_start": _when(2), f"schedule-{job}-window_end": _when(2.2)}


def _cancel_payload(world: World, user: User | None) -> dict[str, object]:
    return {f"cancel-{_job(world)}-reason": "customer_request"}


def _complete_payload(world: World, user: User | None) -> dict[str, object]:
    """Completing needs a technician on site: the contractor gets there first (the test's
    savepoint undoes it)."""
    job, tech = world.cast.job, world.cast.contractor_user
    job_update_status(actor=tech, job=job, status="on_the_way")
    job_update_status(actor=tech, job=job, status="on_site", override_reason="Cabinet checked by phone")
    return {f"complete-{job.pk}-outcome_report": "Socket installed and tested"}


def _repair_payload(world: World, user: User | None) -> dict[str, object]:
    return {f"repair-{_incident(world)}-plan": "Plumber on Monday, paid by us"}


def _link_alert_payload(world: World, user: User | None) -> dict[str, object]:
    """The world's alert is already linked to the case: a second, live one to link."""
    service = Service.objects.order_by("pk").first()
    alert = alert_post(
        actor=world.cast.owner, service=service, kind="outage", title="Second outage", starts_at=timezone.now()
    )
    return {"alert-alert": str(alert.pk)}


def _handoff_payload(world: World, user: User | None) -> dict[str, object]:
    return {
        "handoff-to_user": str(world.cast.other_agent.pk),
        "handoff-reason": "Field visit needed",
        "handoff-summary": "Pipe leaks; plumber promised for Monday.",
        "handoff-expected_owner": str(world.cast.owner.pk),
    }


def _alert_payload(world: World, user: User | None) -> dict[str, object]:
    return {
        "alert-service": str(Service.objects.order_by("pk").first().pk),
        "alert-kind": "maintenance",
        "alert-title": "Planned works",
        "alert-starts_at": _when(1),
    }


def _timeline(world: World) -> Expectations:
    # Without htmx the fragment's URL sends the browser to the whole case page.
    return staff_only(REDIRECT(reverse("staff:case", args=[_case(world)])))


def _handoff_ack_path(world: World) -> str:
    handoff = _handoff_to_owner(world)
    return reverse("staff:handoff_acknowledge", args=[handoff.case.reference, handoff.pk])


def _change_row(
    name: str, payload: Callable[[World, User | None], dict[str, object]], *more: Callable[[World], object]
) -> Row:
    return Row(f"staff:{name}", case_page(f"staff:{name}", *more), get=POST_ONLY, post=CHANGE, payload=payload)


STAFF_ROWS: list[Row] = [
    Row("staff:worklist", lambda world: reverse("staff:worklist"), get=READ),
    Row("staff:flags", lambda world: reverse("staff:flags"), get=READ),
    Row(
        "staff:flag_acknowledge",
        lambda world: reverse("staff:flag_acknowledge", args=[_flag(world)]),
        get=POST_ONLY,
        post=CHANGE,
    ),
    # Agents have no team: they are told so (403); managers see theirs.
    Row("staff:team", lambda world: reverse("staff:team"), get=staff_only(DENIED, manager=OK)),
    Row("staff:search", lambda world: reverse("staff:search") + "?q=Martin", get=READ),
    Row(
        "staff:flag_dismiss",
        lambda world: reverse("staff:flag_dismiss", args=[_emerging_flag(world)]),
        get=POST_ONLY,
        post=CHANGE,
        payload=_payload(note="The same street: one cut cable, already repaired"),
    ),
    Row("staff:notifications", lambda world: reverse("staff:notifications"), get=READ),
    Row("staff:notifications_read", lambda world: reverse("staff:notifications_read"), get=POST_ONLY, post=CHANGE),
    Row("staff:attachment", lambda world: reverse("staff:attachment", args=[_attachment(world)]), get=READ),
    Row("staff:letter", lambda world: reverse("staff:letter", args=[_letter(world)]), get=READ),
    Row("staff:alerts", lambda world: reverse("staff:alerts"), get=READ, post=CHANGE, payload=_alert_payload),
    Row(
        "staff:alert_edit",
        lambda world: reverse("staff:alert_edit", args=[_alert(world)]),
        get=READ,
        post=CHANGE,
        payload=_alert_payload,
    ),
    Row("staff:alert_end", lambda world: reverse("staff:alert_end", args=[_alert(world)]), get=POST_ONLY, post=CHANGE),
    Row("staff:case", case_page("staff:case"), get=READ),
    Row("staff:case_timeline", case_page("staff:case_timeline"), get=_timeline),
    _change_row("case_reply", _payload(**{"reply-body": "The plumber comes Monday.", "reply-channel": "email"})),
    _change_row("case_note", _payload(**{"note-body": "Checked with the insurer."})),
    _change_row("case_call", _payload(**{"call-inbound": "false", "call-summary": "Told her about Monday."})),
    _change_row("promise_make", _promise_payload),
    _change_row("promise_settle", _settle_payload, _open_promise),
    _change_row("case_resolve", _payload(**{"resolve-summary": "Pipe repaired, fibre working."})),
    _change_row("case_status", _payload(**{"status-status": "waiting_contractor"})),
    _change_row("case_link_alert", _link_alert_payload),
    _change_row("claim_file", _payload(**{"claim-insurer": "Assurances Réseau", "claim-policy_holder": "company"})),
    _change_row("claim_update", _claim_update_payload, _claim),
    _change_row("job_schedule", _schedule_payload, _job),
    _change_row("job_cancel", _cancel_payload, _job),
    _change_row("job_complete", _complete_payload, _job),
    _change_row("incident_repair", _repair_payload, _incident),
    Row("staff:case_handoff", case_page("staff:case_handoff"), get=READ, post=CHANGE, payload=_handoff_payload),
    # Only the receiver acknowledges: the owner's manager may look but is refused.
    Row(
        "staff:handoff_acknowledge",
        _handoff_ack_path,
        get=POST_ONLY,
        post=staff_only(ACCEPTED, manager=DENIED),
    ),
]
