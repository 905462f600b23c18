"""Sales on a case through the API: recorded and changed by staff working on the case, each
change on the timeline; read by the customer's side without staff's notes on pending offers."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from cases.models import Sale, TimelineEvent
from cases.services import sale_record
from tests.api.conftest import ApiAs
from tests.cases.dbstate import nothing_written
from tests.conftest import Cast
from tests.factories import DepartmentFactory, make_staff


@pytest.fixture
def advisor(db: None) -> User:
    return make_staff("seller", department=DepartmentFactory(code="sales"), first_name="Samir", last_name="Haddad")


@pytest.fixture
def sale(cast: Cast) -> Sale:
    return sale_record(
        actor=cast.owner,
        case=cast.case,
        product="Fibre 1 Gb/s",
        advisor=cast.owner,
        plan="Essentiel",
        monthly_price=Decimal("34.99"),
        pending_offers="TV option at half price",
    )


def sales_url(cast: Cast) -> str:
    return reverse("api:case-sales", args=[cast.case.reference])


def sale_url(cast: Cast, sale: Sale) -> str:
    return reverse("api:case-sale-detail", args=[cast.case.reference, sale.pk])


def test_a_sale_is_recorded_and_listed(cast: Cast, api_as: ApiAs, advisor: User) -> None:
    client = api_as(cast.owner)
    response = client.post(
        sales_url(cast),
        {
            "product": "Fibre 1 Gb/s with landline",
            "plan": "Fibre Essentiel, 24 months",
            "monthly_price": "34.99",
            "advisor": advisor.pk,
            "pending_offers": "TV option at half price for 6 months",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["product"], body["monthly_price"], body["advisor"]["name"], body["case"]) == (
        "Fibre 1 Gb/s with landline",
        "34.99",
        "Samir Haddad",
        cast.case.reference,
    )
    assert Sale.objects.get(pk=body["id"]).advisor == advisor
    event = TimelineEvent.objects.filter(case=cast.case, kind="sale").get()
    assert event.summary.startswith("Sold: Fibre 1 Gb/s with landline")
    listed = client.get(sales_url(cast)).json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]
    assert client.get(reverse("api:case-sale-detail", args=[cast.case.reference, body["id"]])).json() == body


def test_the_advisor_is_the_caller_when_left_out(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.owner).post(sales_url(cast), {"product": "Fibre"}, format="json")
    assert response.status_code == 201
    assert response.json()["advisor"] == {"id": cast.owner.pk, "name": "Olivia Owner"}
    assert response.json()["monthly_price"] is None


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"product": "  "}, {"product": ["Write what was sold."]}),
        ({"product": "Fibre", "monthly_price": "-1"}, {"monthly_price": ["The price cannot be negative."]}),
        ({"product": "Fibre", "monthly_price": "cheap"}, {"monthly_price": ["A valid number is required."]}),
        ({"product": "Fibre", "sold_at": "yesterday"}, {"sold_at": None}),
        ({"plan": "Family"}, {"product": ["This field is required."]}),
    ],
)
def test_bad_input_is_refused_field_by_field_and_nothing_stored(
    cast: Cast, api_as: ApiAs, payload: dict, errors: dict
) -> None:
    client = api_as(cast.owner)
    with nothing_written():
        response = client.post(sales_url(cast), payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) == set(errors)
    for field, messages in errors.items():
        if messages is not None:
            assert response.json()[field] == messages


def test_a_customer_cannot_be_named_advisor(cast: Cast, api_as: ApiAs) -> None:
    with nothing_written():
        response = api_as(cast.owner).post(
            sales_url(cast), {"product": "Fibre", "advisor": cast.customer.user_id}, format="json"
        )
    assert response.status_code == 400
    assert list(response.json()) == ["advisor"]


def test_a_sale_is_changed_with_before_and_after_on_the_timeline(
    cast: Cast, api_as: ApiAs, sale: Sale, advisor: User
) -> None:
    response = api_as(cast.owner).patch(
        sale_url(cast, sale), {"plan": "Premium", "monthly_price": "39.99", "advisor": advisor.pk}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["plan"], response.json()["monthly_price"]) == ("Premium", "39.99")
    assert response.json()["pending_offers"] == "TV option at half price"
    event = TimelineEvent.objects.filter(case=cast.case, kind="sale").latest("pk")
    assert event.summary == (
        "Sale changed: Fibre 1 Gb/s — plan: Essentiel → Premium; monthly price: 34.99 → 39.99; "
        "advisor: Olivia Owner → Samir Haddad"
    )
    assert event.data["before"] == {
        "plan": "Essentiel",
        "monthly_price": "34.99",
        "advisor": {"id": cast.owner.pk, "name": "Olivia Owner"},
    }
    assert event.data["after"]["advisor"] == {"id": advisor.pk, "name": "Samir Haddad"}
    assert event.customer_visible


def test_a_null_price_takes_the_price_off(cast: Cast, api_as: ApiAs, sale: Sale) -> None:
    response = api_as(cast.owner).patch(sale_url(cast, sale), {"monthly_price": None}, format="json")
    assert response.status_code == 200
    assert response.json()["monthly_price"] is None
    sale.refresh_from_db()
    assert sale.monthly_price is None


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({}, {"non_field_errors": ["Nothing changed: change at least one detail of the sale."]}),
        ({"plan": "Essentiel"}, {"non_field_errors": ["Nothing changed: change at least one detail of the sale."]}),
        ({"product": ""}, {"product": ["Write what was sold."]}),
        ({"monthly_price": "-3"}, {"monthly_price": ["The price cannot be negative."]}),
        ({"advisor": 999999}, {"advisor": ['Invalid pk "999999" - object does not exist.']}),
    ],
)
def test_a_bad_change_is_refused_and_nothing_stored(
    cast: Cast, api_as: ApiAs, sale: Sale, payload: dict, errors: dict
) -> None:
    client = api_as(cast.owner)
    with nothing_written():
        response = client.patch(sale_url(cast, sale), payload, format="json")
    assert response.status_code == 400
    assert response.json() == errors


def test_the_customer_side_reads_what_they_bought_without_pending_offers(cast: Cast, api_as: ApiAs, sale: Sale) -> None:
    for customer_side in (cast.customer.user, cast.delegate):
        client = api_as(customer_side)
        (row,) = client.get(sales_url(cast)).json()["results"]
        assert row["product"] == "Fibre 1 Gb/s"
        assert "pending_offers" not in row
        assert "pending_offers" not in client.get(sale_url(cast, sale)).json()


def test_someone_not_working_on_the_case_is_refused(cast: Cast, api_as: ApiAs, sale: Sale) -> None:
    """403 for those who may see the case but not change it; 404 for those who may not see it."""
    for user, code in (
        (cast.other_agent, 403),
        (cast.customer.user, 403),
        (cast.delegate, 403),
        (cast.other_customer.user, 404),
        (cast.contractor_user, 404),
    ):
        client = api_as(user)
        with nothing_written():
            created = client.post(sales_url(cast), {"product": "Fibre"}, format="json")
            changed = client.patch(sale_url(cast, sale), {"plan": "Family"}, format="json")
        assert (created.status_code, changed.status_code) == (code, code), user.username
    assert api_as(cast.other_agent).get(sale_url(cast, sale)).status_code == 200
    assert api_as(cast.contractor_user).get(sales_url(cast)).status_code == 404


def test_a_sale_of_another_case_is_not_found_under_this_one(cast: Cast, api_as: ApiAs) -> None:
    other = sale_record(actor=cast.other_agent, case=cast.other_case, product="Mail", advisor=cast.other_agent)
    url = reverse("api:case-sale-detail", args=[cast.case.reference, other.pk])
    client = api_as(cast.owner)
    assert client.get(url).status_code == 404
    with nothing_written():
        assert client.patch(url, {"plan": "Pro"}, format="json").status_code == 404
