"""The role-matrix rows of the staff pages (issue 4), added to tests/role_matrix.py's table.

Only members of staff reach these pages: anonymous visitors are sent to sign in, and
customers, delegates, contractor users and the administrator (a superuser with no staff
profile) get a 404, as for a page that does not exist. In the matrix's world the "staff"
role owns the cast's case, "manager" manages them and "head" heads their department, and
"specialist" was added to the case: all four may change it. The read-only "colleague" (same
team, neither owner nor specialist) may open the case but is told (403) when they try to change
it, except for notes and calls, which any member of staff records.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from cases.models import Flag, Handoff, Promise, ServiceAlert, Survey
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


def staff_only(
    staff: Outcome, manager: Outcome | None = None, *, colleague: Outcome | None = None, **more: Outcome
) -> Expectations:
    """`staff` for the case owner (and the specialist on it), `manager` (same unless said) for
    their manager and head of department, `colleague` (same unless said) for the read-only
    colleague; 404 for everyone outside staff, sign-in for anonymous visitors."""
    return every(HIDDEN, staff=staff, manager=manager or staff, colleague=colleague or staff, anonymous=LOGIN, **more)


Payload = Callable[[World, User | None], dict[str, object]]

READ = staff_only(OK)
POST_ONLY = staff_only(NOT_ALLOWED)
# Changing the case is can_work_on_case: the colleague sees it and is refused.
CHANGE = staff_only(ACCEPTED, colleague=DENIED)
# Any member of staff logs a call or leaves a note on a case they can see (can_note_on_case).
ANY_STAFF_CHANGE = staff_only(ACCEPTED)


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


def _survey_to_sales_path(world: World) -> str:
    survey = Survey.objects.filter(wants_contact=True, case__customer=world.cast.customer).select_related("case").get()
    return reverse("staff:case_survey_to_sales", args=[survey.case.reference])


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


def _sale(world: World) -> int:
    return world.cast.case.sales.order_by("pk").first().pk


def _sale_payload(world: World, user: User | None) -> dict[str, object]:
    return {"sale-product": "Fibre 2 Gb/s", "sale-advisor": str(world.cast.owner.pk)}


def _sale_update_payload(world: World, user: User | None) -> dict[str, object]:
    sale = world.cast.case.sales.order_by("pk").first()
    key = f"sale-{sale.pk}"
    return {f"{key}-product": sale.product, f"{key}-plan": "Family", f"{key}-advisor": str(sale.advisor_id)}


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


def _incident_payload(world: World, user: User | None) -> dict[str, object]:
    """A new case of the cast's customer about the world's alert's service, and an emerging-incident
    flag on it that the alert (every area) covers (the test's savepoint undoes both)."""
    from cases.services import case_open, flag_raise

    alert = ServiceAlert.objects.select_related("service").get(pk=_alert(world))
    customer = world.cast.case.customer
    case = case_open(
        actor=world.cast.owner, customer=customer, owner=world.cast.owner, subject="No signal", service=alert.service
    )
    flag = flag_raise(
        kind=Flag.Kind.EMERGING_INCIDENT,
        subject_key=f"area:{alert.service_id}:{customer.service_area}",
        summary="Three new fibre cases in one area",
        case=case,
    )
    return {"flag": str(flag.pk), f"incident-{flag.pk}-cases": [str(case.pk)]}


def _timeline(world: World) -> Expectations:
    # Without htmx the fragment's URL sends the browser to the whole case page.
    return staff_only(REDIRECT(reverse("staff:case", args=[_case(world)])))


def _handoff_ack_path(world: World) -> str:
    handoff = _handoff_to_owner(world)
    return reverse("staff:handoff_acknowledge", args=[handoff.case.reference, handoff.pk])


def _change_row(
    name: str,
    payload: Callable[[World, User | None], dict[str, object]],
    *more: Callable[[World], object],
    post: Expectations = CHANGE,
) -> Row:
    return Row(f"staff:{name}", case_page(f"staff:{name}", *more), get=POST_ONLY, post=post, payload=payload)


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
        # policies.can_dismiss_flag: the flag's holder and the owner's managers, not a specialist.
        post=staff_only(ACCEPTED, colleague=DENIED, specialist=DENIED),
        payload=_payload(note="The same street: one cut cable, already repaired"),
    ),
    Row("staff:notifications", lambda world: reverse("staff:notifications"), get=READ),
    # Alerts, intake and one's own notifications are no case's: any member of staff.
    Row(
        "staff:notifications_read",
        lambda world: reverse("staff:notifications_read"),
        get=POST_ONLY,
        post=ANY_STAFF_CHANGE,
    ),
    Row("staff:attachment", lambda world: reverse("staff:attachment", args=[_attachment(world)]), get=READ),
    Row("staff:letter", lambda world: reverse("staff:letter", args=[_letter(world)]), get=READ),
    Row("staff:alerts", lambda world: reverse("staff:alerts"), get=READ, post=ANY_STAFF_CHANGE, payload=_alert_payload),
    Row(
        "staff:alert_edit",
        lambda world: reverse("staff:alert_edit", args=[_alert(world)]),
        get=READ,
        post=ANY_STAFF_CHANGE,
        payload=_alert_payload,
    ),
    Row(
        "staff:alert_end",
        lambda world: reverse("staff:alert_end", args=[_alert(world)]),
        get=POST_ONLY,
        post=ANY_STAFF_CHANGE,
    ),
    Row(
        "staff:alert_incidents",
        lambda world: reverse("staff:alert_incidents", args=[_alert(world)]),
        get=READ,
        post=ANY_STAFF_CHANGE,
        payload=_incident_payload,
    ),
    Row("staff:case", case_page("staff:case"), get=READ),
    Row("staff:case_timeline", case_page("staff:case_timeline"), get=_timeline),
    # A folded form of the case page, allowed as its POST is (the promise form: whoever works on
    # the case; the read-only colleague is refused, and test_folded_forms shows the note is not).
    Row("staff:case_form", case_page("staff:case_form", lambda world: "promise"), get=staff_only(OK, colleague=DENIED)),
    _change_row("case_reply", _payload(**{"reply-body": "The plumber comes Monday.", "reply-channel": "email"})),
    _change_row("case_note", _payload(**{"note-body": "Checked with the insurer."}), post=ANY_STAFF_CHANGE),
    _change_row(
        "case_call",
        _payload(**{"call-inbound": "false", "call-summary": "Told her about Monday."}),
        post=ANY_STAFF_CHANGE,
    ),
    _change_row("promise_make", _promise_payload),
    _change_row("promise_settle", _settle_payload, _open_promise),
    _change_row(
        "case_resolve",
        # The world's case has its job and claims still open: resolving says why it goes on anyway.
        _payload(**{"resolve-summary": "Pipe repaired, fibre working.", "resolve-override_reason": "Claims follow."}),
    ),
    _change_row("case_status", _payload(**{"status-status": "waiting_contractor"})),
    _change_row("case_link_alert", _link_alert_payload),
    _change_row("claim_file", _payload(**{"claim-insurer": "Assurances Réseau", "claim-policy_holder": "company"})),
    _change_row("claim_update", _claim_update_payload, _claim),
    _change_row("sale_record", _sale_payload),
    _change_row("sale_update", _sale_update_payload, _sale),
    _change_row("job_schedule", _schedule_payload, _job),
    _change_row("job_cancel", _cancel_payload, _job),
    _change_row("job_complete", _complete_payload, _job),
    _change_row("incident_repair", _repair_payload, _incident),
    # A specialist helps on the case but may not give it away (can_handoff).
    Row(
        "staff:case_handoff",
        case_page("staff:case_handoff"),
        get=staff_only(OK, colleague=DENIED, specialist=DENIED),
        post=staff_only(ACCEPTED, colleague=DENIED, specialist=DENIED),
        payload=_handoff_payload,
    ),
    # The settled case's survey asks to talk about services: the owner or their manager hands it
    # to sales; a colleague or a specialist on another case may not (can_pass_survey_to_sales).
    Row(
        "staff:case_survey_to_sales",
        _survey_to_sales_path,
        get=POST_ONLY,
        post=staff_only(ACCEPTED, colleague=DENIED, specialist=DENIED),
        payload=_payload(**{"survey_sales-summary": "Survey 4/5: she would like a faster plan."}),
    ),
    # Only the receiver acknowledges: the owner's manager may look but is refused.
    Row(
        "staff:handoff_acknowledge",
        _handoff_ack_path,
        get=POST_ONLY,
        post=staff_only(ACCEPTED, manager=DENIED, colleague=DENIED, specialist=DENIED),
    ),
]


