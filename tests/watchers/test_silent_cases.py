from datetime import timedelta

import pytest

from cases.models import Flag
from cases.services import case_resolve, message_reply
from cases.watchers import watch_silent_cases
from tests.watchers.conftest import open_flags

SILENT = Flag.Kind.SILENT_CASE


@pytest.fixture(autouse=True)
def _five_days(settings):
    settings.SILENT_CASE_DAYS = 5


def test_case_nobody_contacted_since_opening_is_flagged_after_n_days(case, owner, clock):
    opened = case.created_at

    assert watch_silent_cases(now=opened + timedelta(days=4, hours=23)).raised == 0
    assert watch_silent_cases(now=opened + timedelta(days=5, minutes=1)).raised == 1
    [flag] = open_flags(SILENT)
    assert (flag.case, flag.assignee) == (case, owner)
    assert "since the case was opened" in flag.summary


def test_silence_counts_from_the_last_contact_and_contact_clears(case, owner, clock):
    message_reply(actor=owner, case=case, body="I am your contact from now on.")
    contacted = clock.now

    assert watch_silent_cases(now=contacted + timedelta(days=4)).raised == 0
    clock.now = contacted + timedelta(days=5, minutes=1)
    assert watch_silent_cases(now=clock.now).raised == 1
    assert "since the last contact" in open_flags(SILENT)[0].summary
    assert watch_silent_cases(now=clock.now + timedelta(hours=1)).raised == 0  # flagged once per silence

    clock.advance(hours=2)
    message_reply(actor=owner, case=case, body="Sorry for the silence: here is where we are.")
    assert open_flags(SILENT) == []

    assert watch_silent_cases(now=clock.now + timedelta(days=4)).raised == 0
    assert watch_silent_cases(now=clock.now + timedelta(days=5, minutes=1)).raised == 1  # a new silence


def test_resolved_cases_are_not_watched_for_silence(case, owner, clock):
    case_resolve(actor=owner, case=case, summary="Socket installed and tested")

    assert watch_silent_cases(now=clock.now + timedelta(days=30)).examined == 0


def test_silent_cases_are_flagged_by_the_batch_without_falling_back(case, other_case, owner, clock, caplog):
    """The row-by-row fallback flags the same cases, so a batch that fails every time must show in the log."""
    message_reply(actor=owner, case=case, body="I am your contact from now on.")
    with caplog.at_level("WARNING", logger="cases.watchers"):
        result = watch_silent_cases(now=clock.now + timedelta(days=30))
    assert result.raised == 2
    assert {flag.case for flag in open_flags(SILENT)} == {case, other_case}
    assert "a batch failed" not in caplog.text
