"""Staff may see every case, so what they read is filtered by nothing else: no
`case_id IN (SELECT id FROM cases_case)` that reads every case to learn nothing."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import policies, selectors
from cases.models import Flag
from tests.query_plans import plan_of, plan_of_statement, scans_whole


@pytest.mark.parametrize("who", ["owner", "manager", "head"])
def test_the_flags_queue_of_staff_does_not_read_every_case(cast, who):
    user = getattr(cast, who)
    plan = plan_of(selectors.flags_waiting_for(user))
    assert not scans_whole(plan, "cases_case"), plan


def test_staff_still_see_case_flags_and_only_their_own_case_less_ones(cast, other_agent):
    def flag(case, kind, assignee, key):
        return Flag.objects.create(
            case=case, kind=kind, assignee=assignee, subject_key=key, summary="x", raised_at=timezone.now()
        )

    on_case = flag(cast.case, Flag.Kind.HELP_REQUESTED, other_agent, "help:1")
    mine = flag(None, Flag.Kind.EMERGING_INCIDENT, cast.manager, "incident:1")
    theirs = flag(None, Flag.Kind.EMERGING_INCIDENT, other_agent, "incident:2")
    seen = set(selectors.flags_visible_to(cast.manager))
    assert {on_case, mine} <= seen
    assert theirs not in seen


def test_a_person_s_flags_page_reads_its_rows_in_order_off_the_index(cast):
    """The queue's order (level first, then the oldest) is the index's: a person with thousands of
    open flags gets the first page without every one of them being read and sorted."""
    for level in (1, 2, 3):
        for number in range(3):
            Flag.objects.create(
                case=cast.case,
                kind=Flag.Kind.HELP_REQUESTED,
                assignee=cast.owner,
                subject_key=f"help:{level}:{number}",
                summary="x",
                level=level,
                raised_at=timezone.now(),
            )
    with CaptureQueriesContext(connection) as captured:
        page = selectors.flags_queue_for(cast.owner, mine_only=True, size=4)
    assert [flag.level for flag in page.items] == [3, 3, 3, 2]
    queue = 'SELECT "cases_flag"'
    [statement] = [query["sql"] for query in captured.captured_queries if query["sql"].startswith(queue)]
    plan = plan_of_statement(statement)
    assert "flag_open_assignee" in plan, plan
    if connection.vendor == "sqlite":
        assert "B-TREE FOR" not in plan, plan  # no sort of the rows found
    else:
        assert "Sort" not in plan, plan


@pytest.mark.parametrize("who", ["owner", "manager", "head"])
def test_the_count_of_flags_waiting_is_read_off_the_index(cast, who):
    plan = plan_of(selectors.flags_waiting_for(getattr(cast, who)).order_by().values("pk"))
    assert not scans_whole(plan, "cases_flag"), plan
    if connection.vendor == "sqlite":  # PostgreSQL picks among the open-flag indexes by statistics
        assert "COVERING INDEX flag_open_assignee" in plan, plan


def test_the_team_view_counts_its_members_cases_off_the_index(cast):
    with CaptureQueriesContext(connection) as captured:
        selectors.team_load_for(cast.manager)
    [counts] = [query["sql"] for query in captured.captured_queries if '"open_cases"' in query["sql"]]
    plan = plan_of_statement(counts)
    assert not scans_whole(plan, "cases_case"), plan
    if connection.vendor == "sqlite":  # PostgreSQL picks among the owner indexes by statistics
        assert "COVERING INDEX case_owner_status" in plan, plan


def test_help_asked_of_a_person_is_read_without_their_other_open_flags(cast, other_agent):
    Flag.objects.create(
        case=cast.case,
        kind=Flag.Kind.HELP_REQUESTED,
        assignee=other_agent,
        subject_key="help:1",
        summary="x",
        raised_at=timezone.now(),
    )
    with CaptureQueriesContext(connection) as captured:
        asked = selectors.help_requests_for(other_agent)
    assert [flag.subject_key for flag in asked] == ["help:1"]
    plan = plan_of_statement(captured.captured_queries[-1]["sql"])
    assert not scans_whole(plan, "cases_flag"), plan
    if connection.vendor == "sqlite":
        assert "flag_help_waiting" in plan, plan


def test_a_case_s_timeline_reads_its_own_and_its_merged_cases_by_index(cast):
    if connection.vendor == "sqlite":
        # The statistics of a real database (ANALYZE at 130k cases, 1M events): merged_into is
        # empty on all but a few cases, which made "pk = X OR merged_into = X" read all of it.
        with (
            connection.cursor() as cursor,
            _statistics(
                cursor,
                {
                    ("cases_case", None): "130000",
                    ("cases_case", "merged_into_id"): "130000 130000",
                    ("cases_timelineevent", None): "1000000",
                    ("cases_timelineevent", "case_id"): "1000000 9",
                },
            ),
        ):
            plan = plan_of(policies.timeline_for(cast.owner, cast.case).order_by("-created_at", "-pk")[:100])
    else:
        plan = plan_of(policies.timeline_for(cast.owner, cast.case).order_by("-created_at", "-pk")[:100])
    assert not scans_whole(plan, "cases_case"), plan
    assert not scans_whole(plan, "cases_timelineevent"), plan
    if connection.vendor == "sqlite":  # not even the whole of an index of cases
        assert "SCAN" not in plan, plan


@contextmanager
def _statistics(cursor, stats: dict[tuple[str, str | None], str]) -> Iterator[None]:
    """SQLite's planner given the statistics of a big database (sqlite_stat1 rows for a table,
    or for its index on one column), and none again afterwards."""
    cursor.execute("ANALYZE")  # creates sqlite_stat1
    cursor.execute("DELETE FROM sqlite_stat1")
    for (table, column), stat in stats.items():
        index = None
        if column is not None:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql LIKE %s",
                [table, f'%("{column}")'],
            )
            [(index,)] = cursor.fetchall()
        cursor.execute("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)", [table, index, stat])
    cursor.execute("ANALYZE sqlite_schema")  # the planner reads them
    try:
        yield
    finally:
        cursor.execute("DELETE FROM sqlite_stat1")
        cursor.execute("ANALYZE sqlite_schema")
