"""The database side of the production smoke run (bin/smoke), on the database DATABASE_URL names.

    smoke_db.py seed --out accounts.json      # after `manage.py load_demo`: the run's accounts and cases
    smoke_db.py check --accounts accounts.json --markers markers.json --sink received.txt --drain 90

`seed` adds, through the services, agents who own one case each of 50 customers with a portal login,
users of each contractor company with a job each, and a mail gateway's API token; the accounts and a
random password shared by them go to --out. `check` waits (at most --drain seconds) for the outbox to
empty, then checks what the load wrote: each accepted customer message stored exactly once, no
duplicate open flag or notification, every e-mail of the run sent, and each of them received by the
SMTP sink exactly once. It prints one line per check and exits 1 when any fails.
"""

import argparse
import json
import os
import secrets
import sys
import time
from collections import Counter
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.django_setup import setup_django  # noqa: E402 — needs the project on sys.path

SMOKE_DOMAIN = "smoke.test"
# Statuses the outbox still has to work on; sent and failed rows are settled.
UNSETTLED = ("queued", "sending")


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    seed = sub.add_parser("seed")
    seed.add_argument("--out", type=Path, required=True)
    seed.add_argument("--customers", type=int, default=50)
    seed.add_argument("--agents", type=int, default=6)
    seed.add_argument("--contractors-per-company", type=int, default=2)
    check = sub.add_parser("check")
    check.add_argument("--accounts", type=Path, required=True)
    check.add_argument("--markers", type=Path, required=True)
    check.add_argument("--sink", type=Path, required=True)
    check.add_argument("--drain", type=int, default=90, help="seconds to wait for the outbox to empty")
    return parser.parse_args()


def seed(args: argparse.Namespace) -> None:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import transaction

    from cases.models import Case
    from cases.services.intake import customer_create
    from cases.services.lifecycle import case_open
    from contractors.models import ContractorCompany
    from contractors.services import contractor_user_add, job_request
    from correspondence.models import OutboundEmail
    from people.models import Customer, Department, Service, StaffProfile

    # A fresh password each run: these accounts sit in a throwaway database, but never share a known one.
    password = secrets.token_urlsafe(18)
    hashed = make_password(password)
    department = Department.objects.get(code="customer-relations")
    manager = User.objects.filter(staff_profile__department=department, staff_profile__role="manager").first()
    service = Service.objects.get(code="fibre")
    agents, customers, contractors = [], [], []
    with transaction.atomic():
        for n in range(1, args.agents + 1):
            user = User.objects.create(
                username=f"smoke-agent-{n}",
                first_name="Agent",
                last_name=f"Smoke {n}",
                email=f"smoke-agent-{n}@{SMOKE_DOMAIN}",
                password=hashed,
            )
            StaffProfile.objects.create(
                user=user, department=department, role=StaffProfile.Role.AGENT, manager=manager, job_title="Agent"
            )
            agents.append({"username": user.username, "user": user, "references": []})
        for n in range(1, args.customers + 1):
            agent = agents[n % len(agents)]
            user = User.objects.create(
                username=f"smoke-customer-{n}",
                first_name="Customer",
                last_name=f"Smoke {n}",
                email=f"smoke-customer-{n}@{SMOKE_DOMAIN}",
                password=hashed,
            )
            customer = customer_create(
                actor=agent["user"],
                full_name=f"Customer Smoke {n}",
                email=user.email,
                preferred_channel=Customer.Channel.EMAIL,
                language="en",
            )
            customer.user = user
            customer.save(update_fields=["user"])
            case = case_open(
                actor=agent["user"],
                customer=customer,
                subject=f"Smoke run: fibre line {n}",
                owner=agent["user"],
                service=service,
            )
            agent["references"].append(case.reference)
            customers.append({"username": user.username, "email": user.email, "reference": case.reference})
        cases = [(agent, reference) for agent in agents for reference in agent["references"]]
        for company in ContractorCompany.objects.filter(is_active=True).order_by("pk"):
            for n in range(1, args.contractors_per_company + 1):
                user = User.objects.create(
                    username=f"smoke-{company.pk}-contractor-{n}",
                    first_name="Technician",
                    last_name=f"Smoke {n}",
                    email=f"smoke-{company.pk}-contractor-{n}@{SMOKE_DOMAIN}",
                    password=hashed,
                )
                contractor_user_add(actor=None, company=company, user=user)
                agent, reference = cases.pop()
                job = job_request(
                    actor=agent["user"],
                    case=Case.objects.get(reference=reference),
                    company=company,
                    title="Connect the fibre line",
                )
                contractors.append({"username": user.username, "jobs": [job.pk]})
    token = StringIO()
    call_command("api_integration", "smoke-mail-gateway", "--inbound", stdout=token)
    # E-mails the demo already settled (its history) are not the run's to check.
    settled_before = list(OutboundEmail.objects.exclude(status__in=UNSETTLED).values_list("pk", flat=True))
    for agent in agents:
        del agent["user"]
    accounts = {
        "password": password,
        "staff": agents,
        "customers": customers,
        "contractors": contractors,
        "inbound_token": token.getvalue().strip(),
        "settled_before": settled_before,
    }
    args.out.write_text(json.dumps(accounts, indent=1), encoding="utf-8")
    print(
        f"Seeded {len(agents)} agents, {len(customers)} customers with a case each, "
        f"{len(contractors)} contractor users with a job each, and the mail gateway's token."
    )


