"""The reports read a period's rows through the index on their date, never a whole table: each
table's grouped query, each median's query and a drill-down, for a head of department and for a
superuser, by owner and by contractor company (the company grouping adds a query per row on the
jobs of its case, by the case's index). What a query reads is in its plan (tests/query_plans.py)."""

import pytest
from django.utils import timezone

from cases import policies
from reports import selectors
from reports.period import Period
from reports.tables import TABLES
from tests.query_plans import plan_of, plan_of_sql, scans_whole

pytestmark = pytest.mark.django_db

# Every table a report query may touch: its own rows, and the cases and jobs it joins.
READ = ["cases_message", "cases_case", "cases_promise", "cases_flag", "cases_handoff", "cases_timelineevent"]
READ += ["cases_survey", "contractors_job", "contractors_jobcancellation", "contractors_incidentreport"]


def _whole_scans(plan: str) -> list[str]:
    return [table for table in READ if scans_whole(plan, table)]


@pytest.mark.parametrize("by", ["owner", "company"])
@pytest.mark.parametrize("reader", ["head", "superuser"])
@pytest.mark.parametrize("key", list(TABLES))
def test_a_report_reads_the_periods_rows_by_their_date(cast, key, reader, by):
    table, now = TABLES[key], timezone.now()
    owners = policies.report_owners_for(cast.head) if reader == "head" else None
    period = Period.last_days()
    grouped = selectors.grouped_rows(table, period=period, owners=owners, by=by, now=now)
    plan = plan_of(grouped)
    assert not _whole_scans(plan), plan
    rows = selectors.scoped_rows(table, period=period, owners=owners, by=by, now=now)
    for column in table.columns:
        if column.kind == "median":
            plan = plan_of_sql(selectors.middle_rows(rows, table, column, ["report_group", *table.dims]))
            assert not _whole_scans(plan), plan
