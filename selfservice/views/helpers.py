"""The customer's helpers (delegates): who may see and act on their cases, invite, remove.

Only the customer themself manages them; a delegate reaching these pages gets a 404."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases import policies, services
from cases.services.access import delegate_copies_set
from cases.services.selfservice import delegate_invite
from cases.services.timeline import person_name
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from selfservice import selectors
from selfservice.forms import HelperInviteForm, add_violation
from selfservice.views.access import customer_page, render_page


def _own_customer(request: HttpRequest) -> Customer:
    customer = policies.customer_of(request.user)
    if customer is None:
        raise Http404("No such page")
    return customer


@customer_page
@require_http_methods(["GET", "POST"])
def helpers(request: HttpRequest) -> HttpResponse:
    customer = _own_customer(request)
    cases = list(customer.cases.order_by("-created_at"))
    status = 200
    if request.method == "POST":
        form = HelperInviteForm(request.POST, cases=cases)
        status = 400
        if form.is_valid():
            try:
                delegate = delegate_invite(
                    actor=request.user,
                    customer=customer,
                    email=form.cleaned_data["email"],
                    full_name=form.cleaned_data["full_name"],
                    relationship=form.cleaned_data["relationship"],
                    cases=form.chosen_cases(),
                )
            except NotAllowed:
                raise Http404("No such page") from None
            except RuleViolation as violation:
                add_violation(form, violation)
            else:
                messages.success(
                    request,
                    _("%(name)s may now see and act on your cases. We have sent them an e-mail.")
                    % {"name": person_name(delegate.user)},
                )
                return redirect("my:helpers")
    else:
        form = HelperInviteForm(cases=cases)
    context = {"customer": customer, "helpers": selectors.helpers_of(customer), "form": form}
    return render_page(request, "my/helpers.html", context, status=status)


@customer_page
@require_http_methods(["GET", "POST"])
def helper_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """A page that asks first: removing someone by a stray click would cut off their help."""
    customer = _own_customer(request)
    delegate = selectors.helper_for_customer(customer, pk)
    if request.method == "POST":
        try:
            services.delegate_revoke(actor=request.user, delegate=delegate)
        except NotAllowed:
            raise Http404("No such page") from None
        messages.success(request, _("%(name)s can no longer see your cases.") % {"name": person_name(delegate.user)})
        return redirect(reverse("my:helpers"))
    return render_page(request, "my/helper_remove.html", {"customer": customer, "delegate": delegate})


@customer_page
@require_POST
def copies(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A delegate asks for a copy by e-mail of what Steward tells the customer they help."""
    customer = Customer.objects.filter(pk=customer_id).first()
    if (
        customer is None
        or not policies.is_customer_side_of(request.user, customer)
        or customer.user_id == request.user.pk
    ):
        raise Http404("No such page")
    wants = request.POST.get("wants_copies") == "on"
    try:
        delegate_copies_set(actor=request.user, customer=customer, wants=wants)
    except NotAllowed as refused:
        # Not their delegate (or the customer themself): the same answer as for nobody at all.
        raise Http404("No such page") from refused
    except RuleViolation as violation:
        messages.error(request, violation.message)
    else:
        if wants:
            done = _("You will receive a copy by e-mail of what we tell %(name)s.")
        else:
            done = _("You will no longer receive copies of what we tell %(name)s.")
        messages.success(request, done % {"name": customer.full_name})
    return redirect(reverse("my:cases"))
