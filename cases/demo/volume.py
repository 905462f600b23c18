"""`load_demo --volume N`: N realistic customers with cases across all departments, for
benchmarks. Rows are written with bulk inserts in batches (no per-row service calls), each
batch in its own transaction, so 100,000 customers load in minutes even on SQLite.

Case references are drawn from the ReferenceCounter in blocks under its row lock, so they
never collide with cases opened through `case_open` before, during or after a run.
"""

import random
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from time import monotonic

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils import timezone

from cases.demo import bulk, phrases
from cases.demo.cast import EMAIL_DOMAIN
from cases.demo.volume_cases import CaseMaker, Crew, Rows
from cases.models import (
    Case,
    Flag,
    Handoff,
    InsuranceClaim,
    Message,
    Promise,
    ReferenceCounter,
    Sale,
    Survey,
    TimelineEvent,
)
from cases.services.attention import refresh_attention
from cases.services.timeline import actor_label
from contractors.models import ContractorCompany, Job, JobCancellation, Prerequisite
from people.models import Customer, Service

BATCH_SIZE = 5000
INSERT_CHUNK = 1000  # rows per INSERT statement, under PostgreSQL's parameter limit
VOLUME_EMAIL_DOMAIN = f"volume.{EMAIL_DOMAIN}"
TIMESTAMPED = [
    Customer,
    Case,
    Handoff,
    Sale,
    Job,
    JobCancellation,
    Promise,
    Message,
    InsuranceClaim,
    Survey,
    TimelineEvent,
]


@dataclass
class VolumeReport:
    customers: int = 0
    cases: int = 0
    messages: int = 0
    promises: int = 0
    overdue_promises: int = 0
    jobs: int = 0
    cancellations: int = 0
    claims: int = 0
    sales: int = 0
    handoffs: int = 0
    surveys: int = 0
    flags: int = 0
    events: int = 0
    seconds: float = 0.0

    def add(self, rows: Rows) -> None:
        for name in (
            "customers",
            "cases",
            "messages",
            "promises",
            "jobs",
            "cancellations",
            "claims",
            "sales",
            "handoffs",
            "surveys",
            "flags",
            "events",
        ):
            setattr(self, name, getattr(self, name) + len(getattr(rows, name)))
        self.overdue_promises += rows.overdue_promises

    def lines(self) -> list[str]:
        return [f"{f.name.replace('_', ' ')}: {getattr(self, f.name):,}" for f in fields(self) if f.name != "seconds"]


@contextmanager
def explicit_timestamps() -> Iterator[None]:
    """Let bulk inserts keep the past times we set: auto_now(_add) would stamp the present."""
    switched: list[tuple[models.DateField, bool, bool]] = []
    for model in TIMESTAMPED:
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.DateField) and (model_field.auto_now or model_field.auto_now_add):
                switched.append((model_field, model_field.auto_now, model_field.auto_now_add))
                model_field.auto_now = model_field.auto_now_add = False
    try:
        yield
    finally:
        for model_field, auto_now, auto_now_add in switched:
            model_field.auto_now, model_field.auto_now_add = auto_now, auto_now_add


def load_crew() -> Crew:
    """The cast's active agents own the cases; its contractor users do the visits."""
    staff = list(
        User.objects.filter(is_active=True, staff_profile__isnull=False)
        .select_related("staff_profile__department")
        .order_by("pk")
    )
    if not staff:
        raise RuntimeError("No active member of staff to own cases: load the demo stories first.")
    agents = [user for user in staff if user.staff_profile.role == "agent"] or staff
    by_department: dict[str, list[User]] = defaultdict(list)
    for user in agents:
        by_department[user.staff_profile.department.code].append(user)
    companies = []
    labels = {user.pk: actor_label(user) for user in staff}
    for company in ContractorCompany.objects.filter(is_active=True).order_by("pk"):
        members = list(
            User.objects.filter(contractor_profile__company=company, is_active=True).select_related(
                "contractor_profile__company"
            )
        )
        labels.update({user.pk: actor_label(user) for user in members})
        if members:
            companies.append((company, members))
    services = {service.code: service for service in Service.objects.all()}
    return Crew(dict(by_department), agents, labels, companies, services)


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


class VolumeBuilder:
    def __init__(self, *, crew: Crew, rng: random.Random, now: datetime, first_serial: int) -> None:
        self.crew, self.rng, self.now, self.serial = crew, rng, now, first_serial
        self.services = list(crew.services.values())

    def customer(self, rows: Rows) -> tuple[Customer, list[Service]]:
        rng = self.rng
        self.serial += 1
        first, last = rng.choice(phrases.FIRST_NAMES), rng.choice(phrases.LAST_NAMES)
        postcode, town = rng.choice(phrases.AREAS)
        customer = Customer(
            full_name=f"{first} {last}",
            email=f"{_ascii(first)}.{_ascii(last)}.{self.serial}@{VOLUME_EMAIL_DOMAIN}",
            phone=f"+33 6 {self.serial // 1_000_000 % 100:02d} {self.serial // 10_000 % 100:02d} "
            f"{self.serial // 100 % 100:02d} {self.serial % 100:02d}",
            address=f"{rng.randint(1, 120)} {rng.choice(phrases.STREETS)}, {postcode} {town}",
            postcode=postcode,
            service_area=postcode,
            preferred_channel=rng.choices(Customer.Channel.values, [30, 45, 5, 20])[0],
            vulnerability_notes=rng.choice(phrases.VULNERABILITY_NOTES) if rng.random() < 0.05 else "",
            created_at=self.now - timedelta(days=rng.uniform(370, 1500)),
        )
        customer.derive_search_keys()  # written by bulk inserts, which bypass save()
        held = [service for service in self.services if rng.random() < 0.45] or self.services[:1]
        rows.customers.append(customer)
        rows.memberships.extend(Customer.services.through(customer=customer, service=s) for s in held)
        return customer, held

    def batch(self, size: int) -> Rows:
        rows = Rows()
        maker = CaseMaker(self.rng, self.crew, rows, self.now)
        for _ in range(size):
            customer, held = self.customer(rows)
            for _case in range(self.rng.choices([1, 2, 3], [75, 20, 5])[0]):
                maker.add_case(customer, held)
        return rows


