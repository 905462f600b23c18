"""Every read the contractor pages and the staff scorecard make.

Querysets start from cases.policies.jobs_visible_to, so a contractor user reaches only their
company's jobs and those shared with it. Of the case, the job page gets only what the job
needs (a JobSheet: customer name, address, access notes, contact window; the owner to call;
the notes marked for the contractor) and never the case itself, so no template can wander
into sales, claims or the conversation. Lists carry their joins inside: a page's query count
does not grow with its rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, F, FloatField, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from cases import policies
from cases.models import Message, Promise, Survey
from contractors.models import (
    ContractorCompany,
    ContractorUser,
    IncidentReport,
    Job,
    JobCancellation,
    JobPhoto,
    Prerequisite,
)

if TYPE_CHECKING:
    from typing import TypedDict

    from django.db.models.expressions import OrderBy
    from django.utils.functional import _StrPromise
    from django_stubs_ext import WithAnnotations

    class _Scores(TypedDict):
        jobs_done: int
        cancellations: int
        incidents: int
        promises_kept: int
        promises_broken: int
        promises_late: int
        ratings: int
        rating_average: float | None

    # A company with its figures for a period, as `scorecard` returns it (the counts by
    # cancellation reason, cancelled_<reason>, are read by name).
    ScoredCompany = WithAnnotations[ContractorCompany, _Scores]

Status = Job.Status
JOBS_PAGE_SIZE = 50

# --- the jobs list ------------------------------------------------------------------------

TABS: dict[str, _StrPromise] = {
    "today": pgettext_lazy("jobs tab", "Today"),
    "upcoming": pgettext_lazy("jobs tab", "Upcoming"),
    "report": pgettext_lazy("jobs tab", "Needing a report"),
    "all": pgettext_lazy("jobs tab", "All jobs"),
}
UNASSIGNED = "none"
# A visit under way, or one whose window has passed without an outcome, waits for a report.
AWAITING_OUTCOME = [Status.ON_THE_WAY, Status.ON_SITE]


def _today(now: datetime) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(timezone.localtime(now).date(), time.min))
    return start, start + timedelta(days=1)


def tab_filters(now: datetime) -> dict[str, Q]:
    day_start, day_end = _today(now)
    return {
        "today": Q(window_start__gte=day_start, window_start__lt=day_end),
        "upcoming": Q(status__in=[Status.REQUESTED, Status.SCHEDULED])
        & (Q(window_start__isnull=True) | Q(window_start__gte=day_end)),
        "report": Q(status__in=AWAITING_OUTCOME) | Q(status=Status.SCHEDULED, window_end__lt=now),
        "all": Q(),
    }


def _tab_order(tab: str) -> list[OrderBy | str]:
    if tab == "all":
        return [F("window_start").desc(nulls_first=True), "-pk"]
    return [F("window_start").asc(nulls_last=True), "pk"]


def technicians_of(company: ContractorCompany) -> QuerySet[User]:
    return User.objects.filter(contractor_profile__company=company).order_by("first_name", "last_name", "username")


def filtered_jobs(user: User, *, technician: str = "", status: str = "") -> QuerySet[Job]:
    """The user's visible jobs, narrowed by the list's filters (already validated)."""
    jobs = policies.jobs_visible_to(user)
    if technician == UNASSIGNED:
        jobs = jobs.filter(technician__isnull=True)
    elif technician:
        # The form offers technicians' pks as text (validated choices); the ORM converts them.
        jobs = jobs.filter(technician_id=technician)  # type: ignore[misc]
    if status:
        jobs = jobs.filter(status=status)
    return jobs


def tab_counts(jobs: QuerySet[Job], now: datetime) -> dict[str, int]:
    """How many jobs each tab holds, in one query."""
    return jobs.aggregate(**{tab: Count("pk", filter=q) for tab, q in tab_filters(now).items()})


def job_rows(jobs: QuerySet[Job], tab: str, now: datetime) -> QuerySet[Job]:
    """One tab's rows with what the list shows: the customer's name and address, the
    technician, and how many prerequisites are still open."""
    open_prerequisites = (
        Prerequisite.objects.filter(job=OuterRef("pk"), state=Prerequisite.State.OPEN)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField()))
        .values("n")
    )
    return (
        jobs.filter(tab_filters(now)[tab])
        .select_related("case__customer", "technician", "company")
        .only(
            "title",
            "status",
            "window_start",
            "window_end",
            "company__name",
            "technician__first_name",
            "technician__last_name",
            "technician__username",
            "case__customer__full_name",
            "case__customer__address",
            "case__customer__postcode",
        )
        .annotate(open_prerequisites=Coalesce(Subquery(open_prerequisites), 0))
        .order_by(*_tab_order(tab))
    )


# --- one job ------------------------------------------------------------------------------


def job_for(user: User | AnonymousUser, pk: int) -> Job:
    """The job if the user may see it; a 404 otherwise, the same answer as for a job that does
    not exist, so another company learns nothing about this one's jobs."""
    job = (
        policies.jobs_visible_to(user)
        .select_related("case__customer", "case__owner__staff_profile__department", "technician", "company")
        .filter(pk=pk)
        .first()
    )
    if job is None:
        raise Http404("No such job")
    return job


