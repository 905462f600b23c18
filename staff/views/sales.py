"""Sales on the case page: record what was sold, and correct or change it later. Each form
posts here, one service acts, and a refusal re-renders the case page with the form as typed."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases import policies, selectors, services
from staff.forms import SaleForm, SaleUpdateForm, advisor_choices
from staff.views.access import staff_page
from staff.views.case_actions import act


@staff_page
@require_POST
def sale_record(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.case_for_user(request.user, reference, allowed=policies.can_work_on_case)
    form = SaleForm(request.POST, prefix="sale", advisors=advisor_choices(selectors.active_staff()))

    def perform(data: dict[str, Any]) -> object:
        return services.sale_record(
            actor=request.user,
            case=case,
            product=data["product"],
            plan=data["plan"],
            monthly_price=data["monthly_price"],
            advisor=form.chosen_advisor(),
            pending_offers=data["pending_offers"],
        )

    return act(
        request, case, form, perform, done=_("Sale recorded. The customer sees it on their case."), anchor="sale"
    )


@staff_page
@require_POST
def sale_update(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = selectors.case_for_user(request.user, reference, allowed=policies.can_work_on_case)
    sale = get_object_or_404(policies.sales_for(request.user, case).select_related("advisor"), pk=pk)
    advisors = advisor_choices(selectors.active_staff(), current=sale.advisor)
    form = SaleUpdateForm(request.POST, prefix=f"sale-{sale.pk}", sale=sale, advisors=advisors)

    def perform(data: dict[str, Any]) -> object:
        return services.sale_update(
            actor=request.user,
            sale=sale,
            product=data["product"],
            plan=data["plan"],
            monthly_price=data["monthly_price"],
            # An emptied price field takes the price off the sale.
            clear_price=data["monthly_price"] is None,
            advisor=form.chosen_advisor(),
            pending_offers=data["pending_offers"],
        )

    return act(request, case, form, perform, done=_("Sale updated."), anchor=f"sale-{sale.pk}")
