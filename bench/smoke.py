"""The load of the production smoke run (bin/smoke starts the servers and calls this).

    .venv/bin/python bench/smoke.py --base-url http://127.0.0.1:8765 --accounts accounts.json \
        --markers markers.json --duration 120 --threads 6

From --threads threads, for --duration seconds (and at most --max-requests requests), people of
`bench/smoke_db.py seed` use the portal as a browser would (sign-in form, CSRF cookie and hidden
field, Origin and Referer): customers write on their case page, agents reply by e-mail and make
promises, contractors promise a visit on their job; a mail gateway posts raw e-mails to the inbound
door. Every message carries a unique marker, written to --markers for the database checks. A
separate thread polls the readiness endpoint every few seconds; it must answer 200 with status
"ok" from the first green answer on (at most --warmup seconds after the start) to the end.

Prints requests per second and p50/p95 per endpoint, and exits 1 on any 5xx, unexpected answer,
transport error or health failure. Standard library only.
"""

import argparse
import http.cookiejar
import itertools
import json
import random
import re
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

HEALTH_READY = "/health/ready/"
# Until the readiness endpoint exists, the watchers' health is the one to poll.
HEALTH_FALLBACK = "/health/watchers/"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# A session signs in again after this many actions, so that sign-in is part of the load.
ACTIONS_PER_SESSION = 12
WHEN_FORMAT = "%Y-%m-%dT%H:%M"


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="the portal, e.g. http://127.0.0.1:8765 (= SITE_URL)")
    parser.add_argument("--accounts", type=Path, required=True, help="written by bench/smoke_db.py seed")
    parser.add_argument("--markers", type=Path, required=True, help="where to write the markers sent")
    parser.add_argument("--duration", type=float, default=120, help="seconds of load (default 120)")
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--max-requests", type=int, default=20_000, help="stop the load after this many requests")
    parser.add_argument("--health-every", type=float, default=3, help="seconds between readiness polls")
    parser.add_argument("--warmup", type=float, default=120, help="seconds allowed for the first green readiness")
    parser.add_argument("--seed", type=int, default=None, help="random seed of the actions chosen")
    parser.add_argument("--started-file", type=Path, default=None, help="created when the load starts")
    return parser.parse_args()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A form's answer is the redirect itself (302 = done): record it rather than follow it."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class Answer:
    status: int
    body: str


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    problems: list[str] = field(default_factory=list)
    total: int = 0

    def record(self, label: str, status: int, seconds: float) -> None:
        with self.lock:
            self.total += 1
            self.times[label].append(seconds)
            self.statuses[label][status] += 1

    def problem(self, text: str) -> None:
        with self.lock:
            if len(self.problems) < 50:
                self.problems.append(text)


@dataclass
class Markers:
    lock: threading.Lock = field(default_factory=threading.Lock)
    doors: dict[str, dict[str, list[str]]] = field(
        default_factory=lambda: {door: {"accepted": [], "unsure": []} for door in ("portal", "email")}
    )

    def add(self, door: str, marker: str, *, accepted: bool) -> None:
        with self.lock:
            self.doors[door]["accepted" if accepted else "unsure"].append(marker)


