"""One answer shape for every refusal, and the services' exceptions mapped to HTTP.

400: {"field": ["message", …]} — what to fix, field by field ("non_field_errors" otherwise).
403, 404, 405, 409, 429: {"detail": "…", "code": "…"} (a 409 also names the field when it has one).
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import Conflict, NotAllowed, RuleViolation


def _detail(message: str, code: str, **extra: str) -> dict[str, str]:
    return {"detail": message, "code": code, **extra}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Conflict):
        extra = {"field": exc.field} if exc.field else {}
        return Response(_detail(exc.message, exc.code, **extra), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, NotAllowed):
        return Response(_detail(exc.message, exc.code), status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, RuleViolation):
        return Response(exc.as_dict(), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None or isinstance(exc, exceptions.ValidationError):
        return response
    detail = str(exc.detail)
    if response.status_code == status.HTTP_400_BAD_REQUEST:
        # A body that does not parse: still the field-level shape every 400 has.
        response.data = {"non_field_errors": [detail]}
    else:
        response.data = _detail(detail, getattr(exc.detail, "code", None) or exc.default_code)
    return response


@csrf_exempt  # it changes nothing, and answers in JSON like the rest of the API
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any other address under /api/v1/ (an id that is not a number, say): the API's 404."""
    return JsonResponse(_detail(_("Not found."), "not_found"), status=status.HTTP_404_NOT_FOUND)
