"""The customer's pages cost what the customer's own rows cost: the visibility filter and the
list of customers a user sees are index lookups, never a read of every case or customer."""

import pytest

from cases import policies
from people.models import Customer
from selfservice.selectors import customers_of, visible_cases
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
    own = Customer.objects.filter(user=user).order_by().values("pk")
    query = Customer.objects.filter(pk__in=visible_cases(user).order_by().values("customer_id").union(own, all=True))
    plan = plan_of(query)
    assert not scans_whole(plan, "people_customer"), plan
    assert not scans_whole(plan, "cases_case"), plan
    with django_assert_max_num_queries(3):
        assert customers_of(user) == [cast.customer]


def test_a_customer_still_sees_their_own_cases_and_no_one_elses(cast, other_customer):
    other_case = make_case(customer=other_customer, owner=cast.owner)
    assert set(policies.cases_visible_to(cast.customer.user)) == set(cast.customer.cases.all())
    assert other_case not in policies.cases_visible_to(cast.customer.user)
