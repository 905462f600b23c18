"""Service alerts (maintenance and outages) and linking cases to them."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth.models import User
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import policies, selectors
from cases.models import Case, Flag, ServiceAlert, TimelineDepartment, TimelineEvent
from cases.services.flags import flags_clear
from cases.services.guards import lock_case, require_can_work, require_choice, require_text
from cases.services.timeline import Sentence, record_event
from people.models import Service
from portal.dispatch import queue_after_commit
from portal.errors import NotAllowed, RuleViolation

if TYPE_CHECKING:
    from correspondence.models import CustomerNotice


def _check_window(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at is None:
        raise RuleViolation(_("Say when it starts."), field="starts_at")
    if ends_at is not None and ends_at <= starts_at:
        raise RuleViolation(_("The end must come after the start."), field="ends_at")


@transaction.atomic
def alert_post(
    *,
    actor: User,
    service: Service,
    kind: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime | None = None,
    area: str = "",
    description: str = "",
) -> ServiceAlert:
    if not policies.can_manage_alerts(actor):
        raise NotAllowed(_("Only staff can post service alerts."))
    title = require_text(title, field="title", what=_("a title"), max_length=200)
    require_choice(kind, ServiceAlert.Kind.values, field="kind", what=_("kind of alert"))
    _check_window(starts_at, ends_at)
    alert = ServiceAlert.objects.create(
        service=service,
        kind=kind,
        title=title,
        description=description.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        area=area.strip(),
        posted_by=actor,
    )
    _queue_telling(alert, POSTED, actor)
    return alert


# What customers are told about an alert, each at most once per customer: its posting, each
# meaningful change (numbered by the alert's revision), and its end.
POSTED, UPDATED, ENDED = "posted", "updated", "ended"
# The fields whose change customers hear of; `posted_by` and the like are not theirs to know.
TOLD_FIELDS = ("title", "description", "kind", "starts_at", "ends_at", "area", "service")
# Customers told per transaction: rendering is done before it, so a batch holds the write lock
# only for its inserts, and 10,000 affected customers are 50 short transactions, not one long one.
TELL_BATCH = 200


def telling_subject(alert: ServiceAlert, telling: str) -> str:
    """The notices' subject key for one telling: one notice per customer and key."""
    if telling == POSTED:
        return f"alert:{alert.pk}"
    if telling == ENDED:
        return f"alert:{alert.pk}:end"
    return f"alert:{alert.pk}:update:{alert.revision}"


def _queue_telling(alert: ServiceAlert, telling: str, actor: User) -> None:
    """The telling runs in a worker once the change has committed (cases.tell_alert): an alert
    may reach thousands of customers, and the member of staff who posts it should not wait for
    them. The task is idempotent, so a retried or doubled run tells nobody twice. The alert
    records the telling as pending, in the change's transaction, until a run finishes it: if the
    task is lost, the sweep (alerts_tell_pending) runs it."""
    ServiceAlert.objects.filter(pk=alert.pk).update(telling_pending=telling, telling_queued_at=timezone.now())
    queue_after_commit(
        "cases.tell_alert",
        kwargs={"alert_id": alert.pk, "telling": telling, "revision": alert.revision, "actor_id": actor.pk},
    )


def _told_value(field: str, value: object) -> object:
    """A field as customers read it: a moment to the minute, text without its spaces, an area in
    any case. A form saved again as it was changes nothing they would notice."""
    if isinstance(value, datetime):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, str):
        return value.strip().casefold() if field == "area" else value.strip()
    if isinstance(value, models.Model):
        return value.pk
    return value