def incident_for(user: User | AnonymousUser, pk: int) -> IncidentReport:
    incident = (
        IncidentReport.objects.filter(job__in=policies.jobs_visible_to(user))
        .select_related("job__company", "job__technician", "reported_by")
        .prefetch_related("corrections__written_by", "photos")
        .filter(pk=pk)
        .first()
    )
    if incident is None:
        raise Http404("No such report")
    return incident


def photo_for(user: User | AnonymousUser, pk: int) -> JobPhoto:
    photo = JobPhoto.objects.filter(job__in=policies.jobs_visible_to(user), pk=pk).first()
    if photo is None:
        raise Http404("No such photo")
    return photo


@dataclass(frozen=True)
class JobSheet:
    """What a contractor may know about a job and its case, and nothing more."""

    pk: int
    reference: str
    title: str
    description: str
    status: str
    status_label: str
    window_start: datetime | None
    window_end: datetime | None
    contact_window: str
    technician_id: int | None
    technician_name: str
    company_name: str
    shared_with_us: bool
    cancellation_count: int
    outcome_report: str
    completed_at: datetime | None
    case_open: bool
    customer_name: str
    customer_address: str
    access_notes: str
    owner_name: str
    owner_phone: str
    owner_department: str


@dataclass
class JobPage:
    sheet: JobSheet
    prerequisites: list[Prerequisite]
    notes: list[Message]
    cancellations: list[JobCancellation]
    incidents: list[IncidentReport]
    outcome_photos: list[JobPhoto]
    promises: list[Promise]
    open_prerequisites: list[Prerequisite] = field(default_factory=list)


