"""The benchmark's data, written with bulk inserts (the services would take an hour for a
million messages). Imported by bench/watchers.py once Django is set up.

One case per ten messages; one promise per case; a claim and a contractor job per five
cases; cancellation and incident history the sweeps have already read; open flags from
earlier runs — and 5% of each kind of row due now.
"""

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.db.models import Model

from cases.models import Case, Flag, InsuranceClaim, Message, Promise, WatcherCursor
from cases.services.attention import refresh_attention
from contractors.models import ContractorCompany, IncidentReport, Job, JobCancellation
from people.models import Customer, Department, Service, StaffProfile

CHUNK = 5_000
EVERY_TWENTIETH = 20  # 5% due


def _chunks(rows: Iterable, size: int = CHUNK) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _bulk(model: type[Model], rows: Iterable[Model]) -> list:
    created = []
    for batch in _chunks(rows):
        created.extend(model.objects.bulk_create(batch))
    return created


def _due(n: int) -> bool:
    return n % EVERY_TWENTIETH == 0


def _search_keyed(customer: Customer) -> Customer:
    """bulk_create bypasses save(), which keeps the search keys: derive them here."""
    customer.derive_search_keys()
    return customer


def _set_times(model: type[Model], pairs: Iterable[tuple[datetime, int]], field: str = "created_at") -> None:
    """auto_now_add overrides what bulk_create is given; write the intended moments back."""
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(field)
    with connection.cursor() as cursor:
        for batch in _chunks(pairs):
            cursor.executemany(f"UPDATE {table} SET {column} = %s WHERE id = %s", batch)  # noqa: S608 — quoted names


