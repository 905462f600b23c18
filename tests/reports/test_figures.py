"""The report figures against the same counts written by hand in SQL, on the hand-built history."""

import statistics
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils.dateparse import parse_datetime

from reports import selectors
from reports.period import Period
from reports.tables import TABLES

pytestmark = pytest.mark.django_db


def _figures(table: str, *, by: str = "owner", owners=None) -> dict[tuple, dict[str, object]]:
    """Each row's cells by column key, keyed by (group, *dims)."""
    report = selectors.report_table(TABLES[table], period=Period.last_days(), owners=owners, by=by)
    return {(row.group, *row.dims.values()): {cell.column.key: cell.value for cell in row.cells} for row in report.rows}


def _sql(query: str, *params: object) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def _bounds() -> tuple[datetime, datetime]:
    period = Period.last_days()
    return period.since, period.until


def _moment(value: object) -> datetime:
    return value if isinstance(value, datetime) else parse_datetime(str(value))


def test_promise_counts_match_sql(history):
    since, until = _bounds()
    figures = _figures("promises")
    for status, column in (("broken", "broken"), ("withdrawn", "withdrawn")):
        expected = _sql(
            "SELECT c.owner_id, COUNT(*) FROM cases_promise p JOIN cases_case c ON c.id = p.case_id "
            "WHERE p.status = %s AND p.created_at >= %s AND p.created_at < %s GROUP BY c.owner_id",
            status,
            since,
            until,
        )
        assert expected
        for owner_id, count in expected:
            assert figures[(str(owner_id),)][column] == count
    owner = str(history.cast.owner.pk)
    assert figures[(owner,)]["made"] == 6
    assert (figures[(owner,)]["kept"], figures[(owner,)]["kept_late"], figures[(owner,)]["overdue"]) == (1, 1, 1)
    # Kept on time out of kept (2), broken (1) and open past due (1); withdrawn and not-yet-due left out.
    assert figures[(owner,)]["kept_rate"] == pytest.approx(25.0)


def test_reply_figures_match_sql(history):
    since, until = _bounds()
    figures = _figures("responses")
    rows = _sql(
        "SELECT c.owner_id, m.created_at, m.answered_at FROM cases_message m JOIN cases_case c ON c.id = m.case_id "
        "WHERE m.direction = 'inbound' AND m.is_automatic = %s AND m.created_at >= %s AND m.created_at < %s",
        False,
        since,
        until,
    )
    by_owner: dict[str, list] = {}
    for owner_id, created, answered in rows:
        by_owner.setdefault(str(owner_id), []).append((_moment(created), answered and _moment(answered)))
    for owner_id, messages in by_owner.items():
        spans = [answered - created for created, answered in messages if answered]
        assert figures[(owner_id,)]["received"] == len(messages)
        assert figures[(owner_id,)]["answered"] == len(spans)
        assert figures[(owner_id,)]["median"] == statistics.median(spans)
    # Within the target or not, written again by hand: the verdict the reply service stored on
    # answered messages, the case's own deadline for those still waiting.
    verdicts = _sql(
        "SELECT c.owner_id, "
        "SUM(CASE WHEN m.answered_at IS NOT NULL AND NOT m.answered_late THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN m.answered_late OR (m.answered_at IS NULL AND c.reply_due_at < %s) THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN m.answered_at IS NULL THEN 1 ELSE 0 END) "
        "FROM cases_message m JOIN cases_case c ON c.id = m.case_id "
        "WHERE m.direction = 'inbound' AND m.is_automatic = %s AND m.created_at >= %s AND m.created_at < %s "
        "GROUP BY c.owner_id",
        history.now + timedelta(minutes=5),
        False,
        since,
        until,
    )
    assert verdicts
    for owner_id, on_time, late, waiting in verdicts:
        assert (figures[(str(owner_id),)]["on_time"], figures[(str(owner_id),)]["late"]) == (on_time, late)
        assert figures[(str(owner_id),)]["waiting"] == waiting
    owner = str(history.cast.owner.pk)
    assert figures[(owner,)]["median"] == timedelta(hours=5)
    # The 5-hour reply went after the case's reply deadline; the other two came in time.
    assert (figures[(owner,)]["on_time"], figures[(owner,)]["late"], figures[(owner,)]["waiting"]) == (2, 1, 1)
    assert figures[(owner,)]["on_time_share"] == pytest.approx(200 / 3)


