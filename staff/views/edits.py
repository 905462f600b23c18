"""Changing a case's details and its customer's record, inviting the customer to the
self-service pages, and who helps on the case, from the case page. Each view parses one form,
calls one service and goes back to the case page; a refusal re-renders the page with the form
as typed and the reason on it (see case_actions.act)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases import policies, selectors
from cases.services import edits
from cases.services.access import specialist_add as add_specialist
from cases.services.access import specialist_remove as remove_specialist
from cases.services.selfservice import customer_invite as invite_customer
from cases.services.timeline import person_name
from portal.errors import NotAllowed
from staff.forms import CaseEditForm, CustomerEditForm, CustomerInviteForm, SpecialistAddForm
from staff.views.access import staff_page
from staff.views.case_actions import act
from staff.views.case_page import case_url


@staff_page
@require_POST
def case_edit(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.case_for_user(request.user, reference, allowed=policies.can_work_on_case)
    form = CaseEditForm(request.POST, prefix="edit", case=case)
    return act(
        request,
        case,
        form,
        lambda data: edits.case_edit(actor=request.user, case=case, **form.changes()),
        done=_("Case details saved."),
        anchor="edit",
    )


@staff_page
@require_POST
def customer_edit(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.case_for_user(request.user, reference, allowed=policies.can_work_on_case)
    form = CustomerEditForm(request.POST, prefix="customer", customer=case.customer)
    return act(
        request,
        case,
        form,
        lambda data: edits.customer_edit(actor=request.user, customer=case.customer, **form.changes()),
        done=_("Customer details saved."),
        anchor="edit",
    )


@staff_page
@require_POST
def customer_invite(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.case_for_user(request.user, reference, allowed=policies.can_work_on_case)
    had_sign_in = case.customer.user_id is not None

    def done(user: object) -> str:
        if had_sign_in:
            return _("The invitation to the self-service pages was sent again to %(email)s.") % {"email": user.email}
        return _("%(name)s now has a sign-in: the invitation to choose a password was sent to %(email)s.") % {
            "name": case.customer.full_name,
            "email": user.email,
        }

    return act(
        request,
        case,
        CustomerInviteForm(request.POST, prefix="invite"),
        lambda data: invite_customer(actor=request.user, customer=case.customer),
        done=done,
        anchor="customer",
    )


@staff_page
@require_POST
def specialist_add(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.case_for_user(request.user, reference, allowed=policies.can_work_on_case)
    form = SpecialistAddForm(request.POST, prefix="specialist", staff=selectors.specialist_candidates(case))
    return act(
        request,
        case,
        form,
        lambda data: add_specialist(actor=request.user, case=case, user=data["user"]),
        done=lambda result: _("%(name)s may now work on this case.") % {"name": person_name(form.cleaned_data["user"])},
        anchor="specialists",
    )


@staff_page
@require_POST
def specialist_remove(request: HttpRequest, reference: str, user_id: int) -> HttpResponse:
    case = selectors.case_for_user(request.user, reference, allowed=policies.can_work_on_case)
    colleague = get_object_or_404(policies.case_specialists(case), pk=user_id)
    try:
        remove_specialist(actor=request.user, case=case, user=colleague)
    except NotAllowed as refused:
        raise PermissionDenied(refused.message) from refused
    messages.success(request, _("%(name)s no longer works on this case.") % {"name": person_name(colleague)})
    return redirect(case_url(case, "specialists"))
