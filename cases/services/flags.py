"""Raising, escalating, acknowledging and clearing flags.

One open flag per kind and subject is guaranteed by a partial unique index; raising is
therefore "insert unless one is open", safe when two workers try at the same moment.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Case as CaseWhen
from django.db.models import DateTimeField, F, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import deadlines, policies
from cases.models import Case, Flag, Notification, TimelineDepartment, TimelineEvent
from cases.notifications import notification_queue, notifications_queue_many
from cases.services.attention import refresh_attention
from cases.services.timeline import Sentence, flag_said, person_name, record_event, record_events, timeline_event
from portal.errors import NotAllowed, RuleViolation

if TYPE_CHECKING:
    from people.models import StaffProfile

Kind = TimelineEvent.Kind


# A help request is owned by the colleague asked, not by the case's ladder: the case's owner
# still owns the case and its other flags still climb. Sending "please help Olivia" up to
# Olivia's manager would reach people who were never asked, and the request needs no ladder
# to be seen: it stays on the colleague's worklist until they answer, and on the case page.
NON_ESCALATING_KINDS = {Flag.Kind.HELP_REQUESTED}


def person_at_level(case: Case | None, level: int) -> User | None:
    """Level 1 is the owner, 2 the owner's manager, 3 the head of the owner's department."""
    if case is None:
        return None
    owner = case.owner
    if level == 1:
        return owner
    profile: StaffProfile | None = getattr(owner, "staff_profile", None)
    if profile is None:
        return None
    if level == 2:
        return profile.manager or profile.department.head
    return profile.department.head or profile.manager


def flag_raise(
    *,
    kind: str,
    subject_key: str,
    summary: str | Sentence,
    case: Case | None,
    now: datetime | None = None,
    assignee: User | None = None,
) -> Flag | None:
    """Raise a flag unless one of this kind is already open on this subject.

    Returns the new flag, or None when one was already open. A Sentence summary is kept in
    `data["sentence"]` and read in each reader's language; `summary` gets its English.
    """
    now = now or timezone.now()
    _check_kind(kind)
    if Flag.objects.filter(kind=kind, subject_key=subject_key, cleared_at__isnull=True).exists():
        return None
    flag = _new_flag(FlagToRaise(kind, subject_key, summary, case, assignee), now)
    try:
        with transaction.atomic():
            flag.save(force_insert=True)
            if case is not None:
                record_events([_raised_event(flag)])
                refresh_attention([case.pk], now=now)
            notification_queue(flag=flag, reason=Notification.Reason.RAISED, now=now)
    except IntegrityError:
        # Another worker raised the same flag between our check and our insert.
        return None
    return flag


@dataclass(frozen=True)
class FlagToRaise:
    """One flag a watcher wants raised, as flag_raise takes it."""

    kind: str
    subject_key: str
    summary: str | Sentence
    case: Case | None
    assignee: User | None = None


def flags_raise_many(*, items: list[FlagToRaise], now: datetime) -> list[Flag]:
    """flag_raise for many subjects at once, for watchers working through a backlog: one query
    for the flags already open, then one insert each for the flags, their timeline events and
    their notifications. Returns the flags raised. Call it inside the watcher's transaction.

    Should another writer raise one of the same flags between the look and the insert, the
    unique index refuses the whole insert and each is raised one by one instead, as flag_raise
    does: never two open flags on one subject.
    """
    for kind in {item.kind for item in items}:
        _check_kind(kind)
    open_already = set(
        Flag.objects.filter(
            kind__in={item.kind for item in items},
            subject_key__in={item.subject_key for item in items},
            cleared_at__isnull=True,
        ).values_list("kind", "subject_key")
    )
    flags: list[Flag] = []
    for item in items:
        if (item.kind, item.subject_key) in open_already:
            continue
        open_already.add((item.kind, item.subject_key))  # the same subject twice in one call
        flags.append(_new_flag(item, now))
    if not flags:
        return []
    try:
        with transaction.atomic():
            Flag.objects.bulk_create(flags)
    except IntegrityError:
        raised = (
            flag_raise(
                kind=i.kind, subject_key=i.subject_key, summary=i.summary, case=i.case, now=now, assignee=i.assignee
            )
            for i in items
        )
        return [flag for flag in raised if flag is not None]
    record_events([_raised_event(flag) for flag in flags if flag.case is not None])
    refresh_attention((flag.case_id for flag in flags), now=now)
    notifications_queue_many(flags=flags, reason=Notification.Reason.RAISED, now=now)
    return flags


def _check_kind(kind: str) -> None:
    if kind not in Flag.Kind.values:
        raise RuleViolation(_("Unknown flag kind “%(kind)s”.") % {"kind": kind}, field="kind")


def _new_flag(item: FlagToRaise, now: datetime) -> Flag:
    """The flag flag_raise inserts, unsaved. A Sentence summary is kept in `data["sentence"]`."""
    summary, data = item.summary, {}
    if isinstance(summary, Sentence):
        data["sentence"] = summary.as_data()
        summary = summary.english()
    assignee = item.assignee or person_at_level(item.case, 1)
    flag = Flag(
        kind=item.kind,
        subject_key=item.subject_key,
        summary=summary[:300],
        data=data,
        case=item.case,
        level=1,
        assignee=assignee,
        raised_at=now,
        escalate_at=None
        if item.kind in NON_ESCALATING_KINDS
        else deadlines.escalation_due(item.case, 1, now, assignee=assignee),
    )
    flag.said_in_full = data.get("sentence") or summary  # the timeline event keeps a summary over 300 characters whole
    return flag


def _raised_event(flag: Flag) -> TimelineEvent:
    assert flag.case is not None, "only flags on a case have a timeline event"
    return timeline_event(
        case=flag.case,
        kind=Kind.FLAG_RAISED,
        department=TimelineDepartment.SYSTEM,
        actor=None,
        summary=Sentence(
            gettext_noop("Flag raised: %(flag)s"), {"flag": getattr(flag, "said_in_full", None) or flag_said(flag)}
        ),
        subject_key=f"flag:{flag.pk}",
        data={"flag_kind": flag.kind, "level": 1},
    )


def flags_escalate_many(*, flags: list[Flag], now: datetime) -> list[Flag]:
    """flag_escalate for many flags at once (the escalation watcher's batch): per level, one
    conditional update moves every flag still open, unacknowledged and at that level, then one
    insert each writes their timeline events and notifications. Returns the flags moved.

    Call it inside the transaction that read and locked the flags (watchers.base.scan_due): the
    rows it finds still movable cannot change before the update.
    """
    moved: list[Flag] = []
    by_level: dict[int, list[Flag]] = {}
    for flag in flags:
        if flag.level < 3 and flag.kind not in NON_ESCALATING_KINDS:
            by_level.setdefault(flag.level, []).append(flag)
    for level, group in by_level.items():
        still = Flag.objects.filter(level=level, cleared_at__isnull=True, acknowledged_at__isnull=True)
        movable = set(still.filter(pk__in=[flag.pk for flag in group]).values_list("pk", flat=True))
        group = [flag for flag in group if flag.pk in movable]
        if not group:
            continue
        new_level = level + 1
        for flag in group:
            target = person_at_level(flag.case, new_level) or flag.assignee
            flag.level, flag.assignee = new_level, target
            flag.escalate_at = (
                deadlines.escalation_due(flag.case, new_level, now, assignee=target) if new_level < 3 else None
            )
        updated = still.filter(pk__in=[flag.pk for flag in group]).update(
            level=new_level,
            assignee_id=CaseWhen(
                *(When(pk=f.pk, then=Value(f.assignee_id)) for f in group),
                default=F("assignee_id"),
                output_field=IntegerField(),
            ),
            escalate_at=CaseWhen(
                *(When(pk=f.pk, then=Value(f.escalate_at)) for f in group),
                default=F("escalate_at"),
                output_field=DateTimeField(),
            ),
        )
        if updated != len(group):  # cannot happen under the batch's lock; never tell a move that did not happen
            raise RuntimeError(f"escalated {updated} of {len(group)} flags at level {level}")
        moved.extend(group)
    record_events([_escalated_event(flag) for flag in moved if flag.case is not None])
    refresh_attention((flag.case_id for flag in moved), now=now)
    notifications_queue_many(flags=moved, reason=Notification.Reason.ESCALATED, now=now)
    return moved


def _escalated_event(flag: Flag) -> TimelineEvent:
    assert flag.case is not None, "only flags on a case have a timeline event"
    if flag.assignee is not None:
        said = Sentence(
            gettext_noop("Flag escalated to level %(level)s (%(name)s): %(flag)s"),
            {"level": flag.level, "name": person_name(flag.assignee), "flag": flag_said(flag)},
        )
    else:
        said = Sentence(
            gettext_noop("Flag escalated to level %(level)s (nobody (no manager on record)): %(flag)s"),
            {"level": flag.level, "flag": flag_said(flag)},
        )
    return timeline_event(
        case=flag.case,
        kind=Kind.FLAG_ESCALATED,
        department=TimelineDepartment.SYSTEM,
        actor=None,
        summary=said,
        subject_key=f"flag:{flag.pk}",
        data={"flag_kind": flag.kind, "level": flag.level},
    )


def flag_escalate(*, flag: Flag, now: datetime | None = None) -> bool:
    """Move an unacknowledged open flag one level up; False if someone else already did."""
    now = now or timezone.now()
    if flag.level >= 3 or flag.kind in NON_ESCALATING_KINDS:
        return False
    new_level = flag.level + 1
    target = person_at_level(flag.case, new_level) or flag.assignee
    with transaction.atomic():
        moved = Flag.objects.filter(
            pk=flag.pk, level=flag.level, cleared_at__isnull=True, acknowledged_at__isnull=True
        ).update(
            level=new_level,
            assignee=target,
            escalate_at=(
                deadlines.escalation_due(flag.case, new_level, now, assignee=target) if new_level < 3 else None
            ),
        )
        if not moved:
            return False
        flag.refresh_from_db()
        if flag.case is not None:
            if target is not None:
                said = Sentence(
                    gettext_noop("Flag escalated to level %(level)s (%(name)s): %(flag)s"),
                    {"level": new_level, "name": person_name(target), "flag": flag_said(flag)},
                )
            else:
                said = Sentence(
                    gettext_noop("Flag escalated to level %(level)s (nobody (no manager on record)): %(flag)s"),
                    {"level": new_level, "flag": flag_said(flag)},
                )
            record_event(
                case=flag.case,
                kind=Kind.FLAG_ESCALATED,
                department=TimelineDepartment.SYSTEM,
                actor=None,
                summary=said,
                subject_key=f"flag:{flag.pk}",
                data={"flag_kind": flag.kind, "level": new_level},
            )
            refresh_attention([flag.case_id], now=now)
        notification_queue(flag=flag, reason=Notification.Reason.ESCALATED, now=now)
    return True


def flag_acknowledge(*, flag: Flag, actor: User, now: datetime | None = None) -> Flag:
    now = now or timezone.now()
    if flag.case is not None and not policies.can_work_on_case(actor, flag.case) and flag.assignee_id != actor.pk:
        raise NotAllowed(
            _("Only the person the flag is with, or someone who may work on the case, can acknowledge it.")
        )
    if flag.cleared_at is not None:
        raise RuleViolation(_("This flag has already been cleared."))
    if flag.acknowledged_at is not None:
        return flag
    with transaction.atomic():
        acknowledged = Flag.objects.filter(pk=flag.pk, acknowledged_at__isnull=True, cleared_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=actor
        )
        flag.refresh_from_db()
        # A stale copy: since it was read, someone acknowledged the flag (the timeline already
        # says so) or its cause was fixed.
        if not acknowledged and flag.acknowledged_at is None:
            raise RuleViolation(_("This flag has already been cleared."))
        if not acknowledged:
            return flag
        if flag.case is not None:
            record_event(
                case=flag.case,
                kind=Kind.FLAG_ACKNOWLEDGED,
                department=TimelineDepartment.SYSTEM,
                actor=actor,
                summary=Sentence(gettext_noop("Flag acknowledged: %(flag)s"), {"flag": flag_said(flag)}),
                subject_key=f"flag:{flag.pk}",
            )
    return flag


@transaction.atomic
def flag_dismiss(*, flag: Flag, actor: User, note: str) -> Flag:
    """Close a flag that needs nothing more (an emerging incident that was a coincidence, a low
    survey score followed up another way), saying why."""
    note = (note or "").strip()
    if not note:
        raise RuleViolation(_("Say why nothing more is needed."), field="note")
    if flag.kind not in policies.DISMISSIBLE_FLAG_KINDS:
        raise RuleViolation(_("This flag clears itself when its cause is fixed; it cannot be dismissed."), field="flag")
    if not policies.can_dismiss_flag(actor, flag):
        raise NotAllowed(
            _("Only the person the flag is with, or the case owner's manager or head of department, can dismiss it.")
        )
    if flag.cleared_at is not None:
        raise RuleViolation(_("This flag has already been cleared."))
    # Translators: why a flag was cleared, shown as "Flag cleared (dismissed: …): <the flag>".
    dismissed = Sentence(gettext_noop("dismissed: %(note)s"), {"note": note})
    flags_clear(kind=flag.kind, subject_key=flag.subject_key, note=dismissed, actor=actor)
    flag.refresh_from_db()
    return flag


def flags_clear(*, kind: str, subject_key: str, note: str | Sentence, actor: User | None = None) -> int:
    """Clear the open flag of this kind on this subject, because its cause was fixed.

    `note` says why, as a short Sentence ("reply sent") so the timeline reads in each reader's
    language; `clear_note` keeps its English.
    """
    now = timezone.now()
    english = note.english() if isinstance(note, Sentence) else note
    cleared = 0
    for flag in Flag.objects.filter(kind=kind, subject_key=subject_key, cleared_at__isnull=True).select_related("case"):
        if not Flag.objects.filter(pk=flag.pk, cleared_at__isnull=True).update(
            cleared_at=now, clear_note=english[:300]
        ):
            continue
        cleared += 1
        if flag.case is not None:
            record_event(
                case=flag.case,
                kind=Kind.FLAG_CLEARED,
                department=TimelineDepartment.SYSTEM,
                actor=actor,
                summary=Sentence(
                    gettext_noop("Flag cleared (%(note)s): %(flag)s"), {"note": note, "flag": flag_said(flag)}
                ),
                subject_key=f"flag:{flag.pk}",
            )
            refresh_attention([flag.case_id], now=now)
    return cleared
