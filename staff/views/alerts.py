"""Service alerts: post, edit and end planned maintenance and known outages."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases import selectors, services
from portal.errors import NotAllowed, RuleViolation
from staff.forms import AlertForm, add_violation
from staff.views.access import staff_page


def _save(request: HttpRequest, form: AlertForm, save: object, done: str) -> HttpResponse | None:
    """Call the service; None when the form must be shown again with its errors."""
    if not form.is_valid():
        return None
    try:
        save(**form.values())
    except NotAllowed as refused:
        raise PermissionDenied(refused.message) from refused
    except RuleViolation as violation:
        add_violation(form, violation)
        return None
    messages.success(request, done)
    return redirect("staff:alerts")


@staff_page
@require_http_methods(["GET", "POST"])
def alerts(request: HttpRequest) -> HttpResponse:
    form = AlertForm(request.POST or None, prefix="alert")
    if request.method == "POST":
        done = _save(
            request,
            form,
            lambda **values: services.alert_post(actor=request.user, **values),
            _("Alert posted. Staff see it on every affected customer's case."),
        )
        if done is not None:
            return done
    live, ended = selectors.alerts_overview(request.user)
    status = 400 if form.errors else 200
    return render(request, "staff/alerts.html", {"form": form, "live": live, "ended": ended}, status=status)


@staff_page
@require_http_methods(["GET", "POST"])
def alert_edit(request: HttpRequest, pk: int) -> HttpResponse:
    alert = selectors.alert_for_user(request.user, pk)
    initial = {name: getattr(alert, name) for name in AlertForm.FIELDS}
    form = AlertForm(request.POST or None, prefix="alert", initial=initial)
    if request.method == "POST":
        done = _save(
            request,
            form,
            lambda **values: services.alert_update(actor=request.user, alert=alert, **values),
            _("Alert updated."),
        )
        if done is not None:
            return done
    status = 400 if form.errors else 200
    return render(request, "staff/alert_edit.html", {"form": form, "alert": alert}, status=status)


@staff_page
@require_POST
def alert_end(request: HttpRequest, pk: int) -> HttpResponse:
    alert = selectors.alert_for_user(request.user, pk)
    try:
        services.alert_end(actor=request.user, alert=alert)
    except NotAllowed as refused:
        raise PermissionDenied(refused.message) from refused
    except RuleViolation as violation:
        messages.error(request, violation.message)
    else:
        messages.success(request, _("“%(title)s” has ended.") % {"title": alert.title})
    return redirect("staff:alerts")
