"""Search across customers, case references, claim numbers and job ids."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from cases import selectors
from staff.forms import SearchForm
from staff.views.access import query_with, staff_page
from staff.views.case_page import case_url


@staff_page
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    term = form.cleaned_data.get("q", "") if form.is_valid() else ""
    customer_id = request.GET.get("customer", "")
    results = selectors.search_for(
        request.user,
        term,
        customer_id=int(customer_id) if customer_id.isdigit() else None,
        cases_cursor=request.GET.get("cases_after"),
        customers_cursor=request.GET.get("customers_after"),
    )
    cases = results.cases.items
    if len(cases) == 1 and not results.customers.items and cases[0].reference.lower() == term.strip().lower():
        return redirect(case_url(cases[0]))  # an exact reference goes straight to its case
    context = {
        "form": form,
        "results": results,
        "searched": len(results.term) >= selectors.SEARCH_MIN_LENGTH,
        "cases_next_url": query_with(request, cases_after=results.cases.next_cursor)
        if results.cases.next_cursor
        else None,
        "customers_next_url": query_with(request, customers_after=results.customers.next_cursor)
        if results.customers.next_cursor
        else None,
    }
    return render(request, "staff/search.html", context)
