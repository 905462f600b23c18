"""Friendly error pages on every surface, and JSON for the API (whose own views already answer in JSON;
these cover what reaches Django's handlers: an unknown /api/ address, an error outside a DRF view)."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

API_PREFIX = "/api/"
# What the database driver raises when the server is stopped, unreachable or drops the connection.
DATABASE_DOWN = (OperationalError, InterfaceError)
# Seconds a client is asked to wait before trying again while the database is down.
RETRY_AFTER_SECONDS = 120
# Form fields whose values are never shown back (secrets) or mean nothing to the person (tokens).
_NEVER_SHOWN = ("csrfmiddlewaretoken", "password", "token", "next")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": _("You do not have permission to do this.")}, status=403)
    # The reason a view gave (the policy's own words) helps more than a bare "forbidden".
    reason = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"reason": reason}, status=403)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """Django calls this while handling the error, so sys.exc_info() names it. With the database down
    the answer is 503 and must not touch the database: no context processors, no session, no user."""
    database_down = isinstance(sys.exc_info()[1], DATABASE_DOWN)
    status = 503 if database_down else 500
    if _is_api(request):
        if database_down:
            body = {
                "detail": _(
                    "Steward cannot reach its database right now: nothing was saved. Try again in a few minutes."
                ),
                "code": "database_unavailable",
            }
        else:
            body = {"detail": _("Something went wrong on our side. Please try again in a moment."), "code": "error"}
        response: HttpResponse = JsonResponse(body, status=status)
    else:
        context = {
            "request_path": request.path,
            "was_sending": request.method == "POST",
            "kept_text": kept_text(request),
        }
        template = "503.html" if database_down else "500.html"
        response = HttpResponse(loader.get_template(template).render(context), status=status)
    if database_down:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def kept_text(request: HttpRequest) -> str:
    """What the person typed into the form they sent, to show back so that nothing is lost: the free
    text (values with a space or a line break in them); choices, ids and e-mail addresses are quick to
    give again, and passwords and tokens are never shown."""
    if request.method != "POST":
        return ""
    try:
        fields = request.POST.lists()
    except Exception:  # a body that cannot be read (cut short, malformed): nothing to keep
        return ""
    texts = [
        value.strip()
        for name, values in fields
        if not any(secret in name.lower() for secret in _NEVER_SHOWN)
        for value in values
        if any(space in value.strip() for space in " \n\t")
    ]
    return "\n\n".join(texts)


def method_not_allowed(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Django's require_POST answers 405 with an empty page; a person who followed a link gets words."""
    if _is_api(request):
        friendly = JsonResponse({"detail": _("This address does not accept that method.")}, status=405)
    else:
        friendly = render(request, "405.html", status=405)
    if response.has_header("Allow"):
        friendly["Allow"] = response["Allow"]
    return friendly
