"""Every read the staff pages make.

Querysets start from cases.policies (what the user may see) and carry their joins and
prefetches inside, so a page runs the same number of queries whatever its size. Long
lists are paginated by keyset (the sort keys of the last row shown), never by offset.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from operator import and_, or_
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import PermissionDenied
from django.db import connection, models
from django.db.models import (
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from cases import policies
from cases.attention import owners_flag_level, owners_flags, promise_overdue
from cases.models import (
    Attachment,
    Case,
    CaseUserObjectPermission,
    Flag,
    Handoff,
    InsuranceClaim,
    Message,
    Notification,
    Promise,
    Sale,
    ServiceAlert,
    Survey,
    TimelineDepartment,
    TimelineEvent,
    attention_rule,
)
from contractors.models import IncidentReport, Job
from correspondence.models import CustomerNotice, OutboundEmail
from people.contact import phone_ending, phone_key, same_email
from people.models import Customer, CustomerUserObjectPermission
from people.phones import phone_search_prefixes
from portal import fulltext

if TYPE_CHECKING:
    from typing import TypedDict

    from django.utils.functional import _StrPromise
    from django_stubs_ext import WithAnnotations

    class _AlertMarks(TypedDict):
        affects: bool
        linked: bool

    # An alert as the case page lists it, marked for this case.
    CaseAlert = WithAnnotations[ServiceAlert, _AlertMarks]

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)

WORKLIST_PAGE_SIZE = 50
FLAGS_PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 100
LATEST_MESSAGES = 3
SEARCH_PAGE_SIZE = 20
SEARCH_MIN_LENGTH = 2
CASES_PER_CUSTOMER = 5
ALERT_LOOKAHEAD = timedelta(days=7)


# --- keyset pagination ------------------------------------------------------------------


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(values: tuple[Any, ...]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def decode_cursor(raw: str | None, kinds: tuple[type, ...]) -> tuple[Any, ...] | None:
    """The sort keys a cursor carries, or None when it is missing or not one of ours."""
    if not raw:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if not isinstance(values, list) or len(values) != len(kinds):
            return None
        decoded: list[Any] = []
        for kind, value in zip(kinds, values, strict=True):
            if kind is datetime:
                moment = datetime.fromisoformat(value)
                decoded.append(moment if timezone.is_aware(moment) else timezone.make_aware(moment))
            elif kind is int:
                if isinstance(value, bool) or not isinstance(value, int):
                    return None
                decoded.append(value)
            else:
                decoded.append(str(value))
        return tuple(decoded)
    except (ValueError, TypeError, json.JSONDecodeError):
        return None


@dataclass(frozen=True)
class Keyset:
    """An ordering by columns that never hold NULL and end in a unique one (the pk)."""

    fields: tuple[tuple[str, bool], ...]  # (name, descending)
    kinds: tuple[type, ...]

    def order_by(self) -> list[str]:
        return [f"-{name}" if desc else name for name, desc in self.fields]

    def after(self, values: tuple[Any, ...]) -> Q:
        """Rows that sort strictly after the row holding `values`."""
        clauses: list[Q] = []
        equal: dict[str, Any] = {}
        for (name, desc), value in zip(self.fields, values, strict=True):
            clauses.append(Q(**equal, **{f"{name}__{'lt' if desc else 'gt'}": value}))
            equal[name] = value
        return reduce(or_, clauses)

    def window(self, queryset: QuerySet[M], cursor: str | None, size: int) -> QuerySet[M]:
        """The query of one page: its rows and one more, to tell whether a next page exists."""
        start = decode_cursor(cursor, self.kinds)
        if start is not None:
            queryset = queryset.filter(self.after(start))
        return queryset.order_by(*self.order_by())[: size + 1]

    def page(self, queryset: QuerySet[M], cursor: str | None, size: int) -> Page[M]:
        rows = list(self.window(queryset, cursor, size))
        if len(rows) <= size:
            return Page(rows, None)
        rows = rows[:size]
        last = rows[-1]
        return Page(rows, encode_cursor(tuple(getattr(last, name) for name, _desc in self.fields)))


# --- the worklist -----------------------------------------------------------------------

WORKLIST_ORDER = Keyset(
    fields=(("attention", True), ("last_activity_at", False), ("pk", False)), kinds=(int, datetime, int)
)


def _when_true(condition: Q | Exists, weight: int) -> models.Case:
    return models.Case(models.When(condition, then=Value(weight)), default=Value(0), output_field=IntegerField())


def with_attention(cases: QuerySet[Case], now: datetime) -> QuerySet[Case]:
    """The attention counted from scratch, with its inputs: what the stored `attention` must
    equal (cases.services.attention keeps it so; the tests hold it to this)."""
    return cases.annotate(
        top_flag_level=owners_flag_level(),
        has_overdue_promise=promise_overdue(now),
        attention_now=attention_rule(owners_flag_level(), promise_overdue(now), Q(awaiting_reply_since__isnull=False)),
    )


@dataclass(frozen=True)
class WorklistFilters:
    status: str = ""  # "" = every open case; "closed"; or one status
    department: str = ""
    priority: str = ""
    flag_kind: str = ""
    q: str = ""


def worklist_for(
    user: User, *, owner: User, filters: WorklistFilters, cursor: str | None = None, size: int | None = None
) -> Page[Case]:
    return WORKLIST_ORDER.page(worklist_cases(user, owner=owner, filters=filters), cursor, size or WORKLIST_PAGE_SIZE)


def worklist_window(
    user: User, *, owner: User, filters: WorklistFilters, cursor: str | None = None, size: int | None = None
) -> QuerySet[Case]:
    """The query one worklist page runs (the plan tests read it)."""
    cases = worklist_cases(user, owner=owner, filters=filters)
    return WORKLIST_ORDER.window(cases, cursor, size or WORKLIST_PAGE_SIZE)


def worklist_cases(user: User, *, owner: User, filters: WorklistFilters) -> QuerySet[Case]:
    """The owner's cases the user may see, filtered, with what each page shows of them; unordered."""
    now = timezone.now()
    cases = policies.cases_visible_to(user).filter(owner=owner)
    # No status chosen means every case still open.
    status = Q(status=filters.status) if filters.status else ~Q(status=Case.Status.CLOSED)
    cases = cases.filter(status)
    if filters.priority:
        cases = cases.filter(priority=filters.priority)
    if filters.department:
        cases = cases.filter(Exists(TimelineEvent.objects.filter(case=OuterRef("pk"), department=filters.department)))
    if filters.flag_kind:
        cases = cases.filter(
            Exists(Flag.objects.filter(case=OuterRef("pk"), kind=filters.flag_kind, cleared_at__isnull=True))
        )
    if filters.q:
        cases = cases.filter(
            Q(reference__icontains=filters.q)
            | Q(subject__icontains=filters.q)
            | Q(customer__full_name__icontains=filters.q)
        )
    # The order is the stored attention (index case_worklist_attention); whether a promise is
    # overdue is shown as of now, from the stored earliest due time, not as of the last count.
    # Only the columns a row shows (staff.views.worklist_rows) and the page's sort keys are read;
    # each case's open flags come from `open_flags_of`, one query for the page.
    cases = (
        cases.annotate(
            has_overdue_promise=ExpressionWrapper(Q(promise_due_at__lt=now), output_field=models.BooleanField())
        )
        .select_related("customer")
        .only(*WORKLIST_COLUMNS)
    )
    return cases


