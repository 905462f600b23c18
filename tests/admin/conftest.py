"""One of every admin-registered record, written through the services as the product writes them."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from guardian.shortcuts import assign_perm

from cases.models import Flag, Handoff, InsuranceClaim, Promise, ServiceAlert, WatcherCursor, WatcherHeartbeat
from cases.services import (
    alert_post,
    case_confirm,
    case_handoff,
    case_resolve,
    claim_file,
    flag_raise,
    message_receive,
    message_reply,
    promise_make,
    sale_record,
    specialist_add,
    survey_submit,
)
from contractors.models import IncidentReport
from contractors.services import incident_correct, incident_report, job_cancel, job_share
from correspondence.services.inbound import mail_receive
from tests.factories import ServiceFactory, make_job

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def admin_client_for(administrator: User) -> Client:
    client = Client()
    client.force_login(administrator)
    return client


@dataclass
class Records:
    claim: InsuranceClaim
    promise: Promise
    flag: Flag
    handoff: Handoff
    alert: ServiceAlert
    incident: IncidentReport


@pytest.fixture
def records(cast) -> Records:
    """Everything linked to the cast's case, ending with a handoff from Olivia to Adam."""
    case, owner = cast.case, cast.owner
    now = timezone.now()
    sale_record(actor=owner, case=case, product="Fibre 1 Gb", advisor=owner, monthly_price=Decimal("39.99"))
    claim = claim_file(
        actor=owner, case=case, insurer="Mutuelle du Rhône", policy_holder="customer", claim_number="CLM-77-0042"
    )
    message_receive(
        case=case,
        actor=cast.customer.user,
        body="The heating pipe is still leaking.",
        attachments=[SimpleUploadedFile("leak.png", PNG, content_type="image/png")],
    )
    message_reply(actor=owner, case=case, body="A plumber comes tomorrow morning.")
    promise = promise_make(actor=owner, case=case, text="Plumber visits on Monday", due_at=now + timedelta(days=2))
    flag = flag_raise(
        kind=Flag.Kind.STALE_PROMISE,
        subject_key=f"promise:{promise.pk}",
        summary="Plumber visit promise past due",
        case=case,
        assignee=owner,
    )
    specialist_add(actor=owner, case=case, user=cast.manager)
    incident = incident_report(
        actor=cast.contractor_user,
        job=cast.job,
        what="Drilled into the heating pipe",
        location="Living room wall",
        affects_heating=True,
        photos=[SimpleUploadedFile("pipe.png", PNG, content_type="image/png")],
    )
    incident_correct(actor=cast.contractor_user, incident=incident, text="It was the hot-water pipe.")
    job_share(actor=owner, job=cast.job, company=cast.other_contractor_user.contractor_profile.company)
    second_job = make_job(case=case, company=cast.job.company, actor=owner, title="Reconnect the fibre")
    job_cancel(actor=owner, job=second_job, reason="prerequisite_missing")
    alert = alert_post(
        actor=owner, service=ServiceFactory(), kind="outage", title="Mail server outage", starts_at=now, area="69003"
    )
    case_resolve(actor=cast.other_agent, case=cast.other_case, summary="Mail server restored.")
    closed = case_confirm(actor=cast.other_customer.user, case=cast.other_case)
    survey_submit(actor=cast.other_customer.user, case=closed, score=4, comment="Quick, thanks.")
    # Grants no service writes (the policies ignore them), so their read-only pages have a row to show.
    crew = Group.objects.create(name="Night crew")
    assign_perm("cases.view_case", crew, case)
    assign_perm("people.view_customer", crew, cast.customer)
    assign_perm("contractors.view_job", cast.contractor_user, cast.job)
    # A delivery through Steward's own mail door, kept so a retry is filed once.
    mail_receive(
        b"From: Jeanne Martin <jeanne@example.test>\r\nTo: support@steward.localhost\r\n"
        b"Subject: The pipe\r\nMessage-ID: <admin-site-test@example.test>\r\n\r\nIt still leaks.\r\n",
        door="pipe",
    )
    WatcherCursor.objects.create(name="admin-site-test")  # the watchers' own bookmark
    WatcherHeartbeat.objects.create(name="admin-site-test", last_completed_at=now)
    handoff = case_handoff(
        actor=owner,
        case=case,
        to_user=cast.other_agent,
        reason="Heating damage is a claims matter",
        summary="Pipe drilled on 3 March; claim CLM-77-0042 filed; plumber promised for Monday.",
    )
    return Records(claim=claim, promise=promise, flag=flag, handoff=handoff, alert=alert, incident=incident)
