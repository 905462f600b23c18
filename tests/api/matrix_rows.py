"""The role-matrix rows of the REST API (issue 7), added to tests/role_matrix.py's table.

Requests without a session or token get 403 (never a sign-in redirect). Records a role may
not see answer 404, the same as records that do not exist; records it may see but not change
answer 403. In the matrix's world "staff" owns the cast's case and "manager" manages them, so
both may change it; the administrator is an active superuser, who sees and may change every
case but is nobody's customer. A successful POST answers 2xx (OK) and is rolled back with the
test's savepoint.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from cases.models import Flag, Handoff, Promise, ServiceAlert
from cases.services import alert_post, case_resolve
from contractors.models import IncidentReport, Prerequisite
from contractors.services import job_update_status
from people.models import Service
from tests.role_matrix import DENIED, HIDDEN, NOT_ALLOWED, OK, Expectations, Outcome, Row, World, every

Payload = Callable[[World, User | None], dict[str, object]]
PathFor = Callable[[World], str]


def _when(days: float) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


def _url(name: str, *args: Callable[[World], object]) -> PathFor:
    return lambda world: reverse(f"api:{name}", args=[arg(world) for arg in args])


def _case(world: World) -> str:
    return world.cast.case.reference


def _customer(world: World) -> int:
    return world.cast.customer.pk


def _job(world: World) -> int:
    return world.cast.job.pk


def _open_promise(world: World) -> int:
    return Promise.objects.filter(case=world.cast.case, status=Promise.Status.OPEN).order_by("pk").first().pk


def _claim(world: World) -> int:
    return world.cast.case.claims.order_by("pk").first().pk


def _incident(world: World) -> int:
    return IncidentReport.objects.filter(job=world.cast.job).order_by("pk").first().pk


def _prerequisite(world: World) -> int:
    return Prerequisite.objects.filter(job=world.cast.job, state="open").order_by("pk").first().pk


def _flag(world: World) -> int:
    return Flag.objects.filter(case=world.cast.case, cleared_at__isnull=True).order_by("pk").first().pk


def _alert(world: World) -> int:
    return ServiceAlert.objects.order_by("pk").first().pk


def _handoff_to_owner(world: World) -> int:
    return Handoff.objects.filter(to_user=world.cast.owner, acknowledged_at__isnull=True).order_by("pk").first().pk


def _sale(world: World) -> int:
    return world.cast.case.sales.order_by("pk").first().pk


def _new_sale(world: World, user: User | None) -> dict[str, object]:
    # Named: the administrator, who records it too, is not staff and cannot be the advisor.
    return {"product": "Fibre 2 Gb/s", "advisor": world.cast.owner.pk}


def _payload(**fields: object) -> Payload:
    return lambda world, user: dict(fields)


# --- who gets what ----------------------------------------------------------------------

SIGNED_IN = every(OK, anonymous=DENIED)
POST_ONLY = every(NOT_ALLOWED, anonymous=DENIED)


def case_side(
    *,
    staff: Outcome = OK,
    customer: Outcome = OK,
    administrator: Outcome | None = None,
    manager: Outcome | None = None,
    colleague: Outcome | None = None,
    **more: Outcome,
) -> Expectations:
    """On the cast's case: staff and the customer's side see it; the other customer and the
    contractor users (who see jobs, not cases) get 404. The read-only colleague gets what the
    owner gets unless said."""
    return every(
        HIDDEN,
        staff=staff,
        manager=manager or staff,
        administrator=administrator or staff,
        colleague=colleague or staff,
        customer=customer,
        delegate=customer,
        anonymous=DENIED,
        **more,
    )


def staff_side(
    staff: Outcome = OK,
    *,
    manager: Outcome | None = None,
    administrator: Outcome | None = None,
    colleague: Outcome | None = None,
    **more: Outcome,
) -> Expectations:
    """Staff-only records: everyone else who is signed in gets 404."""
    return every(
        HIDDEN,
        staff=staff,
        manager=manager or staff,
        administrator=administrator or staff,
        colleague=colleague or staff,
        anonymous=DENIED,
        **more,
    )


def job_side(contractor: Outcome = OK, *, staff: Outcome = OK, colleague: Outcome | None = None) -> Expectations:
    """On the cast's job: staff, and the contractor user of its company; everyone else 404.
    The read-only colleague gets what the owner gets unless said."""
    return every(
        HIDDEN,
        staff=staff,
        manager=staff,
        administrator=staff,
        colleague=colleague or staff,
        contractor_user=contractor,
        anonymous=DENIED,
    )


def job_work(contractor: Outcome = OK) -> Expectations:
    """Changing the cast's job: its company's user, and staff who may work on its case
    (policies.can_work_on_job); the read-only colleague sees the job and is refused."""
    return job_side(contractor, colleague=DENIED)


READ_CASE = case_side()
# Changing the case is can_work_on_case: the colleague may read it and is refused (403).
WORK_ON_CASE = case_side(customer=DENIED, colleague=DENIED)
CUSTOMER_ONLY = case_side(staff=DENIED)


def _row(
    name: str, path: PathFor, get: Expectations, post: Expectations | None = None, payload: Payload | None = None
) -> Row:
    if payload is None:
        return Row(f"api:{name}", path, get=get, post=post)
    return Row(f"api:{name}", path, get=get, post=post, payload=payload)


# --- payloads ---------------------------------------------------------------------------


def _resolved_first(**fields: object) -> Payload:
    """The case must be resolved before it can be confirmed, rejected or reopened (the test's
    savepoint undoes it)."""

    def payload(world: World, user: User | None) -> dict[str, object]:
        case_resolve(
            actor=world.cast.owner, case=world.cast.case, summary="Pipe repaired.", override_reason="Claims follow."
        )
        return dict(fields)

    return payload


def _message(world: World, user: User | None) -> dict[str, object]:
    if user is not None and user.pk in (world.cast.customer.user_id, world.cast.delegate.pk):
        return {"kind": "message", "body": "Still leaking."}
    return {"kind": "reply", "body": "The plumber comes on Monday.", "channel": "email"}


def _promise(world: World, user: User | None) -> dict[str, object]:
    return {"text": "Call back", "due_at": _when(1), "kind": "callback", "owed_to_customer": "true"}


def _handoff(world: World, user: User | None) -> dict[str, object]:
    return {
        "to_user": world.cast.other_agent.pk,
        "reason": "Field visit needed",
        "summary": "Pipe leaks; plumber promised for Monday.",
        "expected_owner": world.cast.owner.pk,
    }


def _second_alert(world: World, user: User | None) -> dict[str, object]:
    """The world's alert is already linked to the case: a second, live one to link."""
    alert = alert_post(
        actor=world.cast.owner,
        service=Service.objects.order_by("pk").first(),
        kind="outage",
        title="Second outage",
        starts_at=timezone.now(),
    )
    return {"alert": alert.pk}


