"""gunicorn.conf.py: what each machine's environment makes of it."""

import runpy
from pathlib import Path

import pytest

CONF = str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py")


def load(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:
    for name in ("WEB_CONCURRENCY", "PORT", "GUNICORN_BIND", "FORWARDED_ALLOW_IPS", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(CONF)


def test_defaults_suit_a_proxy_on_the_same_machine(monkeypatch) -> None:
    conf = load(monkeypatch)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert load(monkeypatch)["workers"] == 7  # 2 x 3 CPUs + 1
    assert conf["bind"] == ["127.0.0.1:8000"]
    assert conf["timeout"] == 30
    assert conf["graceful_timeout"] > 0 and conf["keepalive"] > 0
    assert conf["max_requests"] > 0 and 0 < conf["max_requests_jitter"] < conf["max_requests"]
    assert (conf["limit_request_line"], conf["limit_request_fields"]) == (4094, 100)
    assert conf["accesslog"] == "-"
    assert conf["forwarded_allow_ips"] == "127.0.0.1,::1"


def test_the_environment_sets_workers_address_and_trusted_proxies(monkeypatch) -> None:
    conf = load(monkeypatch, WEB_CONCURRENCY="3", PORT="9000", FORWARDED_ALLOW_IPS="10.0.0.2")
    assert (conf["workers"], conf["bind"], conf["forwarded_allow_ips"]) == (3, ["0.0.0.0:9000"], "10.0.0.2")
    assert load(monkeypatch, PORT="9000", GUNICORN_BIND="unix:/run/steward.sock")["bind"] == ["unix:/run/steward.sock"]


def test_gunicorn_accepts_every_setting_in_the_file(monkeypatch) -> None:
    from gunicorn.config import Config

    config = Config()
    for name, value in load(monkeypatch).items():
        if name in config.settings:
            config.set(name, value)
    unknown = {
        name
        for name, value in load(monkeypatch).items()
        if not name.startswith("_") and not callable(value) and name not in ("os",) and name not in config.settings
    }
    assert not unknown
