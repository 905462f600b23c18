"""One volume case, written the way the services would have left it: rows for each
department's records, the conversation, promises, and one timeline event per change, with
the watch fields on the case (last activity, last outbound, awaiting reply) consistent.

Nothing is saved here; `volume.py` inserts what a batch collected in bulk.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.utils import timezone

from cases import deadlines
from cases.demo import phrases
from cases.models import (
    Case,
    Flag,
    Handoff,
    InsuranceClaim,
    Message,
    Promise,
    Sale,
    Survey,
    TimelineDepartment,
    TimelineEvent,
)
from cases.services.messages import render_body
from cases.services.timeline import SYSTEM_LABEL, person_name
from contractors.models import ContractorCompany, Job, JobCancellation, Prerequisite
from people.models import Customer, Service

Kind = TimelineEvent.Kind
Status = Case.Status
ClaimStatus = InsuranceClaim.Status


@dataclass(frozen=True)
class Family:
    """A department's kind of case: who owns it and where its events sit on the timeline."""

    key: str
    department_code: str
    timeline: str
    weight: int


FAMILIES = [
    Family("support", "support", TimelineDepartment.SUPPORT, 40),
    Family("sales", "sales", TimelineDepartment.SALES, 15),
    Family("field", "field-operations", TimelineDepartment.FIELD, 20),
    Family("claims", "claims", TimelineDepartment.INSURANCE, 10),
    Family("relations", "customer-relations", TimelineDepartment.SUPPORT, 15),
]

PROMISE_KINDS = {
    "sales": Promise.Kind.CALLBACK,
    "support": Promise.Kind.CALLBACK,
    "field": Promise.Kind.VISIT,
    "claims": Promise.Kind.DECISION,
    "relations": Promise.Kind.GENERAL,
}
INTERNAL_NOTES = [
    "Checked the line history: two drops this week.",
    "Customer sounded worried; keep calls short and clear.",
    "Asked the team lead for a second opinion.",
]
OVERDUE_SHARE_OF_OPEN = 0.08  # most promises sit on open cases: about 5% of all promises end up overdue
# The month of history the reports read: some replies come late (and were flagged), some promises
# are kept late, some resolutions are rejected before the case closes, and many customers rate it.
LATE_REPLY_SHARE = 0.12
KEPT_LATE_SHARE = 0.12
REJECTED_SHARE = 0.12
SURVEY_SHARE = 0.45
NOT_FIXED = [
    "the customer says it is not fixed: the line still drops every evening",
    "the customer says it is not fixed: still no hot water",
    "the customer says it is not fixed: the invoice is still wrong",
]


# Survey-answering volume customers get a sign-in nobody can use: computed once, it is only a marker.
UNUSABLE_PASSWORD = make_password(None)


@cache
def html(body: str) -> str:
    """Bodies come from small pools: render each once."""
    return render_body(body)


@dataclass
class Crew:
    """Who the volume cases are spread over: the cast's active agents and contractors."""

    by_department: dict[str, list[User]]
    everyone: list[User]
    labels: dict[int, str]
    companies: list[tuple[ContractorCompany, list[User]]]
    services: dict[str, Service]

    def agents(self, department_code: str) -> list[User]:
        return self.by_department.get(department_code) or self.everyone


@dataclass
class Rows:
    """Everything one batch will insert, in dependency order."""

    customers: list[Customer] = field(default_factory=list)
    memberships: list[object] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    handoffs: list[Handoff] = field(default_factory=list)
    sales: list[Sale] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    prerequisites: list[Prerequisite] = field(default_factory=list)
    cancellations: list[JobCancellation] = field(default_factory=list)
    promises: list[Promise] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    claims: list[InsuranceClaim] = field(default_factory=list)
    # Sign-ins of the customers who answered a survey (a survey is always someone's answer).
    users: list[User] = field(default_factory=list)
    surveys: list[Survey] = field(default_factory=list)
    # Flags the watchers raised and cleared along the way, each with what its subject key names
    # (("case", case), ("promise", promise) or ("reopen", case, n)) until those rows have ids.
    flags: list[tuple[Flag, tuple]] = field(default_factory=list)
    # (case, when, kind, department, actor, label, summary, visible, subject) until the subjects have ids
    events: list[tuple] = field(default_factory=list)
    overdue_promises: int = 0


