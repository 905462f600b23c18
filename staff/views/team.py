"""The team view for managers: each person's load and what is overdue, counted in SQL."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases import policies, selectors
from staff.views.access import staff_page


@staff_page
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    if not policies.is_manager(request.user):
        raise PermissionDenied(_("The team view is for team managers and heads of department."))
    members = selectors.team_load_for(request.user)
    totals = {
        key: sum(getattr(m, key) for m in members)
        for key in ("open_cases", "urgent_cases", "overdue_replies", "overdue_promises", "open_flags")
    }
    return render(request, "staff/team.html", {"members": members, "totals": totals})
