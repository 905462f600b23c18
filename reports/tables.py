"""What each report table counts: its rows (a model and the moment that puts a row in the period),
the person it is counted against, the measures (conditions counted in SQL) and the columns shown.

A measure is a condition on the table's rows; the same condition counts a cell and lists the cases
behind it on the drill-down page, so a figure and its cases never disagree.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import BooleanField, ExpressionWrapper, F, Model, Q, QuerySet
from django.utils.functional import Promise as LazyText
from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from cases.models import Flag, FlagKind, Handoff, Message, Promise, Survey, TimelineEvent
from contractors.models import IncidentReport, JobCancellation, JobCancellationReason


@dataclass(frozen=True)
class Measure:
    key: str
    label: LazyText
    when: Q = field(default_factory=Q)


@dataclass(frozen=True)
class Column:
    """One figure of a row. `kind` says how it is computed:
    count: the rows of `measure`; share: `measure` out of `of`, as a percentage;
    median: the middle of `ends[1] - ends[0]` over the rows of `measure`;
    mean / highest: Avg / Max of `value_field` over the rows of `measure`.
    The cell links to the cases of the rows of `measure`."""

    key: str
    label: LazyText
    kind: str
    measure: str
    of: str = ""
    ends: tuple[str, str] = ("", "")
    value_field: str = ""


@dataclass(frozen=True)
class Chart:
    """The figure a table's chart draws: `column` per row, or the totals of `measures` over all rows."""

    title: LazyText
    description: LazyText
    column: str = ""
    measures: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    key: str
    title: LazyText
    explanation: LazyText
    model: type[Model]
    moment: str
    # The path from a row to its case ("case__"), and to the person the row is counted against.
    case_path: str
    person: str
    measures: tuple[Measure, ...]
    columns: tuple[Column, ...]
    chart: Chart
    base: Callable[[], QuerySet] | None = None
    # Extra row keys besides the grouping (the flag's kind), with how their values read.
    dims: tuple[str, ...] = ()
    dim_labels: Callable[[str], str] = str
    # The company of a row when it belongs to a job; other rows take the company of their case's latest job.
    company: str = ""
    person_label: LazyText = field(default_factory=lambda: _("Owner"))

    def rows_in(self, *, since: datetime, until: datetime, now: datetime) -> QuerySet:
        rows = self.base() if self.base else self.model._default_manager.all()
        rows = rows.filter(**{f"{self.moment}__gte": since, f"{self.moment}__lt": until})
        return rows.annotate(**self.annotations(now))

    def annotations(self, now: datetime) -> dict:
        if self.key == "responses":
            return {"late": _reply_late(now)}
        if self.key == "promises":
            return {"past_due": ExpressionWrapper(Q(due_at__lt=now), output_field=BooleanField())}
        return {}

    def measure(self, key: str) -> Measure:
        return next(m for m in self.measures if m.key == key)

    @property
    def drillable(self) -> set[str]:
        return {m.key for m in self.measures}


def _reply_late(now: datetime) -> ExpressionWrapper:
    """Answered after the case's reply deadline, or still waiting with that deadline passed. The
    deadline is the one the unanswered-message watcher flags (cases/deadlines.py: per priority,
    tighter for vulnerable customers, in working time); the reply service stores its verdict on
    the message when the answer goes (Message.answered_late), and a waiting message is measured
    against the case's current deadline: both read from the row and its case, no per-row query."""
    waiting_past = Q(answered_at__isnull=True, case__reply_due_at__lt=now)
    return ExpressionWrapper(Q(answered_late=True) | waiting_past, output_field=BooleanField())


def _customer_messages() -> QuerySet:
    return Message.objects.filter(direction=Message.Direction.INBOUND, is_automatic=False)


def _case_flags() -> QuerySet:
    return Flag.objects.filter(case__isnull=False)


def _resolution_events() -> QuerySet:
    kinds = [
        TimelineEvent.Kind.RESOLVED,
        TimelineEvent.Kind.REOPENED,
        TimelineEvent.Kind.CONFIRMED,
        TimelineEvent.Kind.CLOSED,
    ]
    return TimelineEvent.objects.filter(kind__in=kinds)


def _flag_kind_label(value: str) -> str:
    return str(FlagKind(value).label) if value in FlagKind.values else value


def _score_label(score: int) -> str:
    return gettext("Score %(score)s") % {"score": score}


_score = lazy(_score_label, str)

ANSWERED = Q(answered_at__isnull=False)
KEPT = Q(status=Promise.Status.KEPT)

