"""Friendly error pages on every surface, and JSON for the API (whose own views already answer in JSON;
these cover what reaches Django's handlers: an unknown /api/ address, an error outside a DRF view)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

API_PREFIX = "/api/"


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
    if _is_api(request):
        return JsonResponse(
            {"detail": _("Something went wrong on our side. Please try again in a moment.")}, status=500
        )
    # No context processors: whatever broke the page may be what they would call.
    return HttpResponse(loader.get_template("500.html").render({"request_path": request.path}), status=500)


def method_not_allowed(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Django's require_POST answers 405 with an empty page; a person who followed a link gets words."""
    if _is_api(request):
        friendly = JsonResponse({"detail": _("This address does not accept that method.")}, status=405)
    else:
        friendly = render(request, "405.html", status=405)
    if response.has_header("Allow"):
        friendly["Allow"] = response["Allow"]
    return friendly