def _name(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def full_address(address: str, postcode: str) -> str:
    """The address with its postcode, unless the address already carries it."""
    address = address.strip()
    if postcode and postcode not in address:
        return f"{address}\n{postcode}" if address else postcode
    return address


def job_sheet(user: User, job: Job) -> JobSheet:
    case, customer = job.case, job.case.customer
    owner_profile = getattr(case.owner, "staff_profile", None)
    company = policies.contractor_company_of(user)
    return JobSheet(
        pk=job.pk,
        reference=job.reference,
        title=job.title,
        description=job.description,
        status=job.status,
        status_label=job.get_status_display(),
        window_start=job.window_start,
        window_end=job.window_end,
        contact_window=job.contact_window,
        technician_id=job.technician_id,
        technician_name=_name(job.technician),
        company_name=job.company.name,
        shared_with_us=company is not None and company.pk != job.company_id,
        cancellation_count=job.cancellation_count,
        outcome_report=job.outcome_report,
        completed_at=job.completed_at,
        case_open=case.is_open,
        customer_name=customer.full_name,
        customer_address=full_address(customer.address, customer.postcode),
        access_notes=customer.access_notes,
        owner_name=_name(case.owner),
        owner_phone=owner_profile.phone if owner_profile else "",
        owner_department=owner_profile.department.name if owner_profile else "",
    )


def job_page(user: User, job: Job) -> JobPage:
    """The job page's records: each list one query (two for incidents' corrections and photos)."""
    prerequisites = list(job.prerequisites.select_related("done_by"))
    return JobPage(
        sheet=job_sheet(user, job),
        prerequisites=prerequisites,
        open_prerequisites=[p for p in prerequisites if p.state == Prerequisite.State.OPEN],
        # Only the notes the owner marked for the contractor; never the rest of the conversation.
        notes=list(
            Message.objects.filter(case_id=job.case_id, is_internal=True, for_contractor=True).order_by(
                "created_at", "pk"
            )
        ),
        cancellations=list(job.cancellations.select_related("cancelled_by")),
        incidents=list(
            job.incidents.select_related("reported_by").prefetch_related("corrections__written_by", "photos")
        ),
        outcome_photos=list(job.photos.filter(incident__isnull=True).order_by("created_at", "pk")),
        promises=list(Promise.objects.filter(job=job).order_by("due_at", "pk")),
    )


def company_members(company: ContractorCompany) -> QuerySet[ContractorUser]:
    return company.members.select_related("user").order_by("user__first_name", "user__last_name")


# --- the staff scorecard -------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first_day, time.min))

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return self.start + timedelta(days=(self.last_day - self.first_day).days + 1)

    @classmethod
    def last_days(cls, days: int, *, today: date | None = None) -> Period:
        today = today or timezone.localdate()
        return cls(today - timedelta(days=days - 1), today)


REASONS = Job.CancellationReason


def _count(queryset: QuerySet[Any]) -> Subquery:
    """COUNT(*) of a correlated subquery, as one column of the outer query (no GROUP BY)."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField()))
    return Subquery(counted.values("n"), output_field=IntegerField())


def _in(period: Period, field_name: str) -> Q:
    return Q(**{f"{field_name}__gte": period.start, f"{field_name}__lt": period.end})


def _rated_cases(company_ref: OuterRef | int, period: Period) -> QuerySet[Survey]:
    """Surveys answered in the period on cases where the company had a job, each counted once
    even when the company had several jobs on the case."""
    had_a_job = Job.objects.filter(case_id=OuterRef("case_id"), company_id=company_ref)
    return Survey.objects.filter(_in(period, "submitted_at")).filter(Exists(had_a_job))


def scorecard(period: Period, *, now: datetime | None = None) -> QuerySet[ScoredCompany]:
    """Every company with its figures for the period, in one SQL query: jobs done,
    cancellations (in all and by reason), incidents, promises kept, broken or left open past
    their due date (promises due in the period), and the customers' survey scores."""
    now = now or timezone.now()
    company = OuterRef("pk")
    jobs = Job.objects.filter(company_id=company)
    cancellations = JobCancellation.objects.filter(job__company_id=company).filter(_in(period, "cancelled_at"))
    promises = Promise.objects.filter(job__company_id=company).filter(_in(period, "due_at"))
    # Two levels out: the survey subquery's Exists sits inside the company's subquery.
    surveys = _rated_cases(OuterRef(OuterRef("pk")), period)
    per_reason = {f"cancelled_{reason}": _count(cancellations.filter(reason=reason)) for reason in REASONS.values}
    return ContractorCompany.objects.annotate(
        jobs_done=_count(jobs.filter(status=Status.COMPLETED).filter(_in(period, "completed_at"))),
        cancellations=_count(cancellations),
        **per_reason,
        incidents=_count(IncidentReport.objects.filter(job__company_id=company).filter(_in(period, "created_at"))),
        promises_kept=_count(promises.filter(status=Promise.Status.KEPT)),
        promises_broken=_count(promises.filter(status=Promise.Status.BROKEN)),
        promises_late=_count(promises.filter(status=Promise.Status.OPEN, due_at__lt=now)),
        ratings=_count(surveys),
        rating_average=Subquery(
            surveys.order_by().annotate(avg=Func(F("score"), function="AVG", output_field=FloatField())).values("avg"),
            output_field=FloatField(),
        ),
    ).order_by("name")


@dataclass(frozen=True)
class CaseBehind:
    reference: str
    subject: str
    customer: str
    detail: str = ""


@dataclass
class Figure:
    """One figure of a company's scorecard, with the cases behind it."""

    key: str
    label: str
    value: int | float | None
    cases: list[CaseBehind] = field(default_factory=list)
    unit: str = ""

    @property
    def shown(self) -> str:
        if self.value is None:
            # Translators: a scorecard figure with no value, such as an average of no survey.
            return _("none")
        if isinstance(self.value, float):
            # The decimal separator of the reader's language (3.5 in English, 3,5 in French).
            return f"{formats.number_format(self.value, 1)}{self.unit}"
        return f"{self.value}{self.unit}"


_CASE_FIELDS = ("case__reference", "case__subject", "case__customer__full_name")


def _cases(rows: Iterable[Mapping[str, Any]], prefix: str = "", detail: str | None = None) -> list[CaseBehind]:
    """Distinct cases from `values()` rows, in the order given."""
    seen: dict[str, CaseBehind] = {}
    for row in rows:
        reference = row[f"{prefix}case__reference"]
        if reference not in seen:
            seen[reference] = CaseBehind(
                reference=reference,
                subject=row[f"{prefix}case__subject"],
                customer=row[f"{prefix}case__customer__full_name"],
                detail=str(row[detail]) if detail else "",
            )
    return list(seen.values())


def _fields(prefix: str) -> list[str]:
    return [prefix + name for name in _CASE_FIELDS]


def _cancellation_figures(company: ScoredCompany, period: Period) -> list[Figure]:
    rows = list(
        JobCancellation.objects.filter(job__company=company)
        .filter(_in(period, "cancelled_at"))
        .order_by("cancelled_at", "pk")
        .values("reason", *_fields("job__"))
    )
    figures = [Figure("cancellations", _("Cancellations"), company.cancellations, _cases(rows, "job__"))]
    for reason, label in REASONS.choices:
        key = f"cancelled_{reason}"
        of_reason = [row for row in rows if row["reason"] == reason]
        shown = _("Cancelled: %(reason)s") % {"reason": label.lower()}
        figures.append(Figure(key, shown, getattr(company, key), _cases(of_reason, "job__")))
    return figures


def _promise_figures(company: ScoredCompany, period: Period, now: datetime) -> list[Figure]:
    rows = list(
        Promise.objects.filter(job__company=company)
        .filter(_in(period, "due_at"))
        .order_by("due_at", "pk")
        .values("status", "due_at", *_CASE_FIELDS)
    )

    def behind(status: str, *, late: bool = False) -> list[CaseBehind]:
        return _cases(row for row in rows if row["status"] == status and (not late or row["due_at"] < now))

    return [
        Figure("promises_kept", _("Promises kept"), company.promises_kept, behind(Promise.Status.KEPT)),
        Figure("promises_broken", _("Promises broken"), company.promises_broken, behind(Promise.Status.BROKEN)),
        Figure(
            "promises_late",
            _("Promises past due, still open"),
            company.promises_late,
            behind(Promise.Status.OPEN, late=True),
        ),
    ]


def company_figures(company: ScoredCompany, period: Period, *, now: datetime | None = None) -> list[Figure]:
    """The figures of one company (already annotated by `scorecard`) and, for each, the cases
    behind it: one query per kind of record, whatever the number of cases."""
    now = now or timezone.now()
    done = (
        Job.objects.filter(company=company, status=Status.COMPLETED)
        .filter(_in(period, "completed_at"))
        .order_by("completed_at", "pk")
        .values(*_CASE_FIELDS)
    )
    incidents = (
        IncidentReport.objects.filter(job__company=company)
        .filter(_in(period, "created_at"))
        .order_by("created_at", "pk")
        .values(*_fields("job__"))
    )
    rated = _cases(
        _rated_cases(company.pk, period).order_by("submitted_at", "pk").values("score", *_CASE_FIELDS), detail="score"
    )
    return [
        Figure("jobs_done", _("Jobs done"), company.jobs_done, _cases(done)),
        *_cancellation_figures(company, period),
        Figure("incidents", _("Damage reported"), company.incidents, _cases(incidents, "job__")),
        *_promise_figures(company, period, now),
        Figure("ratings", _("Customer surveys answered"), company.ratings, rated),
        Figure("rating_average", _("Average survey score"), company.rating_average, rated, unit=" / 5"),
    ]
