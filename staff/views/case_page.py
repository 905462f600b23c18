"""The one-page case view: header, alerts, panels for every department, the timeline and
every action's form. Actions post elsewhere and, when refused, re-render this page with
the refused form still holding what was typed."""

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
    CallForm,
    CaseEditForm,
    ClaimFileForm,
    ClaimUpdateForm,
    CustomerEditForm,
    CustomerInviteForm,
    JobCancelForm,
    JobCompleteForm,
    JobRequestForm,
    JobScheduleForm,
    LinkAlertForm,
    NoteForm,
    PromiseForm,
    PromiseSettleForm,
    RepairPlanForm,
    ReplyForm,
    ResolveForm,
    SaleForm,
    SaleUpdateForm,
    SpecialistAddForm,
    StatusForm,
    SurveyToSalesForm,
    advisor_choices,
)
from staff.views.access import query_with, staff_page

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
    """Each promise, claim, job and incident carries its own forms, prefixed by its id so
    the page never repeats a field id."""

    def pick(prefix: str, make: Any) -> forms.Form:
        return bound.get(prefix) or make(prefix)

    for promise in page.promises:
        promise.settle_form = pick(f"settle-{promise.pk}", lambda p: PromiseSettleForm(prefix=p))
    for claim in page.claims:
        claim.update_form = pick(f"claim-{claim.pk}", lambda p, c=claim: ClaimUpdateForm(prefix=p, claim=c))
    for job in page.jobs:
        job.schedule_form = pick(f"schedule-{job.pk}", lambda p: JobScheduleForm(prefix=p))
        job.cancel_form = pick(f"cancel-{job.pk}", lambda p: JobCancelForm(prefix=p))
        job.complete_form = pick(f"complete-{job.pk}", lambda p: JobCompleteForm(prefix=p))
        for incident in job.incidents.all():
            incident.repair_form = pick(f"repair-{incident.pk}", lambda p: RepairPlanForm(prefix=p))


def _case_forms(
    page: selectors.CasePage, bound: dict[str, forms.Form], staff: list[Any], user: Any
) -> dict[str, forms.Form]:
    case = page.case
    made: dict[str, forms.Form] = {
        "reply": ReplyForm(prefix="reply", initial={"channel": _REPLY_CHANNEL.get(case.customer.preferred_channel)}),
        "note": NoteForm(prefix="note", staff=staff, actor=user),
        "call": CallForm(prefix="call"),
        "promise": PromiseForm(prefix="promise"),
        "resolve": ResolveForm(prefix="resolve"),
        "status": StatusForm(prefix="status", initial={"status": case.status}),
        "alert": LinkAlertForm(prefix="alert", alerts=page.linkable_alerts),
        "claim": ClaimFileForm(prefix="claim"),
        "job": JobRequestForm(prefix="job"),
        "edit": CaseEditForm(prefix="edit", case=case),
        "customer": CustomerEditForm(prefix="customer", customer=case.customer),
        "invite": CustomerInviteForm(prefix="invite"),
        "specialist": SpecialistAddForm(prefix="specialist", staff=selectors.specialist_candidates(case)),
    }
    if page.survey_for_sales is not None:
        summary = selectors.survey_sales_summary(page.survey_for_sales)
        made["survey_sales"] = SurveyToSalesForm(prefix="survey_sales", initial={"summary": summary})
    made.update({key: form for key, form in bound.items() if key in made})
    return made


def _sale_forms(page: selectors.CasePage, bound: dict[str, forms.Form], user: Any, staff: list[Any]) -> forms.Form:
    """Each sale's edit form, and the form recording a new one (the one returned). They name an
    advisor among active staff, read once for the whole page and only for those who may use them."""
    staff = staff if page.may_work else []
    for sale in page.sales:
        sale.update_form = bound.get(f"sale-{sale.pk}") or SaleUpdateForm(
            prefix=f"sale-{sale.pk}", sale=sale, advisors=advisor_choices(staff, current=sale.advisor)
        )
    return bound.get("sale") or SaleForm(prefix="sale", advisors=advisor_choices(staff), initial={"advisor": user.pk})


def render_case_page(
    request: HttpRequest, case: Case, *, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    bound = bound or {}
    department = request.GET.get("department", "")
    page = selectors.case_page_for(request.user, case, department=department, cursor=request.GET.get("before"))
    _attach_item_forms(page, bound)
    refused = next((form for form in bound.values() if form.errors), None)
    # Active staff, read once: the colleagues a note may ask for help, and a sale's advisors.
    staff = list(selectors.active_staff()) if page.may_note or page.may_work else []
    case_forms = _case_forms(page, bound, staff, request.user)
    case_forms["sale"] = _sale_forms(page, bound, request.user, staff)
    loose_ends = _loose_ends(page)
    if loose_ends and "resolve" not in bound:
        case_forms["resolve"] = ResolveForm(prefix="resolve", ask_reason=True)
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
        "events": timeline.items,
        "timeline_more_url": more_url,
        "timeline_more_fragment": more_fragment,
    }
    return render(request, "staff/_timeline_items.html", context)