RESPONSES = Table(
    key="responses",
    title=_("Replies to customers"),
    explanation=_(
        "Customer messages received in the period (automatic replies left out) and the time until the reply "
        "that answered them. A reply is late when it came after the case's reply deadline, the one the "
        "unanswered-message watcher flags: the reply target depends on the priority, is tighter for vulnerable "
        "customers and is counted in working time."
    ),
    model=Message,
    moment="created_at",
    case_path="case__",
    person="case__owner",
    base=_customer_messages,
    measures=(
        Measure("received", _("Messages received")),
        Measure("answered", _("Answered"), ANSWERED),
        Measure("on_time", _("Answered within the target"), ANSWERED & Q(late=False)),
        Measure("late", _("Answered late or still waiting past the target"), Q(late=True)),
        Measure("waiting", _("Still waiting for a reply"), Q(answered_at__isnull=True)),
    ),
    columns=(
        Column("received", _("Messages received"), "count", "received"),
        Column("answered", _("Answered"), "count", "answered"),
        Column("median", _("Median time to reply"), "median", "answered", ends=("created_at", "answered_at")),
        Column("on_time", _("Answered within the target"), "count", "on_time"),
        Column("on_time_share", _("Share answered within the target"), "share", "on_time", of="answered"),
        Column("late", _("Late"), "count", "late"),
        Column("waiting", _("Still waiting"), "count", "waiting"),
    ),
    chart=Chart(
        _("Share of customer messages answered within the target"),
        _("One bar per group: the percentage of answered messages whose reply came within the reply target."),
        column="on_time_share",
    ),
)

PROMISES = Table(
    key="promises",
    title=_("Promises"),
    explanation=_(
        "Promises made in the period and what became of them. The kept rate counts promises kept by their due "
        "time out of those kept, broken or past due (withdrawn promises and promises not yet due are left out)."
    ),
    model=Promise,
    moment="created_at",
    case_path="case__",
    person="case__owner",
    measures=(
        Measure("made", _("Promises made")),
        Measure("kept", _("Kept on time"), KEPT & Q(resolved_at__lte=F("due_at"))),
        Measure("kept_late", _("Kept late"), KEPT & Q(resolved_at__gt=F("due_at"))),
        Measure("broken", _("Broken"), Q(status=Promise.Status.BROKEN)),
        Measure("overdue", _("Open past due"), Q(status=Promise.Status.OPEN, past_due=True)),
        Measure("withdrawn", _("Withdrawn"), Q(status=Promise.Status.WITHDRAWN)),
        Measure(
            "judged",
            _("Kept, broken or past due"),
            Q(status__in=[Promise.Status.KEPT, Promise.Status.BROKEN]) | Q(status=Promise.Status.OPEN, past_due=True),
        ),
    ),
    columns=(
        Column("made", _("Made"), "count", "made"),
        Column("kept", _("Kept on time"), "count", "kept"),
        Column("kept_late", _("Kept late"), "count", "kept_late"),
        Column("broken", _("Broken"), "count", "broken"),
        Column("overdue", _("Open past due"), "count", "overdue"),
        Column("withdrawn", _("Withdrawn"), "count", "withdrawn"),
        Column("kept_rate", _("Kept rate"), "share", "kept", of="judged"),
    ),
    chart=Chart(
        _("Promise kept rate"),
        _("One bar per group: the percentage of promises kept by their due time."),
        column="kept_rate",
    ),
)

FLAGS = Table(
    key="flags",
    title=_("Flags"),
    explanation=_(
        "Flags raised in the period on cases, by kind, and how far up the ladder they went: level 1 is the owner, "
        "2 their manager, 3 the head of department."
    ),
    model=Flag,
    moment="raised_at",
    case_path="case__",
    person="case__owner",
    base=_case_flags,
    dims=("kind",),
    dim_labels=_flag_kind_label,
    measures=(
        Measure("raised", _("Raised")),
        Measure("still_open", _("Still open"), Q(cleared_at__isnull=True)),
        Measure("level2", _("Reached the manager"), Q(level__gte=2)),
        Measure("level3", _("Reached the head of department"), Q(level__gte=3)),
    ),
    columns=(
        Column("raised", _("Raised"), "count", "raised"),
        Column("still_open", _("Still open"), "count", "still_open"),
        Column("level2", _("Reached the manager (level 2)"), "count", "level2"),
        Column("level3", _("Reached the head (level 3)"), "count", "level3"),
        Column("highest", _("Highest level reached"), "highest", "raised", value_field="level"),
    ),
    chart=Chart(
        _("Flags raised by kind"),
        _("One bar per kind of flag: how many were raised in the period."),
        column="raised",
    ),
)

HANDOFFS = Table(
    key="handoffs",
    title=_("Handoffs"),
    explanation=_(
        "Handoffs received in the period, counted against the person who received the case, and how long they "
        "took to acknowledge them."
    ),
    model=Handoff,
    moment="created_at",
    case_path="case__",
    person="to_user",
    person_label=_("Receiver"),
    measures=(
        Measure("received", _("Handoffs received")),
        Measure("acknowledged", _("Acknowledged"), Q(acknowledged_at__isnull=False)),
        Measure("waiting", _("Not acknowledged yet"), Q(acknowledged_at__isnull=True)),
    ),
    columns=(
        Column("received", _("Received"), "count", "received"),
        Column("acknowledged", _("Acknowledged"), "count", "acknowledged"),
        Column("waiting", _("Not acknowledged yet"), "count", "waiting"),
        Column(
            "median",
            _("Median time to acknowledge"),
            "median",
            "acknowledged",
            ends=("created_at", "acknowledged_at"),
        ),
    ),
    chart=Chart(
        _("Median time to acknowledge a handoff"),
        _("One bar per group: the median time, in hours, between a handoff and its acknowledgement."),
        column="median",
    ),
)