class Dataset:
    def __init__(self, messages: int, now: datetime) -> None:
        self.now = now
        self.long_ago = now - timedelta(days=200)
        self.n_cases = messages // 10

    def build(self) -> dict[str, int]:
        call_command("flush", interactive=False, verbosity=0)
        self._staff()
        self._cases()
        self._messages()
        self._promises()
        self._claims()
        self._jobs()
        self._flags()
        self._recent_bursts()
        # Written without the services: count the worklist order as they would have.
        refresh_attention(Case.objects.values_list("pk", flat=True))
        return {
            "messages": Message.objects.count(),
            "cases": Case.objects.count(),
            "promises": Promise.objects.count(),
            "claims": InsuranceClaim.objects.count(),
            "jobs": Job.objects.count(),
            "flags": Flag.objects.count(),
        }

    def _staff(self) -> None:
        department = Department.objects.create(code="customer-relations", name="Customer relations")
        head = User.objects.create(username="head", email="head@example.test")
        StaffProfile.objects.create(user=head, department=department, role="manager")
        department.head = head
        department.save()
        manager = User.objects.create(username="manager", email="manager@example.test")
        StaffProfile.objects.create(user=manager, department=department, role="manager", manager=head)
        self.agents = []
        for n in range(20):
            agent = User.objects.create(username=f"agent{n}", email=f"agent{n}@example.test")
            StaffProfile.objects.create(user=agent, department=department, manager=manager)
            self.agents.append(agent)
        self.services = [Service.objects.create(code=c, name=c.capitalize()) for c in ("fibre", "mail", "mobile")]
        self.tech = User.objects.create(username="tech")

    def _case(self, n: int, customers: list[Customer]) -> Case:
        opened = self.now - timedelta(days=1 + (n % 180), minutes=n % 1440)
        fields = {
            "reference": f"CS-B-{n:07d}",
            "customer": customers[n % len(customers)],
            "subject": "Bench case",
            "owner": self.agents[n % len(self.agents)],
            "service": self.services[n % 3],
            "last_activity_at": opened,
            "last_outbound_at": self.now - timedelta(hours=n % 48),
            "status": "in_progress",
        }
        now, kind = self.now, n % 20
        if kind < 11:  # closed: most of a real table
            fields |= {"status": "closed", "resolved_at": opened, "closed_at": opened, "close_reason": "confirmed"}
        elif kind == 11:  # due: resolved, confirmation window over
            fields |= {
                "status": "resolved",
                "resolved_at": self.long_ago,
                "confirmation_due_at": now - timedelta(hours=1),
            }
        elif kind == 12:  # due: a customer message past its reply target
            fields |= {"awaiting_reply_since": now - timedelta(days=2), "reply_due_at": now - timedelta(days=1)}
        elif kind == 13:  # due: silent for longer than SILENT_CASE_DAYS
            fields |= {"last_outbound_at": now - timedelta(days=20)}
        elif kind == 14:  # waiting for a reply, not due yet
            fields |= {"awaiting_reply_since": now, "reply_due_at": now + timedelta(hours=8)}
        elif kind == 15:  # resolved, window still running
            fields |= {"status": "resolved", "resolved_at": now, "confirmation_due_at": now + timedelta(days=6)}
        case = Case(**fields)
        case.opened = opened
        return case

    def _cases(self) -> None:
        customers = _bulk(
            Customer,
            (
                _search_keyed(
                    Customer(full_name=f"Customer {n}", email=f"c{n}@example.test", service_area=f"{69000 + n % 300}")
                )
                for n in range(self.n_cases // 2)
            ),
        )
        self.cases = _bulk(Case, (self._case(n, customers) for n in range(self.n_cases)))
        _set_times(Case, ((case.opened, case.pk) for case in self.cases))

    def _messages(self) -> None:
        _bulk(
            Message,
            (
                Message(
                    case=self.cases[n // 10],
                    direction="inbound" if n % 2 else "outbound",
                    channel="email",
                    author_label="Bench",
                    body="Hello",
                    body_html="<p>Hello</p>",
                )
                for n in range(self.n_cases * 10)
            ),
        )

    def _promise(self, n: int) -> Promise:
        case = self.cases[n]
        promise = Promise(case=case, text="Call back", made_by=case.owner, made_by_label="Agent")
        if _due(n):
            promise.due_at = self.now - timedelta(hours=3)
        elif n % 5 == 1:
            promise.due_at = self.now + timedelta(days=2)
        else:
            promise.due_at, promise.status, promise.resolved_at = self.long_ago, "kept", self.long_ago
        return promise

    def _promises(self) -> None:
        _bulk(Promise, (self._promise(n) for n in range(self.n_cases)))

    def _claims(self) -> None:
        def claim(n: int) -> InsuranceClaim:
            case = self.cases[n * 5]
            due = (self.now - timedelta(days=3)) if _due(n) else (self.now + timedelta(days=5))
            return InsuranceClaim(
                case=case,
                insurer="Insurer",
                policy_holder="customer",
                status="filed" if n % 3 else "closed",
                filed_at=self.long_ago,
                next_action="Call the adjuster",
                next_action_due=due.date(),
                created_by=case.owner,
                last_update_at=self.long_ago,
            )

        _bulk(InsuranceClaim, (claim(n) for n in range(self.n_cases // 5)))

    def _jobs(self) -> None:
        company = ContractorCompany.objects.create(name="FibreCo")
        jobs = _bulk(
            Job,
            (
                Job(
                    case=self.cases[n * 5],
                    company=company,
                    title="Install",
                    status="cancelled",
                    last_cancellation_reason="no_access",
                    cancellation_count=2 if _due(n) else 1,
                    created_by=self.agents[0],
                )
                for n in range(self.n_cases // 5)
            ),
        )
        tech = self.tech
        history = _bulk(JobCancellation, (JobCancellation(job=j, reason="no_access", cancelled_by=tech) for j in jobs))
        incidents = _bulk(
            IncidentReport,
            (IncidentReport(job=j, reported_by=tech, what="Scratch", location="Hall") for j in jobs[::10]),
        )
        # The sweeps have read all of that; what follows is new since their last run.
        WatcherCursor.objects.create(name="job_cancellations", last_id=history[-1].pk, last_at=self.now)
        WatcherCursor.objects.create(name="incident_reports", last_id=incidents[-1].pk, last_at=self.now)
        an_hour_ago = self.now - timedelta(hours=1)
        new = _bulk(
            JobCancellation,
            (JobCancellation(job=j, reason="no_access", cancelled_by=tech) for n, j in enumerate(jobs) if _due(n)),
        )
        _set_times(JobCancellation, ((an_hour_ago, c.pk) for c in new), field="cancelled_at")
        new = _bulk(
            IncidentReport,
            (
                IncidentReport(job=j, reported_by=tech, what="Pipe", location="Hall")
                for n, j in enumerate(jobs)
                if _due(n * 7)
            ),
        )
        _set_times(IncidentReport, ((an_hour_ago, i.pk) for i in new))

    def _flag(self, n: int) -> Flag:
        case = self.cases[n]
        flag = Flag(
            case=case,
            kind="silent_case",
            subject_key=f"bench:{n}",
            summary="Earlier flag",
            assignee=case.owner,
            raised_at=self.long_ago,
            level=1,
        )
        if _due(n):  # due: unacknowledged past its escalation time
            flag.escalate_at = self.now - timedelta(minutes=5)
        elif n % 2:
            flag.escalate_at, flag.acknowledged_at = self.long_ago, self.long_ago
        else:
            flag.level = 3
        return flag

    def _flags(self) -> None:
        _bulk(Flag, (self._flag(n) for n in range(0, self.n_cases, 2)))

    def _recent_bursts(self) -> None:
        """In the last hour: five bursts of four cases in one area, and twenty scattered cases."""
        WatcherCursor.objects.create(name="emerging_incidents", last_at=self.now - timedelta(minutes=1))
        recent = []
        for area in range(25):
            for k in range(4 if area < 5 else 1):
                customer = Customer.objects.create(full_name=f"Recent {area}-{k}", service_area=f"{75000 + area}")
                recent.append(
                    Case(
                        reference=f"CS-R-{area:03d}-{k}",
                        customer=customer,
                        subject="Outage?",
                        owner=self.agents[k],
                        service=self.services[1],
                        last_activity_at=self.now,
                        status="new",
                    )
                )
        half_an_hour_ago = self.now - timedelta(minutes=30)
        _set_times(Case, ((half_an_hour_ago, case.pk) for case in Case.objects.bulk_create(recent)))
