"""Contractor jobs seen from the case: schedule, cancel or complete a visit, and plan the
repair of damage reported on site. The rules are in contractors.services."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases import policies, selectors
from cases.models import Case
from contractors import services as contractor_services
from contractors.models import IncidentReport, Job
from staff.forms import JobCancelForm, JobCompleteForm, JobScheduleForm, RepairPlanForm
from staff.views.access import staff_page
from staff.views.case_actions import act


def _job_on_case(request: HttpRequest, reference: str, pk: int) -> tuple[Case, Job]:
    case = selectors.case_for_user(request.user, reference, allowed=policies.can_work_on_case)
    job = get_object_or_404(policies.jobs_visible_to(request.user).filter(case=case), pk=pk)
    return case, job


@staff_page
@require_POST
def job_schedule(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case, job = _job_on_case(request, reference, pk)
    form = JobScheduleForm(request.POST, prefix=f"schedule-{job.pk}")
    return act(
        request,
        case,
        form,
        lambda data: contractor_services.job_schedule(
            actor=request.user, job=job, window_start=data["window_start"], window_end=data["window_end"]
        ),
        done=_("Visit for job %(reference)s scheduled.") % {"reference": job.reference},
        anchor=f"job-{job.pk}",
    )


@staff_page
@require_POST
def job_cancel(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case, job = _job_on_case(request, reference, pk)
    form = JobCancelForm(request.POST, prefix=f"cancel-{job.pk}")
    return act(
        request,
        case,
        form,
        lambda data: contractor_services.job_cancel(
            actor=request.user, job=job, reason=data["reason"], note=data["note"]
        ),
        done=_("Visit for job %(reference)s cancelled.") % {"reference": job.reference},
        anchor=f"job-{job.pk}",
    )


@staff_page
@require_POST
def job_complete(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case, job = _job_on_case(request, reference, pk)
    form = JobCompleteForm(request.POST, request.FILES, prefix=f"complete-{job.pk}")

    def perform(data: dict[str, Any]) -> object:
        photos = [data["photo"]] if data["photo"] else []
        return contractor_services.job_complete(
            actor=request.user, job=job, outcome_report=data["outcome_report"], photos=photos
        )

    return act(
        request,
        case,
        form,
        perform,
        done=_("Job %(reference)s completed.") % {"reference": job.reference},
        anchor=f"job-{job.pk}",
    )


@staff_page
@require_POST
def incident_plan_repair(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = selectors.case_for_user(request.user, reference, allowed=policies.can_work_on_case)
    incident = get_object_or_404(
        IncidentReport.objects.select_related("job__case").filter(job__in=policies.jobs_visible_to(request.user)),
        pk=pk,
        job__case=case,
    )
    form = RepairPlanForm(request.POST, prefix=f"repair-{incident.pk}")
    return act(
        request,
        case,
        form,
        lambda data: contractor_services.incident_plan_repair(actor=request.user, incident=incident, plan=data["plan"]),
        done=_("Repair plan recorded; the customer can see it."),
        anchor=f"job-{incident.job_id}",
    )