# --- edits and specialists (issue 11) -------------------------------------------------------


def _customer_edit_payload(world: World, user: User | None) -> dict[str, object]:
    """The customer's record as it is, with a new phone number."""
    customer = world.cast.case.customer
    fields = ("full_name", "email", "address", "postcode", "preferred_channel", "language")
    return {
        **{f"customer-{name}": getattr(customer, name) for name in fields},
        "customer-phone": "+33 4 78 00 11 22",
        "customer-vulnerability_notes": customer.vulnerability_notes,
        "customer-access_notes": customer.access_notes,
    }


def _specialist(world: World) -> int:
    """The colleague build_world() added as a specialist on the cast's case."""
    return User.objects.get(username="matrix_specialist").pk


STAFF_ROWS += [
    _change_row(
        "case_edit",
        _payload(
            **{"edit-subject": "Fibre install and heating leak", "edit-priority": "high", "edit-human_impact": ""}
        ),
    ),
    _change_row("customer_edit", _customer_edit_payload),
    # The cast's customer has a sign-in: the invitation goes again.
    _change_row("customer_invite", _payload()),
    _change_row("specialist_add", lambda world, user: {"specialist-user": str(world.cast.other_agent.pk)}),
    _change_row("specialist_remove", _payload(), _specialist),
]