class Checks:
    def __init__(self) -> None:
        self.failed = 0

    def report(self, ok: bool, label: str, detail: str = "") -> None:
        self.failed += not ok
        print(f"  [{'ok' if ok else 'FAIL'}] {label}{': ' + detail if detail else ''}", flush=True)


def _drain(seconds: int, settled_before: set[int]) -> tuple[bool, float, int]:
    from correspondence.models import OutboundEmail

    started = time.monotonic()
    while True:
        waiting = OutboundEmail.objects.filter(status__in=UNSETTLED).exclude(pk__in=settled_before).count()
        elapsed = time.monotonic() - started
        if waiting == 0 or elapsed >= seconds:
            return waiting == 0, elapsed, waiting
        time.sleep(2)


def check(args: argparse.Namespace) -> int:
    from django.db.models import Count, Q

    from cases.models import Flag, Message, Notification
    from correspondence.models import OutboundEmail

    accounts = json.loads(args.accounts.read_text(encoding="utf-8"))
    markers = json.loads(args.markers.read_text(encoding="utf-8"))
    settled_before = set(accounts["settled_before"])
    checks = Checks()
    print("Checks against the database:")

    drained, waited, waiting = _drain(args.drain, settled_before)
    checks.report(
        drained, "outbox drained", f"{waited:.0f} s" if drained else f"{waiting} still unsent after {waited:.0f} s"
    )

    for door in ("portal", "email"):
        accepted = markers[door]["accepted"]
        unsure = markers[door]["unsure"]
        wrong = []
        for marker in accepted:
            count = Message.objects.filter(body__contains=marker).count()
            if count != 1:
                wrong.append(f"{marker}×{count}")
        for marker in unsure:
            count = Message.objects.filter(body__contains=marker).count()
            if count > 1:
                wrong.append(f"{marker}×{count} (answer lost)")
        checks.report(
            not wrong,
            f"customer messages by {door} stored exactly once",
            f"{len(accepted)} accepted, {len(unsure)} without an answer"
            + (f"; wrong: {', '.join(wrong[:10])}" if wrong else ""),
        )

    # A flag's identity is its kind and subject (the promise, the message, the case…): one case may
    # rightly hold two open flags of a kind, e.g. two promises past due.
    double_flags = (
        Flag.objects.filter(cleared_at__isnull=True)
        .values("case_id", "kind", "subject_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    open_flags = Flag.objects.filter(cleared_at__isnull=True).count()
    checks.report(
        not double_flags, "no duplicate open flag", f"{open_flags} open flags; duplicates: {list(double_flags)}"
    )
    double_notes = (
        Notification.objects.values("recipient_id", "flag_id", "level").annotate(n=Count("id")).filter(n__gt=1)
    )
    checks.report(
        not double_notes,
        "no duplicate notification",
        f"{Notification.objects.count()} notifications; duplicates: {list(double_notes)}",
    )

    run_emails = OutboundEmail.objects.exclude(pk__in=settled_before)
    statuses = dict(run_emails.values_list("status").annotate(n=Count("id")))
    unsent = run_emails.filter(~Q(status="sent")).count()
    checks.report(unsent == 0, "every e-mail of the run sent", f"by status: {statuses}")

    received = Counter(line.strip() for line in args.sink.read_text(encoding="utf-8").splitlines() if line.strip())
    sent_ids = list(run_emails.filter(status="sent").values_list("header_message_id", flat=True))
    missing = [mid for mid in sent_ids if received[_bracketed(mid)] == 0]
    twice = [mid for mid in sent_ids if received[_bracketed(mid)] > 1]
    checks.report(
        not missing and not twice,
        "SMTP sink received each sent e-mail exactly once",
        f"{len(sent_ids)} sent; missing {len(missing)} {missing[:5]}; twice or more {len(twice)} {twice[:5]}",
    )
    others = sum(received.values()) - sum(received[_bracketed(mid)] for mid in sent_ids)
    repeated_others = [mid for mid, n in received.items() if n > 1 and mid not in {_bracketed(m) for m in sent_ids}]
    checks.report(
        not repeated_others,
        "other e-mails (flag digests, invitations) received once each",
        f"{others} received; repeated: {repeated_others[:5]}",
    )
    return 1 if checks.failed else 0


def _bracketed(message_id: str) -> str:
    message_id = message_id.strip()
    return message_id if message_id.startswith("<") else f"<{message_id}>"


def main() -> None:
    args = _parse()
    if "DATABASE_URL" not in os.environ:
        sys.exit("Set DATABASE_URL to the smoke run's database.")
    setup_django("smoke")
    if args.command == "seed":
        seed(args)
    else:
        sys.exit(check(args))


if __name__ == "__main__":
    main()
