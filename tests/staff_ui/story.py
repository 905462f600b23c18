"""The fibre-install story of DESIGN.md section 1, built through the services as the
product would: a sale, a job cancelled twice for a missing street connection, damage to a
heating pipe, a contractor's "back Monday" promise, two insurers, and a fibre outage alert."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from cases.models import Case, InsuranceClaim, Promise, ServiceAlert
from cases.services import claim_file, message_receive, note_add, promise_make, sale_record
from contractors.models import Job
from contractors.services import incident_report, job_cancel, job_schedule, job_update_status
from tests.factories import ServiceAlertFactory, ServiceFactory


@dataclass
class FibreStory:
    case: Case
    job: Job
    back_monday: Promise
    operator_claim: InsuranceClaim
    home_claim: InsuranceClaim
    alert: ServiceAlert


def _reschedule(job: Job, actor: User, days: int) -> Job:
    start = timezone.now() + timedelta(days=days)
    return job_schedule(actor=actor, job=job, window_start=start, window_end=start + timedelta(hours=4))


def build_fibre_story(*, case: Case, job: Job, owner: User, contractor_user: User) -> FibreStory:
    """`case` and `job` are the cast's: Mrs Martin's fibre installation with its street-cabinet prerequisite."""
    fibre = ServiceFactory(code="fibre", name="Fibre broadband")
    customer = case.customer
    customer.services.add(fibre)
    Case.objects.filter(pk=case.pk).update(
        human_impact="Heating pipe drilled through: water leak, no heating", priority="high", service=fibre
    )
    case.refresh_from_db()
    sale_record(
        actor=owner, case=case, product="Fibre 1 Gb/s", advisor=owner, plan="Home fibre", monthly_price=Decimal("39.99")
    )
    message_receive(case=case, body="The technician has still not come. My son says the street box is not connected.")
    job_cancel(actor=contractor_user, job=job, reason="prerequisite_missing", note="No street connection yet")
    job = _reschedule(job, contractor_user, 2)
    job_cancel(actor=contractor_user, job=job, reason="prerequisite_missing", note="Still no street connection")
    job = _reschedule(job, contractor_user, 0)  # the third visit is today: started on its day
    job_update_status(actor=contractor_user, job=job, status="on_the_way")
    job = job_update_status(actor=contractor_user, job=job, status="on_site", override_reason="Customer insisted")
    incident_report(
        actor=contractor_user,
        job=job,
        what="Drilled into a heating pipe behind the socket",
        location="Living room wall",
        immediate_action="Water shut off at the valve",
        affects_water=True,
        affects_heating=True,
    )
    back_monday = promise_make(
        actor=contractor_user,
        case=case,
        job=job,
        kind="visit",
        text="Back Monday with more workers to repair the pipe",
        due_at=timezone.now() + timedelta(days=4),
    )
    operator_claim = claim_file(
        actor=owner,
        case=case,
        insurer="Assurances Réseau",
        policy_holder="company",
        claim_number="AR-2026-0042",
        next_action="Adjuster visit",
        next_action_due=(timezone.now() + timedelta(days=5)).date(),
    )
    home_claim = claim_file(
        actor=owner,
        case=case,
        insurer="Mutuelle Habitat",
        policy_holder="customer",
        claim_number="MH-77812",
        next_action="Send the plumber's quote",
        next_action_due=(timezone.now() + timedelta(days=7)).date(),
    )
    note_add(actor=owner, case=case, body="Both insurers informed; each must see the other's claim number.")
    alert = ServiceAlertFactory(
        service=fibre,
        area=customer.service_area,
        kind="outage",
        title="Fibre outage in Lyon 3",
        starts_at=timezone.now() - timedelta(hours=2),
        posted_by=owner,
    )
    case.refresh_from_db()
    job.refresh_from_db()
    return FibreStory(case, job, back_monday, operator_claim, home_claim, alert)
