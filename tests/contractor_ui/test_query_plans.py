"""The jobs list costs what the company's jobs of the tab cost: the tab's page and its count
search the company's jobs by visit date (index job_company_window), and the tab counts read
that index instead of every row of the company's jobs."""

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contractors import selectors

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's plan wording")


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(row[-1] for row in cursor.fetchall())


def test_the_today_tab_and_its_count_search_the_company_jobs_by_visit_date(contractor_user: User) -> None:
    rows = selectors.job_rows(selectors.filtered_jobs(contractor_user), "today", timezone.now())
    by_date = r"SEARCH contractors_job USING (COVERING )?INDEX job_company_window \(company_id=\? AND window_start>\?"
    for query in (rows[:51], rows.order_by().values("pk")):
        plan = query.explain()
        assert re.search(by_date, plan), plan


def test_the_tab_counts_read_the_index_not_the_jobs(contractor_user: User) -> None:
    with CaptureQueriesContext(connection) as statements:
        selectors.tab_counts(selectors.filtered_jobs(contractor_user), timezone.now())
    plan = _plan(statements.captured_queries[-1]["sql"])
    assert "SEARCH contractors_job USING COVERING INDEX job_company_window (company_id=?)" in plan, plan
