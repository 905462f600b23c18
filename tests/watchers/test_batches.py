"""Batches of a named size, a bounded run, and a bad row that does not stop the others."""

from datetime import timedelta
from unittest import mock

import pytest

from cases.models import Flag, Promise
from cases.services import promise_make
from cases.services.flags import flag_raise, flags_raise_many
from cases.watchers import watch_stale_promises


@pytest.fixture
def five_overdue(case, owner, clock):
    due = clock.now + timedelta(hours=1)
    promises = [promise_make(actor=owner, case=case, text=f"Call back {n}", due_at=due) for n in range(5)]
    return promises, due + timedelta(minutes=1)


def test_rows_are_read_in_batches_of_the_configured_size(five_overdue, settings):
    settings.WATCHER_BATCH_SIZE = 2
    _promises, after = five_overdue

    result = watch_stale_promises(now=after)

    assert (result.batches, result.examined, result.raised) == (3, 5, 5)


def test_a_run_stops_after_its_batch_budget_and_the_next_run_continues(five_overdue, settings):
    settings.WATCHER_BATCH_SIZE = 2
    settings.WATCHER_MAX_BATCHES_PER_RUN = 2
    _promises, after = five_overdue

    assert watch_stale_promises(now=after).raised == 4
    assert watch_stale_promises(now=after).raised == 1
    assert Flag.objects.count() == 5


def test_a_row_that_fails_is_logged_and_retried_next_run_without_undoing_the_others(five_overdue, caplog):
    promises, after = five_overdue
    broken = promises[2]

    def flaky(**kwargs):
        if kwargs["subject_key"] == f"promise:{broken.pk}":
            raise RuntimeError("database hiccup")
        return flag_raise(**kwargs)

    def flaky_many(**kwargs):
        if any(item.subject_key == f"promise:{broken.pk}" for item in kwargs["items"]):
            raise RuntimeError("database hiccup")
        return flags_raise_many(**kwargs)

    with (
        mock.patch("cases.watchers.promises.flags_raise_many", side_effect=flaky_many),
        mock.patch("cases.watchers.promises.flag_raise", side_effect=flaky),
    ):
        result = watch_stale_promises(now=after)
    assert (result.raised, result.failed) == (4, 1)
    assert "stale_promises watcher failed" in caplog.text
    assert Promise.objects.get(pk=broken.pk).overdue_flagged_at is None  # its savepoint was rolled back

    assert watch_stale_promises(now=after).raised == 1
    assert Flag.objects.count() == 5
