"""Whether the watchers run: each finished task run records a heartbeat; managers see a banner on
the staff pages and /health/watchers/ answers 503 once a watcher has not finished a run for
WATCHER_STALE_MINUTES (cases/watchers/liveness.py)."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import tasks
from cases.models import WatcherHeartbeat
from cases.watchers import WATCHERS
from cases.watchers.liveness import record_completed_run
from tests.staff_ui.conftest import signed_in

HEALTH = reverse("health_watchers")
WORKLIST = reverse("staff:worklist")
BANNER = "The watchers have not run since"


@pytest.fixture(autouse=True)
def _five_minutes(settings):
    settings.WATCHER_STALE_MINUTES = 5


def _all_ran(minutes_ago: float) -> None:
    for name in WATCHERS:
        record_completed_run(name, now=timezone.now() - timedelta(minutes=minutes_ago))


def test_a_finished_task_run_records_its_heartbeat(db):
    tasks.run_watcher.apply(args=["stale_promises"]).get()
    tasks.run_watcher.apply(args=["stale_promises"]).get()  # the second run moves it, no duplicate

    (beat,) = WatcherHeartbeat.objects.all()
    assert beat.name == "stale_promises"
    assert timezone.now() - beat.last_completed_at < timedelta(minutes=1)


def test_a_run_that_fails_records_no_heartbeat(db, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setitem(WATCHERS, "stale_promises", broken)
    with pytest.raises(RuntimeError):
        tasks.run_watcher.apply(args=["stale_promises"]).get()
    assert not WatcherHeartbeat.objects.exists()


def test_health_is_ok_while_every_watcher_ran_lately(db):
    _all_ran(minutes_ago=4)

    response = Client().get(HEALTH)

    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["status"] == "ok"
    assert set(body["watchers"]) == set(WATCHERS)
    assert all(body["watchers"].values())
    assert response["Cache-Control"].startswith("max-age=0")


def test_health_is_stale_when_one_watcher_stopped_or_never_ran(db):
    _all_ran(minutes_ago=1)
    record_completed_run("escalations", now=timezone.now() - timedelta(minutes=6))
    assert Client().get(HEALTH).status_code == 503

    WatcherHeartbeat.objects.filter(name="escalations").delete()
    response = Client().get(HEALTH)
    assert response.status_code == 503
    assert json.loads(response.content)["watchers"]["escalations"] is None


def test_managers_see_the_banner_only_when_a_watcher_is_stale(manager, owner):
    _all_ran(minutes_ago=1)
    assert BANNER not in signed_in(manager).get(WORKLIST).content.decode()

    stopped = timezone.now() - timedelta(minutes=7)
    record_completed_run("silent_cases", now=stopped)
    page = signed_in(manager).get(WORKLIST).content.decode()
    assert f"{BANNER} {timezone.localtime(stopped):%H:%M}" in page
    assert "Check the worker and beat." in page

    assert BANNER not in signed_in(owner).get(WORKLIST).content.decode()  # agents are not told


def test_a_database_where_no_watcher_ever_ran_shows_no_banner(manager):
    assert BANNER not in signed_in(manager).get(WORKLIST).content.decode()
    assert Client().get(HEALTH).status_code == 503  # the monitor is told, though
