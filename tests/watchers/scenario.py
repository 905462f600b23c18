"""One of everything the watchers look for, due at the same moment (shared by several tests)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from cases.models import Case, InsuranceClaim
from cases.services import case_handoff, case_resolve, claim_file, message_receive, promise_make
from cases.watchers import watch_emerging_incidents
from contractors.models import IncidentReport, Job, JobCancellation
from people.models import Customer
from tests.factories import CustomerFactory, ServiceFactory, make_case, make_staff


@dataclass
class Everything:
    due: datetime  # a moment when every watcher has work to do


def build_everything_due(*, case: Case, owner: User, customer: Customer, job: Job, contractor_user: User) -> Everything:
    now = timezone.now()
    promise_make(actor=owner, case=case, text="Technician back Monday", due_at=now + timedelta(hours=2))
    message_receive(case=case, actor=customer.user, body="Nobody answers my e-mails.")
    claim_file(
        actor=owner,
        case=case,
        insurer="Maison Sûre Assurances",
        policy_holder=InsuranceClaim.PolicyHolder.CUSTOMER,
        next_action="Expert visit",
        next_action_due=timezone.localdate(now) + timedelta(days=1),
    )
    resolved = make_case(customer=customer, owner=owner, subject="Router replaced")
    case_resolve(actor=owner, case=resolved, summary="New router sent and working")
    # A cancellation and an incident that reached the database without their flags (an import).
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.CANCELLED, cancellation_count=2, last_cancellation_reason=Job.CancellationReason.NO_ACCESS
    )
    JobCancellation.objects.create(job=job, reason=Job.CancellationReason.NO_ACCESS, cancelled_by=contractor_user)
    IncidentReport.objects.create(job=job, reported_by=contractor_user, what="Heating pipe drilled", location="Hall")
    mail = ServiceFactory(code="mail", name="E-mail")
    watch_emerging_incidents(now=now)  # the watcher has been running: it catches up from here
    for _ in range(3):
        make_case(customer=CustomerFactory(service_area="69003"), owner=owner, subject="No e-mail", service=mail)
    # A handoff its receiver never acknowledges.
    colleague = make_staff("scenario-colleague", department=owner.staff_profile.department)
    handed = make_case(customer=customer, owner=owner, subject="Moving house")
    case_handoff(actor=owner, case=handed, to_user=colleague, reason="Moves team", summary="Call on Monday.")
    # Past the confirmation window (7 days), the silence threshold, every reply target and the
    # handoff acknowledgement.
    return Everything(due=now + timedelta(days=8))