class Client:
    """One person's browser: a cookie jar, no redirects followed."""

    def __init__(self, base: str, stats: Stats) -> None:
        self.base, self.stats = base, stats
        self.origin = base
        self.reset()

    def reset(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())
        self.actions = 0

    def send(
        self,
        label: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        url = self.base + path
        all_headers = {"Accept-Language": "en", **(headers or {})}
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        if body is not None:
            # What a browser sends with a form: Django checks the Origin against the host.
            all_headers.setdefault("Origin", self.origin)
            all_headers.setdefault("Referer", url)
        # The base URL is the run's own loopback http address (checked in main).
        request = urllib.request.Request(url, data=body, headers=all_headers, method="POST" if body else "GET")  # noqa: S310
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=60) as response:
                answer = Answer(response.status, response.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as error:
            answer = Answer(error.code, error.read().decode("utf-8", "replace"))
        except OSError as error:
            self.stats.record(label, 0, time.perf_counter() - started)
            self.stats.problem(f"{label} {path}: {error}")
            return Answer(0, "")
        self.stats.record(label, answer.status, time.perf_counter() - started)
        return answer

    def csrf_token(self, page: Answer) -> str | None:
        found = CSRF_FIELD.search(page.body)
        return found.group(1) if found else None


class Actor:
    def __init__(self, role: str, username: str, targets: list, client: Client) -> None:
        self.role, self.username, self.targets, self.client = role, username, targets, client
        self.lock = threading.Lock()
        self.signed_in = False


class Load:
    def __init__(self, args: argparse.Namespace, accounts: dict) -> None:
        self.args, self.accounts = args, accounts
        self.base = args.base_url.rstrip("/")
        self.stats, self.markers = Stats(), Markers()
        self.rng = random.Random(args.seed)
        self.stop = threading.Event()
        self.run_id = uuid.uuid4().hex[:8]
        self.sequence = 0
        self.sequence_lock = threading.Lock()

        def actor(role: str, username: str, targets: list) -> Actor:
            return Actor(role, username, targets, Client(self.base, self.stats))

        self.actors = {
            "customer": [actor("customer", c["username"], [c["reference"]]) for c in accounts["customers"]],
            "staff": [actor("staff", s["username"], s["references"]) for s in accounts["staff"] if s["references"]],
            "contractor": [actor("contractor", c["username"], c["jobs"]) for c in accounts["contractors"]],
            "gateway": [actor("gateway", "smoke-mail-gateway", accounts["customers"])],
        }
        # Out of every 20 actions, in a fixed interleaved order, so that a short run on a slow machine
        # still has every kind within its first few actions.
        self.roles = itertools.cycle(
            _interleave({"customer": 9, "staff": 6, "gateway": 3, "contractor": 2}, present=self.actors)
        )
        self.roles_lock = threading.Lock()

    def marker(self, kind: str) -> str:
        with self.sequence_lock:
            self.sequence += 1
            return f"SMOKE-{self.run_id}-{kind}-{self.sequence:06d}"

    # --- what each person does -----------------------------------------------------------

    def sign_in(self, actor: Actor) -> bool:
        client = actor.client
        client.reset()
        page = client.send("GET /login/", "/login/")
        token = client.csrf_token(page)
        if page.status != 200 or token is None:
            self.stats.problem(f"sign-in page for {actor.username}: {page.status}")
            return False
        answer = client.send(
            "POST /login/",
            "/login/",
            form={
                "csrfmiddlewaretoken": token,
                "username": actor.username,
                "password": self.accounts["password"],
                "next": "",
            },
        )
        if answer.status != 302:
            self.stats.problem(f"sign-in of {actor.username} answered {answer.status}")
            return False
        actor.signed_in = True
        return True

    def page_and_post(self, actor: Actor, page_label: str, page_path: str, post_label: str, post_path: str, form: dict):
        client = actor.client
        page = client.send(page_label, page_path)
        token = client.csrf_token(page)
        if page.status != 200 or token is None:
            self.stats.problem(f"{page_label} for {actor.username}: {page.status}")
            return None
        answer = client.send(post_label, post_path, form={"csrfmiddlewaretoken": token, **form})
        if answer.status != 302:
            self.stats.problem(f"{post_label} by {actor.username} answered {answer.status}")
        return answer

    def customer(self, actor: Actor) -> None:
        reference = actor.targets[0]
        marker = self.marker("portal")
        answer = self.page_and_post(
            actor,
            "GET /my/cases/<ref>/",
            f"/my/cases/{reference}/",
            "POST /my/cases/<ref>/write/",
            f"/my/cases/{reference}/write/",
            {"write-body": f"Still no signal on the line this morning. [{marker}]"},
        )
        if answer is not None:
            self.markers.add("portal", marker, accepted=answer.status == 302)

    def staff(self, actor: Actor) -> None:
        reference = self.rng.choice(actor.targets)
        if self.rng.random() < 0.6:
            label, path = "POST /staff/cases/<ref>/reply/", f"/staff/cases/{reference}/reply/"
            form = {
                "reply-body": f"The technician is booked; you will hear from us tomorrow. ({self.marker('reply')})",
                "reply-channel": "email",
            }
        else:
            label, path = "POST /staff/cases/<ref>/promises/", f"/staff/cases/{reference}/promises/"
            due = (datetime.now() + timedelta(days=3)).strftime(WHEN_FORMAT)
            form = {
                "promise-kind": "general",
                "promise-text": f"Call back with the visit date ({self.marker('promise')})",
                "promise-due_at": due,
                "promise-owed_to_customer": "on",
                "promise-owed_to_name": "",
            }
        self.page_and_post(actor, "GET /staff/cases/<ref>/", f"/staff/cases/{reference}/", label, path, form)

    def contractor(self, actor: Actor) -> None:
        job = self.rng.choice(actor.targets)
        due = (datetime.now() + timedelta(days=2)).strftime(WHEN_FORMAT)
        self.page_and_post(
            actor,
            "GET /contractor/jobs/<pk>/",
            f"/contractor/jobs/{job}/",
            "POST /contractor/jobs/<pk>/promises/",
            f"/contractor/jobs/{job}/promises/",
            {"promise-text": f"We come Monday at 8:00 ({self.marker('visit')})", "promise-due_at": due},
        )

    def gateway(self, actor: Actor) -> None:
        customer = self.rng.choice(actor.targets)
        marker = self.marker("email")
        mail = EmailMessage()
        mail["From"] = customer["email"]
        mail["To"] = "support@steward.localhost"
        mail["Subject"] = f"Re: {customer['reference']} my fibre line"
        mail["Message-ID"] = make_msgid(domain="smoke.test")
        mail["Date"] = datetime.now().astimezone().strftime("%a, %d %b %Y %H:%M:%S %z")
        mail.set_content(f"Hello,\n\nThe line dropped again last night. [{marker}]\n\nRegards\n")
        answer = actor.client.send(
            "POST /api/v1/inbound/email/",
            "/api/v1/inbound/email/",
            body=mail.as_bytes(),
            headers={"Content-Type": "message/rfc822", "Authorization": f"Token {self.accounts['inbound_token']}"},
        )
        if answer.status != 201:
            self.stats.problem(f"inbound e-mail answered {answer.status}: {answer.body[:200]}")
        self.markers.add("email", marker, accepted=answer.status == 201)

    # --- the threads ---------------------------------------------------------------------

    def pick(self) -> Actor | None:
        with self.roles_lock:
            role = next(self.roles)
        candidates = self.actors[role]
        for actor in self.rng.sample(candidates, len(candidates)):
            if actor.lock.acquire(blocking=False):
                return actor
        return None

    def worker(self) -> None:
        while not self.stop.is_set():
            if self.stats.total >= self.args.max_requests:
                self.stop.set()
                break
            actor = self.pick()
            if actor is None:
                time.sleep(0.01)
                continue
            try:
                if actor.role != "gateway":
                    if not actor.signed_in or actor.client.actions >= ACTIONS_PER_SESSION:
                        actor.signed_in = False
                        if not self.sign_in(actor):
                            continue
                    actor.client.actions += 1
                getattr(self, actor.role)(actor)
            finally:
                actor.lock.release()

    def run(self, duration: float, threads: int) -> float:
        workers = [threading.Thread(target=self.worker, daemon=True) for _ in range(threads)]
        started = time.monotonic()
        for thread in workers:
            thread.start()
        self.stop.wait(duration)
        self.stop.set()
        for thread in workers:
            thread.join(timeout=90)
        return time.monotonic() - started


def _interleave(weights: dict[str, int], *, present: dict[str, list]) -> list[str]:
    """Smooth weighted round robin: each kind as often as its weight, spread out (a a b a c a b …)."""
    weights = {role: weight for role, weight in weights.items() if present[role]}
    credit = dict.fromkeys(weights, 0)
    order = []
    for _ in range(sum(weights.values())):
        for role, weight in weights.items():
            credit[role] += weight
        chosen = max(credit, key=credit.__getitem__)
        credit[chosen] -= sum(weights.values())
        order.append(chosen)
    return order


class Health:
    """Polls readiness every few seconds on its own thread; every poll is kept."""

    def __init__(self, base: str, every: float, stats: Stats) -> None:
        self.base, self.every = base, every
        self.client = Client(base, stats)
        self.path = HEALTH_READY
        self.polls: list[tuple[float, int, str]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def poll(self) -> tuple[int, str]:
        answer = self.client.send(f"GET {self.path}", self.path)
        if answer.status == 404 and self.path == HEALTH_READY:
            print(f"  {HEALTH_READY} answers 404: polling {HEALTH_FALLBACK} instead", flush=True)
            self.path = HEALTH_FALLBACK
            answer = self.client.send(f"GET {self.path}", self.path)
        try:
            status = json.loads(answer.body).get("status", "?")
        except (ValueError, AttributeError):
            status = "?"
        return answer.status, status

    def wait_green(self, limit: float) -> bool:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            code, status = self.poll()
            if code == 200 and status == "ok":
                return True
            time.sleep(self.every)
        return False

    def loop(self) -> None:
        while not self.stop.is_set():
            code, status = self.poll()
            self.polls.append((time.monotonic(), code, status))
            self.stop.wait(self.every)

    def red(self) -> list[tuple[float, int, str]]:
        return [poll for poll in self.polls if poll[1] != 200 or poll[2] != "ok"]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def print_table(stats: Stats, elapsed: float) -> None:
    print(f"\n{stats.total:,} requests in {elapsed:.1f} s: {stats.total / elapsed:.1f} requests/s overall\n")
    print("| endpoint | requests | p50 (ms) | p95 (ms) | max (ms) | answers |")
    print("|---|---:|---:|---:|---:|---|")
    for label in sorted(stats.times, key=lambda name: (name.split()[1], name)):
        times = stats.times[label]
        answers = ", ".join(f"{code or 'error'}×{n}" for code, n in sorted(stats.statuses[label].items()))
        print(
            f"| {label} | {len(times):,} | {statistics.median(times) * 1000:.0f} | "
            f"{_percentile(times, 0.95) * 1000:.0f} | {max(times) * 1000:.0f} | {answers} |"
        )


def main() -> None:
    args = _parse()
    if not args.base_url.startswith(("http://", "https://")):
        sys.exit("--base-url must be an http:// or https:// address")
    accounts = json.loads(args.accounts.read_text(encoding="utf-8"))
    load = Load(args, accounts)
    health = Health(load.base, args.health_every, Stats())
    print(f"Waiting for {HEALTH_READY} to be green (at most {args.warmup:.0f} s)…", flush=True)
    warm_started = time.monotonic()
    green = health.wait_green(args.warmup)
    print(
        f"  {'green' if green else 'NOT green'} after {time.monotonic() - warm_started:.0f} s on {health.path}",
        flush=True,
    )
    # From now on the polls count with the load (the table, the 5xx check); the warm-up's 503s do not.
    health.client.stats = load.stats
    health.thread.start()
    if args.started_file is not None:
        args.started_file.touch()
    print(
        f"Load: {args.threads} threads for {args.duration:.0f} s (at most {args.max_requests:,} requests)", flush=True
    )
    elapsed = load.run(args.duration, args.threads)
    health.stop.set()
    health.thread.join(timeout=30)
    args.markers.write_text(json.dumps(load.markers.doors, indent=1), encoding="utf-8")

    print_table(load.stats, elapsed)
    failures = []
    server_errors = sum(n for counts in load.stats.statuses.values() for code, n in counts.items() if code >= 500)
    transport = sum(counts[0] for counts in load.stats.statuses.values())
    red = health.red()
    print("\nChecks of the load:")
    checks = [
        (green, "readiness green within the warm-up", health.path),
        (server_errors == 0, "no 5xx answer", f"{server_errors} seen"),
        (transport == 0, "no transport error (refused, reset, timed out)", f"{transport} seen"),
        (
            not load.stats.problems,
            "every form and the inbound door answered as expected",
            f"{len(load.stats.problems)} not",
        ),
        (
            health.polls and not red,
            f"readiness green at every poll during the load ({health.path})",
            f"{len(health.polls)} polls, {len(red)} not green" + (f": {red[:5]}" if red else ""),
        ),
    ]
    for ok, label, detail in checks:
        print(f"  [{'ok' if ok else 'FAIL'}] {label}: {detail}")
        if not ok:
            failures.append(label)
    for problem in load.stats.problems[:15]:
        print(f"    - {problem}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
