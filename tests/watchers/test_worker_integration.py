"""One real Celery worker on a real Redis broker, driven like beat drives it.

Skipped unless STEWARD_TEST_REDIS_URL is set (the CI script starts redis-server and sets it);
when it is set, an unreachable Redis is a failure, not a skip. The worker and this test share
a database: on PostgreSQL the test database (committed, through transactional_db), on SQLite
a scratch file migrated for the occasion.
"""

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

# Committed rows on PostgreSQL (the worker reads the test database), flushed after each test.
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)
TIMEOUT = 90


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("STEWARD_TEST_REDIS_URL", "")
    if not url:
        pytest.skip("STEWARD_TEST_REDIS_URL is not set: no Redis server to run a worker against")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.exceptions.RedisError as exc:
        pytest.fail(f"STEWARD_TEST_REDIS_URL is {url} but Redis does not answer there: {exc}")
    return url


@pytest.fixture
def worker_database_url(tmp_path: Path) -> str:
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    _run(["manage.py", "migrate", "--noinput", "-v0"], url)
    return url


def _env(database_url: str, redis_url: str = "") -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    if redis_url:
        env |= {"CELERY_BROKER_URL": redis_url, "CELERY_RESULT_BACKEND": redis_url}
    return env


def _run(args: list[str], database_url: str) -> str:
    done = subprocess.run(  # noqa: S603 — our own interpreter and fixed arguments
        [sys.executable, *args],
        cwd=ROOT,
        env=_env(database_url),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _driver(command: str, database_url: str) -> dict:
    return json.loads(_run(["-m", "tests.watchers.worker_driver", command], database_url).strip().splitlines()[-1])


@pytest.fixture
def worker(redis_url: str, worker_database_url: str, tmp_path: Path) -> Iterator[tuple[Celery, str]]:
    queue = f"steward-test-{uuid.uuid4().hex[:8]}"  # never steal work from another worker on this Redis
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(  # noqa: S603 — our own interpreter and fixed arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=_env(worker_database_url, redis_url),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = Celery("steward-integration-test", broker=redis_url, backend=redis_url)
    try:
        yield client, queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        client.close()
        log.close()


def test_a_real_worker_raises_once_notifies_once_and_emails_the_digest(worker, worker_database_url, tmp_path):
    client, queue = worker
    seeded = _driver("seed", worker_database_url)

    def run(task: str, *args: str) -> object:
        try:
            return client.send_task(task, args=list(args), queue=queue).get(timeout=TIMEOUT)
        except Exception:
            print((tmp_path / "worker.log").read_text()[-5000:])
            raise

    first = run("cases.run_watcher", "stale_promises")
    second = run("cases.run_watcher", "stale_promises")  # a second beat's copy of the tick
    sent = run("cases.send_flag_notifications")
    state = _driver("report", worker_database_url)

    assert (first["raised"], second["raised"], second["examined"]) == (1, 0, 0)
    assert state["flags"] == [["stale_promise", f"promise:{seeded['promise']}", 1]]
    assert sent == 1
    assert (state["notifications"], state["emailed"]) == (1, 1)


@pytest.fixture
def json_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker started after this fixture writes JSON lines (LOG_FORMAT), as in production."""
    monkeypatch.setenv("LOG_FORMAT", "json")


def test_a_real_worker_logs_json_with_the_request_id_the_message_carried(json_logs, worker, tmp_path):
    from portal.request_id import forget_request_id, use_request_id

    client, queue = worker
    token = use_request_id("req-integration-1")  # as inside a web request that queues the task
    try:
        outcome = client.send_task("cases.run_watcher", args=["escalations"], queue=queue).get(timeout=TIMEOUT)
    finally:
        forget_request_id(token)

    assert outcome["watcher"] == "escalations"
    lines = [json.loads(line) for line in (tmp_path / "worker.log").read_text().splitlines() if line.startswith("{")]
    (run,) = [line for line in lines if line.get("logger") == "steward.watchers"]
    assert (run["request_id"], run["watcher"], run["examined"]) == ("req-integration-1", "escalations", 0)
    assert isinstance(run["duration_ms"], int)
