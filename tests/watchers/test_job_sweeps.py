"""Repeated cancellations, missing prerequisites and incidents: the services raise these flags
at once; the sweeps catch any cancellation or incident that reached the database without one."""

from datetime import timedelta
from unittest import mock

from cases.models import Flag, WatcherCursor
from cases.watchers import watch_incidents, watch_job_cancellations
from contractors.models import IncidentReport, Job, JobCancellation
from contractors.services import (
    incident_plan_repair,
    incident_report,
    job_cancel,
    job_complete,
    job_schedule,
    job_update_status,
    prerequisite_complete,
)
from tests.watchers.conftest import open_flags

REPEATED = Flag.Kind.REPEATED_CANCELLATION
MISSING = Flag.Kind.MISSING_PREREQUISITE
Reason = Job.CancellationReason


def _reschedule(job: Job, actor: object, clock: object) -> Job:
    start = clock.now + timedelta(days=2)
    return job_schedule(actor=actor, job=job, window_start=start, window_end=start + timedelta(hours=4))


def _imported_cancellation(job: Job, by: object, reason: str, count: int) -> JobCancellation:
    """A cancellation written without the service (an import from the contractor's system)."""
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.CANCELLED, cancellation_count=count, last_cancellation_reason=reason
    )
    return JobCancellation.objects.create(job=job, reason=reason, cancelled_by=by)


def test_second_cancellation_is_flagged_once_by_the_service_and_the_sweep_adds_nothing(
    job, contractor_user, owner, clock
):
    job_cancel(actor=contractor_user, job=job, reason=Reason.NO_ACCESS)
    assert open_flags(REPEATED) == []
    _reschedule(job, owner, clock)
    job_cancel(actor=contractor_user, job=job, reason=Reason.NO_SHOW)
    assert len(open_flags(REPEATED)) == 1

    result = watch_job_cancellations(now=clock.now + timedelta(minutes=5))

    assert (result.examined, result.raised) == (2, 0)
    assert Flag.objects.filter(kind=REPEATED).count() == 1


def test_sweep_raises_the_flag_a_cancellation_arrived_without(job, contractor_user, owner, clock):
    _imported_cancellation(job, contractor_user, Reason.NO_ACCESS, count=2)

    result = watch_job_cancellations(now=clock.now + timedelta(minutes=5))

    assert result.raised == 1
    [flag] = open_flags(REPEATED)
    assert (flag.subject_key, flag.case, flag.assignee) == (f"job:{job.pk}", job.case, owner)


def test_sweep_raises_missing_prerequisite_unless_the_prerequisites_are_done(job, contractor_user, clock):
    _imported_cancellation(job, contractor_user, Reason.PREREQUISITE_MISSING, count=1)
    assert watch_job_cancellations(now=clock.now + timedelta(minutes=5)).raised == 1
    assert len(open_flags(MISSING)) == 1

    prerequisite_complete(actor=job.case.owner, prerequisite=job.prerequisites.get())
    assert open_flags(MISSING) == []  # the service clears it once none is open

    other = _imported_cancellation(job, contractor_user, Reason.PREREQUISITE_MISSING, count=2)
    WatcherCursor.objects.filter(name="job_cancellations").update(last_id=other.pk - 1)
    assert watch_job_cancellations(now=clock.now + timedelta(minutes=10)).examined == 1
    assert open_flags(MISSING) == []  # prerequisites done: nothing is missing any more


def test_completing_the_job_clears_both_flags_and_the_sweep_does_not_bring_them_back(
    job, contractor_user, owner, clock
):
    job_cancel(actor=contractor_user, job=job, reason=Reason.PREREQUISITE_MISSING)
    _reschedule(job, owner, clock)
    job_cancel(actor=contractor_user, job=job, reason=Reason.PREREQUISITE_MISSING)
    assert {f.kind for f in open_flags()} == {REPEATED, MISSING}

    _reschedule(job, owner, clock)
    job_update_status(
        actor=contractor_user,
        job=job,
        status=Job.Status.ON_SITE,
        override_reason="Cabinet connected",
        early_reason="The customer asked us to come two days early",
    )
    job_complete(actor=contractor_user, job=job, outcome_report="Socket installed, line tested")
    assert [f for f in open_flags() if f.kind in (REPEATED, MISSING)] == []

    WatcherCursor.objects.filter(name="job_cancellations").delete()  # sweep everything again
    assert watch_job_cancellations(now=clock.now + timedelta(minutes=5)).raised == 0
    assert [f for f in open_flags() if f.kind in (REPEATED, MISSING)] == []


def test_sweep_reads_each_cancellation_once_after_it_settles(job, contractor_user, settings, clock):
    settings.WATCHER_SETTLE_SECONDS = 120
    _imported_cancellation(job, contractor_user, Reason.NO_ACCESS, count=2)

    # Too young to be sure no earlier id is still uncommitted: read again next time.
    assert watch_job_cancellations(now=clock.now).examined == 1
    assert watch_job_cancellations(now=clock.now + timedelta(seconds=30)).examined == 1
    assert watch_job_cancellations(now=clock.now + timedelta(minutes=3)).examined == 1
    assert watch_job_cancellations(now=clock.now + timedelta(minutes=4)).examined == 0
    assert Flag.objects.filter(kind=REPEATED).count() == 1


def test_incident_sweep_raises_for_a_report_without_a_flag_and_respects_planned_repairs(
    job, contractor_user, owner, clock
):
    reported = incident_report(
        actor=contractor_user,
        job=job,
        what="Drilled into a heating pipe",
        location="Hall",
        affects_water=True,
        affects_heating=True,
    )
    incident_plan_repair(actor=owner, incident=reported, plan="Plumber on Friday, paid by FibreCo")
    imported = IncidentReport.objects.create(
        job=job, reported_by=contractor_user, what="Scratched the door frame", location="Front door"
    )

    result = watch_incidents(now=clock.now + timedelta(minutes=5))

    assert (result.examined, result.raised) == (2, 1)
    [flag] = open_flags(Flag.Kind.INCIDENT)
    assert flag.subject_key == f"incident:{imported.pk}"
    assert Flag.objects.get(subject_key=f"incident:{reported.pk}").cleared_at is not None


def test_a_cancellation_that_fails_is_read_again_on_the_next_sweep(job, contractor_user, clock):
    _imported_cancellation(job, contractor_user, Reason.NO_ACCESS, count=2)
    later = clock.now + timedelta(minutes=5)

    with mock.patch("cases.watchers.jobs.flag_repeated_cancellation", side_effect=RuntimeError("database hiccup")):
        assert watch_job_cancellations(now=later).failed == 1
    assert open_flags(REPEATED) == []

    assert watch_job_cancellations(now=later).raised == 1
