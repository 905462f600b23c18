"""The jobs list (today, upcoming, needing a report; by technician and status) and the job page."""

from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases import policies
from contractors import selectors, services
from contractors.forms import CancelForm, JobFilterForm, OnTheWayForm, OutcomeForm, PromiseForm, StartVisitForm
from contractors.models import Job, Prerequisite
from contractors.views.access import contractor_page

Status = Job.Status


def job_url(job: Job, anchor: str = "") -> str:
    url = reverse("contractor:job", args=[job.pk])
    return f"{url}#{anchor}" if anchor else url


@contractor_page
@require_GET
def jobs(request: HttpRequest) -> HttpResponse:
    company = policies.contractor_company_of(request.user)
    form = JobFilterForm(request.GET, company=company)
    chosen = form.cleaned_data if form.is_valid() else {}
    technician, status = chosen.get("technician", ""), chosen.get("status", "")
    tab, now = form.tab(), timezone.now()
    visible = selectors.filtered_jobs(request.user, technician=technician, status=status)
    rows = Paginator(selectors.job_rows(visible, tab, now), selectors.JOBS_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.tab_counts(visible, now)
    filters = {key: value for key, value in (("technician", technician), ("status", status)) if value}
    tabs = [
        {"key": key, "label": label, "count": counts[key], "query": "?" + urlencode({**filters, "show": key})}
        for key, label in selectors.TABS.items()
    ]
    context = {
        "company": company,
        "form": form,
        "tab": tab,
        "tab_label": selectors.TABS[tab],
        "tabs": tabs,
        "rows": rows,
        "filtered": bool(filters),
        "page_query": urlencode({**filters, "show": tab}),
        "now": now,
    }
    return render(request, "contractor/jobs.html", context)


def _job_forms(job: Job, bound: dict[str, forms.Form]) -> dict[str, forms.Form]:
    early = services.visit_needs_early_reason(job)
    made: dict[str, forms.Form] = {
        "on_the_way": OnTheWayForm(prefix="on_the_way", early=early),
        "start": StartVisitForm(prefix="start", early=early),
        "cancel": CancelForm(prefix="cancel"),
        "outcome": OutcomeForm(prefix="outcome"),
        "promise": PromiseForm(prefix="promise"),
    }
    made.update({key: form for key, form in bound.items() if key in made})
    return made


def render_job_page(
    request: HttpRequest, job: Job, *, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    """The job page; after a refused action, with the refused form still holding what was typed."""
    bound = bound or {}
    page = selectors.job_page(request.user, job)
    moves = services.TRANSITIONS[job.status]
    context = {
        "page": page,
        "job": page.sheet,
        "forms": _job_forms(job, bound),
        "refused": next((form for form in bound.values() if form.errors), None),
        "may_report": services.can_report_on_job(request.user, job),
        "can": {
            "on_the_way": Status.ON_THE_WAY in moves,
            "start": Status.ON_SITE in moves,
            "cancel": Status.CANCELLED in moves,
            "outcome": job.status == Status.ON_SITE,
        },
        "contractor_party": Prerequisite.Party.CONTRACTOR,
        "early_visit": services.visit_needs_early_reason(job),
        "now": timezone.now(),
    }
    return render(request, "contractor/job.html", context, status=status)


@contractor_page
def job(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.job_for(request.user, pk)  # first: another company gets a 404 whatever the method
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return render_job_page(request, found)
