"""Emerging incidents: several new cases about one service in one area within a short window
suggest an outage nobody has announced yet.

One flag per service and area (subject "area:<service id>:<area>"), on the latest of the
cases. It clears when a case is linked to a service alert (case_link_alert) or when someone
dismisses it (flag_dismiss); only cases opened after that count towards a new flag, and
none while an alert covering the service and area is running.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from cases.models import Case, Flag, ServiceAlert
from cases.services.flags import flag_raise
from cases.services.timeline import Sentence
from cases.watchers.base import ScanResult, lock_cursor, resolve_batch_size

CURSOR = "emerging_incidents"


def _alert_running(service_id: int, area: str, now: datetime) -> bool:
    return (
        ServiceAlert.objects.filter(service_id=service_id, starts_at__lte=now)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .filter(Q(area="") | Q(area=area))
        .exists()
    )


def _burst(moments: list[tuple[int, datetime]], window: timedelta, threshold: int) -> list[int]:
    """The ids of the latest run of at least `threshold` cases opened within `window` of each other."""
    best: list[int] = []
    first = 0
    for last, (_pk, opened) in enumerate(moments):
        while opened - moments[first][1] > window:
            first += 1
        if last - first + 1 >= threshold:
            best = [pk for pk, _ in moments[first : last + 1]]
    return best


def _check_area(service_id: int, area: str, since: datetime, now: datetime, result: ScanResult) -> None:
    subject = f"area:{service_id}:{area}"
    flags = Flag.objects.filter(kind=Flag.Kind.EMERGING_INCIDENT, subject_key=subject)
    if flags.filter(cleared_at__isnull=True).exists() or _alert_running(service_id, area, now):
        return
    last_cleared = flags.aggregate(last=Max("cleared_at"))["last"]
    window = timedelta(minutes=settings.EMERGING_INCIDENT_WINDOW_MINUTES)
    moments = list(
        Case.objects.filter(
            service_id=service_id,
            customer__service_area=area,
            created_at__gt=max(since, last_cleared) if last_cleared else since,
            created_at__lte=now,
        )
        .order_by("created_at", "pk")
        .values_list("pk", "created_at")
    )
    burst = _burst(moments, window, settings.EMERGING_INCIDENT_CASES)
    if not burst:
        return
    latest = Case.objects.select_related(
        "service", "owner__staff_profile__manager", "owner__staff_profile__department__head"
    ).get(pk=burst[-1])
    assert latest.service is not None, "the burst was selected by its service"
    minutes = settings.EMERGING_INCIDENT_WINDOW_MINUTES
    flag = flag_raise(
        kind=Flag.Kind.EMERGING_INCIDENT,
        subject_key=subject,
        case=latest,
        summary=Sentence(
            gettext_noop(
                "%(count)s new cases about %(service)s in area %(area)s within %(minutes)s minutes "
                "(latest %(case)s): an outage? Link them to a service alert or dismiss."
            ),
            {
                "count": len(burst),
                "service": latest.service.name,
                "area": area,
                "minutes": minutes,
                "case": latest.reference,
            },
        ),
        now=now,
    )
    result.raised += flag is not None


def watch_emerging_incidents(*, now: datetime | None = None, batch_size: int | None = None) -> ScanResult:
    """Look at the cases opened since the last run (and one window before it, so a burst that
    straddles two runs is seen whole), grouped by service and area in the database."""
    now = now or timezone.now()
    result = ScanResult("emerging_incidents")
    window = timedelta(minutes=settings.EMERGING_INCIDENT_WINDOW_MINUTES)
    with transaction.atomic():
        cursor = lock_cursor(CURSOR)
        if cursor is None:
            return result  # another worker is on it
        since = min(cursor.last_at or now, now) - window
        busy_areas = (
            Case.objects.filter(created_at__gt=since, created_at__lte=now, service__isnull=False)
            .exclude(customer__service_area="")
            .values("service_id", "customer__service_area")
            .annotate(opened=Count("pk"))
            .filter(opened__gte=settings.EMERGING_INCIDENT_CASES)
            .order_by("service_id", "customer__service_area")
        )
        for area in busy_areas[: resolve_batch_size(batch_size)]:
            result.examined += 1
            with transaction.atomic():
                _check_area(area["service_id"], area["customer__service_area"], since, now, result)
        cursor.last_at = now
        cursor.save(update_fields=["last_at", "updated_at"])
    result.batches = 1
    return result
