"""My worklist: the cases I own, what needs me first at the top, and the cases colleagues asked
my help on."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cases import selectors
from staff.forms import WorklistFilterForm
from staff.views.access import query_with, staff_page
from staff.views.worklist_rows import handoff_rows, help_request_rows, worklist_row_words, worklist_rows


@staff_page
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    form = WorklistFilterForm(request.GET)
    form.is_valid()  # a bad value is shown as an error; the valid filters still apply
    values = {
        name: form.cleaned_data.get(name) or "" for name in ("status", "department", "priority", "flag_kind", "q")
    }
    owner = request.user
    owner_id = form.cleaned_data.get("owner")
    if owner_id and owner_id != request.user.pk:
        owner = selectors.active_staff().filter(pk=owner_id).first()
        if owner is None:
            raise Http404("No such member of staff")
    page = selectors.worklist_for(
        request.user, owner=owner, filters=selectors.WorklistFilters(**values), cursor=request.GET.get("after")
    )
    mine = owner.pk == request.user.pk
    cases = page.items
    context = {
        "form": form,
        "owner": owner,
        "is_mine": mine,
        "rows": worklist_rows(cases, selectors.open_flags_of(case.pk for case in cases) if cases else {}),
        "words": worklist_row_words(),
        "next_url": query_with(request, after=page.next_cursor) if page.next_cursor else None,
        "first_url": query_with(request, after=None) if request.GET.get("after") else None,
        "handoffs": handoff_rows(selectors.handoffs_waiting_for(request.user)) if mine else [],
        # Cases colleagues asked the reader's help on: only on the reader's own worklist.
        "help_requests": help_request_rows(selectors.help_requests_for(request.user)) if mine else [],
        "filtered": any(values.values()),
    }
    return render(request, "staff/worklist.html", context)
