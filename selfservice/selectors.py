"""Every read the customer pages make, narrowed by cases.policies to what the customer or
delegate may see. Lists carry their joins and annotations inside, so a page runs the same
number of queries however many cases, messages or promises it shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, F, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from cases import policies
from cases.models import Attachment, Case, InsuranceClaim, Message, Promise, Sale, ServiceAlert, Survey, TimelineEvent
from cases.selectors import Keyset, Page
from contractors.models import Job
from people.models import Customer, Delegate

TIMELINE_PAGE_SIZE = 50
CLOSED_PAGE_SIZE = 20
UPCOMING_VISITS = [Job.Status.REQUESTED, Job.Status.SCHEDULED, Job.Status.ON_THE_WAY, Job.Status.ON_SITE]
TIMELINE_ORDER = Keyset(fields=(("created_at", True), ("pk", True)), kinds=(datetime, int))
CLOSED_ORDER = Keyset(fields=(("last_activity_at", True), ("pk", True)), kinds=(datetime, int))


# --- who may use these pages -------------------------------------------------------------


def is_customer_side_user(user: User | AnonymousUser) -> bool:
    """A customer with a sign-in, or someone holding a delegate grant; never staff, a
    contractor user or an administrator, even one who is also a customer."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff or user.is_superuser or policies.is_staff_member(user) or hasattr(user, "contractor_profile"):
        return False
    return policies.customer_of(user) is not None or policies.is_any_delegate(user)


def visible_cases(user: User) -> QuerySet[Case]:
    if not is_customer_side_user(user):
        return Case.objects.none()
    return policies.cases_visible_to(user)


def case_for_customer(user: User, reference: str) -> Case:
    """The case when this customer or delegate may see it; 404 otherwise, the same answer as
    for a reference that does not exist."""
    case = (
        visible_cases(user)
        .select_related("customer", "service", "owner__staff_profile__department")
        .filter(reference=reference)
        .first()
    )
    if case is not None and case.merged_into is not None:
        # A duplicate merged away: its story, and anything written to it, goes on in the survivor.
        return case_for_customer(user, case.merged_into.reference)
    if case is None or not policies.is_customer_side(user, case):
        raise Http404("No such case")
    return case


# --- the list of my cases ----------------------------------------------------------------


@dataclass
class CardFacts:
    """What a case's card says besides the case's own columns."""

    next_promise_due: datetime | None = None
    next_promise_text: str | None = None
    has_late_promise: bool = False
    last_in_at: datetime | None = None
    last_in_read_at: datetime | None = None
    last_in_answered_at: datetime | None = None
    unread_replies: int = 0


def _promise_facts(facts: dict[int, CardFacts], now: datetime) -> None:
    """The earliest open promise to the customer, and whether one is broken or past due."""
    picked: set[int] = set()
    rows = (
        Promise.objects.filter(
            case_id__in=facts, owed_to_customer=True, status__in=[Promise.Status.OPEN, Promise.Status.BROKEN]
        )
        .order_by("due_at", "pk")
        .values_list("case_id", "status", "due_at", "text")
    )
    for case_id, status, due_at, text in rows:
        card = facts[case_id]
        if status == Promise.Status.BROKEN or due_at < now:
            card.has_late_promise = True
        if status == Promise.Status.OPEN and case_id not in picked:
            picked.add(case_id)
            card.next_promise_due, card.next_promise_text = due_at, text


def _message_facts(facts: dict[int, CardFacts]) -> None:
    """Per case, the customer's latest message and the replies they have not opened: one row
    per case and direction, the latest, carrying how many rows its group holds."""
    inbound = Q(direction=Message.Direction.INBOUND)
    unread = Q(direction=Message.Direction.OUTBOUND, read_by_customer_at__isnull=True)
    group = [F("case_id"), F("direction")]
    rows = (
        Message.objects.filter(inbound | unread, case_id__in=facts, is_internal=False)
        .annotate(
            place=Window(RowNumber(), partition_by=group, order_by=[F("created_at").desc(), F("pk").desc()]),
            in_group=Window(Count("pk"), partition_by=group),
        )
        .filter(place=1)
        .values_list("case_id", "direction", "created_at", "read_by_staff_at", "answered_at", "in_group")
    )
    for case_id, direction, created_at, read_at, answered_at, in_group in rows:
        card = facts[case_id]
        if direction == Message.Direction.INBOUND:
            card.last_in_at, card.last_in_read_at, card.last_in_answered_at = created_at, read_at, answered_at
        else:
            card.unread_replies = in_group


def with_card_facts(cases: list[Case], now: datetime) -> list[Case]:
    """Sets on each case what its card shows, read by two statements keyed by the cases' ids.
    (Seven correlated subqueries per list cost more in Django compiling them than the database
    spent running them.)"""
    facts = {case.pk: CardFacts() for case in cases}
    if facts:
        _promise_facts(facts, now)
        _message_facts(facts)
    for case in cases:
        for name, value in asdict(facts[case.pk]).items():
            setattr(case, name, value)
    return cases


