"""The customer's pages cost what the customer's own rows cost: the visibility filter and the
list of customers a user sees are index lookups, never a read of every case or customer."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import policies
from cases.services import message_receive, message_reply, promise_make
from selfservice.selectors import customers_of, customers_seen_by, my_cases
from tests.factories import make_case
from tests.query_plans import plan_of, plan_of_statement, scans_whole


@pytest.mark.parametrize("who", ["customer", "delegate"])
def test_the_cases_a_customer_sees_are_found_through_indexes(cast, who):
    user = cast.customer.user if who == "customer" else cast.delegate
    plan = plan_of(policies.cases_visible_to(user).order_by("-last_activity_at")[:20])
    assert not scans_whole(plan, "cases_case"), plan
    assert not scans_whole(plan, "people_customer"), plan


def test_the_customers_a_user_sees_are_found_through_indexes(cast, django_assert_max_num_queries):
    user = cast.customer.user
    plan = plan_of(customers_seen_by(user))
    assert not scans_whole(plan, "people_customer"), plan
    assert not scans_whole(plan, "cases_case"), plan
    with django_assert_max_num_queries(3):
        assert customers_of(user) == [cast.customer]


def test_a_customer_still_sees_their_own_cases_and_no_one_elses(cast, other_customer):
    other_case = make_case(customer=other_customer, owner=cast.owner)
    assert set(policies.cases_visible_to(cast.customer.user)) == set(cast.customer.cases.all())
    assert other_case not in policies.cases_visible_to(cast.customer.user)


def test_the_customers_of_known_cases_are_found_by_their_ids(cast):
    user = cast.customer.user
    plan = plan_of(customers_seen_by(user, case_customer_ids={cast.customer.pk}))
    assert not scans_whole(plan, "people_customer"), plan


@pytest.mark.parametrize("who", ["customer", "delegate"])
def test_my_cases_reads_the_cards_facts_through_the_cases_ids(cast, who):
    """The promises and messages of the cards, and the customers, are index lookups: the
    statements that replaced the correlated subqueries read no whole table either."""
    user = cast.customer.user if who == "customer" else cast.delegate
    message_receive(actor=cast.customer.user, case=cast.case, body="Any news?")
    message_reply(actor=cast.owner, case=cast.case, body="Tomorrow.")
    promise_make(actor=cast.owner, case=cast.case, text="I call you", due_at=timezone.now() + timedelta(days=1))
    with CaptureQueriesContext(connection) as statements:
        listing = my_cases(user)
    assert [case.pk for case in listing.open] == [cast.case.pk]
    assert listing.open[0].unread_replies == 1 and listing.open[0].next_promise_text == "I call you"
    for statement in statements.captured_queries:
        plan = plan_of_statement(statement["sql"])
        for table in ("cases_case", "people_customer", "cases_message", "cases_promise"):
            assert not scans_whole(plan, table), (statement["sql"], plan)
