"""The pages a customer reads: my cases, one case, one insurance claim, and a file they sent
or were sent. Opening a case marks the replies on it as read by the customer."""

from typing import Any

from django import forms
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from cases.models import Case
from cases.services.messages import messages_mark_read
from cases.services.surveys import CONTACT_WITHIN
from cases.services.timeline import person_name
from people.models import Delegate
from selfservice import selectors
from selfservice.forms import CallbackForm, CustomerForm, NotFixedForm, RatingForm, WriteForm
from selfservice.views.access import customer_page, render_page

# Files shown in the browser; anything else downloads, so nobody's upload runs as a page here.
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def case_url(case: Case, anchor: str = "") -> str:
    url = reverse("my:case", args=[case.reference])
    return f"{url}#{anchor}" if anchor else url


@customer_page
@require_GET
def my_cases(request: HttpRequest) -> HttpResponse:
    listing = selectors.my_cases(request.user, closed_cursor=request.GET.get("closed_before"))
    own = next((c for c in listing.customers if c.user_id == request.user.pk), None)
    helping = [c for c in listing.customers if c.user_id != request.user.pk]
    context = {
        "listing": listing,
        "own_customer": own,
        "helping": helping,
        # One value, so the page's sentence "You help …" stays whole for translation.
        "helping_names": ", ".join(c.full_name for c in helping),
        # Which of the people they help they get copies for (the "send me copies" boxes).
        "copies_for": set(
            Delegate.objects.filter(
                user=request.user, customer__in=helping, revoked_at__isnull=True, wants_copies=True
            ).values_list("customer_id", flat=True)
        )
        if helping
        else set(),
        "closed_more_url": (
            f"{reverse('my:cases')}?closed_before={listing.closed.next_cursor}#closed"
            if listing.closed.next_cursor
            else None
        ),
        "showing_older": bool(request.GET.get("closed_before")),
        "now": timezone.now(),
    }
    return render_page(request, "my/cases.html", context)


def _contact_hint(case: Case) -> str:
    days = CONTACT_WITHIN.days
    if case.owner.is_active:
        return ngettext(
            "%(name)s will call or write to you within %(days)d day.",
            "%(name)s will call or write to you within %(days)d days.",
            days,
        ) % {"name": person_name(case.owner), "days": days}
    return ngettext(
        "Someone from our team will call or write to you within %(days)d day.",
        "Someone from our team will call or write to you within %(days)d days.",
        days,
    ) % {"days": days}


def case_forms(request: HttpRequest, page: selectors.CustomerCasePage, bound: dict[str, forms.Form]) -> dict:
    case = page.case
    made: dict[str, forms.Form] = {
        "write": WriteForm(prefix="write"),
        "callback": CallbackForm(
            prefix="callback", initial={"phone": "" if page.is_delegate else case.customer.phone}, now=page.now
        ),
        "fixed": CustomerForm(prefix="fixed"),
        "not_fixed": NotFixedForm(prefix="notfixed"),
        "rating": RatingForm(prefix="rating", contact_hint=_contact_hint(case)),
    }
    made.update({key: form for key, form in bound.items() if key in made})
    return made


def render_case_page(
    request: HttpRequest, case: Case, *, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    bound = bound or {}
    cursor = request.GET.get("before")
    page = selectors.case_page_for(request.user, case, cursor=cursor)
    refused = next((form for form in bound.values() if form.errors), None)
    context: dict[str, Any] = {
        "page": page,
        "case": case,
        "customer": case.customer,
        "owner": case.owner,
        "forms": case_forms(request, page, bound),
        "refused": refused,
        "timeline_more_url": (
            f"{case_url(case)}?before={page.timeline.next_cursor}#history" if page.timeline.next_cursor else None
        ),
        "showing_older": bool(cursor),
        "now": page.now,
    }
    return render_page(request, "my/case.html", context, status=status)


@customer_page
@require_GET
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.case_for_customer(request.user, reference)
    if case.reference != reference:
        return redirect(case_url(case))
    messages_mark_read(actor=request.user, case=case)
    return render_case_page(request, case)


@customer_page
@require_GET
def claim_detail(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = selectors.case_for_customer(request.user, reference)
    claim = selectors.claim_for_customer(request.user, case, pk)
    context = {"case": case, "claim": claim, "history": selectors.claim_history(request.user, case, claim)}
    return render_page(request, "my/claim.html", context)


@customer_page
@require_GET
def attachment_download(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """A file from the conversation, after the policy check: never a public media URL."""
    case = selectors.case_for_customer(request.user, reference)
    attachment = selectors.attachment_for_customer(request.user, case, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("No such file") from None
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=attachment.content_type not in INLINE_TYPES,
        filename=attachment.original_name,
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
