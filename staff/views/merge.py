"""Merging duplicates from the staff pages: pick the other record, read what moves, confirm
with a reason. Only managers reach these pages (cases.policies.can_merge_records)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases import policies, selectors, services
from cases.models import Case
from portal.errors import NotAllowed, RuleViolation
from staff.forms import CustomerMergeForm, MergeForm, add_violation
from staff.views.access import staff_page
from staff.views.case_page import case_url


def _may_merge(user: object) -> None:
    if not policies.can_merge_records(user):
        raise PermissionDenied(_("Only a team manager or a head of department can merge records."))


def _customer_url(customer_pk: int) -> str:
    return reverse("staff:search") + f"?customer={customer_pk}"


# --- customers --------------------------------------------------------------------------------


@staff_page
@require_GET
def customer_merge_pick(request: HttpRequest, pk: int) -> HttpResponse:
    """Find the duplicate to merge into this customer: likely ones first, or by a search."""
    _may_merge(request.user)
    survivor = selectors.merge_customer_for(request.user, pk)
    if survivor.merged_into_id:
        return redirect("staff:customer_merge_pick", pk=survivor.merged_into_id)
    term = request.GET.get("q", "").strip()[:100]
    context = {
        "survivor": survivor,
        "term": term,
        "candidates": selectors.customer_merge_candidates(request.user, survivor, term=term),
        "cases": survivor.cases.filter(merged_into__isnull=True).order_by("-last_activity_at")[:5],
    }
    return render(request, "staff/merge_customer_pick.html", context)


@staff_page
@require_http_methods(["GET", "POST"])
def customer_merge(request: HttpRequest, pk: int, other: int) -> HttpResponse:
    """What merging `other` into `pk` moves, and the confirmation."""
    _may_merge(request.user)
    survivor = selectors.merge_customer_for(request.user, pk)
    merged = selectors.merge_customer_for(request.user, other)
    preview = selectors.customer_merge_preview(survivor, merged)
    form = CustomerMergeForm(request.POST if request.method == "POST" else None, choices=preview.choices)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.customer_merge(
                    actor=request.user,
                    survivor=survivor,
                    merged=merged,
                    reason=form.cleaned_data["reason"],
                    take=form.taken(),
                )
            except NotAllowed as refused:
                raise PermissionDenied(refused.message) from refused
            except RuleViolation as violation:
                add_violation(form, violation)
            else:
                messages.success(
                    request,
                    _("“%(merged)s” is merged into “%(survivor)s”: their cases and helpers are all here now.")
                    % {"merged": merged.full_name, "survivor": survivor.full_name},
                )
                return redirect(_customer_url(survivor.pk))
    context = {"preview": preview, "form": form, "back": _customer_url(survivor.pk)}
    return render(request, "staff/merge_customer_preview.html", context, status=status)


# --- cases ------------------------------------------------------------------------------------


def _case(request: HttpRequest, reference: str) -> Case:
    case = selectors.case_for_user(request.user, reference)
    _may_merge(request.user)
    return case


@staff_page
@require_GET
def case_merge_pick(request: HttpRequest, reference: str) -> HttpResponse:
    """The customer's other open cases, to merge into this one."""
    case = _case(request, reference)
    if case.merged_into_id:
        return redirect("staff:case_merge_pick", reference=selectors.following_merges(case).reference)
    context = {"case": case, "candidates": selectors.case_merge_candidates(case)}
    return render(request, "staff/merge_case_pick.html", context)


@staff_page
@require_http_methods(["GET", "POST"])
def case_merge(request: HttpRequest, reference: str, other: str) -> HttpResponse:
    """What merging case `other` into `reference` moves, and the confirmation."""
    survivor = _case(request, reference)
    merged = selectors.case_for_user(request.user, other)
    preview = selectors.case_merge_preview(survivor, merged)
    form = MergeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.case_merge(
                    actor=request.user, survivor=survivor, merged=merged, reason=form.cleaned_data["reason"]
                )
            except NotAllowed as refused:
                raise PermissionDenied(refused.message) from refused
            except RuleViolation as violation:
                add_violation(form, violation)
            else:
                messages.success(
                    request,
                    _("%(merged)s is merged into %(survivor)s: its messages, promises and records are here now.")
                    % {"merged": merged.reference, "survivor": survivor.reference},
                )
                return redirect(case_url(survivor))
    context = {"preview": preview, "form": form, "case": survivor}
    return render(request, "staff/merge_case_preview.html", context, status=status)
