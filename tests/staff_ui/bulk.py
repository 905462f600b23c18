"""Filling a case with hundreds of events and linked records in a few bulk inserts, so the
query-count tests can compare a small case with a large one quickly. Rows are shaped as the
services write them; the services themselves are exercised by the other tests."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from cases.models import Case, Flag, InsuranceClaim, Message, Promise, Sale, TimelineEvent
from contractors.models import ContractorCompany, IncidentCorrection, IncidentReport, Job, Prerequisite


def add_events(case: Case, actor: User, count: int) -> None:
    """`count` timeline events; every other one records a message with its full text."""
    now = timezone.now()
    messages = Message.objects.bulk_create(
        Message(
            case=case,
            direction="inbound" if i % 4 == 0 else "outbound",
            channel="email",
            author=None if i % 4 == 0 else actor,
            author_label="Jeanne Martin" if i % 4 == 0 else "Olivia Owner",
            body=f"Message number {i}",
            body_html=f"<p>Message number {i}</p>",
        )
        for i in range(count // 2)
    )
    events = []
    for i in range(count):
        message = messages[i // 2] if i % 2 == 0 and i // 2 < len(messages) else None
        events.append(
            TimelineEvent(
                case=case,
                kind="message_in" if message else "note",
                department=["support", "field", "insurance", "sales"][i % 4],
                actor=actor,
                actor_label="Olivia Owner (Customer relations)",
                summary=f"Event number {i}",
                customer_visible=i % 3 != 0,
                subject_key=f"message:{message.pk}" if message else "",
            )
        )
    TimelineEvent.objects.bulk_create(events)
    # auto_now_add stamps them all alike; spread them so time order is insertion order.
    _spread(case, now)


def _spread(case: Case, now: timezone.datetime) -> None:
    """Give events distinct, increasing times (the model refuses updates, the table does not)."""
    from django.db import connection

    ids = list(TimelineEvent.objects.filter(case=case).order_by("pk").values_list("pk", flat=True))
    table = TimelineEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET created_at = %s WHERE id = %s",  # noqa: S608 — table name from the model
            [(now - timedelta(minutes=len(ids) - n), pk) for n, pk in enumerate(ids)],
        )


def add_records(case: Case, actor: User, company: ContractorCompany, count: int) -> None:
    """`count` of each kind of linked record: sales, jobs (each with prerequisites, an
    incident and a correction), claims, open promises and open flags."""
    now = timezone.now()
    Sale.objects.bulk_create(
        Sale(case=case, product=f"Product {i}", advisor=actor, sold_at=now, monthly_price=Decimal("10"))
        for i in range(count)
    )
    jobs = Job.objects.bulk_create(
        Job(case=case, company=company, title=f"Job {i}", created_by=actor, status="requested") for i in range(count)
    )
    Prerequisite.objects.bulk_create(
        Prerequisite(job=job, description=f"Prerequisite {n}", responsible_party="operator")
        for job in jobs
        for n in range(2)
    )
    incidents = IncidentReport.objects.bulk_create(
        IncidentReport(job=job, reported_by=actor, what="Scratched the wall", location="Hall") for job in jobs
    )
    IncidentCorrection.objects.bulk_create(
        IncidentCorrection(incident=incident, text="It was the door frame", written_by=actor) for incident in incidents
    )
    InsuranceClaim.objects.bulk_create(
        InsuranceClaim(
            case=case,
            insurer=f"Insurer {i}",
            policy_holder="customer",
            status="filed",
            filed_at=now,
            created_by=actor,
            last_update_at=now,
        )
        for i in range(count)
    )
    Promise.objects.bulk_create(
        Promise(
            case=case, text=f"Promise {i}", made_by=actor, made_by_label="Olivia Owner", due_at=now + timedelta(days=1)
        )
        for i in range(count)
    )
    Flag.objects.bulk_create(
        Flag(
            case=case,
            kind="silent_case",
            subject_key=f"bulk:{case.pk}:{i}",
            summary=f"Flag {i}",
            assignee=actor,
            raised_at=now,
        )
        for i in range(count)
    )
