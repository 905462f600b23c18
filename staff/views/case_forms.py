"""The case page's folded action forms, rendered when asked for (issue 14): the case page shows
each (the case's, and each promise's, claim's, sale's, job's and damage report's) as a
`<details>` whose body htmx fills from here when opened, and whose link opens the same form on a
page of its own without JavaScript. Building and rendering every form on every view of
the case cost more than the rest of the page; a refused POST still re-renders the case page with
that one form open (staff.views.case_page.render_case_page)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise as LazyText
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from cases import policies, selectors
from cases.models import Case, Promise
from contractors.models import IncidentReport
from staff.forms import (
    CallForm,
    CaseEditForm,
    ClaimFileForm,
    ClaimUpdateForm,
    CustomerEditForm,
    JobCancelForm,
    JobCompleteForm,
    JobRequestForm,
    JobScheduleForm,
    LinkAlertForm,
    NoteForm,
    PromiseForm,
    PromiseSettleForm,
    RepairPlanForm,
    ResolveForm,
    SaleForm,
    SaleUpdateForm,
    SpecialistAddForm,
    advisor_choices,
)
from staff.views.access import staff_page

Build = Callable[[Case, Any], tuple[forms.Form, dict[str, Any]]]


@dataclass(frozen=True)
class Folded:
    title: LazyText
    build: Build
    # Who may open it: the same rule as the POST it leads to.
    allowed: Callable[[Any, Case], bool] = policies.can_work_on_case


def _plain(form_class: type[forms.Form], name: str) -> Build:
    return lambda case, user: (form_class(prefix=name), {})


def _note(case: Case, user: Any) -> tuple[forms.Form, dict[str, Any]]:
    return NoteForm(prefix="note", staff=list(selectors.active_staff()), actor=user), {}


def _resolve(case: Case, user: Any) -> tuple[forms.Form, dict[str, Any]]:
    loose_ends = selectors.loose_ends(case)
    return ResolveForm(prefix="resolve", ask_reason=bool(loose_ends)), {"loose_ends": loose_ends}


def _alert(case: Case, user: Any) -> tuple[forms.Form, dict[str, Any]]:
    alerts = selectors.alerts_to_link(selectors.alerts_for_case(case, timezone.now()))
    return LinkAlertForm(prefix="alert", alerts=alerts), {}


def _edit(case: Case, user: Any) -> tuple[forms.Form, dict[str, Any]]:
    return CaseEditForm(prefix="edit", case=case), {}


def _customer(case: Case, user: Any) -> tuple[forms.Form, dict[str, Any]]:
    return CustomerEditForm(prefix="customer", customer=case.customer), {}


def _specialist(case: Case, user: Any) -> tuple[forms.Form, dict[str, Any]]:
    return SpecialistAddForm(prefix="specialist", staff=selectors.specialist_candidates(case)), {}


def _sale(case: Case, user: Any) -> tuple[forms.Form, dict[str, Any]]:
    advisors = advisor_choices(list(selectors.active_staff()))
    return SaleForm(prefix="sale", advisors=advisors, initial={"advisor": user.pk}), {}


# The key is the form's prefix, the name in its URL and its template's name; the titles are the
# case page's summaries of the same forms.
FOLDED: dict[str, Folded] = {
    "note": Folded(_("Add an internal note"), _note, policies.can_note_on_case),
    "call": Folded(_("Log a phone call"), _plain(CallForm, "call"), policies.can_note_on_case),
    "promise": Folded(_("Make a promise or a call-back"), _plain(PromiseForm, "promise")),
    "resolve": Folded(_("Resolve the case"), _resolve),
    "alert": Folded(_("Link this case to an alert"), _alert),
    "claim": Folded(_("File a claim"), _plain(ClaimFileForm, "claim")),
    "job": Folded(_("Request a contractor job"), _plain(JobRequestForm, "job")),
    "edit": Folded(_("Subject, priority and impact"), _edit),
    "customer": Folded(_("The customer's details"), _customer),
    "specialist": Folded(_("Add a colleague"), _specialist),
    "sale": Folded(_("Record a sale"), _sale),
}


def _promise(user: Any, case: Case, pk: int) -> Any:
    return get_object_or_404(policies.promises_for(user, case).filter(status=Promise.Status.OPEN), pk=pk)


def _claim(user: Any, case: Case, pk: int) -> Any:
    return get_object_or_404(policies.claims_for(user, case), pk=pk)


def _sale_record(user: Any, case: Case, pk: int) -> Any:
    return get_object_or_404(policies.sales_for(user, case).select_related("advisor"), pk=pk)


def _job(user: Any, case: Case, pk: int) -> Any:
    return get_object_or_404(policies.jobs_visible_to(user).filter(case=case), pk=pk)


def _incident(user: Any, case: Case, pk: int) -> Any:
    visible = IncidentReport.objects.filter(job__in=policies.jobs_visible_to(user), job__case=case)
    return get_object_or_404(visible, pk=pk)


def _sale_update(prefix: str, sale: Any) -> forms.Form:
    advisors = advisor_choices(list(selectors.active_staff()), current=sale.advisor)
    return SaleUpdateForm(prefix=prefix, sale=sale, advisors=advisors)


def _prefixed(form_class: type[forms.Form]) -> Callable[[str, Any], forms.Form]:
    return lambda prefix, record: form_class(prefix=prefix)


def _titled(title: LazyText) -> Callable[[Any], LazyText]:
    return lambda record: title


@dataclass(frozen=True)
class FoldedItem:
    """A form about one record of the case, named "<kind>-<id>" like its prefix."""

    template: str
    find: Callable[[Any, Case, int], Any]
    build: Callable[[str, Any], forms.Form]
    title: Callable[[Any], str]


# The titles are the case page's summaries of the same forms.
FOLDED_ITEMS: dict[str, FoldedItem] = {
    "settle": FoldedItem(
        "settle", _promise, _prefixed(PromiseSettleForm), _titled(_("Mark kept, not kept or withdrawn"))
    ),
    "claim": FoldedItem(
        "claim_update",
        _claim,
        lambda prefix, claim: ClaimUpdateForm(prefix=prefix, claim=claim),
        lambda claim: _("Update the %(insurer)s claim") % {"insurer": claim.insurer},
    ),
    "sale": FoldedItem(
        "sale_update",
        _sale_record,
        _sale_update,
        lambda sale: _("Change the %(product)s sale") % {"product": sale.product},
    ),
    "schedule": FoldedItem(
        "schedule",
        _job,
        _prefixed(JobScheduleForm),
        lambda job: _("Reschedule the visit") if job.window_start else _("Schedule the visit"),
    ),
    "cancel": FoldedItem("cancel", _job, _prefixed(JobCancelForm), _titled(_("Cancel the visit"))),
    "complete": FoldedItem("complete", _job, _prefixed(JobCompleteForm), _titled(_("Complete the job"))),
    "repair": FoldedItem("repair", _incident, _prefixed(RepairPlanForm), _titled(_("Plan the repair"))),
}


def form_template(name: str) -> str:
    return f"staff/case_forms/_{name}.html"


def _item_form(request: HttpRequest, reference: str, name: str) -> tuple[Case, dict[str, Any], str]:
    kind, _sep, pk = name.rpartition("-")
    folded = FOLDED_ITEMS.get(kind)
    if folded is None or not pk.isdigit():
        raise Http404("No such form")
    case = selectors.case_for_user(request.user, reference, allowed=policies.can_work_on_case)
    record = folded.find(request.user, case, int(pk))
    context = {"form": folded.build(name, record), "item": record, "form_template": form_template(folded.template)}
    return case, context, folded.title(record)


@staff_page
@require_GET
def case_form(request: HttpRequest, reference: str, name: str) -> HttpResponse:
    """One folded form, named as in FOLDED or "<kind>-<id>" for a record's (FOLDED_ITEMS): only
    the form for htmx, else a page holding it and a way back."""
    folded = FOLDED.get(name)
    if folded is None:
        case, context, title = _item_form(request, reference, name)
    else:
        case = selectors.case_for_user(request.user, reference, allowed=folded.allowed)
        form, extra = folded.build(case, request.user)
        context, title = {"form": form, "form_template": form_template(name), **extra}, folded.title
    context["case"] = case
    if request.htmx:
        return render(request, "staff/case_forms/_fragment.html", context)
    context.update(title=title, case_page_url=reverse("staff:case", args=[case.reference]))
    return render(request, "staff/case_form.html", context)
