"""Sales on the case page: a salesperson records what was sold and changes it later; each
change is on the timeline with its before and after; bad input changes nothing."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from cases.models import Case, Sale, TimelineEvent
from cases.services import case_confirm, case_resolve, sale_record, sale_update
from tests.cases.dbstate import nothing_written
from tests.conftest import Cast
from tests.factories import DepartmentFactory, make_staff
from tests.staff_ui.conftest import signed_in
from tests.staff_ui.pages import assert_field_error, case_url, folded_form, html, text


@pytest.fixture
def advisor(db: None) -> User:
    return make_staff("seller", department=DepartmentFactory(code="sales"), first_name="Samir", last_name="Haddad")


@pytest.fixture
def sale(case: Case, owner: User) -> Sale:
    return sale_record(
        actor=owner,
        case=case,
        product="Fibre 1 Gb/s",
        advisor=owner,
        plan="Essentiel, 24 months",
        monthly_price=Decimal("34.99"),
        pending_offers="TV option at half price",
    )


def refused(client, url: str, data: dict):
    with nothing_written():
        response = client.post(url, data)
    assert response.status_code == 400
    assert "Nothing was saved" in text(response)
    return response


def _edit(sale: Sale, **changes: str) -> dict[str, str]:
    """The edit form as the page fills it, with some values changed."""
    values = {
        "product": sale.product,
        "plan": sale.plan,
        "monthly_price": "" if sale.monthly_price is None else str(sale.monthly_price),
        "advisor": str(sale.advisor_id),
        "pending_offers": sale.pending_offers,
        **changes,
    }
    return {f"sale-{sale.pk}-{name}": value for name, value in values.items()}


def test_the_case_page_offers_to_record_a_sale_with_the_reader_as_advisor(owner_client, case: Case, owner) -> None:
    assert "Record a sale" in html(owner_client.get(case_url(case)))
    page = html(folded_form(owner_client, case, "sale"))
    assert f'action="{case_url(case, "staff:sale_record")}"' in page
    assert f'<option value="{owner.pk}" selected>' in page


def test_a_sale_is_recorded_from_the_case_page(owner_client, case: Case, advisor: User) -> None:
    response = owner_client.post(
        case_url(case, "staff:sale_record"),
        {
            "sale-product": "Fibre 1 Gb/s with landline",
            "sale-plan": "Fibre Essentiel, 24 months",
            "sale-monthly_price": "34.99",
            "sale-advisor": str(advisor.pk),
            "sale-pending_offers": "TV option at half price for 6 months",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#sale")
    sale = Sale.objects.get(case=case)
    assert (sale.product, sale.plan, sale.monthly_price, sale.advisor) == (
        "Fibre 1 Gb/s with landline",
        "Fibre Essentiel, 24 months",
        Decimal("34.99"),
        advisor,
    )
    page = text(owner_client.get(case_url(case)))
    assert "Sale recorded. The customer sees it on their case." in page
    assert (
        "Sold: Fibre 1 Gb/s with landline — Fibre Essentiel, 24 months, 34.99 per month (advisor Samir Haddad)" in page
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"sale-product": "  "}, "product", "Write what was sold."),
        ({"sale-monthly_price": "-1"}, "monthly_price", "The price cannot be negative."),
        ({"sale-monthly_price": "cheap"}, "monthly_price", "Enter a number."),
        ({"sale-advisor": ""}, "advisor", "This field is required."),
    ],
)
def test_bad_sale_is_refused_with_what_was_typed_kept(
    owner_client, case: Case, advisor: User, changes: dict, field: str, message: str
) -> None:
    data = {"sale-product": "Fibre", "sale-plan": "Family", "sale-advisor": str(advisor.pk), **changes}
    response = refused(owner_client, case_url(case, "staff:sale_record"), data)
    assert_field_error(response, f"id_sale-{field}", message)
    assert 'value="Family"' in html(response)


def test_a_customer_cannot_be_named_as_advisor(owner_client, case: Case, cast: Cast) -> None:
    data = {"sale-product": "Fibre", "sale-advisor": str(cast.customer.user_id)}
    response = refused(owner_client, case_url(case, "staff:sale_record"), data)
    assert_field_error(response, "id_sale-advisor", "Select a valid choice.")


def test_the_sale_is_changed_with_before_and_after_on_the_timeline(
    owner_client, case: Case, sale: Sale, advisor: User
) -> None:
    data = _edit(sale, plan="Fibre Premium", monthly_price="39.99", advisor=str(advisor.pk))
    response = owner_client.post(case_url(case, "staff:sale_update", sale.pk), data)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#sale-{sale.pk}")
    sale.refresh_from_db()
    assert (sale.plan, sale.monthly_price, sale.advisor) == ("Fibre Premium", Decimal("39.99"), advisor)
    event = TimelineEvent.objects.filter(case=case, kind="sale").latest("pk")
    assert event.summary == (
        "Sale changed: Fibre 1 Gb/s — plan: Essentiel, 24 months → Fibre Premium; monthly price: 34.99 → 39.99; "
        "advisor: Olivia Owner → Samir Haddad"
    )
    assert event.customer_visible
    page = text(owner_client.get(case_url(case)))
    assert "Sale updated." in page
    assert "plan: Essentiel, 24 months → Fibre Premium" in page


def test_pending_offers_changes_stay_on_the_staff_timeline(owner_client, case: Case, sale: Sale) -> None:
    data = _edit(sale, pending_offers="TV option taken; mobile offer pending")
    assert owner_client.post(case_url(case, "staff:sale_update", sale.pk), data).status_code == 302
    event = TimelineEvent.objects.filter(case=case, kind="sale").latest("pk")
    assert event.summary == (
        "Pending offers on Fibre 1 Gb/s: TV option at half price → TV option taken; mobile offer pending"
    )
    assert not event.customer_visible


def test_an_emptied_price_takes_the_price_off(owner_client, case: Case, sale: Sale) -> None:
    assert (
        owner_client.post(case_url(case, "staff:sale_update", sale.pk), _edit(sale, monthly_price="")).status_code
        == 302
    )
    sale.refresh_from_db()
    assert sale.monthly_price is None
    assert TimelineEvent.objects.filter(case=case, kind="sale").latest("pk").summary == (
        "Sale changed: Fibre 1 Gb/s — monthly price: 34.99 → (none)"
    )


def test_a_sale_saved_unchanged_says_so(owner_client, case: Case, sale: Sale) -> None:
    response = refused(owner_client, case_url(case, "staff:sale_update", sale.pk), _edit(sale))
    assert "Nothing changed: change at least one detail of the sale." in text(response)
    assert f'id="sale-{sale.pk}-errors"' in html(response)


def test_a_bad_change_is_refused_on_its_field(owner_client, case: Case, sale: Sale) -> None:
    response = refused(owner_client, case_url(case, "staff:sale_update", sale.pk), _edit(sale, product="   "))
    assert_field_error(response, f"id_sale-{sale.pk}-product", "Write what was sold.")


def test_a_sale_by_someone_who_left_keeps_its_advisor(owner_client, case: Case, advisor: User) -> None:
    sold = sale_record(actor=case.owner, case=case, product="Fibre", advisor=advisor)
    User.objects.filter(pk=advisor.pk).update(is_active=False)
    page = html(folded_form(owner_client, case, f"sale-{sold.pk}"))
    assert f'<option value="{advisor.pk}" selected>Samir Haddad</option>' in page
    response = owner_client.post(case_url(case, "staff:sale_update", sold.pk), _edit(sold, plan="Family"))
    assert response.status_code == 302
    sold.refresh_from_db()
    assert (sold.plan, sold.advisor_id) == ("Family", advisor.pk)


def test_a_colleague_not_working_on_the_case_sees_the_sale_but_cannot_change_it(
    cast: Cast, sale: Sale, advisor: User
) -> None:
    client = signed_in(cast.other_agent)
    page = html(client.get(case_url(cast.case)))
    assert "Fibre 1 Gb/s" in page
    assert "Record a sale" not in page
    assert "Change the Fibre 1 Gb/s sale" not in page
    with nothing_written():
        recorded = client.post(
            case_url(cast.case, "staff:sale_record"), {"sale-product": "Fibre", "sale-advisor": str(advisor.pk)}
        )
        changed = client.post(case_url(cast.case, "staff:sale_update", sale.pk), _edit(sale, plan="Family"))
    assert (recorded.status_code, changed.status_code) == (403, 403)


def test_a_sale_of_another_case_is_not_found(owner_client, cast: Cast, sale: Sale, other_case: Case) -> None:
    other = sale_record(actor=cast.other_agent, case=other_case, product="Mail", advisor=cast.other_agent)
    response = owner_client.post(case_url(cast.case, "staff:sale_update", other.pk), _edit(other, plan="Pro"))
    assert response.status_code == 404


def test_no_sale_forms_on_a_closed_case(owner_client, case: Case, owner: User, sale: Sale) -> None:
    case = case_resolve(actor=owner, case=case, summary="Fibre works.")
    case_confirm(actor=case.customer.user, case=case)
    page = html(owner_client.get(case_url(case)))
    assert "Record a sale" not in page
    assert "Change the Fibre 1 Gb/s sale" not in page
    response = refused(owner_client, case_url(case, "staff:sale_update", sale.pk), _edit(sale, plan="Family"))
    assert f"Case {case.reference} is closed." in text(response)


def test_the_customer_sees_what_they_bought_in_plain_words(cast: Cast, sale: Sale, advisor: User) -> None:
    client = signed_in(cast.customer.user)
    page = text(client.get(reverse("my:case", args=[cast.case.reference])))
    assert "What you have with us" in page
    assert "Fibre 1 Gb/s Your plan: Essentiel, 24 months. You pay" in page
    assert "a month. You chose it on" in page
    assert "with Olivia Owner." in page
    # Pending offers are staff's working notes.
    assert "TV option" not in page
    sale_update(actor=cast.owner, sale=sale, monthly_price=Decimal("39.99"), advisor=advisor)
    page = text(client.get(reverse("my:case", args=[cast.case.reference])))
    assert "39.99" in page
    assert "with Samir Haddad." in page
    assert "Sale changed: Fibre 1 Gb/s — plan" not in page
    assert "monthly price: 34.99 → 39.99" in page


def test_a_customer_without_a_sale_sees_no_sales_block(cast: Cast) -> None:
    page = text(signed_in(cast.customer.user).get(reverse("my:case", args=[cast.case.reference])))
    assert "What you have with us" not in page
