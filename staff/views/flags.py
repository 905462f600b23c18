"""The flags queue: my flags and, for managers, their team's escalated flags."""

from itertools import dropwhile
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases import policies, selectors, services
from cases.models import Flag
from portal.errors import NotAllowed, RuleViolation
from staff.views.access import query_with, safe_next, staff_page
from staff.views.flag_rows import FlagRow, flag_row_words, flag_rows


@staff_page
@require_GET
def flags(request: HttpRequest) -> HttpResponse:
    mine_only = request.GET.get("mine") == "1"
    page = selectors.flags_queue_for(request.user, mine_only=mine_only, cursor=request.GET.get("after"))
    rows = flag_rows(page.items)
    context = {
        "rows": rows,
        "words": flag_row_words(request),
        # Escalated flags are read case by case: on the "every flag" list of a manager or head,
        # the flags of one case share one row group under the case's own row.
        "groups": _by_case(page.items, rows) if not mine_only and policies.is_manager(request.user) else None,
        "mine_only": mine_only,
        "focus": _focus_after_acknowledging(page.items, request.GET.get("acknowledged", "")),
        "next_url": query_with(request, after=page.next_cursor) if page.next_cursor else None,
        "first_url": query_with(request, after=None, acknowledged=None) if request.GET.get("after") else None,
        "all_url": query_with(request, mine=None, after=None, acknowledged=None),
        "mine_url": query_with(request, mine="1", after=None, acknowledged=None),
    }
    return render(request, "staff/flags.html", context)


def _by_case(flags: list[Flag], rows: list[FlagRow]) -> list[dict]:
    """The page's rows grouped by case, each case where its first flag stands in the queue's
    order (a case whose flags run onto the next page continues there)."""
    groups: dict[object, dict] = {}
    for flag, row in zip(flags, rows, strict=True):
        key = flag.case_id if flag.case_id is not None else f"flag-{flag.pk}"
        groups.setdefault(key, {"case": flag.case, "rows": []})["rows"].append(row)
    return list(groups.values())


def _focus_after_acknowledging(flags: list[Flag], acknowledged: str) -> str:
    """Where the keyboard continues after a flag was acknowledged without JavaScript: the
    next flag below it still waiting to be acknowledged, else the list's heading."""
    if not acknowledged.isdigit():
        return ""
    below = dropwhile(lambda flag: flag.pk != int(acknowledged), flags)
    waiting = next((flag for flag in below if flag.acknowledged_at is None), None)
    return str(waiting.pk) if waiting else "heading"


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
        # Only the row changes: the rest of the queue stays where the reader left it, and
        # steward.js moves the focus on to the next flag waiting.
        context = {
            "rows": flag_rows([flag]),
            "words": flag_row_words(request, page=safe_next(request, reverse("staff:flags"))),
            "row_error": error,
            "just_acknowledged": not error,
        }
        return render(request, "staff/_flag_rows.html", context, status=400 if error else 200)
    if error:
        messages.error(request, error)
        return redirect(safe_next(request, reverse("staff:flags")))
    messages.success(request, _("Flag acknowledged: %(summary)s") % {"summary": flag.summary})
    return redirect(_with_acknowledged(safe_next(request, reverse("staff:flags")), flag.pk))


def _with_acknowledged(url: str, pk: int) -> str:
    """Back on the flags page, the focus goes on from the flag just acknowledged."""
    parts = urlsplit(url)
    if parts.path != reverse("staff:flags"):
        return url
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "acknowledged"]
    query.append(("acknowledged", str(pk)))
    return urlunsplit(parts._replace(query=urlencode(query), fragment=""))


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
