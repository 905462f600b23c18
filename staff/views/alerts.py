"""Service alerts: post, edit and end planned maintenance and known outages, and link the cases
of an emerging incident the alert explains."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from cases import selectors, services
from portal.errors import NotAllowed, RuleViolation
from staff.forms import AlertForm, IncidentLinkForm, add_violation
from staff.views.access import staff_page


def _save(request: HttpRequest, form: AlertForm, save: object, done: str) -> HttpResponse | None:
    """Call the service; None when the form must be shown again with its errors."""
    if not form.is_valid():
        return None
    try:
        alert = save(**form.values())
    except NotAllowed as refused:
        raise PermissionDenied(refused.message) from refused
    except RuleViolation as violation:
        add_violation(form, violation)
        return None
    messages.success(request, done)
    # An emerging incident the alert explains: offer to link its cases before going back.
    if selectors.incident_offers_for_alert(request.user, alert):
        return redirect("staff:alert_incidents", alert.pk)
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
    offers = selectors.incident_offers_for_alert(request.user, alert)
    return render(request, "staff/alert_edit.html", {"form": form, "alert": alert, "offers": offers}, status=status)


@staff_page
@require_http_methods(["GET", "POST"])
def alert_incidents(request: HttpRequest, pk: int) -> HttpResponse:
    """The open emerging incidents the alert covers, each with its cases ticked: confirming links
    them and clears the incident's flag; leaving the page leaves the flag open."""
    alert = selectors.alert_for_user(request.user, pk)
    offers = selectors.incident_offers_for_alert(request.user, alert)
    posted = request.POST.get("flag") if request.method == "POST" else None
    forms = [
        (
            offer,
            IncidentLinkForm(
                request.POST if posted == str(offer.flag.pk) else None,
                prefix=f"incident-{offer.flag.pk}",
                cases=offer.cases,
            ),
        )
        for offer in offers
    ]
    if request.method == "POST":
        chosen = next(((offer, form) for offer, form in forms if form.is_bound), None)
        if chosen is None:
            messages.error(request, _("That emerging incident is no longer open, or has no case left to link."))
            return redirect("staff:alert_incidents", alert.pk)
        offer, form = chosen
        if form.is_valid():
            try:
                linked = services.alert_link_incident(
                    actor=request.user, alert=alert, flag=offer.flag, cases=form.chosen_cases()
                )
            except NotAllowed as refused:
                raise PermissionDenied(refused.message) from refused
            except RuleViolation as violation:
                add_violation(form, violation)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s case linked to “%(title)s”; the emerging-incident flag is cleared.",
                        "%(count)s cases linked to “%(title)s”; the emerging-incident flag is cleared.",
                        linked,
                    )
                    % {"count": linked, "title": alert.title},
                )
                if selectors.incident_offers_for_alert(request.user, alert):
                    return redirect("staff:alert_incidents", alert.pk)
                return redirect("staff:alerts")
    status = 400 if any(form.errors for _offer, form in forms) else 200
    return render(request, "staff/alert_incidents.html", {"alert": alert, "forms": forms}, status=status)


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
