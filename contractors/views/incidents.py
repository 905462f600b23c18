"""Damage caused on site: filed one click from the job page, on the case timeline at once,
never edited afterwards (corrections are appended under the report)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from contractors import selectors, services
from contractors.forms import CorrectionForm, IncidentForm, add_violation
from contractors.models import IncidentReport, Job
from contractors.views.access import contractor_page
from portal.errors import NotAllowed, RuleViolation


def incident_url(incident: IncidentReport) -> str:
    return reverse("contractor:incident", args=[incident.pk])


@contractor_page
def incident_new(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job_for(request.user, pk)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    status = 200
    if request.method == "POST":
        form = IncidentForm(request.POST, request.FILES, prefix="incident")
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                incident = services.incident_report(
                    actor=request.user,
                    job=job,
                    what=data["what"],
                    location=data["location"],
                    immediate_action=data["immediate_action"],
                    affects_water="water" in data["affects"],
                    affects_power="power" in data["affects"],
                    affects_heating="heating" in data["affects"],
                    photos=data["photos"],
                )
            except NotAllowed as refused:
                raise PermissionDenied(refused.message) from refused
            except RuleViolation as violation:
                add_violation(form, violation)
                status = violation.status_code
            else:
                messages.success(
                    request, _("Damage report filed. It is on the case now, and the case owner is flagged.")
                )
                return redirect(incident_url(incident))
    else:
        form = IncidentForm(prefix="incident")
    context = {
        "job": selectors.job_sheet(request.user, job),
        "form": form,
        "may_report": services.can_report_on_job(request.user, job),
    }
    return render(request, "contractor/incident_new.html", context, status=status)


def _render_incident(request: HttpRequest, incident: IncidentReport, form: CorrectionForm, status: int) -> HttpResponse:
    job: Job = incident.job
    context = {
        "incident": incident,
        "job_reference": job.reference,
        "job_pk": job.pk,
        "job_title": job.title,
        "form": form,
        "may_report": services.can_report_on_job(request.user, job),
    }
    return render(request, "contractor/incident.html", context, status=status)


@contractor_page
def incident(request: HttpRequest, pk: int) -> HttpResponse:
    """The report as filed, with its corrections. It takes no changes: there is no edit."""
    found = selectors.incident_for(request.user, pk)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return _render_incident(request, found, CorrectionForm(prefix="correction"), 200)


@contractor_page
def incident_correct(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.incident_for(request.user, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = CorrectionForm(request.POST, prefix="correction")
    status = 400
    if form.is_valid():
        try:
            services.incident_correct(actor=request.user, incident=found, text=form.cleaned_data["text"])
        except NotAllowed as refused:
            raise PermissionDenied(refused.message) from refused
        except RuleViolation as violation:
            add_violation(form, violation)
            status = violation.status_code
        else:
            messages.success(request, _("Correction added under the report; the case owner can see it."))
            return redirect(incident_url(found) + "#corrections")
    return _render_incident(request, found, form, status)