# What a worklist row shows of a case and its customer, and the page's sort keys (WORKLIST_ORDER).
WORKLIST_COLUMNS = (
    "reference",
    "subject",
    "human_impact",
    "status",
    "priority",
    "last_activity_at",
    "awaiting_reply_since",
    "attention",
    "customer__full_name",
    "customer__vulnerability_notes",  # Customer.is_vulnerable
)


def open_flags_of(case_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """The (level, kind) of each case's open flags that ask something of its owner, highest level
    first: what the worklist shows of them, without a Flag object apiece."""
    flags: dict[int, list[tuple[int, str]]] = {}
    rows = (
        owners_flags()
        .filter(case_id__in=list(case_ids), cleared_at__isnull=True)
        .order_by("-level", "pk")
        .values_list("case_id", "level", "kind")
    )
    for case_id, level, kind in rows:
        flags.setdefault(case_id, []).append((level, kind))
    return flags


def handoffs_waiting_for(user: User) -> list[Handoff]:
    """Cases handed to the user whose summary they have not yet acknowledged."""
    return list(
        policies.on_visible_cases(
            Handoff.objects.filter(to_user=user, acknowledged_at__isnull=True, case__owner=user), user
        )
        .select_related("case__customer", "from_user")
        .order_by("created_at")
    )


def help_requests_for(user: User) -> list[Flag]:
    """Cases on which colleagues asked the user for help and the user has not answered yet,
    oldest ask first: they need the user although the user does not own them."""
    return list(
        policies.on_visible_cases(
            Flag.objects.filter(
                kind=Flag.Kind.HELP_REQUESTED, assignee=user, cleared_at__isnull=True, case__isnull=False
            ),
            user,
        )
        .select_related("case__customer", "case__owner")
        .order_by("raised_at", "pk")
    )


def colleagues_asked_in(note: Message) -> list[str]:
    """The names of the colleagues a note asked for help, as its timeline recorded them."""
    events = TimelineEvent.objects.filter(
        case_id=note.case_id, kind=TimelineEvent.Kind.HELP_REQUESTED, data__message_id=note.pk
    ).order_by("pk")
    return [str(event.data["sentence"]["params"]["colleague"]) for event in events]


def active_staff() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, staff_profile__isnull=False)
        .select_related("staff_profile__department")
        .order_by("staff_profile__department__name", "first_name", "last_name", "username")
    )


def specialist_candidates(case: Case) -> QuerySet[User]:
    """Colleagues who could be added to help on the case: active staff other than its owner
    and those already helping."""
    return active_staff().exclude(pk=case.owner_id).exclude(pk__in=policies.case_specialists(case).values("pk"))


# --- flags --------------------------------------------------------------------------------

FLAGS_ORDER = Keyset(fields=(("level", True), ("raised_at", False), ("pk", False)), kinds=(int, datetime, int))


def flags_visible_to(user: User) -> QuerySet[Flag]:
    """Flags on cases the user may see, and case-less flags (emerging incidents) sent to them."""
    if policies.sees_every_case(user):
        return Flag.objects.filter(Q(case__isnull=False) | Q(assignee=user))
    return Flag.objects.filter(Q(case__in=policies.cases_visible_to(user)) | Q(case__isnull=True, assignee=user))


def flags_waiting_for(user: User) -> QuerySet[Flag]:
    """The open flags now with this person. The header's count, the flags page filtered to
    "mine" and the notifications' "still with you" all read this one set, so they cannot
    disagree."""
    # Whoever sees every case sees every flag sent to them: the visibility test would only add
    # an OR that keeps the count from being read off the index alone.
    flags = Flag.objects.all() if policies.sees_every_case(user) else flags_visible_to(user)
    return flags.filter(assignee=user, cleared_at__isnull=True)


def flags_queue_for(
    user: User, *, mine_only: bool = False, cursor: str | None = None, size: int | None = None
) -> Page[Flag]:
    """My open flags and, for managers and heads (unless `mine_only`), the flags escalated
    past their team. Each flag says whether it ever reached the reader as a notification."""
    flags = flags_waiting_for(user)
    if not mine_only and policies.is_manager(user):
        escalated = Q(level__gte=2, case__owner__staff_profile__manager=user)
        escalated |= Q(level__gte=3, case__owner__staff_profile__department__head=user)
        flags = flags_visible_to(user).filter(Q(assignee=user) | escalated, cleared_at__isnull=True)
    flags = flags.select_related("case__customer", "case__owner", "assignee", "acknowledged_by").annotate(
        notified=_notified(user)
    )
    return FLAGS_ORDER.page(flags, cursor, size or FLAGS_PAGE_SIZE)


def _notified(user: User) -> Exists:
    """Whether the flag ever reached the reader as a notification (raised or escalated to them);
    one held until their next working period has not reached them yet."""
    reached = Q(held_until__isnull=True) | Q(held_until__lte=timezone.now())
    return Exists(Notification.objects.filter(reached, flag=OuterRef("pk"), recipient=user))


def flag_for_user(user: User, pk: int) -> Flag:
    flag = (
        flags_visible_to(user)
        .select_related("case__owner__staff_profile__department", "assignee")
        .annotate(notified=_notified(user))
        .filter(pk=pk)
    )
    found = flag.first()
    if found is None:
        raise Http404("No such flag")
    return found


# --- the team view ----------------------------------------------------------------------


