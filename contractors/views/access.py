"""Who reaches the contractor pages, and how a refused change is answered."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render

from cases import policies
from contractors import selectors
from contractors.models import Job

View = Callable[..., HttpResponse]
JobView = Callable[..., HttpResponse]


def _forbidden(request: HttpRequest, refused: PermissionDenied) -> HttpResponse:
    return render(request, "contractor/forbidden.html", {"reason": str(refused)}, status=403)


def contractor_page(view: View) -> View:
    """Anonymous visitors are sent to sign in; staff, customers and delegates get the same
    404 as for a page that does not exist: these pages are for contractor users only."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if policies.contractor_company_of(request.user) is None:
            raise Http404("No such page")
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as refused:
            return _forbidden(request, refused)

    return wrapped


def job_action(view: JobView) -> View:
    """A change to one job: the job is looked up first, so another company's user gets a 404
    whatever the method; then only POST is taken."""

    @contractor_page
    @wraps(view)
    def wrapped(request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        job: Job = selectors.job_for(request.user, pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(request, job, *args, **kwargs)

    return wrapped


def staff_page(view: View) -> View:
    """The staff side of the contractor app (the scorecard): members of staff only."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not policies.is_staff_member(request.user):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapped
