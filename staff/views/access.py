"""Who reaches the staff pages, and how a refused change is answered."""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from cases import policies

View = Callable[..., HttpResponse]


def staff_page(view: View) -> View:
    """Anonymous visitors are sent to sign in; customers, delegates and contractors get the
    same 404 as for a page that does not exist, so the staff pages stay invisible to them."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not policies.is_staff_member(request.user):
            raise Http404("No such page")
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as refused:
            return render(request, "staff/forbidden.html", {"reason": str(refused)}, status=403)

    return wrapped


def query_with(request: HttpRequest, **changes: str | None) -> str:
    """The current query string with some parameters replaced (None drops one)."""
    params = {key: value for key, value in request.GET.items() if value}
    for key, value in changes.items():
        if value:
            params[key] = value
        else:
            params.pop(key, None)
    return f"?{urlencode(params)}" if params else "?"


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
