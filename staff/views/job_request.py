"""Contractor jobs started from the case page: request a job with its prerequisites (and,
when already agreed, its visit window), and confirm a prerequisite done. The rules are in
contractors.services; rescheduling and cancelling are in job_actions."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases import policies, selectors
from contractors import services as contractor_services
from contractors.models import Job, Prerequisite
from portal.errors import NotAllowed, RuleViolation
from staff.forms import JobRequestForm
from staff.views.access import staff_page
from staff.views.case_actions import act
from staff.views.case_page import case_url


@staff_page
@require_POST
def job_request(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.case_for_user(request.user, reference, allowed=policies.can_work_on_case)
    form = JobRequestForm(request.POST, prefix="job")

    def perform(data: dict[str, Any]) -> Job:
        # One transaction: a refused visit window leaves no half-made job behind.
        with transaction.atomic():
            job = contractor_services.job_request(
                actor=request.user,
                case=case,
                company=data["company"],
                title=data["title"],
                description=data["description"],
                prerequisites=data["prerequisites"],
                contact_window=data["contact_window"],
            )
            if data["window_start"]:
                job = contractor_services.job_schedule(
                    actor=request.user, job=job, window_start=data["window_start"], window_end=data["window_end"]
                )
        return job

    def done(job: Job) -> str:
        if job.window_start:
            return _("Job %(reference)s requested from %(company)s, with its visit window.") % {
                "reference": job.reference,
                "company": job.company.name,
            }
        return _("Job %(reference)s requested from %(company)s.") % {
            "reference": job.reference,
            "company": job.company.name,
        }

    return act(request, case, form, perform, done=done, anchor="jobs")


@staff_page
@require_POST
def prerequisite_done(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """The case owner confirms what our staff, the operator or the customer had to do (a
    contractor can only confirm its own part, from its job page)."""
    case = selectors.case_for_user(request.user, reference, allowed=policies.can_work_on_case)
    prerequisite = get_object_or_404(
        Prerequisite.objects.select_related("job").filter(
            job__case=case, job__in=policies.jobs_visible_to(request.user)
        ),
        pk=pk,
    )
    try:
        contractor_services.prerequisite_complete(actor=request.user, prerequisite=prerequisite)
    except NotAllowed as refused:
        raise PermissionDenied(refused.message) from refused
    except RuleViolation as violation:
        messages.error(request, violation.message)
    else:
        messages.success(request, _("Marked done: %(prerequisite)s.") % {"prerequisite": prerequisite.description})
    return redirect(case_url(case, f"job-{prerequisite.job_id}"))
