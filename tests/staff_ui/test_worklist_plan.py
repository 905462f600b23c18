"""The worklist's first page is read from the owner's index in the page's order: it reads neither
every case nor every case of the owner (no sort of them all), on SQLite and PostgreSQL alike."""

import re

import pytest
from django.db import connection

from cases import selectors
from tests.factories import make_case
from tests.query_plans import plan_of, scans_whole


def sorts_everything(plan: str) -> bool:
    """Whether the database sorts the rows it read to find the first ones (a top-N sort over
    every matching case) instead of reading them in order from an index."""
    if connection.vendor == "postgresql":
        return re.search(r"\bSort\b", plan) is not None
    return "USE TEMP B-TREE FOR ORDER BY" in plan


@pytest.mark.parametrize("who", ["owner", "manager"])
def test_the_worklist_first_page_reads_the_owner_s_index_in_order(cast, who):
    for n in range(3):
        make_case(customer=cast.customer, owner=cast.owner, subject=f"case {n}")
    reader = getattr(cast, who)
    query = selectors.worklist_window(reader, owner=cast.owner, filters=selectors.WorklistFilters())
    plan = plan_of(query)
    assert "case_worklist_attention" in plan, plan
    assert not scans_whole(plan, "cases_case"), plan
    assert not sorts_everything(plan), plan


def test_the_next_page_too(cast):
    for n in range(3):
        make_case(customer=cast.customer, owner=cast.owner, subject=f"case {n}")
    first = selectors.worklist_for(cast.owner, owner=cast.owner, filters=selectors.WorklistFilters(), size=2)
    assert first.next_cursor
    query = selectors.worklist_window(
        cast.owner, owner=cast.owner, filters=selectors.WorklistFilters(), cursor=first.next_cursor, size=2
    )
    plan = plan_of(query)
    assert "case_worklist_attention" in plan, plan
    assert not scans_whole(plan, "cases_case"), plan
