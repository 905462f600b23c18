#!/usr/bin/env python
"""Seed the django-helpdesk benchmark database at a chosen scale.

Always starts from an empty database: the SQLite file is deleted, migrated
afresh, then filled with bulk_create in one transaction.

Data shape (defaults):
  * 20 staff users staff01..staff20 (is_staff, not superuser; password "bench")
  * 5 queues
  * N tickets (default 100,000), created evenly over the last 730 days,
    each assigned to one of the 20 staff users (none unassigned unless
    --unassigned-frac), ~30% open: 25% Open + 5% Reopened (the two statuses
    the staff ticket list and dashboard treat as active), 10% Resolved,
    55% Closed, 5% Duplicate
  * 2-4 follow-ups per ordinary ticket (3 on average): an "Ticket Opened"
    public one, then comments, ~60% public / ~40% internal
  * one "heavy" ticket (the newest ticket, open, assigned to staff01, queue 1)
    with 200 follow-ups (60% public / 40% internal, mixed authors, markdown
    comments) and a status change (TicketChange) on every 20th one
  * ends with ANALYZE so SQLite's planner has statistics (--no-analyze skips)

Usage:
  $HDPEER_DIR/bin/python seed.py --tickets 100000 [--db $HDPEER_DIR/db.sqlite3]
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

HDPEER_DIR = os.environ.get("HDPEER_DIR", os.path.join(__import__("tempfile").gettempdir(), "hdpeer"))

HERE = Path(__file__).resolve().parent
SITE = HERE / "site"

HEAVY_TITLE = "VPN drops every 20 minutes for the Lisbon office (heavy ticket)"
MEASURE_USER = "staff01"
STAFF_PASSWORD = "bench"  # noqa: S105 — the seeded staff logins of a local benchmark

QUEUES = [
    ("Billing", "billing"),
    ("Hardware", "hardware"),
    ("Network", "network"),
    ("Software", "software"),
    ("Accounts", "accounts"),
]

SUBJECTS = [
    "Printer on floor 3 jams on duplex jobs",
    "Cannot log in to the expenses portal",
    "Invoice shows the wrong VAT rate",
    "Laptop battery drains overnight",
    "Shared drive mapping lost after update",
    "Request for a second monitor",
    "Email bounces from the sales mailbox",
    "Password reset link expired",
    "Slow Wi-Fi in meeting room B",
    "License renewal for the CAD suite",
    "Refund not received after cancellation",
    "New starter needs an account",
    "Phone extension forwards to voicemail",
    "Calendar invites arrive twice",
    "Keyboard missing keys",
    "Database report times out",
    "Cannot print PDF attachments",
    "Card payment declined at checkout",
    "Two-factor codes not arriving",
    "Access request for the finance folder",
]

SENTENCES = [
    "The issue started this morning after the scheduled maintenance window.",
    "I have already restarted the machine twice and the problem persists.",
    "Several colleagues in the same team report the same behaviour.",
    "Please find the steps to reproduce below, they work every time.",
    "This is blocking the month-end close so a quick answer would help.",
    "The error message says the request could not be completed.",
    "It worked fine last week and nothing changed on our side.",
    "We tried the workaround from the knowledge base without success.",
    "The customer confirmed the account number and the billing address.",
    "Could you check whether the change was applied to the right environment?",
    "Logs attached in the previous message show a timeout after thirty seconds.",
    "I will be out of office tomorrow, please contact my deputy instead.",
]

STAFF_REPLIES = [
    "Thanks for the report, we are looking into it.",
    "Could you send a screenshot of the error and the exact time it happened?",
    "We applied a fix on the server side, please try again and let us know.",
    "Escalated to the second-line team, they will follow up today.",
    "Internal note: vendor ticket opened, waiting for their engineer.",
    "Internal note: same root cause as the outage last Tuesday.",
    "The replacement part has been ordered and should arrive on Monday.",
    "Closing this as resolved, reply to this message to reopen it.",
]

# status code -> cumulative probability (helpdesk defaults: 1 Open,
# 2 Reopened, 3 Resolved, 4 Closed, 5 Duplicate)
STATUS_CDF = [(1, 0.25), (2, 0.30), (3, 0.40), (4, 0.95), (5, 1.00)]


def pick_status(rng):
    r = rng.random()
    for code, edge in STATUS_CDF:
        if r < edge:
            return code
    return 4


def text(rng, lo, hi, pool=SENTENCES):
    return " ".join(rng.choice(pool) for _ in range(rng.randint(lo, hi)))


def setup_django(db_path):
    os.environ["HDPEER_DB"] = db_path
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
    sys.path.insert(0, str(SITE))
    import django

    django.setup()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tickets", type=int, default=100_000, help="total tickets, heavy one included")
    ap.add_argument("--queues", type=int, default=5, choices=range(1, len(QUEUES) + 1))
    ap.add_argument("--staff", type=int, default=20)
    ap.add_argument("--followups", type=float, default=3.0, help="mean follow-ups per ordinary ticket")
    ap.add_argument("--heavy-followups", type=int, default=200)
    ap.add_argument("--unassigned-frac", type=float, default=0.0)
    ap.add_argument("--days", type=int, default=730, help="span of ticket creation dates")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--db", default=os.environ.get("HDPEER_DB", os.path.join(HDPEER_DIR, "db.sqlite3")))
    ap.add_argument("--batch", type=int, default=5000, help="tickets built per batch")
    ap.add_argument("--no-analyze", action="store_true")
    args = ap.parse_args(argv)
    if args.tickets < 2:
        ap.error("--tickets must be at least 2")

    t_start = time.perf_counter()
    db = Path(args.db)
    db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(str(db) + suffix)
        if p.exists():
            p.unlink()
    setup_django(str(db))

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0, interactive=False)
    t_migrated = time.perf_counter()

    from helpdesk.models import FollowUp, Queue, Ticket, TicketChange

    # created/modified are auto_now_add/auto_now; switch that off while seeding
    # so the historic dates we set are kept.
    for name in ("created", "modified"):
        fld = Ticket._meta.get_field(name)
        fld.auto_now = False
        fld.auto_now_add = False

    rng = random.Random(args.seed)
    now = timezone.now().replace(microsecond=0)
    span = timedelta(days=args.days)
    start = now - span

    with connection.cursor() as cur:  # seeding only: speed over durability
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA journal_mode=MEMORY")
        cur.execute("PRAGMA cache_size=-262144")

    User = get_user_model()
    n_ord = args.tickets - 1
    mean_fu = args.followups
    lo_fu = max(1, round(mean_fu) - 1)
    hi_fu = round(mean_fu) + 1

    counts = {"tickets": 0, "followups": 0, "ticketchanges": 0}
    with transaction.atomic():
        pw = make_password(STAFF_PASSWORD)
        staff = []
        for i in range(1, args.staff + 1):
            u = User(
                username=f"staff{i:02d}",
                email=f"staff{i:02d}@example.com",
                first_name="Staff",
                last_name=f"Member {i:02d}",
                is_staff=True,
                password=pw,
            )
            u.save()  # post_save signal creates the helpdesk UserSettings row
            staff.append(u)
        queues = [Queue.objects.create(title=t, slug=s, allow_public_submission=True) for t, s in QUEUES[: args.queues]]

        fu_id = 0
        ticket_id = 0
        for batch_start in range(0, n_ord, args.batch):
            batch_end = min(n_ord, batch_start + args.batch)
            tickets, followups = [], []
            for k in range(batch_start, batch_end):
                ticket_id += 1
                created = start + span * (k / n_ord) + timedelta(seconds=rng.randint(0, 600))
                status = pick_status(rng)
                if status in (1, 2):
                    modified = created + timedelta(hours=rng.uniform(0, 72))
                else:
                    modified = created + timedelta(days=rng.uniform(0.2, 20))
                modified = min(modified, now - timedelta(minutes=10))
                if modified < created:
                    modified = created
                owner = None if rng.random() < args.unassigned_frac else rng.choice(staff)
                subject = rng.choice(SUBJECTS)
                desc = text(rng, 2, 5)
                t = Ticket(
                    id=ticket_id,
                    title=f"{subject} #{ticket_id}",
                    queue=rng.choice(queues),
                    created=created,
                    modified=modified,
                    submitter_email=f"customer{rng.randrange(5000)}@example.com",
                    assigned_to=owner,
                    status=status,
                    description=desc,
                    resolution=("Fixed, see the last follow-up." if status in (3, 4) else None),
                    priority=rng.choice((1, 2, 3, 3, 3, 4, 5)),
                    due_date=(created + timedelta(days=7) if rng.random() < 0.1 else None),
                )
                tickets.append(t)
                n_fu = rng.randint(lo_fu, hi_fu)
                life = (modified - created).total_seconds()
                for j in range(n_fu):
                    fu_id += 1
                    if j == 0:
                        followups.append(
                            FollowUp(
                                id=fu_id,
                                ticket_id=ticket_id,
                                date=created,
                                title="Ticket Opened",
                                comment=desc,
                                public=True,
                                user=None,
                                new_status=None,
                            )
                        )
                        continue
                    last = j == n_fu - 1
                    by_staff = rng.random() < 0.6
                    followups.append(
                        FollowUp(
                            id=fu_id,
                            ticket_id=ticket_id,
                            date=created + timedelta(seconds=life * j / n_fu),
                            title=("Comment" if not last or status in (1, 2) else t.get_status_display()),
                            comment=(text(rng, 1, 3, STAFF_REPLIES) if by_staff else text(rng, 1, 3)),
                            public=rng.random() < 0.6,
                            user=(owner if by_staff else None),
                            new_status=(status if last and status not in (1, 2) else None),
                        )
                    )
            Ticket.objects.bulk_create(tickets, batch_size=500)
            FollowUp.objects.bulk_create(followups, batch_size=500)
            counts["tickets"] += len(tickets)
            counts["followups"] += len(followups)
            print(
                f"  {counts['tickets']:>7} tickets, {counts['followups']:>7} follow-ups "
                f"({time.perf_counter() - t_migrated:.1f}s)",
                file=sys.stderr,
                flush=True,
            )

        # --- the heavy ticket: newest ticket, open, owned by the measuring user
        ticket_id += 1
        h_created = now - timedelta(days=3)
        heavy = Ticket(
            id=ticket_id,
            title=HEAVY_TITLE,
            queue=queues[0],
            created=h_created,
            modified=now - timedelta(minutes=5),
            submitter_email="lisbon.office@example.com",
            assigned_to=staff[0],
            status=1,
            priority=2,
            description=(
                "Since Monday the site-to-site VPN from Lisbon drops roughly every "
                "20 minutes. Users lose their sessions in the ERP and file shares.\n\n" + text(rng, 3, 5)
            ),
        )
        Ticket.objects.bulk_create([heavy])
        hf, hc = [], []
        n_h = args.heavy_followups
        for j in range(n_h):
            fu_id += 1
            kind = j % 5
            public = kind in (0, 1, 2)  # 60% public, 40% internal
            author = None if kind == 0 else staff[j % len(staff)]
            body = (
                f"**Update {j + 1}.** "
                + text(rng, 2, 4, SENTENCES if author is None else STAFF_REPLIES)
                + "\n\n- tunnel: `lis-gw-01` -> `hq-gw-02`\n- observed drop at "
                + (h_created + timedelta(minutes=20 * j)).strftime("%H:%M")
                + " UTC\n"
            )
            status_change = j > 0 and j % 20 == 0
            new_status = (2 if (j // 20) % 2 else 1) if status_change else None
            hf.append(
                FollowUp(
                    id=fu_id,
                    ticket=heavy,
                    date=h_created + timedelta(seconds=(3 * 86400 - 600) * j / n_h),
                    title=("Ticket Opened" if j == 0 else ("Status changed" if status_change else "Comment")),
                    comment=body,
                    public=public or j == 0,
                    user=(None if j == 0 else author),
                    new_status=new_status,
                )
            )
            if status_change:
                hc.append(
                    TicketChange(
                        followup_id=fu_id,
                        field="Status",
                        old_value="Open" if new_status == 2 else "Reopened",
                        new_value="Reopened" if new_status == 2 else "Open",
                    )
                )
        FollowUp.objects.bulk_create(hf, batch_size=500)
        TicketChange.objects.bulk_create(hc)
        counts["tickets"] += 1
        counts["followups"] += len(hf)
        counts["ticketchanges"] += len(hc)

    t_seeded = time.perf_counter()
    if not args.no_analyze:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    t_end = time.perf_counter()

    open_n = Ticket.objects.filter(status__in=(1, 2)).count()
    print(
        f"seeded {db}: {counts['tickets']} tickets ({open_n} open/reopened = "
        f"{100.0 * open_n / counts['tickets']:.1f}%), {counts['followups']} follow-ups, "
        f"{counts['ticketchanges']} ticket changes, {len(queues)} queues, {len(staff)} staff; "
        f"heavy ticket id {heavy.id} with {len(hf)} follow-ups.\n"
        f"time: migrate {t_migrated - t_start:.1f}s, insert {t_seeded - t_migrated:.1f}s, "
        f"analyze {t_end - t_seeded:.1f}s, total {t_end - t_start:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
