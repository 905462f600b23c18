"""Raising, escalating, acknowledging and clearing flags.

One open flag per kind and subject is guaranteed by a partial unique index; raising is
therefore "insert unless one is open", safe when two workers try at the same moment.
"""

from datetime import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import deadlines, policies
from cases.models import Case, Flag, Notification, TimelineDepartment, TimelineEvent
from cases.notifications import notification_queue
from cases.services.timeline import Sentence, flag_said, person_name, record_event
from portal.errors import NotAllowed, RuleViolation

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
    profile = getattr(owner, "staff_profile", None)
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
    if kind not in Flag.Kind.values:
        raise RuleViolation(_("Unknown flag kind “%(kind)s”.") % {"kind": kind}, field="kind")
    data = {}
    if isinstance(summary, Sentence):
        data["sentence"] = summary.as_data()
        summary = summary.english()
    if Flag.objects.filter(kind=kind, subject_key=subject_key, cleared_at__isnull=True).exists():
        return None
    assignee = assignee or person_at_level(case, 1)
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                kind=kind,
                subject_key=subject_key,
                summary=summary[:300],
                data=data,
                case=case,
                level=1,
                assignee=assignee,
                raised_at=now,
                escalate_at=None
                if kind in NON_ESCALATING_KINDS
                else deadlines.escalation_due(case, 1, now, assignee=assignee),
            )
            if case is not None:
                record_event(
                    case=case,
                    kind=Kind.FLAG_RAISED,
                    department=TimelineDepartment.SYSTEM,
                    actor=None,
                    summary=Sentence(gettext_noop("Flag raised: %(flag)s"), {"flag": data.get("sentence") or summary}),
                    subject_key=f"flag:{flag.pk}",
                    data={"flag_kind": kind, "level": 1},
                )
            notification_queue(flag=flag, reason=Notification.Reason.RAISED, now=now)
    except IntegrityError:
        # Another worker raised the same flag between our check and our insert.
        return None
    return flag


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


# Flags whose cause has no record to fix: a person looks and decides they need nothing more.
DISMISSIBLE_KINDS = {Flag.Kind.EMERGING_INCIDENT}


@transaction.atomic
def flag_dismiss(*, flag: Flag, actor: User, note: str) -> Flag:
    """Close an emerging-incident flag that turned out to be a coincidence, saying why."""
    note = (note or "").strip()
    if not note:
        raise RuleViolation(_("Say why nothing more is needed."), field="note")
    if flag.kind not in DISMISSIBLE_KINDS:
        raise RuleViolation(_("This flag clears itself when its cause is fixed; it cannot be dismissed."), field="flag")
    if not (
        flag.assignee_id == actor.pk
        or policies.is_manager(actor)
        or (flag.case is not None and policies.can_work_on_case(actor, flag.case))
    ):
        raise NotAllowed(
            _("Only the person the flag is with, a manager, or someone working on the case can dismiss it.")
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
    return cleared
