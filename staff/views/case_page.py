"""The one-page case view: header, alerts, panels for every department, the timeline and
the always-open forms (reply, status); the folded ones load when opened (staff.views.case_forms).
Actions post elsewhere and, when refused, re-render this page with the refused form open and
still holding what was typed."""

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases import policies, selectors
from cases.models import Case, Message, TimelineDepartment
from correspondence.selectors import canned_replies_for, canned_reply_text
from people.models import Customer
from staff.forms import (
    CustomerInviteForm,
    ReplyForm,
    StatusForm,
    SurveyToSalesForm,
)
from staff.views.access import query_with, staff_page
from staff.views.case_forms import FOLDED
from staff.views.timeline_rows import timeline_rows

# The reply goes out on the customer's preferred channel unless staff choose another.
_REPLY_CHANNEL = {
    Customer.Channel.EMAIL: Message.Channel.EMAIL,
    Customer.Channel.POST: Message.Channel.POST,
    Customer.Channel.PORTAL: Message.Channel.PORTAL,
    Customer.Channel.PHONE: Message.Channel.EMAIL,
}


def case_url(case: Case, anchor: str = "") -> str:
    url = reverse("staff:case", args=[case.reference])
    return f"{url}#{anchor}" if anchor else url


def _attach_item_forms(page: selectors.CasePage, bound: dict[str, forms.Form]) -> None:
    """Each promise, claim, job, incident and sale names its folded forms by prefix (its id in
    it, so the page never repeats a field id), and carries the one that was refused, if any."""

    def attach(record: Any, attribute: str, prefix: str) -> None:
        setattr(record, f"{attribute}_name", prefix)
        setattr(record, f"{attribute}_form", bound.get(prefix))

    for promise in page.promises:
        attach(promise, "settle", f"settle-{promise.pk}")
    for claim in page.claims:
        attach(claim, "update", f"claim-{claim.pk}")
    for sale in page.sales:
        attach(sale, "update", f"sale-{sale.pk}")
    for job in page.jobs:
        for kind in ("schedule", "cancel", "complete"):
            attach(job, kind, f"{kind}-{job.pk}")
        for incident in job.incidents.all():
            attach(incident, "repair", f"repair-{incident.pk}")


def _case_forms(page: selectors.CasePage, bound: dict[str, forms.Form]) -> dict[str, forms.Form]:
    """The forms the page shows open: the reply box, the status, the invitation and a survey's
    handoff, and a refused form with its errors. The folded ones (staff.views.case_forms) are
    rendered only when opened."""
    case = page.case
    made: dict[str, forms.Form] = {
        "reply": ReplyForm(prefix="reply", initial={"channel": _REPLY_CHANNEL.get(case.customer.preferred_channel)}),
        "status": StatusForm(prefix="status", initial={"status": case.status}),
        "invite": CustomerInviteForm(prefix="invite"),
    }
    if page.survey_for_sales is not None:
        summary = selectors.survey_sales_summary(page.survey_for_sales)
        made["survey_sales"] = SurveyToSalesForm(prefix="survey_sales", initial={"summary": summary})
    made.update({key: form for key, form in bound.items() if key in made or key in FOLDED})
    return made


def render_case_page(
    request: HttpRequest, case: Case, *, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    bound = bound or {}
    department = request.GET.get("department", "")
    page = selectors.case_page_for(request.user, case, department=department, cursor=request.GET.get("before"))
    _attach_item_forms(page, bound)
    refused = next((form for form in bound.values() if form.errors), None)
    case_forms = _case_forms(page, bound)
    # What resolving would leave open shows beside the resolve form, here only when it was refused.
    loose_ends = _loose_ends(page) if "resolve" in bound else None
    canned = canned_replies_for(case) if page.may_work and case.is_open else []
    chosen = next((reply for reply in canned if str(reply.pk) == request.GET.get("canned")), None)
    if chosen is not None and "reply" not in bound:
        case_forms["reply"].initial["body"] = canned_reply_text(chosen, case)
    context = {
        "page": page,
        "case": case,
        "customer": case.customer,
        "forms": case_forms,
        "canned_replies": canned,
        "canned_chosen": chosen,
        "refused": refused,
        "departments": TimelineDepartment.choices,
        "timeline_rows": timeline_rows(page.timeline.items, case),
        "timeline_more_url": _more_url(request, page),
        "timeline_more_fragment": _more_fragment(request, page),
        "showing_older": bool(request.GET.get("before")),
        "now": timezone.now(),
        "loose_ends": loose_ends,
        "merge": _merge_links(request, case),
    }
    return render(request, "staff/case.html", context, status=status)


def _merge_links(request: HttpRequest, case: Case) -> dict[str, bool] | None:
    """Merge links for those who may merge: a duplicate customer record always, another case
    only when the customer has one open besides this."""
    if not policies.can_merge_records(request.user) or not case.is_open:
        return None
    return {"cases": bool(selectors.case_merge_candidates(case))}


def _loose_ends(page: selectors.CasePage) -> selectors.LooseEnds | None:
    """What resolving would leave open, read only for those who may resolve the case now."""
    case = page.case
    if not (page.may_work and case.is_open and case.status != Case.Status.RESOLVED):
        return None
    return selectors.loose_ends(case, page=page)


def _more_url(request: HttpRequest, page: selectors.CasePage) -> str | None:
    if page.timeline.next_cursor is None:
        return None
    return case_url(page.case) + query_with(request, before=page.timeline.next_cursor) + "#timeline"


def _more_fragment(request: HttpRequest, page: selectors.CasePage) -> str | None:
    if page.timeline.next_cursor is None:
        return None
    url = reverse("staff:case_timeline", args=[page.case.reference])
    return url + query_with(request, before=page.timeline.next_cursor)


@staff_page
@require_GET
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.case_for_user(request.user, reference)
    if case.merged_into_id is not None:
        return redirect(case_url(selectors.following_merges(case)))
    return render_case_page(request, case)


@staff_page
@require_GET
def case_timeline(request: HttpRequest, reference: str) -> HttpResponse:
    """The next hundred older events, for htmx's "Show older events"; without htmx the same
    link opens the whole page at that point."""
    case = selectors.case_for_user(request.user, reference)
    if not request.htmx:
        return redirect(case_url(case) + query_with(request) + "#timeline")
    department = request.GET.get("department", "")
    timeline = selectors.timeline_page(request.user, case, department=department, cursor=request.GET.get("before"))
    more_fragment = more_url = None
    if timeline.next_cursor:
        more_url = case_url(case) + query_with(request, before=timeline.next_cursor) + "#timeline"
        more_fragment = reverse("staff:case_timeline", args=[case.reference]) + query_with(
            request, before=timeline.next_cursor
        )
    context = {
        "case": case,
        "rows": timeline_rows(timeline.items, case),
        "timeline_more_url": more_url,
        "timeline_more_fragment": more_fragment,
    }
    return render(request, "staff/_timeline_items.html", context)
