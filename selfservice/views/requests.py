"""A new request for something else: it opens a case with an owner from the first minute."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cases.services.selfservice import case_open_from_portal
from cases.services.timeline import person_name
from portal.errors import NotAllowed, RuleViolation
from selfservice import selectors
from selfservice.forms import NewRequestForm, add_violation
from selfservice.views.access import customer_page, render_page
from selfservice.views.pages import case_url


@customer_page
@require_http_methods(["GET", "POST"])
def new_request(request: HttpRequest) -> HttpResponse:
    customers = selectors.customers_user_may_open_for(request.user)
    status = 200
    if not customers:
        # A delegate for single cases only: the page says whom to ask; nothing can be posted.
        status = 403 if request.method == "POST" else 200
        form = None
    elif request.method == "POST":
        form = NewRequestForm(request.POST, request.FILES, customers=customers)
        status = 400
        if form.is_valid():
            try:
                case = case_open_from_portal(
                    actor=request.user,
                    customer=form.chosen_customer(),
                    subject=form.cleaned_data["subject"],
                    details=form.cleaned_data["details"],
                    service=form.chosen_service(),
                    attachments=form.cleaned_data["attachments"],
                )
            except NotAllowed:
                raise Http404("No such page") from None
            except RuleViolation as violation:
                add_violation(form, violation)
            else:
                messages.success(
                    request,
                    _("Your request is open as case %(reference)s. %(name)s looks after it and will answer you here.")
                    % {"reference": case.reference, "name": person_name(case.owner)},
                )
                return redirect(case_url(case))
    else:
        form = NewRequestForm(customers=customers)
    return render_page(request, "my/new_request.html", {"form": form, "customers": customers}, status=status)