def _count(queryset: QuerySet[Any], group_by: str) -> Coalesce:
    """A correlated COUNT(*) for one row of the outer query, 0 when nothing matches."""
    counted = queryset.order_by().values(group_by).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def team_of(manager: User) -> QuerySet[User]:
    """The manager, the people they manage and, for a head of department, everyone in it."""
    return active_staff().filter(
        Q(pk=manager.pk) | Q(staff_profile__manager=manager) | Q(staff_profile__department__head=manager)
    )


TEAM_COUNTS = ("open_cases", "urgent_cases", "overdue_replies", "overdue_promises", "open_flags", "unread_handoffs")


def team_load_for(manager: User) -> list[User]:
    """Each team member with their load and what is overdue, counted by the database.

    One grouped count per table over the team's rows, not six correlated counts per member:
    each open case of the team is read once, whatever the team's size."""
    now = timezone.now()
    members = list(team_of(manager))
    ids = [member.pk for member in members]
    counts: dict[int, dict[str, int]] = {pk: dict.fromkeys(TEAM_COUNTS, 0) for pk in ids}

    def add(rows: Iterable[Mapping[str, Any]], key: str) -> None:
        for row in rows:
            counts[row[key]].update((name, value) for name, value in row.items() if name != key)

    open_cases = Case.objects.filter(owner__in=ids).exclude(status=Case.Status.CLOSED).order_by()
    add(
        open_cases.values("owner").annotate(
            open_cases=Count("pk"),
            urgent_cases=Count("pk", filter=Q(priority__in=["urgent", "high"])),
            overdue_replies=Count("pk", filter=Q(reply_due_at__lt=now)),
        ),
        "owner",
    )
    add(
        # From the open promises already due (few, and indexed), not from every open case of the team.
        Promise.objects.filter(status=Promise.Status.OPEN, due_at__lt=now, case__owner__in=ids)
        .exclude(case__status=Case.Status.CLOSED)
        .order_by()
        .values("case__owner")
        .annotate(overdue_promises=Count("pk")),
        "case__owner",
    )
    add(
        Flag.objects.filter(assignee__in=ids, cleared_at__isnull=True)
        .order_by()
        .values("assignee")
        .annotate(open_flags=Count("pk")),
        "assignee",
    )
    add(
        Handoff.objects.filter(to_user__in=ids, acknowledged_at__isnull=True, case__owner=F("to_user"))
        .order_by()
        .values("to_user")
        .annotate(unread_handoffs=Count("pk")),
        "to_user",
    )
    for member in members:
        for key, value in counts[member.pk].items():
            setattr(member, key, value)
    return members


# --- one case -----------------------------------------------------------------------------


def case_for_user(user: User, reference: str, *, allowed: Any = None) -> Case:
    """The case if the user may see it (404 otherwise, as for a case that does not exist);
    403 when `allowed(user, case)` is given and says no."""
    case = (
        policies.cases_visible_to(user)
        .select_related("customer__user", "owner__staff_profile__department", "service")
        .filter(reference=reference)
        .first()
    )
    if case is None:
        raise Http404("No such case")
    if allowed is not None and not allowed(user, case):
        # Shown to the reader on the "not allowed" page.
        raise PermissionDenied(_("You may see this case but not change it."))
    return case


TIMELINE_ORDER = Keyset(fields=(("created_at", True), ("pk", True)), kinds=(datetime, int))


def timeline_page(
    user: User, case: Case, *, department: str = "", cursor: str | None = None, size: int | None = None
) -> Page[TimelineEvent]:
    """Newest events first, with the full text of each message the event records."""
    # Events of a duplicate merged into this case say which case they were written on.
    events: QuerySet[TimelineEvent] = policies.timeline_for(user, case).annotate(case_reference=F("case__reference"))
    if department in TimelineDepartment.values:
        events = events.filter(department=department)
    page = TIMELINE_ORDER.page(events, cursor, size or TIMELINE_PAGE_SIZE)
    message_ids = [pk for pk in (_subject_pk("message", e.subject_key) for e in page.items) if pk is not None]
    messages: dict[int, Message] = {}
    if message_ids:
        # Into plain lists (`attachment_list`, `email_list`): a prefetch into the related managers
        # builds a queryset per message, half of this function's time on a page of 100 events.
        found = (
            policies.messages_for(user, case)
            .filter(pk__in=message_ids)
            .prefetch_related(Prefetch("attachments", to_attr="attachment_list"))
        )
        if policies.is_staff_member(user):
            # How each reply left (e-mail queued, sent, not delivered) shows beside it for staff.
            emails = OutboundEmail.objects.order_by("pk")
            found = found.prefetch_related(Prefetch("emails", queryset=emails, to_attr="email_list"))
        messages = {m.pk: m for m in found}
    notice_ids = [pk for pk in (_subject_pk("notice", e.subject_key) for e in page.items) if pk is not None]
    notices: dict[int, CustomerNotice] = {}
    if notice_ids and policies.is_staff_member(user):
        notices = {n.pk: n for n in CustomerNotice.objects.filter(case=case, pk__in=notice_ids).select_related("task")}
    for event in page.items:
        pk = _subject_pk("message", event.subject_key)
        event.message = messages.get(pk) if pk is not None else None
        pk = _subject_pk("notice", event.subject_key)
        event.notice = notices.get(pk) if pk is not None else None
    return page


def _subject_pk(wanted: str, subject_key: str) -> int | None:
    """The record of kind `wanted` an event is about ("message:42"), if it is about one."""
    kind, _sep, pk = subject_key.partition(":")
    return int(pk) if kind == wanted and pk.isdigit() else None


def alerts_for_case(case: Case, now: datetime) -> list[CaseAlert]:
    """Alerts current or starting within a week, and every alert linked to the case, each
    marked `affects` (the customer's services and area) and `linked`."""
    service_ids = Subquery(Customer.services.through.objects.filter(customer_id=case.customer_id).values("service_id"))
    area = Q(area="") | Q(area__iexact=case.customer.service_area) if case.customer.service_area else Q(area="")
    affects = (Q(service_id__in=service_ids) | Q(service_id=case.service_id)) & area
    live = Q(starts_at__lte=now + ALERT_LOOKAHEAD) & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    links = Case.linked_alerts.through.objects.filter(case_id=case.pk)
    linked = Exists(links.filter(servicealert_id=OuterRef("pk")))
    alerts = (
        ServiceAlert.objects.filter(live | Q(pk__in=links.values("servicealert_id")))
        .select_related("service")
        .annotate(
            affects=ExpressionWrapper(affects, output_field=models.BooleanField()),
            linked=linked,
        )
        .order_by("starts_at", "pk")
    )
    result = list(alerts)
    for alert in result:
        alert.is_current = alert.starts_at <= now and (alert.ends_at is None or alert.ends_at > now)
        alert.is_live = alert.ends_at is None or alert.ends_at > now
    return result


