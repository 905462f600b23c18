"""What a customer or delegate does on a case: write, ask for a call back, say whether it is
fixed, rate us. Each view parses its form, calls one service and goes back to the case page;
a refusal re-renders the page with what was typed and what to do."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases import services
from cases.models import Case, Message
from cases.services.selfservice import callback_request
from cases.services.timeline import person_name
from portal.errors import NotAllowed, RuleViolation
from selfservice import selectors
from selfservice.forms import CallbackForm, CustomerForm, NotFixedForm, RatingForm, WriteForm, add_violation
from selfservice.views.access import customer_page
from selfservice.views.pages import case_url, render_case_page


def act(
    request: HttpRequest,
    case: Case,
    key: str,
    form: CustomerForm,
    perform: Callable[[dict[str, Any]], HttpResponse | str],
) -> HttpResponse:
    """Run one service with the form's values; `perform` returns the notice to show (and
    the page goes back to the case) or its own response. Nothing is written unless it succeeds."""
    status = 400
    if form.is_valid():
        try:
            done = perform(form.cleaned_data)
        except NotAllowed:
            # The customer side may see this case but no service lets them do this: as for
            # a page that does not exist.
            raise Http404("No such page") from None
        except RuleViolation as violation:
            add_violation(form, violation)
        else:
            if isinstance(done, HttpResponse):
                return done
            messages.success(request, done)
            # Back to the top of the case, where the notice is read first.
            return redirect(case_url(case))
    return render_case_page(request, case, bound={key: form}, status=status)


def _case(request: HttpRequest, reference: str) -> Case:
    return selectors.case_for_customer(request.user, reference)


@customer_page
@require_POST
def write(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference)
    form = WriteForm(request.POST, request.FILES, prefix="write")

    def perform(data: dict[str, Any]) -> HttpResponse | str:
        message: Message = services.message_receive(
            actor=request.user,
            case=case,
            body=data["body"],
            channel=Message.Channel.PORTAL,
            attachments=data["attachments"],
        )
        if message.case_id != case.pk:
            follow_up = message.case
            messages.success(
                request,
                _(
                    "Your case %(reference)s was closed, so we opened a new case, %(new_reference)s, for your "
                    "message. %(name)s looks after it."
                )
                % {
                    "reference": case.reference,
                    "new_reference": follow_up.reference,
                    "name": person_name(follow_up.owner),
                },
            )
            return redirect(case_url(follow_up))
        return _("Your message is sent. %(name)s will read it and answer you here.") % {"name": person_name(case.owner)}

    return act(request, case, "write", form, perform)


@customer_page
@require_POST
def call_me_back(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference)
    form = CallbackForm(request.POST, prefix="callback")

    def perform(data: dict[str, Any]) -> str:
        starts_at, ends_at = form.window()
        promise = callback_request(
            actor=request.user, case=case, starts_at=starts_at, ends_at=ends_at, phone=data["phone"], note=data["note"]
        )
        # Translators: %(promise)s is the promise just made, e.g. "Olivia Owner will call you back on …".
        return _("Thank you. %(promise)s.") % {"promise": promise.text}

    return act(request, case, "callback", form, perform)


@customer_page
@require_POST
def fixed(request: HttpRequest, reference: str) -> HttpResponse:
    """ "Yes, it is fixed": the case closes, and the rating is offered at once."""
    case = _case(request, reference)

    def perform(data: dict[str, Any]) -> str:
        services.case_confirm(actor=request.user, case=case)
        return _("Thank you for telling us. Your case is closed. Would you tell us how we did?")

    # The form has no fields: only the CSRF token, and room for the service's refusal.
    return act(request, case, "fixed", CustomerForm(request.POST, prefix="fixed"), perform)


@customer_page
@require_POST
def not_fixed(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference)
    form = NotFixedForm(request.POST, prefix="notfixed")

    def perform(data: dict[str, Any]) -> str:
        services.case_reject_resolution(actor=request.user, case=case, reason=data["reason"])
        return _(
            "Thank you for telling us. Your case is open again and %(name)s has been asked to look at it first."
        ) % {"name": person_name(case.owner)}

    return act(request, case, "not_fixed", form, perform)


@customer_page
@require_POST
def rate(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference)
    form = RatingForm(request.POST, prefix="rating")

    def perform(data: dict[str, Any]) -> str:
        survey = services.survey_submit(
            actor=request.user,
            case=case,
            score=data["score"],
            comment=data["comment"],
            wants_contact=data["wants_contact"],
        )
        if not survey.wants_contact:
            return _("Thank you for your rating.")
        return _("Thank you for your rating. Below you can see who will contact you, and by when.")

    return act(request, case, "rating", form, perform)
