"""The customer's pages cost what the customer's own rows cost: the visibility filter and the
list of customers a user sees are index lookups, never a read of every case or customer."""

import re

import pytest
from django.db import connection

from cases import policies
from selfservice.selectors import customers_of, visible_cases
from tests.factories import make_case


def _plan(queryset) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # tiny test tables: ask what it would use
    return queryset.explain()


def _scans_whole(plan: str, table: str) -> bool:
    if connection.vendor == "postgresql":
        return re.search(rf"Seq Scan on {table}\b", plan) is not None
    # SQLite: "SCAN t" reads the table; "SCAN t USING INDEX i" reads all of an index just the same.
    return re.search(rf"\bSCAN {table}\b", plan) is not None


@pytest.mark.parametrize("who", ["customer", "delegate"])
def test_the_cases_a_customer_sees_are_found_through_indexes(cast, who):
    user = cast.customer.user if who == "customer" else cast.delegate
    plan = _plan(policies.cases_visible_to(user).order_by("-last_activity_at")[:20])
    assert not _scans_whole(plan, "cases_case"), plan
    assert not _scans_whole(plan, "people_customer"), plan


def test_the_customers_a_user_sees_are_found_through_indexes(cast, django_assert_max_num_queries):
    from django.db.models import Q

    from people.models import Customer

    user = cast.customer.user
    query = Customer.objects.filter(Q(pk__in=visible_cases(user).values("customer_id")) | Q(user=user))
    plan = _plan(query)
    assert not _scans_whole(plan, "people_customer"), plan
    assert not _scans_whole(plan, "cases_case"), plan
    with django_assert_max_num_queries(3):
        assert customers_of(user) == [cast.customer]


def test_a_customer_still_sees_their_own_cases_and_no_one_elses(cast, other_customer):
    other_case = make_case(customer=other_customer, owner=cast.owner)
    assert set(policies.cases_visible_to(cast.customer.user)) == set(cast.customer.cases.all())
    assert other_case not in policies.cases_visible_to(cast.customer.user)
