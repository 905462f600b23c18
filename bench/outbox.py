"""Benchmark of the outbox sender (issue 10): e-mails per second through `outbox_sweep`, into a real
SMTP server on loopback (aiosmtpd, in this process) and into Django's in-memory backend (the
sender's own cost: claim, build, mark sent), on the database DATABASE_URL names.

    .venv/bin/python bench/outbox.py --emails 2000
    DATABASE_URL=postgres://steward:…@127.0.0.1/steward_bench .venv/bin/python bench/outbox.py --emails 2000

Without DATABASE_URL it builds a fresh SQLite file under var/bench/. With DATABASE_URL it
EMPTIES that database first (flush): point it at a scratch database, never a real one.
Each e-mail is a typical reply (1.5 kB of text and its HTML part) queued on one of 200 cases.
"""

import argparse
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.django_setup import setup_django  # noqa: E402 — needs the project on sys.path

BODY = ("Bonjour Madame Martin,\n\nLe plombier passera lundi à 9 h avec deux collègues. " * 20)[:1500]


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=2000, help="e-mails queued per run")
    return parser.parse_args()


def _cases(count: int) -> list:
    from django.contrib.auth.models import User
    from django.utils import timezone

    from cases.models import Case
    from people.models import Customer, Department, StaffProfile

    department = Department.objects.create(code="bench", name="Bench")
    owner = User.objects.create(username="bench-owner", first_name="Claire", last_name="Dubois")
    StaffProfile.objects.create(user=owner, department=department)
    now = timezone.now()
    cases = []
    for n in range(count):
        customer = Customer.objects.create(full_name=f"Customer {n}", email=f"customer{n}@example.test")
        cases.append(
            Case.objects.create(
                reference=f"CS-2026-{n + 1:06d}", customer=customer, owner=owner, subject="Fibre", last_activity_at=now
            )
        )
    return cases


def _queue(cases: list, emails: int) -> None:
    from correspondence.models import OutboundEmail
    from correspondence.services.outbox import email_enqueue

    OutboundEmail.objects.all().delete()
    for n in range(emails):
        case = cases[n % len(cases)]
        email_enqueue(
            case=case,
            to_address=case.customer.email,
            to_name=case.customer.full_name,
            language="fr",
            subject="Re: Fibre",
            body_text=BODY,
            body_html=f"<p>{BODY}</p>",
        )


def _run(label: str, emails: int, cases: list) -> None:
    from django.db import connection

    from correspondence.services.outbox import outbox_sweep

    _queue(cases, emails)
    statements = [0]

    def count(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        result = outbox_sweep(batch_size=emails)
        elapsed = time.perf_counter() - started
    assert result.sent == emails, result
    per_email = statements[0] / emails
    print(f"| {label} | {emails:,} | {elapsed:.2f} | {emails / elapsed:,.0f} | {per_email:.1f} |")


def main() -> None:
    args = _parse()
    setup_django("outbox")
    import logging

    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("flush", interactive=False, verbosity=0) if connection.vendor == "postgresql" else None
    call_command("migrate", verbosity=0)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.DEBUG = False
    from django.db import transaction

    # Enqueueing schedules a send after each commit; the benchmark measures the sweep instead.
    transaction.on_commit = lambda func, using=None, robust=False: None
    cases = _cases(200)

    class Sink:
        received = 0

        async def handle_DATA(self, server, session, envelope) -> str:
            Sink.received += 1
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    vendor = connection.vendor
    print(f"# {vendor}, {args.emails:,} e-mails per run")
    print("| backend | e-mails | seconds | e-mails per second | SQL statements per e-mail |")
    print("|---|---:|---:|---:|---:|")
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        _run("in-memory backend (the sender's own cost)", args.emails, cases)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        _run("SMTP server on loopback (aiosmtpd)", args.emails, cases)
        assert Sink.received == args.emails
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
