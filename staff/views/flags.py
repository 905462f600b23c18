"""The flags queue: my flags and, for managers, their team's escalated flags."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases import selectors, services
from portal.errors import NotAllowed, RuleViolation
from staff.views.access import query_with, safe_next, staff_page


@staff_page
@require_GET
def flags(request: HttpRequest) -> HttpResponse:
    page = selectors.flags_queue_for(request.user, cursor=request.GET.get("after"))
    context = {
        "flags": page.items,
        "next_url": query_with(request, after=page.next_cursor) if page.next_cursor else None,
        "first_url": query_with(request, after=None) if request.GET.get("after") else None,
    }
    return render(request, "staff/flags.html", context)


@staff_page
@require_POST
def flag_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    flag = selectors.flag_for_user(request.user, pk)
    error = ""
    try:
        flag = services.flag_acknowledge(flag=flag, actor=request.user)
    except NotAllowed as refused:
        raise PermissionDenied(refused.message) from refused
    except RuleViolation as violation:
        error = violation.message
    if request.htmx:
        # Only the row changes: the rest of the queue stays where the reader left it.
        return render(request, "staff/_flag_row.html", {"flag": flag, "row_error": error}, status=400 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Flag acknowledged: %(summary)s") % {"summary": flag.summary})
    return redirect(safe_next(request, reverse("staff:flags")))


@staff_page
@require_POST
def flag_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    """An emerging incident that was a coincidence: closed with the reason written down."""
    flag = selectors.flag_for_user(request.user, pk)
    try:
        services.flag_dismiss(flag=flag, actor=request.user, note=request.POST.get("note", ""))
    except NotAllowed as refused:
        raise PermissionDenied(refused.message) from refused
    except RuleViolation as violation:
        messages.error(request, violation.message)
    else:
        messages.success(request, _("Flag dismissed: %(summary)s") % {"summary": flag.summary})
    return redirect(safe_next(request, reverse("staff:flags")))
