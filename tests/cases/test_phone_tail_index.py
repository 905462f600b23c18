"""Intake and inbound mail recognise a caller by the last nine digits of their number (issue 14):
every spelling of a number meets, and the lookup goes through the index on the stored key's last
nine digits instead of reading every customer (SQLite and PostgreSQL)."""

import pytest

from cases.services.inbound import _customers_known_by
from cases.services.intake import customers_with_contact
from people.contact import phone_ending, same_email
from people.models import Customer
from tests.factories import CustomerFactory
from tests.query_plans import plan_of, scans_whole

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["06 12 34 56 78", "+33 6 12 34 56 78", "0033 (0)6.12.34.56.78", "612345678"])
def test_every_spelling_of_a_whole_number_finds_the_customer(typed: str) -> None:
    known = CustomerFactory(full_name="Léa Caller", phone="+33 6 12 34 56 78")
    CustomerFactory(full_name="Other Number", phone="06 12 34 56 79")
    assert customers_with_contact(phone=typed) == [known]


def test_a_short_number_is_still_matched_by_its_end() -> None:
    known = CustomerFactory(full_name="Short Line", phone="36 30 12")
    assert list(Customer.objects.filter(phone_ending("363012"))) == [known]
    assert list(Customer.objects.filter(phone_ending("3012"))) == [known]


def test_a_foreign_number_meets_its_national_spelling() -> None:
    known = CustomerFactory(full_name="London Flat", phone="+44 20 7946 0958")
    assert customers_with_contact(phone="020 7946 0958") == [known]


@pytest.mark.parametrize("key", ["612345678"])
def test_the_lookup_reads_the_index_not_the_table(key: str) -> None:
    CustomerFactory.create_batch(3)
    plan = plan_of(Customer.objects.filter(phone_ending(key)).order_by())
    assert "customer_phone_tail" in plan and not scans_whole(plan, "people_customer"), plan
    # With the e-mail match beside it (intake and inbound ask for both), still two index lookups.
    plan = plan_of(Customer.objects.filter(phone_ending(key) | same_email("Lea@Example.test")).order_by())
    assert "customer_phone_tail" in plan and "customer_email_upper" in plan, plan
    assert not scans_whole(plan, "people_customer"), plan


def test_an_e_mail_address_matches_in_any_case() -> None:
    known = CustomerFactory(full_name="Léa Caller", email="Lea.Caller@Example.test")
    assert list(Customer.objects.filter(same_email("lea.caller@EXAMPLE.test"))) == [known]
    assert customers_with_contact(email="LEA.CALLER@example.test") == [known]


def test_inbound_mail_finds_the_sender_by_the_same_key() -> None:
    from cases.services.inbound import Sender

    known = CustomerFactory(full_name="Léa Caller", phone="06 12 34 56 78")
    assert list(_customers_known_by(Sender(email="", phone="+33 6 12 34 56 78", name=""))) == [known]