def alerts_to_link(alerts: list[CaseAlert]) -> list[CaseAlert]:
    """The alerts a case may be linked to: live ones it is not linked to yet."""
    return [a for a in alerts if a.is_live and not a.linked]


@dataclass
class CasePage:
    case: Case
    may_work: bool
    may_note: bool
    may_handoff: bool
    timeline: Page[TimelineEvent]
    department: str
    alerts: list[CaseAlert]
    sales: list[Sale]
    jobs: list[Job]
    claims: list[InsuranceClaim]
    promises: list[Promise]
    flags: list[Flag]
    latest_handoff: Handoff | None
    extra: dict[str, Any] = field(default_factory=dict)
    # Colleagues added to help on the case, with their department.
    specialists: list[User] = field(default_factory=list)
    # A survey asking to talk about services that the reader may hand to sales in one click.
    survey_for_sales: Survey | None = None

    @property
    def owner_flags(self) -> list[Flag]:
        """The open flags that ask something of the owner (and up their ladder)."""
        return [f for f in self.flags if f.kind != Flag.Kind.HELP_REQUESTED]

    @property
    def help_requests(self) -> list[Flag]:
        """Colleagues asked for help on the case who have not answered yet, oldest first."""
        return sorted((f for f in self.flags if f.kind == Flag.Kind.HELP_REQUESTED), key=lambda f: (f.raised_at, f.pk))

    @property
    def header_alerts(self) -> list[CaseAlert]:
        return [a for a in self.alerts if a.affects and a.is_live]

    @property
    def linked_alerts(self) -> list[CaseAlert]:
        return [a for a in self.alerts if a.linked]

    @property
    def linkable_alerts(self) -> list[CaseAlert]:
        return alerts_to_link(self.alerts)

    @property
    def latest_messages(self) -> list[TimelineEvent]:
        """The newest messages on the timeline's page, for the conversation above the reply
        box: read from the events already loaded, so the page costs no extra query."""
        return [event for event in self.timeline.items if getattr(event, "message", None)][:LATEST_MESSAGES]

    @property
    def handoff_to_acknowledge(self) -> Handoff | None:
        h = self.latest_handoff
        if h is not None and h.acknowledged_at is None and h.to_user_id == self.case.owner_id:
            return h
        return None


def case_page_for(user: User, case: Case, *, department: str = "", cursor: str | None = None) -> CasePage:
    """Everything the case page shows, in a fixed number of queries."""
    now = timezone.now()
    may_work = policies.can_work_on_case(user, case)
    incidents = IncidentReport.objects.select_related("reported_by").annotate(photo_count=Count("photos"))
    jobs = (
        policies.jobs_visible_to(user)
        .filter(case=case)
        .select_related("company", "technician")
        .prefetch_related(
            "prerequisites", Prefetch("incidents", queryset=incidents.prefetch_related("corrections", "photos"))
        )
        .order_by("created_at", "pk")
    )
    return CasePage(
        case=case,
        may_work=may_work,
        may_note=policies.can_note_on_case(user, case),
        may_handoff=may_work and policies.can_handoff(user, case),
        timeline=timeline_page(user, case, department=department, cursor=cursor),
        department=department if department in TimelineDepartment.values else "",
        alerts=alerts_for_case(case, now),
        sales=list(case.sales.select_related("advisor")),
        jobs=list(jobs),
        claims=list(policies.claims_for(user, case).order_by("created_at", "pk")),
        promises=list(policies.promises_for(user, case).filter(status=Promise.Status.OPEN).order_by("due_at", "pk")),
        flags=list(
            case.flags.filter(cleared_at__isnull=True).select_related("assignee").order_by("-level", "raised_at")
        ),
        latest_handoff=case.handoffs.select_related("from_user", "to_user").order_by("-created_at", "-pk").first(),
        specialists=list(
            policies.case_specialists(case)
            .select_related("staff_profile__department")
            .order_by("first_name", "last_name", "username")
        ),
        survey_for_sales=survey_for_sales(user, case),
    )


def survey_for_sales(user: User, case: Case) -> Survey | None:
    """The survey of this closed case whose "I'd like to talk about my services" the reader may
    still hand to sales: not yet handed, and the reader the owner, their manager or the person the
    customer was promised. Costs no query on an open case."""
    if case.status != Case.Status.CLOSED:
        return None
    survey = Survey.objects.filter(case=case, wants_contact=True).select_related("case").first()
    if survey is None or survey_passed_to_sales(survey):
        return None
    allowed = policies.can_pass_survey_to_sales(user, case, contact_id=survey_contact_id(survey))
    return survey if allowed else None


def survey_sales_summary(survey: Survey) -> str:
    """The handoff summary the page offers, in the reader's (staff's) language: the rating and
    the customer's words, so the sales advisor starts where the customer left off."""
    values = {"reference": survey.case.reference, "score": survey.score, "comment": survey.comment}
    if survey.comment:
        said = _("Survey on %(reference)s: %(score)s/5. The customer wrote: “%(comment)s”.") % values
    else:
        said = _("Survey on %(reference)s: %(score)s/5, no comment.") % values
    return f"{said} " + _("They would like to talk about their services or contract.")


def survey_sales_subject(survey: Survey) -> str:
    """The subject of the survey case's event saying its request went to sales: the event's
    existence is what makes the one-click handoff happen once."""
    return f"survey:{survey.pk}:sales"


def survey_passed_to_sales(survey: Survey) -> bool:
    return TimelineEvent.objects.filter(case_id=survey.case_id, subject_key=survey_sales_subject(survey)).exists()


def survey_contact_id(survey: Survey) -> int | None:
    """Who the customer was promised would contact them after their survey (the owner, or the
    owner's successor when the owner had left)."""
    return (
        Promise.objects.filter(case_id=survey.case_id, kind=Promise.Kind.CALLBACK, created_at__gte=survey.submitted_at)
        .order_by("created_at", "pk")
        .values_list("made_by_id", flat=True)
        .first()
    )


# --- search -------------------------------------------------------------------------------

