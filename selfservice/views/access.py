"""Who reaches the customer pages."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from selfservice.selectors import is_customer_side_user

View = Callable[..., HttpResponse]


def customer_page(view: View) -> View:
    """Anonymous visitors are sent to sign in; staff, contractor users and administrators get
    the same 404 as for a page that does not exist: these pages are not theirs."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_customer_side_user(request.user):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapped


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    """Render a customer page (base.html shows the notices in a live region)."""
    return render(request, template, context or {}, status=status)
