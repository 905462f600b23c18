"""The staff-side scorecard of contractor companies: per company and period, jobs done,
cancellations by reason, damage reported, promises kept or broken and customers' survey
scores, with the cases behind each figure, so that audits follow the data."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from contractors import selectors
from contractors.forms import ScorecardForm
from contractors.views.access import staff_page

# The chart's bars: each figure's share of the largest count shown next to it.
CHARTED = (
    "jobs_done",
    "cancellations",
    "incidents",
    "promises_kept",
    "promises_broken",
    "promises_late",
)


def _bars(figures: list[selectors.Figure]) -> list[dict[str, object]]:
    charted = [figure for figure in figures if figure.key in CHARTED or figure.key.startswith("cancelled_")]
    top = max((int(figure.value or 0) for figure in charted), default=0) or 1
    return [{"figure": figure, "percent": round(100 * int(figure.value or 0) / top)} for figure in charted]


@staff_page
@require_GET
def scorecard(request: HttpRequest) -> HttpResponse:
    # The period's fields show the default period when none was chosen.
    asked = request.GET.copy()
    default = selectors.Period.last_days(ScorecardForm.DEFAULT_DAYS)
    asked.setdefault("first_day", default.first_day.isoformat())
    asked.setdefault("last_day", default.last_day.isoformat())
    form = ScorecardForm(asked)
    valid = form.is_valid()
    period = form.cleaned_data["period"] if valid else default
    companies = list(selectors.scorecard(period))
    chosen = form.cleaned_data.get("company") if valid else None
    company = next((row for row in companies if chosen is not None and row.pk == chosen.pk), None)
    figures = selectors.company_figures(company, period) if company is not None else []
    context = {
        "form": form,
        "period": period,
        "companies": companies,
        "company": company,
        "figures": figures,
        "bars": _bars(figures),
        "reasons": selectors.REASONS.choices,
    }
    return render(request, "contractor/scorecard.html", context, status=200 if valid else 400)
