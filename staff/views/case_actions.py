"""Actions on a case: each view parses its form, calls one service and goes back to the
case page. A refusal re-renders the page with the form as typed and the reason on it."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases import policies, selectors, services
from cases.models import Case, Message, ServiceAlert
from correspondence.selectors import reply_outcome
from portal.errors import NotAllowed, RuleViolation
from staff.forms import (
    CallForm,
    ClaimFileForm,
    ClaimUpdateForm,
    LinkAlertForm,
    NoteForm,
    PromiseForm,
    PromiseSettleForm,
    ReplyForm,
    ResolveForm,
    StatusForm,
    add_violation,
)
from staff.views.access import staff_page
from staff.views.case_page import case_url, render_case_page

Permission = Callable[[Any, Case], bool]


def act(
    request: HttpRequest,
    case: Case,
    form: forms.Form,
    perform: Callable[[dict[str, Any]], object],
    *,
    done: str | Callable[[Any], str],
    anchor: str,
) -> HttpResponse:
    """Run one service with the form's values; nothing is written unless it succeeds."""
    status = 400
    if form.is_valid():
        try:
            result = perform(form.cleaned_data)
        except NotAllowed as refused:
            raise PermissionDenied(refused.message) from refused
        except RuleViolation as violation:
            add_violation(form, violation)
            status = violation.status_code
        else:
            messages.success(request, done(result) if callable(done) else done)
            return redirect(case_url(case, anchor))
    return render_case_page(request, case, bound={form.prefix: form}, status=status)


def _working_case(request: HttpRequest, reference: str, allowed: Permission = policies.can_work_on_case) -> Case:
    return selectors.case_for_user(request.user, reference, allowed=allowed)


# --- the conversation -------------------------------------------------------------------


@staff_page
@require_POST
def reply(request: HttpRequest, reference: str) -> HttpResponse:
    # Writing to the customer changes the case; notes and calls are open to any colleague.
    case = _working_case(request, reference)
    form = ReplyForm(request.POST, request.FILES, prefix="reply")

    def perform(data: dict[str, Any]) -> object:
        attachments = [data["attachment"]] if data["attachment"] else []
        return services.message_reply(
            actor=request.user, case=case, body=data["body"], channel=data["channel"], attachments=attachments
        )

    # Says how the reply left: by e-mail, as a call task, a letter, or a notice that it is waiting.
    return act(request, case, form, perform, done=reply_outcome, anchor="timeline")


@staff_page
@require_POST
def note(request: HttpRequest, reference: str) -> HttpResponse:
    case = _working_case(request, reference, policies.can_note_on_case)
    form = NoteForm(request.POST, prefix="note", staff=selectors.active_staff(), actor=request.user)
    return act(
        request,
        case,
        form,
        lambda data: services.note_add(
            actor=request.user,
            case=case,
            body=data["body"],
            for_contractor=data["for_contractor"],
            ask_help=list(data["ask_help"]),
        ),
        done=_note_added,
        anchor="timeline",
    )


def _note_added(note: Message) -> str:
    asked = selectors.colleagues_asked_in(note)
    if not asked:
        return _("Internal note added.")
    return _("Internal note added. Asked for help: %(names)s. They have been told.") % {"names": ", ".join(asked)}


@staff_page
@require_POST
def call(request: HttpRequest, reference: str) -> HttpResponse:
    case = _working_case(request, reference, policies.can_note_on_case)
    form = CallForm(request.POST, prefix="call")
    return act(
        request,
        case,
        form,
        lambda data: services.call_log(
            actor=request.user,
            case=case,
            summary=data["summary"],
            inbound=data["inbound"],
            reached_customer=not data["no_answer"],
        ),
        done=_("Phone call logged."),
        anchor="timeline",
    )


# --- promises -----------------------------------------------------------------------------


