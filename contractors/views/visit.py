"""What a technician reports about a visit: on the way, on site (with an override when a
prerequisite is open, and a reason when the visit starts before its day), cancelled, done
or failed with photos, a prerequisite done, a promise to the customer. Each view parses its
form, calls one service and goes back to the job page; a refusal re-renders the page with
the form as typed and the reason on it."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from cases.models import Promise
from cases.services import promise_make
from contractors import services
from contractors.forms import CancelForm, OnTheWayForm, OutcomeForm, PromiseForm, StartVisitForm, add_violation
from contractors.models import Job, Prerequisite
from contractors.views.access import job_action
from contractors.views.jobs import job_url, render_job_page
from portal.errors import NotAllowed, RuleViolation


def act(
    request: HttpRequest,
    job: Job,
    form: forms.Form,
    perform: Callable[[dict[str, Any]], object],
    *,
    done: str,
    anchor: str = "",
) -> HttpResponse:
    """Run one service with the form's values; nothing is written unless it succeeds."""
    status = 400
    if form.is_valid():
        try:
            perform(form.cleaned_data)
        except NotAllowed as refused:
            raise PermissionDenied(refused.message) from refused
        except RuleViolation as violation:
            add_violation(form, violation)
            status = violation.status_code
        else:
            messages.success(request, done)
            return redirect(job_url(job, anchor))
    return render_job_page(request, job, bound={form.prefix: form}, status=status)


@job_action
def on_the_way(request: HttpRequest, job: Job) -> HttpResponse:
    return act(
        request,
        job,
        OnTheWayForm(request.POST, prefix="on_the_way", early=services.visit_needs_early_reason(job)),
        lambda data: services.job_update_status(
            actor=request.user, job=job, status=Job.Status.ON_THE_WAY, early_reason=data.get("early_reason", "")
        ),
        done=_("The customer and the case owner can see you are on your way."),
    )


@job_action
def start(request: HttpRequest, job: Job) -> HttpResponse:
    return act(
        request,
        job,
        StartVisitForm(request.POST, prefix="start", early=services.visit_needs_early_reason(job)),
        lambda data: services.job_update_status(
            actor=request.user,
            job=job,
            status=Job.Status.ON_SITE,
            override_reason=data["override_reason"],
            early_reason=data.get("early_reason", ""),
        ),
        done=_("Visit started: you are on site."),
        anchor="report",
    )


@job_action
def cancel(request: HttpRequest, job: Job) -> HttpResponse:
    return act(
        request,
        job,
        CancelForm(request.POST, prefix="cancel"),
        lambda data: services.job_cancel(actor=request.user, job=job, reason=data["reason"], note=data["note"]),
        done=_("Visit cancelled. The case owner has your reason."),
    )


@job_action
def outcome(request: HttpRequest, job: Job) -> HttpResponse:
    def perform(data: dict[str, Any]) -> Job:
        report = {"actor": request.user, "job": job, "outcome_report": data["outcome_report"], "photos": data["photos"]}
        if data["outcome"] == "completed":
            return services.job_complete(**report)
        return services.job_fail(**report)

    return act(
        request,
        job,
        OutcomeForm(request.POST, request.FILES, prefix="outcome"),
        perform,
        done=_("Outcome recorded on the case."),
    )


@job_action
def prerequisite_done(request: HttpRequest, job: Job, prerequisite_pk: int) -> HttpResponse:
    """A technician confirms only what the contractor had to do; what the operator, the
    customer or our staff must do is confirmed by the case owner."""
    prerequisite = get_object_or_404(job.prerequisites, pk=prerequisite_pk)
    if prerequisite.responsible_party != Prerequisite.Party.CONTRACTOR:
        raise PermissionDenied(
            _(
                "“%(prerequisite)s” is for the %(party)s to do: only the case owner can mark it done. "
                "Call them if you know it is done."
            )
            % {
                "prerequisite": prerequisite.description,
                "party": prerequisite.get_responsible_party_display().lower(),
            }
        )
    if not services.can_report_on_job(request.user, job):
        raise PermissionDenied(_("Only the job's technician or your company's administrator can mark this done."))
    try:
        services.prerequisite_complete(actor=request.user, prerequisite=prerequisite)
    except NotAllowed as refused:
        raise PermissionDenied(refused.message) from refused
    except RuleViolation as violation:
        messages.error(request, violation.message)
    else:
        messages.success(request, _("Marked done: %(prerequisite)s.") % {"prerequisite": prerequisite.description})
    return redirect(job_url(job, "prerequisites"))


@job_action
def promise(request: HttpRequest, job: Job) -> HttpResponse:
    """A promise to the customer, on the case: watched like any other, and the customer sees it."""
    return act(
        request,
        job,
        PromiseForm(request.POST, prefix="promise"),
        lambda data: promise_make(
            actor=request.user,
            case=job.case,
            job=job,
            kind=Promise.Kind.VISIT,
            text=data["text"],
            due_at=data["due_at"],
        ),
        done=_("Promise recorded on the case. The customer can see it, and the case owner is flagged if it is late."),
        anchor="promises",
    )
