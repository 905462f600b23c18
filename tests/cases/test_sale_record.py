"""sale_record: what was sold, by whom, lands on the case for support and field staff."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from cases.models import Case, Sale, TimelineDepartment, TimelineEvent
from cases.services import sale_record
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import close_by_confirmation
from tests.factories import DepartmentFactory, make_staff


@pytest.fixture
def advisor(db: None) -> User:
    return make_staff("advisor", department=DepartmentFactory(code="sales"), first_name="Sarah", last_name="Sales")


def test_sale_is_recorded_on_the_sales_timeline(owner: User, case: Case, advisor: User) -> None:
    with events_written() as events:
        sale = sale_record(
            actor=owner,
            case=case,
            product="Fibre 1 Gb/s",
            advisor=advisor,
            plan="Family",
            monthly_price=Decimal("39.99"),
            pending_offers="TV option at half price for 6 months",
        )
    sale.refresh_from_db()
    assert (sale.product, sale.plan, sale.advisor) == ("Fibre 1 Gb/s", "Family", advisor)
    assert sale.sold_at is not None
    event = events.one(TimelineEvent.Kind.SALE)
    assert event.department == TimelineDepartment.SALES
    assert event.customer_visible is True
    assert event.actor_label == "Olivia Owner (Customer relations)"
    assert event.summary == "Sold: Fibre 1 Gb/s — Family, 39.99 per month (advisor Sarah Sales)"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"product": ""}, "product", "what was sold"),
        ({"monthly_price": Decimal("-1")}, "monthly_price", "cannot be negative"),
        ({"advisor": None}, "advisor", "Choose a member of staff"),
    ],
)
def test_bad_sale_is_refused(owner: User, case: Case, advisor: User, changes: dict, field: str, words: str) -> None:
    arguments = {"actor": owner, "case": case, "product": "Fibre", "advisor": advisor, **changes}
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        sale_record(**arguments)
    assert refused.value.field == field
    assert words in refused.value.message


def test_advisor_must_be_active_staff(owner: User, case: Case, advisor: User, contractor_user: User) -> None:
    User.objects.filter(pk=advisor.pk).update(is_active=False)
    advisor.refresh_from_db()
    for wrong in (advisor, case.customer.user, contractor_user):
        with nothing_written(), pytest.raises(RuleViolation) as refused:
            sale_record(actor=owner, case=case, product="Fibre", advisor=wrong)
        assert refused.value.field == "advisor"


def test_outsiders_cannot_record_sales(case: Case, advisor: User, other_agent: User, contractor_user: User) -> None:
    for outsider in (advisor, other_agent, case.customer.user, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            sale_record(actor=outsider, case=case, product="Fibre", advisor=advisor)


def test_no_sale_on_a_closed_case(owner: User, case: Case, advisor: User) -> None:
    close_by_confirmation(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        sale_record(actor=owner, case=case, product="Fibre", advisor=advisor)
    assert refused.value.code == "closed"


def test_database_refuses_a_negative_price(owner: User, case: Case, advisor: User) -> None:
    sale = sale_record(actor=owner, case=case, product="Fibre", advisor=advisor, monthly_price=Decimal("10"))
    with pytest.raises(IntegrityError, match="sale_price_not_negative"), transaction.atomic():
        Sale.objects.filter(pk=sale.pk).update(monthly_price=Decimal("-10"))