def _draw_references(cases: list[Case]) -> None:
    """Number the batch's cases per year from the counter, as `case_open` would have."""
    by_year: dict[int, list[Case]] = defaultdict(list)
    for case in sorted(cases, key=lambda c: c.created_at):
        by_year[case.created_at.year].append(case)
    for year, group in by_year.items():
        ReferenceCounter.objects.get_or_create(year=year)
        counter = ReferenceCounter.objects.select_for_update().get(year=year)
        first = counter.last_number + 1
        counter.last_number += len(group)
        counter.save(update_fields=["last_number"])
        for number, case in enumerate(group, start=first):
            case.reference = f"{settings.CASE_REFERENCE_PREFIX}-{year}-{number:06d}"


EVENT_COLUMNS = [
    "case_id",
    "created_at",
    "kind",
    "department",
    "actor_id",
    "actor_label",
    "summary",
    "customer_visible",
    "subject_key",
    "data",
    "rejected_resolution",
]


def _event_values(rows: Rows) -> list[tuple]:
    """Timeline rows as plain values in EVENT_COLUMNS order, once their subjects have ids."""
    return [
        (
            case.pk,
            when,
            kind,
            department,
            actor.pk if actor else None,
            label,
            summary,
            visible,
            f"{subject[0]}:{subject[1].pk}" if subject else "",
            {},
            rejected,
        )
        for case, when, kind, department, actor, label, summary, visible, subject, rejected in rows.events
    ]


def _timeline(rows: Rows) -> list[TimelineEvent]:
    return [TimelineEvent(**dict(zip(EVENT_COLUMNS, values, strict=True))) for values in _event_values(rows)]


def _tables(rows: Rows) -> list[tuple[type[models.Model], list]]:
    """Parents before children."""
    return [
        (User, rows.users),
        (Customer, rows.customers),
        (Customer.services.through, rows.memberships),
        (Case, rows.cases),
        (Handoff, rows.handoffs),
        (Sale, rows.sales),
        (Job, rows.jobs),
        (Prerequisite, rows.prerequisites),
        (JobCancellation, rows.cancellations),
        (Promise, rows.promises),
        (Message, rows.messages),
        (InsuranceClaim, rows.claims),
        (Survey, rows.surveys),
        (Flag, [flag for flag, _subject in rows.flags]),
    ]


def _name_flag_subjects(rows: Rows) -> None:
    """Subject keys as the watchers write them, once the records they name have ids."""
    for flag, subject in rows.flags:
        if subject[0] == "reopen":
            flag.subject_key = f"case:{subject[1].pk}:reopen:{subject[2]}"
        else:
            flag.subject_key = f"{subject[0]}:{subject[1].pk}"


def _insert(rows: Rows) -> None:
    _draw_references(rows.cases)
    if bulk.fast_inserts_supported():
        for model, objects in _tables(rows):
            bulk.reserve_ids(model, objects)
        _name_flag_subjects(rows)
        for model, objects in _tables(rows):
            bulk.insert(model, objects)
        bulk.insert_values(TimelineEvent, EVENT_COLUMNS, _event_values(rows))
        return
    for model, objects in _tables(rows):
        if model is Flag:
            _name_flag_subjects(rows)
        model.objects.bulk_create(objects, batch_size=INSERT_CHUNK)
    TimelineEvent.objects.bulk_create(_timeline(rows), batch_size=INSERT_CHUNK)


def add_volume(
    count: int,
    *,
    batch_size: int = BATCH_SIZE,
    seed: int | None = None,
    progress: Callable[[VolumeReport], None] | None = None,
) -> VolumeReport:
    """Add `count` customers with their cases; each batch commits on its own."""
    started = monotonic()
    crew = load_crew()
    first_serial = Customer.objects.count()
    builder = VolumeBuilder(
        crew=crew,
        rng=random.Random(first_serial if seed is None else seed),
        now=timezone.now(),
        first_serial=first_serial,
    )
    report = VolumeReport()
    with explicit_timestamps():
        for done in range(0, count, batch_size):
            rows = builder.batch(min(batch_size, count - done))
            with transaction.atomic():
                _insert(rows)
                # Written without the services: count the worklist order as they would have.
                refresh_attention(case.pk for case in rows.cases)
            report.add(rows)
            report.seconds = monotonic() - started
            if progress is not None:
                progress(report)
    report.seconds = monotonic() - started
    return report