def _apply_changes(actor: User, alert: ServiceAlert, changes: dict[str, object]) -> tuple[ServiceAlert, bool]:
    """Check and save the changes; returns the alert and whether customers would notice them."""
    if not policies.can_manage_alerts(actor):
        raise NotAllowed(_("Only staff can change service alerts."))
    allowed = set(TOLD_FIELDS)
    unknown = set(changes) - allowed
    if unknown:
        raise RuleViolation(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    alert = ServiceAlert.objects.select_for_update().get(pk=alert.pk)
    before = {field: _told_value(field, getattr(alert, field)) for field in TOLD_FIELDS}
    for field, value in changes.items():
        setattr(alert, field, value.strip() if isinstance(value, str) else value)
    require_text(alert.title, field="title", what=_("a title"), max_length=200)
    require_choice(alert.kind, ServiceAlert.Kind.values, field="kind", what=_("kind of alert"))
    _check_window(alert.starts_at, alert.ends_at)
    noticed = any(_told_value(field, getattr(alert, field)) != before[field] for field in TOLD_FIELDS)
    if noticed:
        alert.revision += 1
    alert.save()
    return alert, noticed


@transaction.atomic
def alert_update(*, actor: User, alert: ServiceAlert, **changes: object) -> ServiceAlert:
    """Change an alert. Customers hear of a change they would notice, once; an end moved into
    the past is the alert's end and is told as such."""
    alert, noticed = _apply_changes(actor, alert, changes)
    if noticed:
        _queue_telling(alert, ENDED if _is_over(alert) else UPDATED, actor)
    return alert


@transaction.atomic
def alert_end(*, actor: User, alert: ServiceAlert, ended_at: datetime | None = None) -> ServiceAlert:
    ended_at = ended_at or timezone.now()
    if ended_at <= alert.starts_at:
        raise RuleViolation(_("An alert cannot end before it started."), field="ends_at")
    alert, _noticed = _apply_changes(actor, alert, {"ends_at": ended_at})
    # Told even when the end was already this minute: the end's telling is once per customer anyway.
    _queue_telling(alert, ENDED, actor)
    return alert


def _is_over(alert: ServiceAlert, now: datetime | None = None) -> bool:
    return alert.ends_at is not None and alert.ends_at <= (now or timezone.now())


def _open_cases_of_affected(alert: ServiceAlert) -> QuerySet[Case]:
    """Open cases of the customers of the alert's service in its area (every area when blank)."""
    cases = Case.objects.filter(customer__services=alert.service).exclude(status=Case.Status.CLOSED)
    if alert.area:
        cases = cases.filter(customer__service_area__iexact=alert.area)
    return cases


def _cases_to_tell(alert: ServiceAlert, telling: str) -> dict[int, int]:
    """{customer id: the case to tell them on}: their latest open case (they hear it once, not
    once per case). A change or the end also reaches those told before whom the alert's new area
    or service leaves out, so nobody is left waiting for an outage that no longer concerns them.

    Customers of the service with no open case are not told: a notice lives on a case, and a
    closed one has nobody looking after it — a phone or post customer's call or letter would land
    as a task for someone who no longer looks after them, for each of thousands of customers. They
    see the alert on their self-service pages, and a case they open during it shows it to staff."""
    from correspondence.models import CustomerNotice

    cases = _open_cases_of_affected(alert)
    if telling != POSTED:
        told_before = CustomerNotice.objects.filter(
            Q(subject_key=f"alert:{alert.pk}") | Q(subject_key__startswith=f"alert:{alert.pk}:"), is_copy=False
        ).values("case__customer_id")
        earlier = Case.objects.filter(customer_id__in=told_before).exclude(status=Case.Status.CLOSED)
        cases = Case.objects.filter(Q(pk__in=cases.values("pk")) | Q(pk__in=earlier.values("pk")))
    already = _told(alert, telling)
    chosen: dict[int, int] = {}
    rows = cases.exclude(customer_id__in=already).order_by("customer_id", "-last_activity_at", "-pk")
    for customer_id, case_id in rows.values_list("customer_id", "pk").iterator(chunk_size=2000):
        chosen.setdefault(customer_id, case_id)
    return chosen


def _told(alert: ServiceAlert, telling: str) -> "QuerySet[CustomerNotice, int]":
    """The customers already told this telling (their own notice, not a delegate's copy)."""
    from correspondence.models import CustomerNotice

    return CustomerNotice.objects.filter(subject_key=telling_subject(alert, telling), is_copy=False).values_list(
        "case__customer_id", flat=True
    )


def alert_tell(*, alert_id: int, telling: str, revision: int, actor: User | None = None) -> int:
    """Tell the affected customers about an alert's posting, change or end, in the way each
    prefers, in batches (cases.tell_alert runs it after the change committed). Idempotent: a
    customer already told this telling is skipped, so a retried run tells only those left.
    Returns how many customers were told."""
    alert = ServiceAlert.objects.select_related("service").filter(pk=alert_id).first()
    if alert is None:
        return 0
    if telling == UPDATED and (alert.revision != revision or _is_over(alert)):
        _telling_done(alert, telling, revision)
        return 0  # a later change, or the end, tells the customers instead
    from correspondence.services.tell import Telling, customers_tell_many, tellings_prepare

    context = {"alert": alert, "alert_event": telling}
    subject_key = telling_subject(alert, telling)
    waiting = list(_cases_to_tell(alert, telling).values())
    told = 0
    for start in range(0, len(waiting), TELL_BATCH):
        cases = Case.objects.filter(pk__in=waiting[start : start + TELL_BATCH]).select_related(
            "customer", "owner__staff_profile__department"
        )
        now = timezone.now()
        items = [Telling(case=case, topic="alert", context=context, subject_key=subject_key) for case in cases]
        prepared = tellings_prepare(items=items, now=now)
        with transaction.atomic():
            # Under the alert's lock, two runs at once cannot both tell one customer.
            list(ServiceAlert.objects.select_for_update().filter(pk=alert.pk).values_list("pk", flat=True))
            done = set(_told(alert, telling).filter(case__customer_id__in={item.case.customer_id for item in items}))
            fresh = [notice for notice in prepared if notice.case.customer_id not in done]
            customers_tell_many(prepared=fresh, actor=actor, now=now)
        told += len({notice.case.customer_id for notice in fresh})
    _telling_done(alert, telling, revision)
    return told


def _telling_done(alert: ServiceAlert, telling: str, revision: int) -> None:
    """No longer pending, unless a newer telling was queued meanwhile (that one stays pending)."""
    ServiceAlert.objects.filter(pk=alert.pk, telling_pending=telling, revision=revision).update(
        telling_pending="", telling_queued_at=None
    )


# A queued telling normally finishes within seconds; one still pending after this was lost.
TELLING_LOST_AFTER = timedelta(minutes=5)


def alerts_tell_pending(*, now: datetime | None = None) -> int:
    """Run the tellings whose task was lost (broker down at the change, worker killed): each
    alert's pending telling, at its current revision. Returns how many customers were told."""
    now = now or timezone.now()
    told = 0
    pending = ServiceAlert.objects.exclude(telling_pending="").filter(telling_queued_at__lt=now - TELLING_LOST_AFTER)
    for alert_id, telling, revision in pending.values_list("pk", "telling_pending", "revision"):
        told += alert_tell(alert_id=alert_id, telling=telling, revision=revision)
    return told


@transaction.atomic
def case_link_alert(*, actor: User, case: Case, alert: ServiceAlert) -> Case:
    """Say this case is explained by a known outage or maintenance."""
    case = lock_case(case)
    require_can_work(actor, case)
    if case.linked_alerts.filter(pk=alert.pk).exists():
        raise RuleViolation(_("The case is already linked to this alert."), field="alert")
    case.linked_alerts.add(alert)
    record_event(
        case=case,
        kind=TimelineEvent.Kind.ALERT_LINKED,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(gettext_noop("Linked to the service alert “%(title)s”."), {"title": alert.title}),
        customer_visible=True,
        subject_key=f"alert:{alert.pk}",
    )
    if case.service_id and case.customer.service_area:
        flags_clear(
            kind=Flag.Kind.EMERGING_INCIDENT,
            subject_key=f"area:{case.service_id}:{case.customer.service_area}",
            # Translators: why a flag was cleared, shown as "Flag cleared (linked to a service alert): <the flag>".
            note=Sentence(gettext_noop("linked to a service alert")),
            actor=actor,
        )
    return case


@transaction.atomic
def alert_link_incident(*, actor: User, alert: ServiceAlert, flag: Flag, cases: Iterable[Case]) -> int:
    """Link the cases of an emerging incident to the alert that explains it, and clear the incident's
    flag: all of it or nothing. Returns how many cases were linked."""
    if not policies.can_manage_alerts(actor):
        raise NotAllowed(_("Only staff can link cases to service alerts."))
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    about = selectors.emerging_incident_area(flag) if flag.kind == Flag.Kind.EMERGING_INCIDENT else None
    if about is None or not selectors.alert_covers(alert, *about):
        raise RuleViolation(_("This alert is not about that service and area."), field="flag")
    if flag.cleared_at is not None:
        raise RuleViolation(_("This flag has already been cleared."), field="flag")
    cases = list(cases)
    if not cases:
        raise RuleViolation(_("Tick at least one case to link, or leave the flag open."), field="cases")
    service_id, area = about
    for case in cases:
        if case.service_id != service_id or case.customer.service_area != area:
            raise RuleViolation(
                _("Case %(reference)s is not about this service and area.") % {"reference": case.reference},
                field="cases",
            )
    # Cleared first, with its own reason: each link below would otherwise clear it as "linked".
    flags_clear(
        kind=flag.kind,
        subject_key=flag.subject_key,
        # Translators: why a flag was cleared, shown as "Flag cleared (its cases linked to …): <the flag>".
        note=Sentence(gettext_noop("its cases linked to the service alert “%(title)s”"), {"title": alert.title}),
        actor=actor,
    )
    for case in cases:
        case_link_alert(actor=actor, case=case, alert=alert)
    return len(cases)
