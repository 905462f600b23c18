"""Contractor jobs: repeated cancellations, missing prerequisites, and damage reports.

The job services raise these flags in the transaction that records the cancellation or
the incident. These sweeps read each new cancellation and incident report once more (by
id, from a cursor) and raise any flag that is missing, for at-least-once safety: rows
written by an import, the admin site, or code that forgot. Clearing stays with the
services: job_complete (both job flags), prerequisite_complete (missing prerequisite once
none is open), incident_plan_repair (incident).
"""

from datetime import datetime

from django.utils import timezone

from cases.models import Flag
from cases.watchers.base import ScanResult, sweep_new_rows
from contractors.models import IncidentReport, Job, JobCancellation, Prerequisite
from contractors.services import flag_incident, flag_missing_prerequisite, flag_repeated_cancellation

_LADDER = (
    "job__case__customer",  # a vulnerable customer's flags climb round the clock (cases/deadlines.py)
    "job__case__owner__staff_profile__manager",
    "job__case__owner__staff_profile__department__head",
)


def _flag_missing_since(kind: str, subject_key: str, since: datetime) -> bool:
    """True when no flag of this kind was raised on the subject at or after `since`: the
    service raises it in the same transaction, so its absence means it was never raised."""
    return not Flag.objects.filter(kind=kind, subject_key=subject_key, raised_at__gte=since).exists()


def _prerequisites_done(job: Job) -> bool:
    prerequisites = job.prerequisites.all()
    return prerequisites.exists() and not prerequisites.filter(state=Prerequisite.State.OPEN).exists()


def _check_cancellation(cancellation: JobCancellation, now: datetime, result: ScanResult) -> bool:
    job = cancellation.job
    if job.status == Job.Status.COMPLETED:
        return True  # completion cleared whatever this cancellation should have raised
    subject = f"job:{job.pk}"
    if job.cancellation_count >= 2 and _flag_missing_since(
        Flag.Kind.REPEATED_CANCELLATION, subject, cancellation.cancelled_at
    ):
        raised = flag_repeated_cancellation(job, now=now)
        result.raised += raised is not None
    if (
        cancellation.reason == Job.CancellationReason.PREREQUISITE_MISSING
        and not _prerequisites_done(job)
        and _flag_missing_since(Flag.Kind.MISSING_PREREQUISITE, subject, cancellation.cancelled_at)
    ):
        raised = flag_missing_prerequisite(job, now=now)
        result.raised += raised is not None
    return True


def watch_job_cancellations(*, now: datetime | None = None, batch_size: int | None = None) -> ScanResult:
    now = now or timezone.now()
    return sweep_new_rows(
        result=ScanResult("job_cancellations"),
        cursor_name="job_cancellations",
        rows=JobCancellation.objects.select_related(*_LADDER),
        created_field="cancelled_at",
        handle=_check_cancellation,
        now=now,
        size=batch_size,
    )


def _check_incident(incident: IncidentReport, now: datetime, result: ScanResult) -> bool:
    subject = f"incident:{incident.pk}"
    # Any flag, open or cleared: a cleared one means the repair was planned.
    if Flag.objects.filter(kind=Flag.Kind.INCIDENT, subject_key=subject).exists():
        return True
    raised = flag_incident(incident, now=now)
    result.raised += raised is not None
    return True


def watch_incidents(*, now: datetime | None = None, batch_size: int | None = None) -> ScanResult:
    now = now or timezone.now()
    return sweep_new_rows(
        result=ScanResult("incidents"),
        cursor_name="incident_reports",
        rows=IncidentReport.objects.select_related(*_LADDER),
        created_field="created_at",
        handle=_check_incident,
        now=now,
        size=batch_size,
    )
