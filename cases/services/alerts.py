"""Service alerts (maintenance and outages) and linking cases to them."""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import policies, selectors
from cases.models import Case, Flag, ServiceAlert, TimelineDepartment, TimelineEvent
from cases.services.flags import flags_clear
from cases.services.guards import lock_case, require_can_work, require_choice, require_text
from cases.services.timeline import Sentence, record_event
from people.models import Service
from portal.errors import NotAllowed, RuleViolation


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
    _tell_affected_customers(alert, actor)
    return alert


def _tell_affected_customers(alert: ServiceAlert, actor: User) -> None:
    """Customers of the service in the area, with a case open, hear of it in the way they prefer
    (once each, on their latest open case), so nobody spends an hour on their own equipment."""
    from correspondence.services.tell import customer_tell

    holders = Case.objects.filter(customer__services=alert.service).exclude(status=Case.Status.CLOSED)
    if alert.area:
        holders = holders.filter(customer__service_area__iexact=alert.area)
    told: set[int] = set()
    for case in holders.select_related("customer", "owner__staff_profile__department").order_by(
        "customer_id", "-last_activity_at", "-pk"
    ):
        if case.customer_id in told:
            continue
        told.add(case.customer_id)
        customer_tell(case=case, topic="alert", context={"alert": alert}, subject_key=f"alert:{alert.pk}", actor=actor)


@transaction.atomic
def alert_update(*, actor: User, alert: ServiceAlert, **changes: object) -> ServiceAlert:
    if not policies.can_manage_alerts(actor):
        raise NotAllowed(_("Only staff can change service alerts."))
    allowed = {"title", "description", "kind", "starts_at", "ends_at", "area", "service"}
    unknown = set(changes) - allowed
    if unknown:
        raise RuleViolation(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    alert = ServiceAlert.objects.select_for_update().get(pk=alert.pk)
    for field, value in changes.items():
        setattr(alert, field, value.strip() if isinstance(value, str) else value)
    require_text(alert.title, field="title", what=_("a title"), max_length=200)
    require_choice(alert.kind, ServiceAlert.Kind.values, field="kind", what=_("kind of alert"))
    _check_window(alert.starts_at, alert.ends_at)
    alert.save()
    return alert


def alert_end(*, actor: User, alert: ServiceAlert, ended_at: datetime | None = None) -> ServiceAlert:
    ended_at = ended_at or timezone.now()
    if ended_at <= alert.starts_at:
        raise RuleViolation(_("An alert cannot end before it started."), field="ends_at")
    return alert_update(actor=actor, alert=alert, ends_at=ended_at)


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