@dataclass
class MyCases:
    open: list[Case]
    closed: Page[Case]
    customers: list[Customer]
    alerts: list[ServiceAlert]


def my_cases(user: User, *, closed_cursor: str | None = None) -> MyCases:
    now = timezone.now()
    visible = visible_cases(user)
    # One narrow read of the cases the user sees gives the open ones and all their customers,
    # so those two statements filter on plain ids instead of each cloning and compiling the
    # visibility rule's UNION again (that compiling cost more than the database's work).
    seen = list(visible.order_by().values_list("pk", "customer_id", "status", "merged_into_id"))
    # A merged duplicate lives on in the case it joined; listing it too would show one problem twice.
    open_ids = [pk for pk, _customer, status, merged in seen if merged is None and status != Case.Status.CLOSED]
    open_cases = with_card_facts(
        list(
            Case.objects.filter(pk__in=open_ids)
            .select_related("customer", "owner__staff_profile__department")
            .order_by("customer__full_name", "customer_id", "-last_activity_at")
        )
        if open_ids
        else [],
        now,
    )
    # The closed list shows the subject, reference, date and customer: no card facts.
    closed = CLOSED_ORDER.page(
        visible.filter(merged_into__isnull=True, status=Case.Status.CLOSED).select_related("customer"),
        closed_cursor,
        CLOSED_PAGE_SIZE,
    )
    # (Without their services: the alerts read those in their own statement.)
    customers = own_first(user, customers_seen_by(user, case_customer_ids={customer for _pk, customer, _s, _m in seen}))
    return MyCases(open_cases, closed, customers, alerts_for(customers, now=now))


def customers_seen_by(user: User, *, case_customer_ids: set[int] | None = None) -> QuerySet[Customer]:
    """The user's own customer record and the customers of the cases they see (of which the
    caller may already hold the customers' ids, read from `visible_cases`)."""
    if case_customer_ids is not None:
        own_record = policies.customer_of(user)
        return Customer.objects.filter(pk__in=case_customer_ids | ({own_record.pk} if own_record else set()))
    own = Customer.objects.filter(user=user).order_by().values("pk")
    # From the user's few visible cases to their customers, never a scan of all customers.
    # A UNION, not an OR: PostgreSQL cannot use an index for either side of an OR of IN-subqueries.
    return Customer.objects.filter(pk__in=visible_cases(user).order_by().values("customer_id").union(own, all=True))


def own_first(user: User, customers: Iterable[Customer]) -> list[Customer]:
    """The user's own customer record first, then those they help by name."""
    return sorted(customers, key=lambda c: (c.user_id != user.pk, c.full_name))


def customers_of(user: User) -> list[Customer]:
    """The customers whose cases this user sees: themself first, then those they help."""
    return own_first(user, customers_seen_by(user).prefetch_related("services"))


def customers_user_may_open_for(user: User) -> list[Customer]:
    """A new request can be opened by the customer, or by a delegate for all their cases."""
    return [c for c in customers_of(user) if policies.is_customer_side_of(user, c)]


# --- service alerts -------------------------------------------------------------------------


def _live(now: datetime) -> Q:
    return Q(starts_at__lte=now + timedelta(days=7)) & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))


def _affecting(customer: Customer, *, also_service_id: int | None = None) -> Q:
    """Alerts on one of the customer's services (or the case's), for every area or theirs."""
    area = Q(area="")
    if customer.service_area:
        area |= Q(area__iexact=customer.service_area)
    services = Q(service_id__in=Customer.services.through.objects.filter(customer_id=customer.pk).values("service_id"))
    if also_service_id is not None:
        services |= Q(service_id=also_service_id)
    return services & area


def alerts_for(customers: list[Customer], *, now: datetime, case: Case | None = None) -> list[ServiceAlert]:
    """Current or coming alerts (within a week) on the customers' services in their area, and
    those staff linked to the case."""
    if not customers:
        return []
    which = Q()
    for customer in customers:
        which |= _affecting(customer, also_service_id=case.service_id if case is not None else None)
    if case is not None:
        which |= Q(pk__in=Case.linked_alerts.through.objects.filter(case_id=case.pk).values("servicealert_id"))
    alerts = list(ServiceAlert.objects.filter(which, _live(now)).select_related("service").order_by("starts_at", "pk"))
    for alert in alerts:
        alert.is_current = alert.starts_at <= now
    return alerts


# --- one case ---------------------------------------------------------------------------------


@dataclass
class CustomerCasePage:
    case: Case
    is_delegate: bool
    timeline: Page[TimelineEvent]
    promises: list[Promise]
    visits: list[Job]
    claims: list[InsuranceClaim]
    sales: list[Sale]
    alerts: list[ServiceAlert]
    survey: Survey | None
    contact_promise: Promise | None
    now: datetime