SEARCH_CASE_ORDER = Keyset(fields=(("last_activity_at", True), ("pk", True)), kinds=(datetime, int))
SEARCH_CUSTOMER_ORDER = Keyset(fields=(("full_name", False), ("pk", False)), kinds=(str, int))
_JOB_ID = re.compile(r"^\s*j[-\s]?(\d{1,12})\s*$", re.IGNORECASE)
_PHONE_LIKE = re.compile(r"[\d\s+().\-/]+")
SEARCH_PHONE_MIN_DIGITS = 4


@dataclass
class SearchResults:
    term: str
    cases: Page[Case]
    customers: Page[Customer]
    customer: Customer | None = None


def words_matching(model: type[M], index: fulltext.WordIndex, term: str) -> QuerySet[M, dict[str, Any]] | None:
    """Ids (`pk`) of the rows whose indexed words start with every word of `term`, accents and
    case aside, through the database's own word index (portal.fulltext); None for no words."""
    words = fulltext.search_words(term)
    if not words:
        return None
    rows = model._default_manager.order_by()
    if connection.vendor == "sqlite":
        # The table's name is a constant of portal.fulltext; the words are a parameter.
        sql = f"SELECT rowid FROM {index.name} WHERE {index.name} MATCH %s"  # noqa: S608
        found = RawSQL(sql, [fulltext.sqlite_match(words)])  # noqa: S611
        return rows.filter(pk__in=found).values("pk")
    if connection.vendor == "postgresql":
        query = SearchQuery(fulltext.postgres_match(words), search_type="raw", config="simple")
        indexed = rows.alias(words=fulltext.SearchWords(index)).filter(words=query)
        return cast("QuerySet[M, dict[str, Any]]", indexed.values("pk"))
    # Any other database: no index, each word somewhere in one of the columns.
    each = (reduce(or_, (Q(**{f"{column}__icontains": word}) for column in index.columns)) for word in words)
    return rows.filter(reduce(and_, each)).values("pk")


