"""The supply-chain gates CI runs: the lock files follow the pin lists, and the audit fails on a
known vulnerability unless it is accepted with a reason. The audit is pointed at a fake OSV
database on loopback, so these tests need no network."""

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VULN = "GHSA-test-0000-0001"


def run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """The pin lists, their locks and bin/lock, as in a checkout."""
    (tmp_path / "bin").mkdir()
    shutil.copy(ROOT / "bin/lock", tmp_path / "bin/lock")
    for name in ("requirements.txt", "requirements-dev.txt", "requirements.lock", "requirements-dev.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_the_committed_locks_agree_with_the_pin_lists(clone: Path) -> None:
    result = run(sys.executable, str(clone / "bin/lock"), "--check")
    assert result.returncode == 0, result.stderr


def test_a_pin_added_without_relocking_fails_the_check(clone: Path) -> None:
    with (clone / "requirements.txt").open("a") as pins:
        pins.write("example-never-locked==1.0\n")

    result = run(sys.executable, str(clone / "bin/lock"), "--check")

    assert result.returncode == 1
    assert "requirements.txt pins example-never-locked==1.0, requirements.lock has nothing" in result.stderr


def test_a_lock_edited_by_hand_fails_the_check(clone: Path) -> None:
    lock = clone / "requirements.lock"
    lock.write_text(lock.read_text().replace("\ndjango==5.2.19 ", "\ndjango==5.2.18 "))

    result = run(sys.executable, str(clone / "bin/lock"), "--check")

    assert result.returncode == 1
    assert "requirements.txt pins django==5.2.19, requirements.lock has 5.2.18" in result.stderr


class FakeOsv(BaseHTTPRequestHandler):
    """Knows one vulnerability, in the pinned Django."""

    def do_POST(self) -> None:
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        found = {}
        if query["package"]["name"] == "django":
            affected = {"package": {"name": "django", "ecosystem": "PyPI"}, "ranges": []}
            found = {"vulns": [{"id": VULN, "summary": "Made up for the test", "affected": [affected]}]}
        body = json.dumps(found).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def osv_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOsv)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    server.shutdown()


@pytest.fixture
def small_lock(tmp_path: Path) -> Path:
    """Two hashed pins cut from the runtime lock (keeps the audit to two queries)."""
    blocks = (ROOT / "requirements.lock").read_text().split("\n")
    kept, keep = [], False
    for line in blocks:
        if line and not line.startswith((" ", "#")):
            keep = line.startswith(("django==", "sqlparse=="))
        if keep:
            kept.append(line)
    lock = tmp_path / "small.lock"
    lock.write_text("\n".join(kept) + "\n")
    return lock


def audit(lock: Path, osv_url: str, exceptions: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "STEWARD_OSV_URL": osv_url, "STEWARD_AUDIT_EXCEPTIONS": str(exceptions)}
    return run(sys.executable, str(ROOT / "bin/audit"), str(lock), env=env)


def test_a_known_vulnerability_fails_the_audit(small_lock: Path, osv_url: str, tmp_path: Path) -> None:
    result = audit(small_lock, osv_url, tmp_path / "none.txt")

    assert result.returncode == 1
    assert f"django 5.2.19: {VULN}" in result.stdout
    assert "1 of 2 locked packages have a known vulnerability" in result.stderr


def test_a_vulnerability_accepted_with_a_reason_passes(small_lock: Path, osv_url: str, tmp_path: Path) -> None:
    exceptions = tmp_path / "exceptions.txt"
    exceptions.write_text(f"# accepted\n{VULN}  # the affected view is not routed; review 2027-01-01\n")

    result = audit(small_lock, osv_url, exceptions)

    assert result.returncode == 0, result.stderr
    assert "No known vulnerability in 2 locked packages (1 accepted" in result.stdout


def test_an_exception_without_a_reason_is_refused(small_lock: Path, osv_url: str, tmp_path: Path) -> None:
    exceptions = tmp_path / "exceptions.txt"
    exceptions.write_text(f"{VULN}\n")

    result = audit(small_lock, osv_url, exceptions)

    assert result.returncode == 2
    assert "why it is accepted" in result.stderr
