"""/health/ (liveness) and /health/ready/ (readiness) for load balancers, deploys and monitors:
JSON of a fixed shape, 200 or 503, no sign-in, and never a host name, password or error text."""

import json

import pytest
from django.core.files.storage import storages
from django.test import Client
from django.urls import reverse

from cases.watchers import WATCHERS
from cases.watchers.liveness import record_completed_run
from tests.outages import REDIS_STOPPED, database_down
from tests.test_security_headers import assert_security_headers

LIVE = "/health/"
READY = "/health/ready/"
CHECKS = {"database", "cache", "broker", "storage", "watchers"}


def _all_watchers_ran() -> None:
    for name in WATCHERS:
        record_completed_run(name)


def _body(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def test_the_urls_are_the_ones_load_balancers_are_told() -> None:
    assert (reverse("health_live"), reverse("health_ready")) == (LIVE, READY)


def test_liveness_answers_without_the_database(db, django_assert_num_queries) -> None:
    with database_down(), django_assert_num_queries(0):
        response = Client().get(LIVE)
    assert response.status_code == 200
    assert _body(response) == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_ready_is_ok_when_everything_answers(db, django_assert_max_num_queries) -> None:
    _all_watchers_ran()
    # SELECT 1 and the heartbeats: nothing heavy on each probe.
    with django_assert_max_num_queries(2):
        response = Client().get(READY)
    assert response.status_code == 200
    assert _body(response) == {"status": "ok", "checks": dict.fromkeys(CHECKS, "ok")}
    assert "no-store" in response["Cache-Control"]


def test_ready_fails_with_503_when_the_database_is_down_and_says_nothing_about_it(db) -> None:
    _all_watchers_ran()
    with database_down():  # its error names the host "db" at 10.0.0.5
        response = Client().get(READY)
    assert response.status_code == 503
    body = _body(response)
    assert body["status"] == "failing"
    assert body["checks"]["database"] == "failing"
    assert body["checks"]["watchers"] == "failing"  # read from the same database
    assert body["checks"]["storage"] == "ok"
    text = response.content.decode()
    for secret in ("10.0.0.5", "5432", "Connection refused", "Unavailable", "db"):
        assert secret not in text


def test_a_stopped_cache_fails_readiness(db, settings) -> None:
    _all_watchers_ran()
    settings.CACHES = REDIS_STOPPED
    response = Client().get(READY)
    assert response.status_code == 503
    assert _body(response)["checks"] == {**dict.fromkeys(CHECKS, "ok"), "cache": "failing"}
    assert "127.0.0.1" not in response.content.decode()


def test_an_unreachable_broker_fails_readiness(db, settings) -> None:
    from portal.celery import app

    _all_watchers_ran()
    original = app.conf.broker_url
    app.conf.broker_url = "redis://:hunter2@127.0.0.1:1/0"  # nobody listens on port 1
    try:
        response = Client().get(READY)
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert _body(response)["checks"]["broker"] == "failing"
    assert "hunter2" not in response.content.decode()


def test_stale_watchers_fail_readiness(db) -> None:
    response = Client().get(READY)  # no watcher ever ran in this database
    assert response.status_code == 503
    assert _body(response)["checks"] == {**dict.fromkeys(CHECKS, "ok"), "watchers": "failing"}


def test_storage_that_cannot_write_fails_readiness_and_leaves_no_file(db, monkeypatch) -> None:
    _all_watchers_ran()
    storage = storages["default"]

    def refuse(name, content, max_length=None):
        raise PermissionError(f"[Errno 13] Permission denied: '/srv/steward/media/{name}'")

    monkeypatch.setattr(storage, "_save", refuse)
    response = Client().get(READY)
    assert response.status_code == 503
    assert _body(response)["checks"]["storage"] == "failing"
    assert "/srv/steward" not in response.content.decode()


def test_the_storage_check_cleans_up_after_itself(db, settings) -> None:
    _all_watchers_ran()
    assert Client().get(READY).status_code == 200
    probes = settings.MEDIA_ROOT / "health_check_storage_test"
    assert not probes.exists() or not any(probes.iterdir())


@pytest.mark.parametrize("path", [LIVE, READY])
def test_probes_from_the_load_balancer_skip_the_host_check_and_https_redirect(db, settings, path) -> None:
    """A load balancer asks each machine by its address, over plain HTTP."""
    _all_watchers_ran()
    settings.ALLOWED_HOSTS = ["steward.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get(path, HTTP_HOST="10.1.2.3:8000").status_code == 200
    # Only the probes: every other address still refuses an unknown host.
    assert Client().get(reverse("login"), HTTP_HOST="10.1.2.3:8000").status_code == 400
    assert Client().get(reverse("health_watchers"), HTTP_HOST="10.1.2.3:8000").status_code == 400


@pytest.mark.parametrize("path", [LIVE, READY])
def test_probes_carry_the_security_headers_of_every_response(db, path) -> None:
    _all_watchers_ran()
    response = Client().get(path)
    assert_security_headers(response)
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", [LIVE, READY])
def test_probes_take_only_get_and_head(db, path) -> None:
    _all_watchers_ran()
    assert Client().head(path).status_code == 200
    assert Client().post(path).status_code == 405


def test_the_watchers_endpoint_still_answers_with_its_own_shape(db) -> None:
    _all_watchers_ran()
    response = Client().get(reverse("health_watchers"))
    assert response.status_code == 200
    assert set(_body(response)["watchers"]) == set(WATCHERS)
