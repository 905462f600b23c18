"""The report pages: the figures, each table as CSV, and the cases behind a figure.

Thin: the form reads the period and grouping, cases.policies says whose work the reader may see,
the selectors count."""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases import policies
from reports import selectors
from reports.csv_export import csv_text
from reports.forms import DrillForm, ReportForm
from reports.period import Period
from reports.tables import TABLES

CASES_PER_PAGE = 50

View = Callable[..., HttpResponse]


def report_page(view: View) -> View:
    """Anonymous visitors sign in; anyone who is not staff (nor a superuser) gets the 404 the
    staff pages give; staff without the right to reports are told so (403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not policies.is_staff_side(user):
            raise Http404("No such page")
        if not policies.can_view_reports(user):
            reason = _("The reports are for team managers and heads of department.")
            return render(request, "staff/forbidden.html", {"reason": reason}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _query(period: Period, by: str, **more: str) -> str:
    return urlencode({**period.query(), "by": by, **{key: value for key, value in more.items() if value}})


def _link_cells(report: selectors.Report, period: Period) -> None:
    drill = reverse("reports:cases")
    for row in report.rows:
        for cell in row.cells:
            if cell.value:
                query = _query(
                    period, report.by, table=report.table.key, metric=cell.metric, group=row.group, **row.dims
                )
                cell.href = f"{drill}?{query}"


@report_page
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "reports/index.html", {"form": form, "reports": []}, status=400)
    period = form.cleaned_data["period"] if request.GET else Period.last_days()
    by = form.cleaned_data["by"] if request.GET else "owner"
    reports = selectors.report_tables(period=period, owners=policies.report_owners_for(request.user), by=by)
    for report in reports:
        _link_cells(report, period)
    if not request.GET:
        form = ReportForm(initial={"from": period.start, "to": period.end, "by": by})
    context = {
        "form": form,
        "reports": reports,
        "period": period,
        "by_label": selectors.GROUPINGS[by],
        "query": _query(period, by),
    }
    return render(request, "reports/index.html", context)


@report_page
@require_GET
def table_csv(request: HttpRequest, table: str) -> HttpResponse:
    definition = TABLES.get(table)
    if definition is None:
        raise Http404("No such report")
    form = ReportForm(request.GET)
    if not form.is_valid():
        return render(request, "reports/index.html", {"form": form, "reports": []}, status=400)
    period, by = form.cleaned_data["period"], form.cleaned_data["by"]
    report = selectors.report_table(definition, period=period, owners=policies.report_owners_for(request.user), by=by)
    response = HttpResponse(csv_text(report.header, report.lines()), content_type="text/csv; charset=utf-8")
    filename = f"steward-{table}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@report_page
@require_GET
def cases(request: HttpRequest) -> HttpResponse:
    form = DrillForm(request.GET)
    if not form.is_valid():
        return render(request, "reports/cases.html", {"form": form}, status=400)
    data = form.cleaned_data
    table, period = data["table_def"], data["period"]
    found = selectors.cases_behind(
        table,
        metric=data["metric"],
        period=period,
        owners=policies.report_owners_for(request.user),
        by=data["by"],
        group=data["group"],
        dims=data["dims"],
    )
    page = Paginator(found, CASES_PER_PAGE).get_page(request.GET.get("page"))
    base = _query(period, data["by"], table=table.key, metric=data["metric"], group=data["group"], **data["dims"])
    context = {
        "form": form,
        "table": table,
        "measure": table.measure(data["metric"]),
        "period": period,
        "page": page,
        "page_query": base,
        "back": f"{reverse('reports:index')}?{_query(period, data['by'])}",
    }
    return render(request, "reports/cases.html", context)
