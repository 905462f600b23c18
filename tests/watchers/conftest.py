"""Helpers for the watcher tests: a clock the services read, and short ways to look at flags.

Watchers are called with an explicit `now`; services read Django's clock, which `clock`
holds still and moves forward on request, so a test can write "the customer wrote at 9:00,
the reply came at 15:00" without sleeping.
"""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from cases.models import Flag, Notification


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    # One second ahead of the real clock, so rows the fixtures wrote before are in the past.
    moment = Clock(timezone.now().replace(microsecond=0) + timedelta(seconds=1))
    monkeypatch.setattr(timezone, "now", moment)
    return moment


def open_flags(kind: str | None = None) -> list[Flag]:
    flags = Flag.objects.filter(cleared_at__isnull=True).order_by("pk")
    return list(flags.filter(kind=kind) if kind else flags)


def notified(user: object) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("pk"))