def starting_with(field: str, prefix: str) -> Q:
    """`field` starts with `prefix` (case counts), in a form the column's plain index serves: a
    range on SQLite (whose LIKE ignores case, so a case-sensitive index cannot serve it), LIKE
    on PostgreSQL (served by the varchar_pattern_ops index Django adds to indexed text columns)."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})
    return Q(**{f"{field}__startswith": prefix})


def _union_of_ids(parts: list[QuerySet[Any]]) -> QuerySet[Any]:
    """One IN over a UNION of index lookups: an OR of conditions (or of IN-subqueries) would
    make the database read the whole table to test each row."""
    first, *rest = (part.order_by() for part in parts)
    return first.union(*rest, all=True) if rest else first


def search_phone_prefixes(term: str) -> list[str]:
    """The phone-number keys a term may start (people.phones), when it looks like a number."""
    if not _PHONE_LIKE.fullmatch(term) or sum(c.isdigit() for c in term) < SEARCH_PHONE_MIN_DIGITS:
        return []
    return phone_search_prefixes(term)


def search_case_ids(user: User, term: str) -> QuerySet[Any]:
    """Ids of the cases a term names: by the start of their reference or of a claim number (in
    any case), by the words of their subject, or by a job id (J-123)."""
    parts: list[QuerySet[Any]] = [
        Case.objects.filter(reference__istartswith=term).values("pk"),
        InsuranceClaim.objects.filter(claim_number__istartswith=term).values("case_id"),
    ]
    subject = words_matching(Case, fulltext.CASE_WORDS, term)
    if subject is not None:
        parts.append(subject)
    job = _JOB_ID.match(term)
    if job:
        parts.append(policies.jobs_visible_to(user).filter(pk=int(job.group(1))).values("case_id"))
    return _union_of_ids(parts)


def search_customer_ids(term: str) -> QuerySet[Any] | None:
    """Ids of the customers a term names: by the words of their name or e-mail address, or by
    the start of their phone number however it is spelled."""
    parts: list[QuerySet[Any]] = []
    named = words_matching(Customer, fulltext.CUSTOMER_WORDS, term)
    if named is not None:
        parts.append(named)
    parts += [
        Customer.objects.filter(starting_with("phone_digits", prefix)).values("pk")
        for prefix in search_phone_prefixes(term)
    ]
    return _union_of_ids(parts) if parts else None


def search_cases(user: User, term: str) -> QuerySet[Case]:
    """The cases a term names (search_case_ids) that the user may see, unpaged."""
    # The claim number that matched, to show why a case was found: a lookup on the case's own
    # claims (by case_id) for each case found, inside the one query.
    matched_claim = InsuranceClaim.objects.filter(case=OuterRef("pk"), claim_number__istartswith=term).order_by("pk")
    cases: QuerySet[Case] = (
        policies.cases_visible_to(user)
        .filter(pk__in=search_case_ids(user, term), merged_into__isnull=True)
        .select_related("customer", "owner")
        .annotate(matched_claim=Subquery(matched_claim.values("claim_number")[:1]))
    )
    return cases


def search_customers(user: User, term: str) -> QuerySet[Customer] | None:
    """The customers a term names (search_customer_ids) with a case the user may see, unpaged,
    each with their latest cases; None when the term names no customer at all."""
    customer_ids = search_customer_ids(term)
    if customer_ids is None:
        return None
    # The count of each customer's cases rides on the query of their latest ones: computed for
    # the customers shown, not for every customer found.
    latest_cases = (
        policies.cases_visible_to(user)
        .select_related("owner")
        .annotate(customer_total=Window(Count("pk"), partition_by=[F("customer_id")]))
        .order_by("-last_activity_at", "-pk")[:CASES_PER_CUSTOMER]
    )
    customers: QuerySet[Customer] = Customer.objects.filter(
        Exists(_cases_of_customer(user)), pk__in=customer_ids, merged_into__isnull=True
    ).prefetch_related(Prefetch("cases", queryset=latest_cases, to_attr="latest_cases"))
    return customers


def _cases_of_customer(user: User) -> QuerySet[Case]:
    """The visible cases of the customer of the outer query (for those who see every case, no
    `IN (SELECT id FROM cases_case)`)."""
    return policies.on_visible_cases(Case.objects.filter(customer=OuterRef("pk")), user, path="pk")


def search_for(
    user: User,
    term: str,
    *,
    customer_id: int | None = None,
    cases_cursor: str | None = None,
    customers_cursor: str | None = None,
    size: int | None = None,
) -> SearchResults:
    """Cases by reference, subject, claim number or job id (J-123); customers by name,
    e-mail or phone, each with their latest cases so any case is one click away.

    Every match is an index lookup (search_case_ids, search_customer_ids): the work follows
    the rows found, not the rows held."""
    term = term.strip()
    size = size or SEARCH_PAGE_SIZE
    visible = policies.cases_visible_to(user)
    empty_cases: Page[Case] = Page([], None)
    empty_customers: Page[Customer] = Page([], None)
    if customer_id is not None:
        customer = Customer.objects.filter(Exists(_cases_of_customer(user)), pk=customer_id).first()
        if customer is None:
            raise Http404("No such customer")
        theirs = visible.filter(customer=customer, merged_into__isnull=True).select_related("customer", "owner")
        return SearchResults(term, SEARCH_CASE_ORDER.page(theirs, cases_cursor, size), empty_customers, customer)
    if len(term) < SEARCH_MIN_LENGTH:
        return SearchResults(term, empty_cases, empty_customers)

    case_page = SEARCH_CASE_ORDER.page(search_cases(user, term), cases_cursor, size)
    customers = search_customers(user, term)
    if customers is None:
        return SearchResults(term, case_page, empty_customers)
    customer_page = SEARCH_CUSTOMER_ORDER.page(customers, customers_cursor, size)
    for found in customer_page.items:
        latest = found.latest_cases  # type: ignore[attr-defined]
        found.case_count = latest[0].customer_total if latest else 0  # type: ignore[attr-defined]
    return SearchResults(term, case_page, customer_page)


# --- service alerts -----------------------------------------------------------------------

ENDED_ALERTS_SHOWN = 30


# The staff banner lists this many alerts at most; the alerts page has the rest.
ACTIVE_ALERTS_SHOWN = 5


def alerts_active(now: datetime | None = None) -> list[ServiceAlert]:
    """Alerts under way now (started, not ended), for the staff pages' banner: one query, at most
    ACTIVE_ALERTS_SHOWN + 1 rows so the banner can say there are more."""
    now = now or timezone.now()
    live = Q(starts_at__lte=now) & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    return list(
        ServiceAlert.objects.filter(live)
        .select_related("service")
        .order_by("starts_at", "pk")[: ACTIVE_ALERTS_SHOWN + 1]
    )


def alerts_overview(user: User, now: datetime | None = None) -> tuple[list[ServiceAlert], list[ServiceAlert]]:
    """Current and planned alerts, then the most recently ended ones."""
    if not policies.can_manage_alerts(user):
        return [], []
    now = now or timezone.now()
    alerts = ServiceAlert.objects.select_related("service", "posted_by").annotate(linked_cases=Count("cases"))
    live: list[ServiceAlert] = list(
        alerts.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now)).order_by("starts_at", "pk")
    )
    ended: list[ServiceAlert] = list(alerts.filter(ends_at__lte=now).order_by("-ends_at", "-pk")[:ENDED_ALERTS_SHOWN])
    for alert in live:
        alert.is_current = alert.starts_at <= now
    return live, ended


def alert_for_user(user: User, pk: int) -> ServiceAlert:
    if not policies.can_manage_alerts(user):
        raise Http404("No such alert")
    alert = ServiceAlert.objects.select_related("service").filter(pk=pk).first()
    if alert is None:
        raise Http404("No such alert")
    return alert


@dataclass
class IncidentOffer:
    """An open emerging-incident flag a service alert may explain, with the cases to link."""

    flag: Flag
    area: str
    cases: list[Case]


def emerging_incident_area(flag: Flag) -> tuple[int, str] | None:
    """The service id and area an emerging-incident flag is about (subject "area:<service id>:<area>")."""
    prefix, _sep, rest = flag.subject_key.partition(":")
    service_id, _sep, area = rest.partition(":")
    if prefix != "area" or not service_id.isdigit():
        return None
    return int(service_id), area


def alert_covers(alert: ServiceAlert, service_id: int, area: str) -> bool:
    """The alert is about this service, in this area or in every area."""
    return alert.service_id == service_id and (not alert.area or alert.area.strip().lower() == area.strip().lower())


def incident_cases(flag: Flag, service_id: int, area: str) -> QuerySet[Case]:
    """The cases of an emerging incident: open cases of the service and area opened from one window
    before the flag's latest case on (the burst the watcher saw, and any that came since)."""
    window = timedelta(minutes=settings.EMERGING_INCIDENT_WINDOW_MINUTES)
    latest = flag.case.created_at if flag.case is not None else flag.raised_at
    return (
        Case.objects.filter(service_id=service_id, customer__service_area=area, created_at__gte=latest - window)
        .exclude(status=Case.Status.CLOSED)
        .select_related("customer", "owner")
        .order_by("created_at", "pk")
    )


def incident_offers_for_alert(user: User, alert: ServiceAlert) -> list[IncidentOffer]:
    """The open emerging-incident flags the alert covers, each with the cases the user may link to
    it (not linked yet); flags with no such case are left out."""
    if not policies.can_manage_alerts(user):
        return []
    flags = Flag.objects.filter(
        kind=Flag.Kind.EMERGING_INCIDENT, cleared_at__isnull=True, subject_key__startswith=f"area:{alert.service_id}:"
    ).select_related("case")
    offers = []
    for flag in flags.order_by("raised_at", "pk"):
        about = emerging_incident_area(flag)
        if about is None or not alert_covers(alert, *about):
            continue
        cases = [
            case
            for case in incident_cases(flag, *about).exclude(linked_alerts=alert)
            if policies.can_work_on_case(user, case)
        ]
        if cases:
            offers.append(IncidentOffer(flag=flag, area=about[1], cases=cases))
    return offers


def letter_for_staff(user: User | AnonymousUser, pk: int) -> CustomerNotice:
    """A letter Steward wrote to a customer of a case the member of staff may see, or 404."""
    if not policies.is_staff_member(user):
        raise Http404("No such letter")
    found = (
        policies.on_visible_cases(CustomerNotice.objects.filter(pk=pk), user)
        .exclude(letter="")
        .select_related("case")
        .first()
    )
    if found is None:
        raise Http404("No such letter")
    return found


def attachment_for_staff(user: User | AnonymousUser, pk: int) -> Attachment:
    """An attachment of a case the user may see, or 404 as for one that does not exist."""
    found = policies.on_visible_cases(Attachment.objects.filter(pk=pk), user, path="message__case").first()
    if found is None:
        raise Http404("No such attachment")
    return found


# --- intake -------------------------------------------------------------------------------

