"""Story dates are relative to now: "back Monday" is overdue whatever day the demo loads,
and Django's clock always comes back from a replayed moment."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.demo.clock import Calendar, clock_at, last_monday
from cases.demo.fibre import BACK_MONDAY
from cases.demo.stories import load_stories
from cases.models import Promise, TimelineEvent


@pytest.mark.parametrize("weekday", [0, 1], ids=["monday", "tuesday"])
def test_back_monday_is_overdue_even_right_after_midnight(db: None, weekday: int) -> None:
    """On a Monday night "last Monday" is a week ago; on a Tuesday night it is yesterday."""
    monday = last_monday(timezone.localdate())
    now = Calendar(timezone.now()).on(monday + timedelta(days=weekday), "00:30")
    load_stories(now=now)
    promise = Promise.objects.get(text=BACK_MONDAY)
    assert promise.due_at < now
    assert now - promise.due_at < timedelta(days=8)
    assert not TimelineEvent.objects.filter(created_at__gt=now).exists()


@pytest.mark.parametrize("today_weekday", range(7))
def test_last_monday_is_strictly_before_today(today_weekday: int) -> None:
    monday = last_monday(timezone.localdate())
    today = monday + timedelta(days=7 + today_weekday)
    found = last_monday(today)
    assert found.weekday() == 0 and 1 <= (today - found).days <= 7


def test_clock_at_sets_and_always_restores_djangos_clock() -> None:
    moment = timezone.now() - timedelta(days=30)
    with pytest.raises(RuntimeError), clock_at(moment):
        assert timezone.now() == moment
        raise RuntimeError("a step failed")
    assert timezone.now() - moment > timedelta(days=29)
