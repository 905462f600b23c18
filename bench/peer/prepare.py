#!/usr/bin/env python
"""Give a Steward database the heavy case the comparison needs, through the project's own
services (no bulk insert), then ANALYZE.

The volume data (`load_demo --volume`) has no case with ~200 timeline events, so this opens
one for the demo customer jeanne, owned by the demo staff owner claire, and adds events the
way staff and the customer would until it has --events timeline events (200, "case opened"
included, as helpdesk's heavy ticket has 200 follow-ups):
  every 20th step: case_set_status (in progress <-> waiting on the customer; a field change)
  otherwise, in turn: message_receive (jeanne, portal), message_reply (claire, e-mail; it
  writes two events: the message and "customer informed" for the e-mail telling her),
  note_add (claire), note_add (pierre, another staff member), call_log (claire, outbound)
so about half the events are customer-visible and half internal (helpdesk's heavy ticket:
60% public / 40% internal, a field change every 20th). Each message body ends with its
step number, "(#i)", which measure.py's content checks look for.
Subject: measure.HEAVY_SUBJECT. Idempotent: does nothing when that case exists.

  [STEWARD_REPO=<steward checkout>] <steward>/.venv/bin/python prepare.py [--db PATH] [--no-analyze]
"""

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True

from measure import HEAVY_SUBJECT, setup_django  # noqa: E402

BODIES = [
    "The VPN to the Lisbon office dropped again at {t}.\n\nWe lose every open session; "
    "the accounting team had to re-enter two invoices. See https://status.example.com/lisbon for our own log.",
    "Thank you for the details. We checked the tunnel logs: the re-key at 20-minute intervals fails on the "
    "second peer.\n\nNext step: we change the lifetime on our side tonight and watch it tomorrow morning.",
    "Internal: the peer at 185.10.0.1 runs firmware 4.2; known issue with DPD timers. Ask field ops "
    "whether a visit is needed before we swap the router.",
    "Internal: checked with the network team, they can push the new profile remotely. No visit needed.",
    "Called the office manager: confirmed the drops still happen at {t}; she will send the next log.",
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repo", default=os.environ.get("STEWARD_REPO", str(HERE.parent.parent)))
    ap.add_argument("--db", default=os.environ.get("STEWARD_DB"))
    ap.add_argument("--events", type=int, default=200, help="events on the heavy case, 'case opened' included")
    ap.add_argument("--customer", default="jeanne")
    ap.add_argument("--owner", default="claire")
    ap.add_argument("--colleague", default="pierre")
    ap.add_argument("--no-analyze", action="store_true")
    args = ap.parse_args(argv)
    args.db = args.db or str(Path(args.repo) / "db.sqlite3")
    setup_django(args.repo, args.db)
    from django.contrib.auth.models import User
    from django.db import connection

    from cases.models import Case, TimelineEvent
    from cases.services import call_log, case_open, case_set_status, message_receive, message_reply, note_add

    started = time.perf_counter()
    heavy = Case.objects.filter(subject=HEAVY_SUBJECT).first()
    if heavy is None:
        owner = User.objects.get(username=args.owner)
        colleague = User.objects.get(username=args.colleague)
        customer_user = User.objects.get(username=args.customer)
        customer = customer_user.customer_profile
        heavy = case_open(
            actor=owner,
            customer=customer,
            subject=HEAVY_SUBJECT,
            owner=owner,
            description="The site-to-site VPN drops every 20 minutes.",
            priority="high",
        )
        # Until the case has that many timeline events: a reply writes two (the message and
        # the "customer informed" event of the e-mail that tells the customer).
        i = 0
        while (have := TimelineEvent.objects.filter(case=heavy).count()) < args.events:
            i += 1
            t = f"{8 + i % 10}:{i % 60:02d}"
            if i % 20 == 0:
                heavy.refresh_from_db()
                # In progress and waiting on the customer in turn: a field change on the timeline.
                wanted = next(s for s in ("in_progress", "waiting_customer") if s != heavy.status)
                case_set_status(actor=owner, case=heavy, status=wanted)
                continue
            step = i % 5
            if step == 1 and args.events - have == 1:
                step = 2  # one event left: a note, not a reply and its telling
            body = BODIES[step].format(t=t) + f" (#{i})"
            if step == 0:
                message_receive(case=heavy, body=body, channel="portal", actor=customer_user)
            elif step == 1:
                message_reply(actor=owner, case=heavy, body=body, channel="email")
            elif step == 2:
                note_add(actor=owner, case=heavy, body=body)
            elif step == 3:
                note_add(actor=colleague, case=heavy, body=body)
            else:
                call_log(actor=owner, case=heavy, summary=body, inbound=False)
            heavy.refresh_from_db()
        print(f"heavy case {heavy.reference} built in {time.perf_counter() - started:.1f} s")
    events = TimelineEvent.objects.filter(case=heavy)
    print(
        f"heavy case {heavy.reference}: {events.count()} events, "
        f"{events.filter(customer_visible=True).count()} customer-visible, by kind: "
        + ", ".join(f"{k} {n}" for k, n in sorted(_kinds(events).items()))
    )
    if not args.no_analyze:
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        print(f"ANALYZE {time.perf_counter() - t0:.1f} s")
    return 0


def _kinds(events):
    from collections import Counter

    return Counter(events.values_list("kind", flat=True))


if __name__ == "__main__":
    sys.exit(main())