INTAKE_MATCHES_SHOWN = 8
INTAKE_OPEN_CASES_SHOWN = 3


def intake_matches(
    user: User,
    *,
    term: str = "",
    full_name: str = "",
    email: str = "",
    phone: str = "",
    pinned: int | None = None,
) -> list[Customer]:
    """Customers the caller may be, for intake: by a search term (name, e-mail, phone or address)
    and by the details typed for a new customer, so a likely duplicate shows before it is made.
    `pinned`, the customer already chosen, comes first so a new search never loses the choice.

    Names match word by word (any order), e-mail addresses exactly, phone numbers on their digits.
    Each customer carries their open cases, so a second case about the same problem is avoided."""
    match = Q(pk=pinned) if pinned is not None else Q()
    term = term.strip()
    current = Q(merged_into__isnull=True)
    if len(term) >= SEARCH_MIN_LENGTH:
        words = term.split()
        match |= reduce(lambda q, word: q & Q(full_name__icontains=word), words, Q())
        if "@" in term:
            match |= same_email(term)
        match |= Q(postcode__istartswith=term) | Q(address__icontains=term)
        for prefix in search_phone_prefixes(term):
            match |= starting_with("phone_digits", prefix)
    words = full_name.split()
    if len("".join(words)) >= SEARCH_MIN_LENGTH:
        match |= reduce(lambda q, word: q & Q(full_name__icontains=word), words, Q())
    if "@" in email:
        match |= same_email(email.strip())
    key = phone_key(phone)
    if len(key) >= 6:
        match |= phone_ending(key)
    if not match:
        return []
    open_cases = (
        Case.objects.exclude(status=Case.Status.CLOSED)
        .select_related("owner")
        .order_by("-last_activity_at", "-pk")[:INTAKE_OPEN_CASES_SHOWN]
    )
    still_open = Case.objects.filter(customer=OuterRef("pk")).exclude(status=Case.Status.CLOSED)
    return list(
        policies.customers_visible_to(user)
        .filter(match)
        .filter(current)
        .annotate(open_case_count=_count(still_open, "customer"))
        .prefetch_related(Prefetch("cases", queryset=open_cases, to_attr="open_cases"))
        .order_by(_when_true(Q(pk=pinned), 1).desc(), "full_name", "pk")[:INTAKE_MATCHES_SHOWN]
    )


def intake_customer(user: User, pk: int | None) -> Customer | None:
    """The customer picked on the intake page, if the user may open a case for them."""
    if pk is None:
        return None
    return policies.customers_visible_to(user).filter(pk=pk).first()


# --- loose ends before resolving --------------------------------------------------------------

# What incident_plan_repair writes on the timeline: an incident with this event has a repair plan.
REPAIR_PLANNED = "Repair planned for the damage: %(plan)s"
_OPEN_JOB_STATUSES = [Job.Status.REQUESTED, Job.Status.SCHEDULED, Job.Status.ON_THE_WAY, Job.Status.ON_SITE]


@dataclass(frozen=True)
class LooseEnd:
    """One thing still open on a case, said in the reader's language; `anchor` is where the case page shows it."""

    text: str
    anchor: str


@dataclass(frozen=True)
class LooseEnds:
    """What is still open on a case that its resolution would leave behind."""

    promises: list[Promise]
    incidents: list[IncidentReport]
    awaiting_reply_since: datetime | None
    claims: list[InsuranceClaim]
    jobs: list[Job]

    def __bool__(self) -> bool:
        return bool(self.promises or self.incidents or self.awaiting_reply_since or self.claims or self.jobs)

    def __len__(self) -> int:
        return (
            len(self.promises)
            + len(self.incidents)
            + bool(self.awaiting_reply_since)
            + len(self.claims)
            + len(self.jobs)
        )

    @property
    def items(self) -> list[LooseEnd]:
        """Each loose end as one sentence, in the active language and time zone."""
        from cases.services.timeline import DUE_FORMAT, RECENT_FORMAT, SHORT_DATE_FORMAT, local_text

        items: list[LooseEnd] = []
        if self.awaiting_reply_since is not None:
            since = local_text(self.awaiting_reply_since, RECENT_FORMAT)
            text = _("A message from the customer has waited for an answer since %(since)s.") % {"since": since}
            items.append(LooseEnd(text, "reply-form"))
        for promise in self.promises:
            values = {"due": local_text(promise.due_at, DUE_FORMAT), "text": promise.text, "name": promise.owed_to_name}
            if promise.owed_to_customer:
                text = _("Open promise to the customer, due %(due)s: “%(text)s”.") % values
            elif promise.owed_to_name:
                text = _("Open promise to %(name)s, due %(due)s: “%(text)s”.") % values
            else:
                text = _("Open internal promise, due %(due)s: “%(text)s”.") % values
            items.append(LooseEnd(text, "promises"))
        for incident in self.incidents:
            values = {
                "date": local_text(incident.created_at, SHORT_DATE_FORMAT),
                "location": incident.location,
                "what": incident.what[:120],
            }
            text = _("Damage reported %(date)s (%(location)s) has no repair plan: “%(what)s”.") % values
            items.append(LooseEnd(text, "jobs"))
        for job in self.jobs:
            values = {"job": job.reference, "company": job.company.name, "status": job.get_status_display()}
            text = _("Contractor job %(job)s with %(company)s is not finished (%(status)s).") % values
            items.append(LooseEnd(text, "jobs"))
        for claim in self.claims:
            values = {"insurer": claim.insurer, "status": claim.get_status_display()}
            text = _("Insurance claim with %(insurer)s is not closed (%(status)s).") % values
            items.append(LooseEnd(text, "claims"))
        return items