def _new_alert(world: World, user: User | None) -> dict[str, object]:
    service = Service.objects.order_by("pk").first()
    return {"service": service.code, "kind": "maintenance", "title": "Planned works", "starts_at": _when(1)}


def _job_request(world: World, user: User | None) -> dict[str, object]:
    return {"company": world.cast.job.company_id, "title": "Second visit"}


def _schedule(world: World, user: User | None) -> dict[str, object]:
    return {"window_start": _when(2), "window_end": _when(2.2)}


def _on_the_way(**fields: object) -> Payload:
    """Failing a visit needs the technician on the way (the test's savepoint undoes it)."""

    def payload(world: World, user: User | None) -> dict[str, object]:
        job_update_status(actor=world.cast.contractor_user, job=world.cast.job, status="on_the_way")
        return dict(fields)

    return payload


def _on_site(**fields: object) -> Payload:
    """Completing needs the technician on site: they get there first."""

    def payload(world: World, user: User | None) -> dict[str, object]:
        job, tech = world.cast.job, world.cast.contractor_user
        job_update_status(actor=tech, job=job, status="on_the_way")
        job_update_status(actor=tech, job=job, status="on_site", override_reason="Cabinet checked by phone")
        return dict(fields)

    return payload


def _inbound(world: World, user: User | None) -> dict[str, object]:
    return {
        "external_id": "<matrix-1@mail.example>",
        "channel": "email",
        "sender_email": world.cast.customer.email,
        "subject": f"Re: {world.cast.case.reference}",
        "body": "The pipe still leaks.",
    }