def test_flag_survey_and_contractor_counts_match_sql(history):
    since, until = _bounds()
    flags = _figures("flags")
    expected = _sql(
        "SELECT c.owner_id, f.kind, COUNT(*), MAX(f.level) FROM cases_flag f JOIN cases_case c ON c.id = f.case_id "
        "WHERE f.raised_at >= %s AND f.raised_at < %s GROUP BY c.owner_id, f.kind",
        since,
        until,
    )
    assert len(expected) == len(flags)
    for owner_id, kind, count, highest in expected:
        assert flags[(str(owner_id), kind)]["raised"] == count
        assert flags[(str(owner_id), kind)]["highest"] == highest

    surveys = _figures("surveys", by="department")
    for department_id, score, count in _sql(
        "SELECT p.department_id, s.score, COUNT(*) FROM cases_survey s JOIN cases_case c ON c.id = s.case_id "
        "JOIN people_staffprofile p ON p.user_id = c.owner_id "
        "WHERE s.submitted_at >= %s AND s.submitted_at < %s GROUP BY p.department_id, s.score",
        since,
        until,
    ):
        assert surveys[(str(department_id),)][f"score{score}"] == count

    cancellations = _figures("cancellations", by="company")
    expected = _sql(
        "SELECT j.company_id, x.reason, COUNT(*) FROM contractors_jobcancellation x "
        "JOIN contractors_job j ON j.id = x.job_id WHERE x.cancelled_at >= %s AND x.cancelled_at < %s "
        "GROUP BY j.company_id, x.reason",
        since,
        until,
    )
    assert expected
    for company_id, reason, count in expected:
        assert cancellations[(str(company_id),)][reason] == count


def test_handoff_and_resolution_figures(history):
    since, until = _bounds()
    owner = str(history.cast.owner.pk)
    handoffs = _figures("handoffs")
    ((received, acknowledged),) = _sql(
        "SELECT COUNT(*), COUNT(acknowledged_at) FROM cases_handoff WHERE to_user_id = %s "
        "AND created_at >= %s AND created_at < %s",
        int(owner),
        since,
        until,
    )
    assert (handoffs[(owner,)]["received"], handoffs[(owner,)]["acknowledged"]) == (received, acknowledged) == (1, 1)
    assert handoffs[(owner,)]["median"] == timedelta(hours=3)

    resolutions = _figures("resolutions")
    # Resolved twice (rejected once in between, then confirmed) on the case handed to the owner.
    assert {key: resolutions[(owner,)][key] for key in ("resolved", "reopened", "rejected", "confirmed")} == {
        "resolved": 2,
        "reopened": 1,
        "rejected": 1,
        "confirmed": 1,
    }
    assert resolutions[(owner,)]["reopen_rate"] == pytest.approx(50.0)
    ((confirmed,),) = _sql(
        "SELECT COUNT(*) FROM cases_timelineevent WHERE kind = 'confirmed' AND created_at >= %s AND created_at < %s",
        since,
        until,
    )
    assert sum(row["confirmed"] for row in resolutions.values()) == confirmed == 2


def test_a_period_before_the_history_counts_nothing(history):
    long_ago = Period(start=history.now.date() - timedelta(days=400), end=history.now.date() - timedelta(days=100))
    for table in TABLES.values():
        assert selectors.report_table(table, period=long_ago, owners=None, by="owner").rows == []


def test_every_grouping_draws_its_chart(history):
    for by in selectors.GROUPINGS:
        for report in selectors.report_tables(period=Period.last_days(), owners=None, by=by):
            assert report.bars, (by, report.table.key)
