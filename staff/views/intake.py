"""Case intake: a phone call or a walk-in becomes a case in under a minute.

Staff find the customer (likely matches show as they type, with htmx; a plain search
without it), or fill in someone new, then say what it is about and who owns it. One
service call writes the customer, the case and the call, or nothing."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases import selectors
from cases.models import Case, TimelineDepartment
from cases.services.intake import CustomerDetails, case_intake
from cases.services.timeline import person_name
from portal.errors import NotAllowed, RuleViolation
from staff.forms import NEW_CUSTOMER, IntakeForm, add_violation
from staff.views.access import staff_page
from staff.views.case_page import case_url

# The service names the call's text "summary"; on this page it is the call_summary field.
FIELD_OF = {"summary": "call_summary"}
DUPLICATE_LIST = "duplicates"
# The new customer's details that reveal a duplicate, sent together as the agent types.
CONTACT_FIELDS = ("full_name", "email", "phone")


def _pinned(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _form(request: HttpRequest, data: QueryDict | None) -> IntakeForm:
    chosen = _pinned(request.GET.get("customer"))
    if data is not None:
        # A choice a script left out takes its default, and the page shown again says so: an
        # owner select re-rendered with nothing chosen would otherwise show someone else.
        data = data.copy()
        for name, default in (
            ("owner", request.user.pk),
            ("priority", Case.Priority.NORMAL),
            ("department", TimelineDepartment.SUPPORT),
        ):
            if not data.get(name):
                data[name] = str(default)
    form = IntakeForm(
        data,
        staff=selectors.active_staff(),
        initial={"owner": request.user.pk, "customer": chosen or ""},
    )
    matches_url = reverse("staff:intake_matches")
    for name in CONTACT_FIELDS:
        form.fields[name].widget.attrs.update(
            {
                "hx-get": matches_url,
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#intake-duplicates",
                "hx-include": ", ".join(f"[name='{other}']" for other in CONTACT_FIELDS),
                "hx-vals": f'{{"list": "{DUPLICATE_LIST}"}}',
            }
        )
    return form


def _perform(request: HttpRequest, form: IntakeForm) -> Any:
    """Open the case through the service; returns the intake, or None with the form's errors."""
    data = form.cleaned_data
    choice = data["customer"]
    customer, details = None, None
    if choice == NEW_CUSTOMER:
        # Choices left out (an existing customer's page, a script) keep the customer's defaults.
        typed = {name: data[name] for name in IntakeForm.CUSTOMER_FIELDS if data[name] or name == "full_name"}
        details = CustomerDetails(**typed)
    else:
        customer = selectors.intake_customer(request.user, choice)
        if customer is None:
            form.add_error("customer", _("This customer no longer exists: search again."))
            return None
    try:
        return case_intake(
            actor=request.user,
            customer=customer,
            new_customer=details,
            allow_duplicate=data["allow_duplicate"],
            owner=data["owner"],
            department=data["department"],
            subject=data["subject"],
            priority=data["priority"],
            human_impact=data["human_impact"],
            service=data["service"],
            description=data["description"],
            call_summary=data["call_summary"],
        )
    except NotAllowed as refused:
        raise PermissionDenied(refused.message) from refused
    except RuleViolation as violation:
        violation.field = FIELD_OF.get(violation.field, violation.field)
        add_violation(form, violation)
        form.duplicate_refused = violation.code == "duplicate"
        return None


@staff_page
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    form = _form(request, request.POST if request.method == "POST" else None)
    source = request.POST if request.method == "POST" else request.GET
    term = source.get("q", "").strip()[:100]
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            done = _perform(request, form)
            if done is not None:
                case = done.case
                messages.success(
                    request,
                    _("Case %(reference)s opened for %(name)s. Owner: %(owner)s.")
                    % {"reference": case.reference, "name": case.customer.full_name, "owner": person_name(case.owner)},
                )
                return redirect(case_url(case))
    chosen = form["customer"].value()
    pinned = _pinned(str(chosen)) if chosen else None
    matches = selectors.intake_matches(request.user, term=term, pinned=pinned)
    duplicates = []
    if request.method == "POST" and chosen == NEW_CUSTOMER:
        duplicates = selectors.intake_matches(
            request.user, **{name: request.POST.get(name, "") for name in CONTACT_FIELDS}
        )
    context = {
        "form": form,
        "customer_fields": [form[name] for name in IntakeForm.CUSTOMER_FIELDS],
        "term": term,
        "searched": len(term) >= selectors.SEARCH_MIN_LENGTH,
        "matches": matches,
        "duplicates": duplicates,
        "chosen": str(chosen or ("" if matches else NEW_CUSTOMER)),
        "duplicate_refused": getattr(form, "duplicate_refused", False) or bool(form["allow_duplicate"].value()),
    }
    return render(request, "staff/intake.html", context, status=status)


@staff_page
@require_GET
def intake_matches(request: HttpRequest) -> HttpResponse:
    """The likely customers for what is typed so far: the search box, or a new customer's
    name, e-mail and phone (list=duplicates). htmx swaps it into the intake page."""
    if request.GET.get("list") == DUPLICATE_LIST:
        found = selectors.intake_matches(request.user, **{name: request.GET.get(name, "") for name in CONTACT_FIELDS})
        context = {"matches": found, "list": DUPLICATE_LIST, "searched": False}
    else:
        term = request.GET.get("q", "").strip()[:100]
        pinned = _pinned(request.GET.get("customer"))
        context = {
            "matches": selectors.intake_matches(request.user, term=term, pinned=pinned),
            "list": "matches",
            "searched": len(term) >= selectors.SEARCH_MIN_LENGTH,
            "chosen": str(pinned or ""),
        }
    return render(request, "staff/_intake_matches.html", context)