def loose_ends(case: Case, *, page: CasePage | None = None) -> LooseEnds:
    """Open promises (owed to the customer or not), damage without a repair plan, an unanswered
    customer message, claims not closed and contractor jobs not finished: what resolving would
    leave behind. Every record of the case, whoever may see it: the check is about the case.

    `page`, the case page already read for someone who may work on the case (staff see every
    record), lends its records so the page pays one query for this, not five."""
    if page is not None:
        promises, claims, jobs = page.promises, page.claims, page.jobs
    else:
        promises = list(case.promises.filter(status=Promise.Status.OPEN).order_by("due_at", "pk"))
        claims = list(case.claims.order_by("created_at", "pk"))
        jobs = list(case.jobs.select_related("company").prefetch_related("incidents").order_by("created_at", "pk"))
    incidents = sorted(
        (incident for job in jobs for incident in job.incidents.all()), key=lambda i: (i.created_at, i.pk)
    )
    planned: set[str] = set()
    if incidents:
        planned = set(
            TimelineEvent.objects.filter(
                case=case, kind=TimelineEvent.Kind.INCIDENT, data__sentence__text=REPAIR_PLANNED
            ).values_list("subject_key", flat=True)
        )
    return LooseEnds(
        promises=[p for p in promises if p.status == Promise.Status.OPEN],
        incidents=[i for i in incidents if f"incident:{i.pk}" not in planned],
        awaiting_reply_since=case.awaiting_reply_since,
        claims=[c for c in claims if c.status != InsuranceClaim.Status.CLOSED],
        jobs=[j for j in jobs if j.status in _OPEN_JOB_STATUSES],
    )


# --- merging duplicates -------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeLine:
    """One kind of record and how many of them the merge moves (`label` in the reader's language)."""

    label: str
    count: int


@dataclass(frozen=True)
class DetailChoice:
    """A contact detail the two customer records hold differently, for the manager to choose."""

    name: str
    label: str | _StrPromise  # the field's verbose name, translated when shown
    kept: str
    other: str


@dataclass(frozen=True)
class CustomerMergePreview:
    survivor: Customer
    merged: Customer
    refusal: str | None
    moves: list[MergeLine]
    choices: list[DetailChoice]
    joined: list[str]
    sign_in_moves: bool


@dataclass(frozen=True)
class CaseMergePreview:
    survivor: Case
    merged: Case
    refusal: str | None
    moves: list[MergeLine]


def following_merges(case: Case) -> Case:
    """The case a merged duplicate's story goes on in; the case itself when it was not merged."""
    return case.merged_into or case


def merge_customer_for(user: User, pk: int) -> Customer:
    """A customer record to merge, for those who may merge (404 for anyone else, as for no record)."""
    customer = Customer.objects.filter(pk=pk).first() if policies.can_merge_records(user) else None
    if customer is None:
        raise Http404("No such customer")
    return customer


def customer_merge_candidates(user: User, survivor: Customer, *, term: str = "") -> list[Customer]:
    """Records that may be duplicates of `survivor`: found by the search term when there is one,
    else by the survivor's own name, e-mail and phone, as intake finds a caller."""
    if term.strip():
        found = intake_matches(user, term=term)
    else:
        found = intake_matches(user, full_name=survivor.full_name, email=survivor.email, phone=survivor.phone)
    return [customer for customer in found if customer.pk != survivor.pk]


def customer_merge_preview(survivor: Customer, merged: Customer) -> CustomerMergePreview:
    from cases.services.merge import CHOSEN_FIELDS, JOINED_FIELDS, customer_merge_refusal

    cases = Case.objects.filter(customer=merged)
    moves = [
        MergeLine(_("Open cases"), cases.exclude(status=Case.Status.CLOSED).count()),
        MergeLine(_("Closed cases"), cases.filter(status=Case.Status.CLOSED).count()),
        MergeLine(_("Delegates (helpers)"), merged.delegates.filter(revoked_at__isnull=True).count()),
        MergeLine(
            _("Access grants on the customer"),
            CustomerUserObjectPermission.objects.filter(content_object=merged).count(),
        ),
        MergeLine(_("Services held"), merged.services.exclude(pk__in=survivor.services.values("pk")).count()),
        MergeLine(
            _("E-mails, letters and call tasks"),
            CustomerNotice.objects.filter(case__customer=merged).count()
            + OutboundEmail.objects.filter(case__customer=merged, notice__isnull=True).count(),
        ),
    ]
    choices = []
    for name in CHOSEN_FIELDS:
        kept, other = getattr(survivor, name), getattr(merged, name)
        if kept != other:
            # CHOSEN_FIELDS are the record's own columns, never a relation.
            field_ = cast("models.Field[Any, Any]", Customer._meta.get_field(name))
            shown = dict(field_.flatchoices) if field_.choices else {}
            choices.append(
                DetailChoice(
                    name, capfirst(field_.verbose_name), str(shown.get(kept, kept)), str(shown.get(other, other))
                )
            )
    joined = [
        str(cast("models.Field[Any, Any]", Customer._meta.get_field(name)).verbose_name)
        for name in JOINED_FIELDS
        if getattr(merged, name).strip() and getattr(merged, name).strip() not in getattr(survivor, name)
    ]
    return CustomerMergePreview(
        survivor=survivor,
        merged=merged,
        refusal=customer_merge_refusal(survivor=survivor, merged=merged),
        moves=moves,
        choices=choices,
        joined=joined,
        sign_in_moves=bool(merged.user_id and not survivor.user_id),
    )


def case_merge_candidates(case: Case) -> list[Case]:
    """The customer's other open cases that could be merged into this one."""
    return list(
        Case.objects.filter(customer_id=case.customer_id, merged_into__isnull=True)
        .exclude(pk=case.pk)
        .exclude(status=Case.Status.CLOSED)
        .select_related("owner")
        .order_by("-last_activity_at", "-pk")
    )


def case_merge_preview(survivor: Case, merged: Case) -> CaseMergePreview:
    from cases.services.merge import case_merge_refusal

    moves = [
        MergeLine(_("Messages, notes and calls"), Message.objects.filter(case=merged).count()),
        MergeLine(_("Attachments"), Attachment.objects.filter(message__case=merged).count()),
        MergeLine(_("Open promises and tasks"), merged.promises.filter(status=Promise.Status.OPEN).count()),
        MergeLine(_("Open flags"), merged.flags.filter(cleared_at__isnull=True).count()),
        MergeLine(_("Sales"), merged.sales.count()),
        MergeLine(_("Contractor jobs"), Job.objects.filter(case=merged).count()),
        MergeLine(_("Insurance claims"), merged.claims.count()),
        MergeLine(_("Handoffs"), merged.handoffs.count()),
        MergeLine(
            _("Delegates and specialists"), CaseUserObjectPermission.objects.filter(content_object=merged).count()
        ),
        MergeLine(_("E-mails, letters and call tasks"), CustomerNotice.objects.filter(case=merged).count()),
        MergeLine(_("Timeline events (shown on this case)"), TimelineEvent.objects.filter(case=merged).count()),
    ]
    return CaseMergePreview(
        survivor=survivor, merged=merged, refusal=case_merge_refusal(survivor=survivor, merged=merged), moves=moves
    )