def timeline_page(user: User, case: Case, *, cursor: str | None = None, size: int | None = None) -> Page[TimelineEvent]:
    """Newest first; each message event carries its message and its attachments (`attachment_list`),
    never a note."""
    page = TIMELINE_ORDER.page(policies.timeline_for(user, case), cursor, size or TIMELINE_PAGE_SIZE)
    ids = [pk for pk in (_message_pk(e.subject_key) for e in page.items) if pk is not None]
    messages: dict[int, Message] = {}
    if ids:
        # Into a plain list: a prefetch into the related manager builds a queryset per message
        # again each time the page reads it.
        attachments = Prefetch("attachments", to_attr="attachment_list")
        found = policies.messages_for(user, case).filter(pk__in=ids).prefetch_related(attachments)
        messages = {m.pk: m for m in found}
    for event in page.items:
        pk = _message_pk(event.subject_key)
        event.message = messages.get(pk) if pk is not None else None
    return page


def _message_pk(subject_key: str) -> int | None:
    kind, _sep, pk = subject_key.partition(":")
    return int(pk) if kind == "message" and pk.isdigit() else None


def visits_for(user: User, case: Case) -> list[Job]:
    """Contractor visits still to come on the customer's case, with what must happen first.
    The customer sees the company and the window, never the contractor's internal notes."""
    if not policies.is_customer_side(user, case):
        return []
    jobs = (
        policies.jobs_for(user, case)
        .filter(status__in=UPCOMING_VISITS)
        .select_related("company")
        .prefetch_related("prerequisites")
        .order_by("window_start", "pk")
    )
    return list(jobs)


def case_page_for(user: User, case: Case, *, cursor: str | None = None) -> CustomerCasePage:
    now = timezone.now()
    promises = list(policies.promises_for(user, case).exclude(status=Promise.Status.WITHDRAWN).order_by("due_at", "pk"))
    for promise in promises:
        promise.is_late = promise.status == Promise.Status.OPEN and promise.due_at < now
    survey = Survey.objects.filter(case=case).first() if case.status == Case.Status.CLOSED else None
    contact = None
    if survey is not None and survey.wants_contact:
        contact = next(
            (p for p in reversed(promises) if p.kind == Promise.Kind.CALLBACK and p.created_at >= survey.submitted_at),
            None,
        )
    return CustomerCasePage(
        case=case,
        is_delegate=case.customer.user_id != user.pk,
        timeline=timeline_page(user, case, cursor=cursor),
        promises=promises,
        visits=visits_for(user, case),
        claims=list(policies.claims_for(user, case).order_by("created_at", "pk")),
        # The reader is on the customer's side (case_for_customer), to whom policies.sales_for shows every sale.
        sales=list(case.sales.select_related("advisor").order_by("sold_at", "pk")),
        alerts=alerts_for([case.customer], now=now, case=case),
        survey=survey,
        contact_promise=contact,
        now=now,
    )


def claim_for_customer(user: User, case: Case, pk: int) -> InsuranceClaim:
    claim = policies.claims_for(user, case).filter(pk=pk).first()
    if claim is None:
        raise Http404("No such claim")
    return claim


def claim_history(user: User, case: Case, claim: InsuranceClaim) -> list[TimelineEvent]:
    events = policies.timeline_for(user, case).filter(subject_key=f"claim:{claim.pk}")
    return list(events.order_by("-created_at", "-pk"))


def attachment_for_customer(user: User, case: Case, pk: int) -> Attachment:
    """An attachment of a message the customer side may read on this case; 404 otherwise."""
    readable = policies.messages_for(user, case)
    attachment = Attachment.objects.filter(pk=pk, message__in=readable).select_related("message").first()
    if attachment is None:
        raise Http404("No such file")
    return attachment


# --- helpers ---------------------------------------------------------------------------------


def helpers_of(customer: Customer) -> list[Delegate]:
    """The customer's active delegates, each with the cases granted one by one."""
    delegates = list(
        Delegate.objects.filter(customer=customer, revoked_at__isnull=True)
        .select_related("user", "authorised_by")
        .order_by("created_at", "pk")
    )
    per_case = [d for d in delegates if not d.all_cases]
    if per_case:
        granted = {d.pk: list(policies.cases_delegated_to(d.user, customer).order_by("-created_at")) for d in per_case}
        for delegate in per_case:
            delegate.granted_cases = granted[delegate.pk]
    return delegates


def helper_for_customer(customer: Customer, pk: int) -> Delegate:
    delegate = Delegate.objects.filter(pk=pk, customer=customer, revoked_at__isnull=True).select_related("user").first()
    if delegate is None:
        raise Http404("No such helper")
    return delegate
