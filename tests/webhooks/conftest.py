"""A real HTTP receiver on 127.0.0.1, and endpoints pointing at it.

The receiver answers from a script (one status per request, the last one repeated) and keeps
every request it got, whole, so the tests check what went over the wire and verify the
signature the way a receiver does (webhooks.signing.verify, the docs' example).
"""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache

from webhooks.models import Endpoint, EventKind
from webhooks.services.outbox import WANTED_KINDS_KEY


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    url: str
    statuses: list[int] = field(default_factory=lambda: [200])
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@pytest.fixture(autouse=True)
def _forget_wanted_kinds():
    """The wanted kinds are cached per process: an endpoint of one test, rolled back, must not
    make the next test (in any folder) look for endpoints."""
    cache.delete(WANTED_KINDS_KEY)
    yield
    cache.delete(WANTED_KINDS_KEY)


@pytest.fixture
def private_addresses_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture
def receiver(private_addresses_allowed):
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length).decode()
            status = state.answer()
            with state.lock:
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(f"answered {status}".encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/steward?source=test"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(receiver: Receiver) -> Endpoint:
    return Endpoint.objects.create(url=receiver.url, description="CRM bridge", event_kinds=list(EventKind.values))