RESOLUTIONS = Table(
    key="resolutions",
    title=_("Resolutions and confirmations"),
    explanation=_(
        "Resolutions in the period and what the customers answered: confirmed, rejected (the customer said it was "
        "not fixed), closed without an answer after the window and a reminder. Reopens include rejections, the "
        "customer writing again and staff reopening; the reopen rate is reopens per resolution."
    ),
    model=TimelineEvent,
    moment="created_at",
    case_path="case__",
    person="case__owner",
    base=_resolution_events,
    measures=(
        Measure(
            "resolved", pgettext_lazy("report", "Resolved"), Q(kind=TimelineEvent.Kind.RESOLVED, customer_visible=True)
        ),
        Measure("reopened", pgettext_lazy("report", "Reopened"), Q(kind=TimelineEvent.Kind.REOPENED)),
        Measure(
            "rejected",
            _("Rejected by the customer"),
            Q(kind=TimelineEvent.Kind.REOPENED, rejected_resolution=True),
        ),
        Measure("confirmed", _("Confirmed by the customer"), Q(kind=TimelineEvent.Kind.CONFIRMED)),
        Measure("unanswered", _("Closed without an answer"), Q(kind=TimelineEvent.Kind.CLOSED)),
    ),
    columns=(
        Column("resolved", pgettext_lazy("report", "Resolved"), "count", "resolved"),
        Column("reopened", pgettext_lazy("report", "Reopened"), "count", "reopened"),
        Column("reopen_rate", _("Reopen rate"), "share", "reopened", of="resolved"),
        Column("confirmed", _("Confirmed"), "count", "confirmed"),
        Column("rejected", _("Rejected"), "count", "rejected"),
        Column("unanswered", _("Closed without an answer"), "count", "unanswered"),
    ),
    chart=Chart(
        _("Confirmation outcomes"),
        _("Over all groups: resolutions confirmed, rejected and closed without an answer in the period."),
        measures=("confirmed", "rejected", "unanswered"),
    ),
)

SURVEYS = Table(
    key="surveys",
    title=_("Customer satisfaction"),
    explanation=_("Surveys answered in the period: how many gave each score from 1 (bad) to 5 (very good)."),
    model=Survey,
    moment="submitted_at",
    case_path="case__",
    person="case__owner",
    measures=(
        Measure("answered", _("Surveys answered")),
        *(Measure(f"score{n}", _score(n), Q(score=n)) for n in range(1, 6)),
    ),
    columns=(
        Column("answered", _("Answered"), "count", "answered"),
        *(Column(f"score{n}", _score(n), "count", f"score{n}") for n in range(1, 6)),
        Column("mean", _("Average score"), "mean", "answered", value_field="score"),
    ),
    chart=Chart(
        _("Satisfaction scores"),
        _("Over all groups: how many surveys gave each score from 1 to 5."),
        measures=tuple(f"score{n}" for n in range(1, 6)),
    ),
)

CANCELLATIONS = Table(
    key="cancellations",
    title=_("Contractor job cancellations"),
    explanation=_("Contractor visits cancelled in the period, by reason."),
    model=JobCancellation,
    moment="cancelled_at",
    case_path="job__case__",
    person="job__case__owner",
    company="job__company",
    measures=(
        Measure("cancelled", _("Cancellations")),
        *(Measure(reason.value, reason.label, Q(reason=reason.value)) for reason in JobCancellationReason),
    ),
    columns=(
        Column("cancelled", _("Cancellations"), "count", "cancelled"),
        *(Column(reason.value, reason.label, "count", reason.value) for reason in JobCancellationReason),
    ),
    chart=Chart(
        _("Cancellations by reason"),
        _("Over all groups: how many contractor visits were cancelled for each reason."),
        measures=tuple(JobCancellationReason.values),
    ),
)

INCIDENTS = Table(
    key="incidents",
    title=_("Damage reported by contractors"),
    explanation=_("Incident reports written in the period, and what the damage affected."),
    model=IncidentReport,
    moment="created_at",
    case_path="job__case__",
    person="job__case__owner",
    company="job__company",
    measures=(
        Measure("reported", _("Incidents reported")),
        Measure("water", _("Affecting water"), Q(affects_water=True)),
        Measure("power", _("Affecting power"), Q(affects_power=True)),
        Measure("heating", _("Affecting heating"), Q(affects_heating=True)),
    ),
    columns=(
        Column("reported", _("Incidents"), "count", "reported"),
        Column("water", _("Water"), "count", "water"),
        Column("power", _("Power"), "count", "power"),
        Column("heating", _("Heating"), "count", "heating"),
    ),
    chart=Chart(
        _("Incidents reported"),
        _("One bar per group: how many damage reports contractors wrote in the period."),
        column="reported",
    ),
)

TABLES: dict[str, Table] = {
    table.key: table for table in (RESPONSES, PROMISES, FLAGS, HANDOFFS, RESOLUTIONS, SURVEYS, CANCELLATIONS, INCIDENTS)
}