def _inbound_email(world: World, user: User | None) -> dict[str, object]:
    """A raw e-mail as the multipart form's `message` part (the matrix client posts forms)."""
    raw = (
        f"From: Jeanne Martin <{world.cast.customer.email}>\r\n"
        "To: support@steward.localhost\r\n"
        f"Subject: Re: {world.cast.case.reference}\r\n"
        "Message-ID: <matrix-2@mail.example>\r\n"
        "\r\n"
        "The pipe still leaks.\r\n"
    )
    return {"message": raw}


# --- rows -------------------------------------------------------------------------------

API_ROWS: list[Row] = [
    _row("schema", _url("schema"), get=every(OK)),
    # Any other address under /api/v1/ is the API's JSON 404, for everyone.
    Row("api:not-found", lambda world: "/api/v1/no-such-resource/7/", get=every(HIDDEN), post=every(HIDDEN)),
    _row("docs", _url("docs"), get=every(OK)),
    # customers
    _row("customer-list", _url("customer-list"), get=SIGNED_IN),
    _row("customer-detail", _url("customer-detail", _customer), get=READ_CASE),
    _row(
        "customer-cases",
        _url("customer-cases", _customer),
        get=READ_CASE,
        post=READ_CASE,
        payload=_payload(subject="Heating still broken"),
    ),
    # cases
    _row("case-list", _url("case-list"), get=SIGNED_IN),
    _row("case-detail", _url("case-detail", _case), get=READ_CASE),
    _row("case-status", _url("case-status", _case), POST_ONLY, WORK_ON_CASE, _payload(status="waiting_contractor")),
    _row(
        "case-resolve",
        _url("case-resolve", _case),
        POST_ONLY,
        WORK_ON_CASE,
        _payload(summary="Pipe repaired.", override_reason="Claims follow."),
    ),
    # The customer side confirms; so may staff working on the case, recording what the customer said.
    _row("case-confirm", _url("case-confirm", _case), POST_ONLY, case_side(colleague=DENIED), _resolved_first()),
    _row(
        "case-reject-resolution",
        _url("case-reject-resolution", _case),
        POST_ONLY,
        CUSTOMER_ONLY,
        _resolved_first(reason="Still leaking."),
    ),
    _row("case-reopen", _url("case-reopen", _case), POST_ONLY, WORK_ON_CASE, _resolved_first(reason="She called.")),
    _row("case-timeline", _url("case-timeline", _case), get=READ_CASE),
    # Customers write messages, staff working on the case reply.
    _row("case-messages", _url("case-messages", _case), READ_CASE, case_side(colleague=DENIED), _message),
    _row("case-promises", _url("case-promises", _case), READ_CASE, WORK_ON_CASE, _promise),
    _row(
        "case-claims",
        _url("case-claims", _case),
        READ_CASE,
        WORK_ON_CASE,
        _payload(insurer="Assurances Réseau", policy_holder="company"),
    ),
    # Handoff summaries are for staff: the customer side reads an empty list (and the timeline).
    _row(
        "case-handoffs",
        _url("case-handoffs", _case),
        READ_CASE,
        # A specialist helps on the case but may not give it away (can_handoff).
        case_side(customer=DENIED, colleague=DENIED, specialist=DENIED),
        _handoff,
    ),
    # Jobs are the contractors' and staff's: the customer side reads an empty list.
    _row("case-jobs", _url("case-jobs", _case), READ_CASE, WORK_ON_CASE, _job_request),
    _row("case-alerts", _url("case-alerts", _case), READ_CASE, WORK_ON_CASE, _second_alert),
    # The customer side reads what was sold (without pending offers); staff working on the case record sales.
    _row("case-sales", _url("case-sales", _case), READ_CASE, WORK_ON_CASE, _new_sale),
    # Changed with PATCH (tests/api/test_sales.py); a POST is not allowed.
    _row("case-sale-detail", _url("case-sale-detail", _case, _sale), READ_CASE, POST_ONLY),
    # records of a case
    _row("promise-detail", _url("promise-detail", _open_promise), get=READ_CASE),
    _row("promise-settle", _url("promise-settle", _open_promise), POST_ONLY, WORK_ON_CASE, _payload(outcome="kept")),
    _row("claim-detail", _url("claim-detail", _claim), get=READ_CASE),
    _row("claim-updates", _url("claim-updates", _claim), POST_ONLY, WORK_ON_CASE, _payload(note="Insurer called")),
    # Only the receiver acknowledges; the others may look but are refused.
    _row(
        "handoff-acknowledge",
        _url("handoff-acknowledge", _handoff_to_owner),
        POST_ONLY,
        staff_side(manager=DENIED, administrator=DENIED, specialist=DENIED, colleague=DENIED),
    ),
    # contractor jobs
    _row("job-list", _url("job-list"), get=SIGNED_IN),
    _row("job-detail", _url("job-detail", _job), get=job_side()),
    _row("job-schedule", _url("job-schedule", _job), POST_ONLY, job_work(), _schedule),
    _row("job-cancel", _url("job-cancel", _job), POST_ONLY, job_work(), _payload(reason="customer_request")),
    _row("job-visit", _url("job-visit", _job), POST_ONLY, job_work(), _payload(status="on_the_way")),
    _row(
        "job-complete",
        _url("job-complete", _job),
        POST_ONLY,
        job_work(),
        _on_site(outcome_report="Socket installed and tested"),
    ),
    _row("job-fail", _url("job-fail", _job), POST_ONLY, job_work(), _on_the_way(outcome_report="No access")),
    _row("job-promises", _url("job-promises", _job), POST_ONLY, job_work(), _promise),
    _row(
        "job-incidents",
        _url("job-incidents", _job),
        job_side(),
        job_work(),
        _payload(what="Scratched the skirting board", location="Hall"),
    ),
    # The cast's prerequisite (a street connection) is the operator's: the contractor may not tick it.
    _row(
        "prerequisite-complete",
        _url("prerequisite-complete", _prerequisite),
        POST_ONLY,
        job_work(contractor=DENIED),
    ),
    _row(
        "incident-corrections",
        _url("incident-corrections", _incident),
        POST_ONLY,
        job_work(),
        _payload(text="It was the hot water pipe."),
    ),
    # The repair is the case owner's decision: the contractor may look but is refused.
    _row(
        "incident-repair",
        _url("incident-repair", _incident),
        POST_ONLY,
        job_work(contractor=DENIED),
        _payload(plan="Plumber on Monday, paid by us"),
    ),
    # staff: flags and service alerts
    _row("flag-list", _url("flag-list"), get=staff_side()),
    _row("flag-detail", _url("flag-detail", _flag), get=staff_side()),
    # The cast's flag is on its case: the read-only colleague sees it and may not acknowledge it.
    _row("flag-acknowledge", _url("flag-acknowledge", _flag), staff_side(NOT_ALLOWED), staff_side(colleague=DENIED)),
    _row("alert-list", _url("alert-list"), staff_side(), staff_side(), _new_alert),
    _row("alert-detail", _url("alert-detail", _alert), get=staff_side()),
    _row("alert-end", _url("alert-end", _alert), staff_side(NOT_ALLOWED), staff_side()),
    # Only an account holding cases.deliver_inbound (here the superuser) delivers inbound messages.
    _row(
        "inbound-messages",
        _url("inbound-messages"),
        every(DENIED, administrator=NOT_ALLOWED),
        every(DENIED, administrator=OK),
        _inbound,
    ),
    # The raw e-mail door: the same permission.
    _row(
        "inbound-email",
        _url("inbound-email"),
        every(DENIED, administrator=NOT_ALLOWED),
        every(DENIED, administrator=OK),
        _inbound_email,
    ),
]
