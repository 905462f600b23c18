"""The admin site shows every record: lists, pages, search, the case's linked records, and
list pages whose query count does not grow with their rows."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case
from cases.services import message_receive, note_add
from tests.factories import make_case

STEWARD_APPS = ("people", "cases", "contractors")


def _admin_url(model: type, view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_of_the_three_apps_is_registered() -> None:
    missing = [
        model._meta.label
        for app in STEWARD_APPS
        for model in apps.get_app_config(app).get_models()
        if not admin.site.is_registered(model)
    ]
    assert missing == []


def test_every_registered_list_and_record_page_opens_for_the_administrator(
    admin_client_for: Client, cast, records, rf
) -> None:
    failures = []
    request = rf.get("/")
    request.user = cast.administrator
    models = [m for m in admin.site._registry if m._meta.app_label in (*STEWARD_APPS, "auth")]
    for model in models:
        response = admin_client_for.get(_admin_url(model, "changelist"))
        if response.status_code != 200:
            failures.append(f"{model._meta.label} list: {response.status_code}")
        # Records the services own have no add page; set-up records open theirs.
        expected = 200 if admin.site._registry[model].has_add_permission(request) else 403
        response = admin_client_for.get(_admin_url(model, "add"))
        if response.status_code != expected:
            failures.append(f"{model._meta.label} add page: {response.status_code}, expected {expected}")
        row = model._default_manager.order_by("pk").first()
        if row is None:
            failures.append(f"{model._meta.label}: no record to open")
            continue
        response = admin_client_for.get(_admin_url(model, "change", row.pk))
        if response.status_code != 200:
            failures.append(f"{model._meta.label} page: {response.status_code}")
    assert failures == []


@pytest.mark.parametrize(
    "term",
    [
        pytest.param(lambda case: f'"{case.customer.phone}"', id="customer phone"),
        pytest.param(lambda case: case.reference, id="case reference"),
        pytest.param(lambda case: "CLM-77-0042", id="claim number"),
        pytest.param(lambda case: case.customer.email, id="customer e-mail"),
    ],
)
def test_case_search_finds_the_case(admin_client_for: Client, cast, records, term) -> None:
    response = admin_client_for.get(_admin_url(Case, "changelist"), {"q": term(cast.case)})
    found = list(response.context["cl"].result_list)
    assert found == [cast.case]


def test_claim_search_by_claim_number_finds_the_claim(admin_client_for: Client, records) -> None:
    response = admin_client_for.get(_admin_url(records.claim.__class__, "changelist"), {"q": "77-0042"})
    assert list(response.context["cl"].result_list) == [records.claim]


def test_case_page_shows_the_linked_records_and_the_timeline(admin_client_for: Client, cast, records) -> None:
    response = admin_client_for.get(_admin_url(Case, "change", cast.case.pk))
    page = response.content.decode()
    headings = {inline.opts.verbose_name_plural for inline in response.context["inline_admin_formsets"]}
    assert headings >= {"handoffs", "sales", "insurance claims", "jobs", "messages", "promises", "flags", "timeline"}
    for shown in (
        "Heating damage is a claims matter",  # handoff
        "Fibre 1 Gb",  # sale
        "CLM-77-0042",  # claim
        "Reconnect the fibre",  # job
        "The heating pipe is still leaking.",  # message
        "Plumber visits on Monday",  # promise
        "Plumber visit promise past due",  # flag
        "Case opened: Fibre installation",  # timeline
    ):
        assert shown in page, shown


def test_case_page_offers_no_way_to_edit_the_linked_records(admin_client_for: Client, cast, records) -> None:
    response = admin_client_for.get(_admin_url(Case, "change", cast.case.pk))
    for inline in response.context["inline_admin_formsets"]:
        assert not inline.has_add_permission and not inline.has_change_permission and not inline.has_delete_permission


def test_case_page_query_count_does_not_grow_with_its_records(
    admin_client_for: Client, cast, records, django_assert_max_num_queries
) -> None:
    url = _admin_url(Case, "change", cast.case.pk)
    admin_client_for.get(url)
    with CaptureQueriesContext(connection) as before:
        admin_client_for.get(url)
    for number in range(5):
        message_receive(case=cast.case, actor=cast.customer.user, body=f"Still leaking, day {number}")
        note_add(actor=cast.other_agent, case=cast.case, body=f"Chased the plumber, day {number}")
    with django_assert_max_num_queries(len(before)):
        response = admin_client_for.get(url)
    assert "Chased the plumber, day 4" in response.content.decode()


def test_case_list_query_count_does_not_grow_with_cases(
    admin_client_for: Client,
    cast,
    django_assert_max_num_queries,
) -> None:
    url = _admin_url(Case, "changelist")
    admin_client_for.get(url)  # warm caches (content types, session) so both counts compare like for like
    with CaptureQueriesContext(connection) as with_two:
        assert admin_client_for.get(url).status_code == 200
    for number in range(18):
        make_case(customer=cast.other_customer, owner=cast.other_agent, subject=f"Outage report {number}")
    assert Case.objects.count() == 20
    with django_assert_max_num_queries(len(with_two)):
        response = admin_client_for.get(url)
    assert len(response.context["cl"].result_list) == 20