# --- case intake (issue 11) -----------------------------------------------------------------


def _intake_payload(world: World, user: User | None) -> dict[str, object]:
    return {
        "customer": str(world.cast.case.customer.pk),
        "subject": "No heating since this morning",
        "priority": "high",
        "department": "support",
        "call_summary": "Radiators cold since 7am.",
    }


STAFF_ROWS += [
    Row(
        "staff:intake", lambda world: reverse("staff:intake"), get=READ, post=ANY_STAFF_CHANGE, payload=_intake_payload
    ),
    Row("staff:intake_matches", lambda world: reverse("staff:intake_matches") + "?q=Martin", get=READ),
]


# --- contractor jobs from the case page (issue 11) -------------------------------------------


def _job_request_payload(world: World, user: User | None) -> dict[str, object]:
    return {
        "job-company": str(world.cast.job.company_id),
        "job-title": "Repair the skirting board",
        "job-prerequisite_1": "Customer moves the sofa",
        "job-party_1": "customer",
    }


def _open_prerequisite(world: World) -> int:
    return world.cast.job.prerequisites.filter(state="open").order_by("pk").first().pk


STAFF_ROWS += [
    _change_row("job_request", _job_request_payload),
    _change_row("prerequisite_done", _payload(), _open_prerequisite),
]


# --- merging duplicates (issue 11) ------------------------------------------------------------

MANAGERS_READ = staff_only(DENIED, manager=OK)
MANAGERS_CHANGE = staff_only(DENIED, manager=ACCEPTED)


def _duplicate_customer(world: World) -> int:
    """A record triage made for the cast's customer, with a case of its own (the test's savepoint undoes it)."""
    from tests.factories import CustomerFactory, make_case

    duplicate = CustomerFactory(full_name="Jeanne Martin", email="matrix.dup@example.test", user=None)
    make_case(customer=duplicate, owner=world.cast.other_agent, subject="Triage: no internet")
    return duplicate.pk


def _duplicate_case(world: World) -> str:
    """A second open case of the cast's customer (the test's savepoint undoes it)."""
    from tests.factories import make_case

    return make_case(customer=world.cast.customer, owner=world.cast.owner, subject="Fibre box dead").reference


STAFF_ROWS += [
    Row(
        "staff:customer_merge_pick",
        lambda world: reverse("staff:customer_merge_pick", args=[world.cast.customer.pk]),
        get=MANAGERS_READ,
    ),
    Row(
        "staff:customer_merge",
        lambda world: reverse("staff:customer_merge", args=[world.cast.customer.pk, _duplicate_customer(world)]),
        get=MANAGERS_READ,
        post=MANAGERS_CHANGE,
        payload=_payload(reason="Same person, work address"),
    ),
    Row("staff:case_merge_pick", case_page("staff:case_merge_pick"), get=MANAGERS_READ),
    Row(
        "staff:case_merge",
        case_page("staff:case_merge", _duplicate_case),
        get=MANAGERS_READ,
        post=MANAGERS_CHANGE,
        payload=_payload(reason="Same fibre problem"),
    ),
]