@staff_page
@require_POST
def promise_make(request: HttpRequest, reference: str) -> HttpResponse:
    case = _working_case(request, reference)
    form = PromiseForm(request.POST, prefix="promise")
    return act(
        request,
        case,
        form,
        lambda data: services.promise_make(
            actor=request.user,
            case=case,
            text=data["text"],
            due_at=data["due_at"],
            kind=data["kind"],
            owed_to_customer=data["owed_to_customer"],
            owed_to_name=data["owed_to_name"],
        ),
        done=_("Promise recorded. Steward will watch it until it is kept."),
        anchor="promises",
    )


_SETTLE = {
    "kept": (services.promise_keep, gettext_lazy("Promise marked as kept.")),
    "broken": (services.promise_break, gettext_lazy("Promise marked as not kept.")),
    "withdrawn": (services.promise_withdraw, gettext_lazy("Promise withdrawn.")),
}


@staff_page
@require_POST
def promise_settle(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = _working_case(request, reference)
    promise = get_object_or_404(policies.promises_for(request.user, case), pk=pk)
    form = PromiseSettleForm(request.POST, prefix=f"settle-{promise.pk}")

    def perform(data: dict[str, Any]) -> object:
        service, _done = _SETTLE[data["outcome"]]
        return service(actor=request.user, promise=promise, note=data["note"])

    outcome = request.POST.get(f"settle-{promise.pk}-outcome", "")
    done = str(_SETTLE.get(outcome, (None, _("Promise updated.")))[1])
    return act(request, case, form, perform, done=done, anchor="promises")


# --- the case itself ------------------------------------------------------------------------


@staff_page
@require_POST
def resolve(request: HttpRequest, reference: str) -> HttpResponse:
    case = _working_case(request, reference)
    # Asked for whenever the case has loose ends now, so the refusal lands on the reason field.
    form = ResolveForm(request.POST, prefix="resolve", ask_reason=bool(selectors.loose_ends(case)))
    return act(
        request,
        case,
        form,
        lambda data: services.case_resolve(
            actor=request.user, case=case, summary=data["summary"], override_reason=data.get("override_reason", "")
        ),
        done=_("Case resolved. The customer has been asked to confirm it is fixed."),
        anchor="top",
    )


@staff_page
@require_POST
def set_status(request: HttpRequest, reference: str) -> HttpResponse:
    case = _working_case(request, reference)
    form = StatusForm(request.POST, prefix="status")
    return act(
        request,
        case,
        form,
        lambda data: services.case_set_status(actor=request.user, case=case, status=data["status"]),
        done=_("Status changed."),
        anchor="top",
    )


@staff_page
@require_POST
def link_alert(request: HttpRequest, reference: str) -> HttpResponse:
    case = _working_case(request, reference)
    alerts = selectors.alerts_for_case(case, now=timezone.now())
    form = LinkAlertForm(request.POST, prefix="alert", alerts=[a for a in alerts if a.is_live and not a.linked])

    def perform(data: dict[str, Any]) -> object:
        alert = ServiceAlert.objects.get(pk=data["alert"])
        return services.case_link_alert(actor=request.user, case=case, alert=alert)

    return act(request, case, form, perform, done=_("Case linked to the service alert."), anchor="alerts")


# --- insurance claims -------------------------------------------------------------------


@staff_page
@require_POST
def claim_file(request: HttpRequest, reference: str) -> HttpResponse:
    case = _working_case(request, reference)
    form = ClaimFileForm(request.POST, prefix="claim")
    return act(
        request,
        case,
        form,
        lambda data: services.claim_file(actor=request.user, case=case, **data),
        done=_("Claim recorded."),
        anchor="claims",
    )


@staff_page
@require_POST
def claim_update(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = _working_case(request, reference)
    claim = get_object_or_404(policies.claims_for(request.user, case), pk=pk)
    form = ClaimUpdateForm(request.POST, prefix=f"claim-{claim.pk}", claim=claim)

    def perform(data: dict[str, Any]) -> object:
        return services.claim_update(
            actor=request.user, claim=claim, status=data["status"] or None, note=data["note"], **form.changes()
        )

    return act(request, case, form, perform, done=_("Claim updated."), anchor=f"claim-{claim.pk}")
