"""Warm handoff: the owner picks the next owner and writes the summary they will read
first; the receiver acknowledges it on the case page."""

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases import policies, selectors, services
from cases.models import Case
from cases.services.timeline import person_name
from portal.errors import Conflict, NotAllowed, RuleViolation
from staff.forms import HandoffForm, SurveyToSalesForm, add_violation
from staff.views.access import staff_page
from staff.views.case_page import case_url, render_case_page


def _form(case: Case, data: object = None) -> HandoffForm:
    staff = selectors.active_staff().exclude(pk=case.owner_id)
    return HandoffForm(data, prefix="handoff", staff=staff, initial={"expected_owner": case.owner_id})


@staff_page
@require_http_methods(["GET", "POST"])
def handoff(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.case_for_user(request.user, reference, allowed=policies.can_handoff)
    form = _form(case, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            expected = User.objects.filter(pk=form.cleaned_data["expected_owner"]).first()
            try:
                made = services.case_handoff(
                    actor=request.user,
                    case=case,
                    to_user=form.cleaned_data["to_user"],
                    reason=form.cleaned_data["reason"],
                    summary=form.cleaned_data["summary"],
                    expected_owner=expected or case.owner,
                )
            except NotAllowed as refused:
                raise PermissionDenied(refused.message) from refused
            except RuleViolation as violation:
                add_violation(form, violation)
                status = violation.status_code
            else:
                messages.success(
                    request,
                    _("%(reference)s is now with %(name)s. They will read your summary before anything else.")
                    % {"reference": case.reference, "name": person_name(made.to_user)},
                )
                return redirect(case_url(case))
    return render(request, "staff/handoff.html", {"case": case, "form": form}, status=status)


@staff_page
@require_POST
def handoff_acknowledge(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = selectors.case_for_user(request.user, reference)
    handoff = get_object_or_404(case.handoffs.select_related("case"), pk=pk)
    try:
        services.handoff_acknowledge(actor=request.user, handoff=handoff)
    except Conflict as conflict:
        messages.error(request, conflict.message)
    except NotAllowed as refused:
        raise PermissionDenied(refused.message) from refused
    else:
        messages.success(
            request, _("You have taken %(reference)s. The handoff is on the timeline.") % {"reference": case.reference}
        )
    return redirect(case_url(case))


@staff_page
@require_POST
def survey_to_sales(request: HttpRequest, reference: str) -> HttpResponse:
    """ "I'd like to talk about my services", handed to a sales advisor in one click (a new sales
    case with the survey as its summary); the service decides who may, and refuses a second time."""
    case = selectors.case_for_user(request.user, reference)
    form = SurveyToSalesForm(request.POST, prefix="survey_sales")
    status = 400
    if form.is_valid():
        try:
            sales_case = services.survey_pass_to_sales(
                actor=request.user, case=case, summary=form.cleaned_data["summary"]
            )
        except NotAllowed as refused:
            raise PermissionDenied(refused.message) from refused
        except RuleViolation as violation:
            add_violation(form, violation)
            status = violation.status_code
        else:
            messages.success(
                request,
                _("%(reference)s is now with %(name)s in sales, with the customer's survey as its summary.")
                % {"reference": sales_case.reference, "name": person_name(sales_case.owner)},
            )
            return redirect(case_url(case))
    return render_case_page(request, case, bound={form.prefix: form}, status=status)