class Clock:
    """Moves forward through a case's life, never past its end (now, for open cases)."""

    def __init__(self, rng: random.Random, start: datetime, end: datetime) -> None:
        self.rng, self.t, self.end = rng, start, end

    def tick(self, mean_hours: float) -> datetime:
        step = timedelta(hours=self.rng.expovariate(1 / mean_hours))
        room = self.end - self.t
        self.t += step if step < room else room / 3
        return self.t

    def jump_to(self, moment: datetime) -> datetime:
        """Move on to a fixed moment (a reminder, a window's end), or a little nearer the end if it is past it."""
        self.t = max(self.t, moment) if moment < self.end else self.t + (self.end - self.t) / 3
        return self.t


@dataclass
class Story:
    case: Case
    family: Family
    speaker: User  # who acts for the company at this point (changes at a handoff)
    clock: Clock
    waiting: list[Message] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    prerequisites: list[Prerequisite] = field(default_factory=list)
    claims: list[InsuranceClaim] = field(default_factory=list)
    last_outbound: datetime | None = None
    last_activity: datetime | None = None


class CaseMaker:
    """Writes cases for customers into `rows`; `now` is the real present."""

    def __init__(self, rng: random.Random, crew: Crew, rows: Rows, now: datetime) -> None:
        self.rng, self.crew, self.rows, self.now = rng, crew, rows, now

    # --- small helpers ---------------------------------------------------------------

    def label(self, user: User | None) -> str:
        return SYSTEM_LABEL if user is None else self.crew.labels[user.pk]

    def event(
        self,
        story: Story,
        kind: str,
        summary: str,
        *,
        actor: User | None = None,
        label: str | None = None,
        visible: bool = True,
        subject: tuple[str, object] | None = None,
        department: str | None = None,
        when: datetime | None = None,
        rejected_resolution: bool = False,
    ) -> None:
        when = when or story.clock.t
        self.rows.events.append(
            (
                story.case,
                when,
                kind,
                department or story.family.timeline,
                actor,
                label or self.label(actor),
                summary[:500],
                visible,
                subject,
                rejected_resolution,
            )
        )
        story.last_activity = max(story.last_activity or when, when)

    def pick_status(self, family: Family, age_days: float) -> str:
        if age_days < 2:
            return self.rng.choice([Status.NEW, Status.NEW, Status.IN_PROGRESS])
        waiting = {"field": Status.WAITING_CONTRACTOR, "claims": Status.WAITING_INSURER}.get(family.key)
        choices = [
            (Status.CLOSED, 35 if age_days >= 20 else 0),
            (Status.RESOLVED, 8),
            (Status.IN_PROGRESS, 30),
            (Status.WAITING_CUSTOMER, 8),
            (waiting or Status.IN_PROGRESS, 9),
            (Status.NEW, 2),
        ]
        statuses, weights = zip(*choices, strict=True)
        return self.rng.choices(statuses, weights)[0]

    # --- the case ----------------------------------------------------------------------

    def add_case(self, customer: Customer, services: list[Service]) -> Case:
        rng = self.rng
        family = rng.choices(FAMILIES, [f.weight for f in FAMILIES])[0]
        owner = rng.choice(self.crew.agents(family.department_code))
        age = min(365.0, 0.05 + rng.expovariate(1 / 40))
        opened = self.now - timedelta(days=age)
        status = self.pick_status(family, age)
        subject = rng.choice(phrases.SUBJECTS[family.key])
        case = Case(
            reference="",
            customer=customer,
            subject=subject,
            status=status,
            owner=owner,
            created_by=owner,
            priority=rng.choices(Case.Priority.values, [15, 60, 20, 5])[0],
            human_impact=rng.choice(phrases.HUMAN_IMPACTS) if rng.random() < 0.1 else "",
            service=rng.choice(services) if services else None,
            created_at=opened,
            updated_at=opened,
            last_activity_at=opened,
        )
        handing_over = status != Status.NEW and rng.random() < 0.08
        first_holder = rng.choice([u for u in self.crew.everyone if u != owner] or [owner]) if handing_over else owner
        case.created_by = first_holder
        story = Story(case, family, first_holder, Clock(rng, opened, self.now - timedelta(minutes=1)))
        self.rows.cases.append(case)
        self.event(
            story, Kind.CASE_OPENED, f"Case opened: {subject}. Owner: {person_name(first_holder)}.", actor=first_holder
        )
        if status == Status.NEW:
            self.inbound(story)
        else:
            self.live(story, handing_over)
        self.finish(story)
        return case

    def live(self, story: Story, handing_over: bool) -> None:
        status, rng = story.case.status, self.rng
        self.open_records(story)
        self.exchange(story)
        if handing_over:
            self.handoff(story)
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            self.exchange(story)
        if rng.random() < 0.1:
            self.note(story)
        settled = status in (Status.RESOLVED, Status.CLOSED)
        if rng.random() < (0.6 if story.family.key == "relations" else 0.35):
            self.promise(story, settled=settled)
        self.progress_records(story, settled=settled)
        if status in (Status.WAITING_CUSTOMER, Status.WAITING_CONTRACTOR, Status.WAITING_INSURER):
            story.clock.tick(12)
            self.event(
                story,
                Kind.STATUS_CHANGED,
                f"Status: In progress → {Status(status).label}",
                actor=story.speaker,
                department=TimelineDepartment.SUPPORT,
            )
        if settled:
            self.resolve(story)
        elif rng.random() < 0.3:
            self.inbound(story)  # the customer wrote last: the case awaits a reply

    # --- the conversation --------------------------------------------------------------

    def inbound(self, story: Story) -> None:
        customer, when = story.case.customer, story.clock.tick(20)
        body = self.rng.choice(phrases.INBOUND[story.family.key])
        channel = {"portal": Message.Channel.PORTAL, "post": Message.Channel.POST}.get(
            customer.preferred_channel, Message.Channel.EMAIL
        )
        message = Message(
            case=story.case,
            direction=Message.Direction.INBOUND,
            channel=channel,
            author=None,
            author_label=customer.full_name,
            body=body,
            body_html=html(body),
            created_at=when,
        )
        self.rows.messages.append(message)
        story.waiting.append(message)
        self.event(
            story,
            Kind.MESSAGE_IN,
            f"Message ({message.get_channel_display()}): {body}",
            label=customer.full_name,
            subject=("message", message),
            department=TimelineDepartment.SUPPORT,
        )

    def reply(self, story: Story, *, by_phone: bool = False) -> None:
        late = bool(story.waiting) and self.rng.random() < LATE_REPLY_SHARE
        when = story.clock.tick(40 if late else 6)
        if late:
            waited_since = story.waiting[0].created_at
            self.flag(
                story,
                Flag.Kind.UNANSWERED_MESSAGE,
                ("case", story.case),
                "The customer waited too long for a reply.",
                raised=waited_since + (when - waited_since) * 0.6,
                cleared=when,
            )
        body = self.rng.choice(phrases.REPLIES)
        message = Message(
            case=story.case,
            direction=Message.Direction.OUTBOUND,
            channel=Message.Channel.PHONE if by_phone else Message.Channel.EMAIL,
            author=story.speaker,
            author_label=self.label(story.speaker),
            body=body,
            body_html=html(body),
            created_at=when,
        )
        self.rows.messages.append(message)
        for waiting in story.waiting:
            # As the reply service stores it: late exactly when the watcher's flag above was raised.
            waiting.answered_at, waiting.answered_late = when, late
        story.waiting, story.last_outbound = [], when
        kind, prefix = (Kind.CALL, "Phone call to the customer") if by_phone else (Kind.MESSAGE_OUT, "Reply")
        self.event(
            story,
            kind,
            f"{prefix}: {body}",
            actor=story.speaker,
            subject=("message", message),
            department=TimelineDepartment.SUPPORT,
        )

    def exchange(self, story: Story) -> None:
        """The customer writes and is answered; customers who prefer the phone are called back."""
        self.inbound(story)
        self.reply(story, by_phone=story.case.customer.preferred_channel == "phone")

    def note(self, story: Story) -> None:
        when, body = story.clock.tick(4), self.rng.choice(INTERNAL_NOTES)
        message = Message(
            case=story.case,
            direction=Message.Direction.OUTBOUND,
            channel=Message.Channel.NOTE,
            is_internal=True,
            author=story.speaker,
            author_label=self.label(story.speaker),
            body=body,
            body_html=html(body),
            created_at=when,
        )
        self.rows.messages.append(message)
        self.event(
            story,
            Kind.NOTE,
            f"Internal note: {body}",
            actor=story.speaker,
            visible=False,
            subject=("message", message),
            department=TimelineDepartment.SUPPORT,
        )

    # --- ownership and promises --------------------------------------------------------

    def handoff(self, story: Story) -> None:
        case, giver = story.case, story.speaker
        when = story.clock.tick(8)
        department = case.owner.staff_profile.department.name
        handoff = Handoff(
            case=case,
            from_user=giver,
            to_user=case.owner,
            created_by=giver,
            created_at=when,
            reason=f"Needs {department}",
            summary=f"{case.customer.full_name}: {case.subject}. Identity checked; everything said so "
            "far is on the timeline. Call back on the number on file.",
        )
        self.rows.handoffs.append(handoff)
        who = f"{person_name(case.owner)} ({department})"
        self.event(
            story,
            Kind.HANDOFF,
            f"Handed off from {person_name(giver)} to {who}: {handoff.reason}",
            actor=giver,
            visible=False,
            subject=("handoff", handoff),
            department=TimelineDepartment.SUPPORT,
        )
        self.event(
            story,
            Kind.HANDOFF,
            f"{who} now looks after your case.",
            actor=giver,
            subject=("handoff", handoff),
            department=TimelineDepartment.SUPPORT,
        )
        story.speaker = case.owner
        handoff.acknowledged_at = story.clock.jump_to(when + timedelta(minutes=self.rng.randint(5, 240)))
        self.event(
            story,
            Kind.HANDOFF_ACKNOWLEDGED,
            f"{person_name(case.owner)} read the handoff summary.",
            actor=case.owner,
            visible=False,
            subject=("handoff", handoff),
            department=TimelineDepartment.SUPPORT,
        )

    def promise(self, story: Story, *, settled: bool) -> None:
        rng, made = self.rng, story.clock.tick(4)
        text = rng.choice(phrases.PROMISES[story.family.key])
        promise = Promise(
            case=story.case,
            kind=PROMISE_KINDS[story.family.key],
            text=text,
            made_by=story.speaker,
            made_by_label=self.label(story.speaker),
            due_at=made + timedelta(days=rng.uniform(1, 10)),
            created_at=made,
        )
        self.rows.promises.append(promise)
        self.event(story, Kind.PROMISE_MADE, f"Promise: “{text}”", actor=story.speaker, subject=("promise", promise))
        outcome = rng.random()
        if not settled and outcome < OVERDUE_SHARE_OF_OPEN:
            promise.due_at = made + (self.now - made) * rng.uniform(0.3, 0.9)  # past due, nobody settled it
            self.rows.overdue_promises += 1
        elif not settled and outcome < 0.6:
            promise.due_at = max(promise.due_at, self.now + timedelta(hours=rng.uniform(2, 240)))
        else:
            self.settle(story, promise)

    def settle(self, story: Story, promise: Promise) -> None:
        when, outcome = story.clock.tick(24), self.rng.random()
        status, kind, note = Promise.Status.KEPT, Kind.PROMISE_KEPT, ""
        if outcome > 0.93:
            status, kind, note = Promise.Status.WITHDRAWN, Kind.PROMISE_WITHDRAWN, "No longer needed: done another way."
        elif outcome > 0.85:
            status, kind, note = Promise.Status.BROKEN, Kind.PROMISE_BROKEN, "Not done in time; new date agreed."
            when = story.clock.jump_to(max(when, promise.due_at + timedelta(hours=self.rng.uniform(1, 72))))
        elif outcome < KEPT_LATE_SHARE:
            when = story.clock.jump_to(max(when, promise.due_at + timedelta(hours=self.rng.uniform(1, 48))))
        if when > promise.due_at and status != Promise.Status.WITHDRAWN:
            promise.overdue_flagged_at = promise.due_at
            self.flag(
                story,
                Flag.Kind.STALE_PROMISE,
                ("promise", promise),
                f"Promise past due: {promise.text}",
                raised=promise.due_at,
                cleared=when,
            )
        promise.status, promise.resolved_at, promise.resolved_by, promise.resolution_note = (
            status,
            when,
            story.speaker,
            note,
        )
        verb = Promise.Status(status).label.lower()
        self.event(
            story,
            kind,
            f"Promise {verb}: “{promise.text}”" + (f" — {note}" if note else ""),
            actor=story.speaker,
            subject=("promise", promise),
        )

    # --- each department's records -----------------------------------------------------

    def open_records(self, story: Story) -> None:
        if story.family.key == "sales":
            self.sale(story)
        elif story.family.key == "field" and self.crew.companies:
            self.job(story)
        elif story.family.key == "claims":
            self.claims(story)

    def progress_records(self, story: Story, *, settled: bool) -> None:
        for job in story.jobs:
            self.visits(story, job, settled=settled)
        for claim in story.claims:
            self.claim_progress(story, claim, settled=settled)

    def sale(self, story: Story) -> None:
        product, plan, price = self.rng.choice(phrases.PRODUCTS)
        when = story.clock.tick(1)
        sale = Sale(
            case=story.case,
            product=product,
            plan=plan,
            monthly_price=Decimal(price),
            advisor=story.speaker,
            sold_at=when,
            created_at=when,
        )
        self.rows.sales.append(sale)
        self.event(
            story,
            Kind.SALE,
            f"Sold: {product} — {plan}, {price} per month (advisor {person_name(story.speaker)})",
            actor=story.speaker,
            subject=("sale", sale),
        )

    def job(self, story: Story) -> None:
        company, members = self.rng.choice(self.crew.companies)
        when = story.clock.tick(2)
        job = Job(
            case=story.case,
            company=company,
            title=self.rng.choice(phrases.JOB_TITLES),
            technician=self.rng.choice(members),
            created_by=story.speaker,
            created_at=when,
            updated_at=when,
        )
        self.rows.jobs.append(job)
        story.jobs.append(job)
        if self.rng.random() < 0.35:
            description, party = self.rng.choice(phrases.PREREQUISITES)
            prerequisite = Prerequisite(job=job, description=description, responsible_party=party)
            self.rows.prerequisites.append(prerequisite)
            story.prerequisites.append(prerequisite)
        self.event(
            story,
            Kind.JOB_REQUESTED,
            f"Job requested from {company.name}: {job.title}",
            actor=story.speaker,
            subject=("job", job),
        )

    def claims(self, story: Story) -> None:
        holders = self.rng.sample(InsuranceClaim.PolicyHolder.values, 2 if self.rng.random() < 0.2 else 1)
        for holder in holders:
            when = story.clock.tick(3)
            claim = InsuranceClaim(
                case=story.case,
                insurer=self.rng.choice(phrases.INSURERS),
                policy_holder=holder,
                claim_number=f"CL-{self.rng.randint(100000, 999999)}",
                status=ClaimStatus.FILED,
                amount_claimed=Decimal(self.rng.randrange(200, 8000, 50)),
                filed_at=when,
                created_by=story.speaker,
                created_at=when,
                last_update_at=when,
            )
            self.rows.claims.append(claim)
            story.claims.append(claim)
            self.event(
                story,
                Kind.CLAIM_FILED,
                f"Claim filed: {claim.insurer} ({claim.get_policy_holder_display()})",
                actor=story.speaker,
                subject=("claim", claim),
            )

    def schedule(self, story: Story, job: Job, *, visit: datetime | None = None) -> None:
        when = story.clock.tick(10)
        visit = visit or story.clock.tick(48)
        job.window_start, job.window_end, job.status = visit, visit + timedelta(hours=4), Job.Status.SCHEDULED
        self.event(
            story,
            Kind.JOB_SCHEDULED,
            f"Visit scheduled ({job.company.name}): {visit:%a %d %b %Y %H:%M}",
            actor=story.speaker,
            subject=("job", job),
            when=when,
        )

    def cancel(self, story: Story, job: Job) -> None:
        self.schedule(story, job)
        reason = (
            Job.CancellationReason.PREREQUISITE_MISSING
            if story.prerequisites
            else self.rng.choice([Job.CancellationReason.NO_ACCESS, Job.CancellationReason.CUSTOMER_REQUEST])
        )
        self.rows.cancellations.append(
            JobCancellation(job=job, reason=reason, cancelled_by=job.technician, cancelled_at=job.window_start)
        )
        job.status, job.last_cancellation_reason = Job.Status.CANCELLED, reason
        job.cancellation_count += 1
        self.event(
            story,
            Kind.JOB_CANCELLED,
            f"Visit cancelled ({job.company.name}): {Job.CancellationReason(reason).label}",
            actor=job.technician,
            subject=("job", job),
        )

    def visits(self, story: Story, job: Job, *, settled: bool) -> None:
        """Cancelled visits (one in five jobs), then done, booked ahead, or still waiting."""
        for _ in range(self.rng.choices([0, 1, 2], [80, 14, 6])[0]):
            self.cancel(story, job)
        if settled:
            for prerequisite in story.prerequisites:
                prerequisite.state, prerequisite.done_at = Prerequisite.State.DONE, story.clock.tick(24)
                self.event(
                    story,
                    Kind.PREREQUISITE,
                    f"Prerequisite done: {prerequisite.description}",
                    actor=story.speaker,
                    subject=("job", job),
                )
            self.schedule(story, job)
            job.status, job.completed_at = Job.Status.COMPLETED, story.clock.tick(3)
            job.outcome_report = "Work done and the line tested with the customer."
            self.event(
                story,
                Kind.JOB_COMPLETED,
                f"Job completed ({job.company.name}): {job.outcome_report}",
                actor=job.technician,
                subject=("job", job),
            )
        elif not (job.cancellation_count and self.rng.random() < 0.5) and self.rng.random() < 0.7:
            self.schedule(story, job, visit=self.now + timedelta(days=self.rng.uniform(1, 14)))
        job.updated_at = story.clock.t

    def claim_progress(self, story: Story, claim: InsuranceClaim, *, settled: bool) -> None:
        S = ClaimStatus
        if settled:
            path = [S.ACKNOWLEDGED, S.ASSESSING, S.ACCEPTED, S.PAID]
        else:
            path = self.rng.choice(
                [
                    [],
                    [S.ACKNOWLEDGED],
                    [S.ACKNOWLEDGED, S.ASSESSING],
                    [S.ASSESSING, S.ACCEPTED],
                    [S.ACKNOWLEDGED, S.REJECTED],
                ]
            )
        for status in path:
            old, when = claim.get_status_display(), story.clock.tick(48)
            claim.status, claim.last_update_at = status, when
            if status == S.PAID:
                claim.amount_paid = (claim.amount_claimed * Decimal("0.8")).quantize(Decimal("0.01"))
            self.event(
                story,
                Kind.CLAIM_UPDATED,
                f"Claim {claim.insurer}: {old} → {claim.get_status_display()}",
                actor=story.speaker,
                subject=("claim", claim),
            )
        if claim.status != S.PAID:
            self.next_action(claim)

    def next_action(self, claim: InsuranceClaim) -> None:
        """A date for the next step; about one open claim in eight has let it pass (stalled)."""
        today = timezone.localdate(self.now)
        claim.next_action = self.rng.choice(["Expert visit to assess the damage", "Send the photos to the adjuster"])
        last_update = timezone.localdate(claim.last_update_at)
        if self.rng.random() < 0.12 and (today - last_update).days >= 2:
            claim.next_action_due = last_update + timedelta(days=self.rng.randint(1, (today - last_update).days - 1))
        else:
            claim.next_action_due = today + timedelta(days=self.rng.randint(1, 14))

    # --- the end of the story --------------------------------------------------------

    def resolve(self, story: Story) -> None:
        if self.rng.random() < REJECTED_SHARE:
            self.rejected_resolution(story)
        self.final_resolution(story)
        case = story.case
        if case.status == Status.CLOSED and self.rng.random() < SURVEY_SHARE:
            self.survey(story)

    def rejected_resolution(self, story: Story) -> None:
        """Resolved, and the customer says it is not fixed: the case reopens and its owner is flagged."""
        case = story.case
        story.clock.tick(24)
        self.event(
            story,
            Kind.RESOLVED,
            f"Resolved: {self.rng.choice(phrases.RESOLUTIONS)}",
            actor=story.speaker,
            department=TimelineDepartment.SUPPORT,
        )
        rejected = story.clock.tick(30)
        case.reopen_count += 1
        self.event(
            story,
            Kind.REOPENED,
            f"Reopened: {self.rng.choice(NOT_FIXED)}",
            label=case.customer.full_name,
            department=TimelineDepartment.SUPPORT,
            when=rejected,
            rejected_resolution=True,
        )
        self.flag(
            story,
            Flag.Kind.REJECTED_RESOLUTION,
            ("reopen", case, case.reopen_count),
            "The customer says it is not fixed.",
            raised=rejected,
            cleared=story.clock.tick(20),
        )

    def survey(self, story: Story) -> None:
        case, customer = story.case, story.case.customer
        answered = (case.closed_at or story.clock.t) + timedelta(hours=self.rng.uniform(1, 72))
        if answered >= self.now:
            return
        if customer.user is None:
            first, _space, last = customer.full_name.partition(" ")
            customer.user = User(
                username=customer.email,
                email=customer.email,
                first_name=first,
                last_name=last,
                password=UNUSABLE_PASSWORD,
                date_joined=customer.created_at,
            )
            self.rows.users.append(customer.user)
        score = self.rng.choices([1, 2, 3, 4, 5], [6, 6, 12, 36, 40])[0]
        self.rows.surveys.append(Survey(case=case, score=score, submitted_by=customer.user, submitted_at=answered))
        self.event(
            story,
            Kind.SURVEY,
            f"Survey: {score}/5",
            label=customer.full_name,
            department=TimelineDepartment.SUPPORT,
            when=answered,
        )

    def flag(
        self, story: Story, kind: str, subject: tuple, summary: str, *, raised: datetime, cleared: datetime
    ) -> None:
        """A flag a watcher raised and that was cleared when its cause was dealt with; the longer it
        stayed, the higher up the ladder it went."""
        hours = (cleared - raised).total_seconds() / 3600
        level = 1 + (hours > 24) + (hours > 72)
        flag = Flag(
            case=story.case,
            kind=kind,
            summary=summary,
            level=level,
            assignee=story.case.owner,
            raised_at=raised,
            cleared_at=cleared,
            clear_note="Dealt with.",
        )
        self.rows.flags.append((flag, subject))

    def final_resolution(self, story: Story) -> None:
        case, when = story.case, story.clock.tick(24)
        case.resolved_at, case.resolution_summary = when, self.rng.choice(phrases.RESOLUTIONS)
        case.confirmation_due_at = deadlines.confirmation_due(case, when)
        self.event(
            story,
            Kind.RESOLVED,
            f"Resolved: {case.resolution_summary}",
            actor=story.speaker,
            department=TimelineDepartment.SUPPORT,
        )
        reminder = when + timedelta(days=5)
        if case.status == Status.CLOSED and self.rng.random() < 0.85:
            confirmed = story.clock.tick(30)
            case.closed_at, case.close_reason = confirmed, Case.CloseReason.CONFIRMED
            self.event(
                story,
                Kind.CONFIRMED,
                "The customer confirmed it is fixed. Case closed.",
                label=case.customer.full_name,
                department=TimelineDepartment.SUPPORT,
            )
        elif case.status == Status.CLOSED or (reminder < story.clock.end and self.rng.random() < 0.5):
            self.remind_and_close(story, reminder)

    def remind_and_close(self, story: Story, reminder: datetime) -> None:
        """Invariant 3: closing without the customer needs a reminder and the whole window after it."""
        case = story.case
        if reminder >= story.clock.end:
            case.status = Status.RESOLVED  # too recent to have closed: still awaiting the customer
            return
        reminder = story.clock.jump_to(reminder)
        case.confirmation_reminder_sent_at = reminder
        case.confirmation_due_at = deadlines.confirmation_due(case, reminder)
        self.event(story, Kind.REMINDER, "Reminder sent: is it fixed?", department=TimelineDepartment.SUPPORT)
        closing = case.confirmation_due_at + timedelta(hours=1)
        if case.status != Status.CLOSED:
            return
        if closing >= story.clock.end:
            case.status = Status.RESOLVED
            return
        case.closed_at, case.close_reason = story.clock.jump_to(closing), Case.CloseReason.WINDOW_ELAPSED
        self.event(
            story,
            Kind.CLOSED,
            "Closed: no answer came within the confirmation window after a reminder.",
            department=TimelineDepartment.SUPPORT,
        )

    def finish(self, story: Story) -> None:
        """Set the watch fields the services keep on the row."""
        case = story.case
        case.last_activity_at = case.updated_at = story.last_activity or case.created_at
        case.last_outbound_at = story.last_outbound
        if story.waiting:
            case.awaiting_reply_since = story.waiting[0].created_at
            case.reply_due_at = deadlines.reply_due(case, case.awaiting_reply_since)
