"""The customer's pages cost what the customer's own rows cost: the visibility filter and the
list of customers a user sees are index lookups, never a read of every case or customer."""

import pytest

from cases import policies
from selfservice.selectors import customers_of, customers_seen_by
from tests.factories import make_case
from tests.query_plans import plan_of, scans_whole


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
