"""A case from opening to closure: open, status, resolve, confirm, reopen, close."""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Case as CaseWhen
from django.db.models import DateTimeField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from cases import deadlines, policies
from cases.models import Case, Flag, Promise, ReferenceCounter, TimelineDepartment, TimelineEvent
from cases.selectors import LooseEnds, loose_ends
from cases.services.flags import flag_raise, flags_clear
from cases.services.guards import (
    lock_active_staff,
    lock_case,
    require_can_work,
    require_choice,
    require_open,
    require_text,
)
from cases.services.help import help_requests_clear_all
from cases.services.timeline import (
    LONG_DATE_FORMAT,
    LONG_MOMENT_FORMAT,
    Sentence,
    choice,
    listing,
    local_text,
    moment,
    person_name,
    record_event,
    record_events,
    timeline_event,
)
from people.models import Customer, Service
from portal.errors import NotAllowed, RuleViolation

if TYPE_CHECKING:
    from correspondence.services.tell import PreparedNotice

Kind = TimelineEvent.Kind
Status = Case.Status


def next_reference(year: int) -> str:
    """Draw the next CS-YYYY-NNNNNN number under a row lock (no gaps reused, no duplicates)."""
    for _attempt in range(3):
        counter = ReferenceCounter.objects.select_for_update().filter(year=year).first()
        if counter is None:
            try:
                with transaction.atomic():
                    ReferenceCounter.objects.create(year=year, last_number=0)
            except IntegrityError:
                pass  # created by a concurrent request; lock it on the next pass
            continue
        counter.last_number += 1
        counter.save(update_fields=["last_number"])
        return f"{settings.CASE_REFERENCE_PREFIX}-{year}-{counter.last_number:06d}"
    raise RuntimeError("Could not draw a case reference")


@transaction.atomic
def case_open(
    *,
    actor: User | None,
    customer: Customer,
    subject: str,
    owner: User,
    description: str = "",
    priority: str = Case.Priority.NORMAL,
    human_impact: str = "",
    service: Service | None = None,
    department: str = TimelineDepartment.SUPPORT,
) -> Case:
    """Open a case with an owner from the first minute (invariant 1)."""
    subject = require_text(subject, field="subject", what=_("a subject"), max_length=200)
    require_choice(priority, Case.Priority.values, field="priority", what=_("priority"))
    require_choice(department, TimelineDepartment.values, field="department", what=_("department"))
    owner = lock_active_staff(owner)
    if actor is not None and not (
        policies.is_staff_member(actor) or actor.is_superuser or policies.is_customer_side_of(actor, customer)
    ):
        raise NotAllowed(_("You may not open a case for this customer."))
    now = timezone.now()
    case = Case.objects.create(
        reference=next_reference(now.year),
        customer=customer,
        subject=subject,
        description=description.strip(),
        priority=priority,
        human_impact=human_impact.strip()[:200],
        service=service,
        owner=owner,
        created_by=actor,
        last_activity_at=now,
    )
    record_event(
        case=case,
        kind=Kind.CASE_OPENED,
        department=department,
        actor=actor,
        summary=Sentence(
            gettext_noop("Case opened: %(subject)s. Owner: %(owner)s."),
            {"subject": subject, "owner": person_name(owner)},
        ),
        customer_visible=True,
        data={"owner_id": owner.pk},
    )
    return case


# Said wherever someone tries to close a case by hand (the status form, the API).
HOW_A_CASE_CLOSES = gettext_lazy(
    "A case cannot be closed by hand. Resolve it, saying what was done: it closes when the customer confirms "
    "it is fixed, or after the confirmation window and a reminder."
)


@transaction.atomic
def case_set_status(*, actor: User, case: Case, status: str) -> Case:
    """Move a working case between its working states (new, in progress, waiting on someone)."""
    if status == Status.CLOSED:
        raise RuleViolation(str(HOW_A_CASE_CLOSES), field="status", code="not_by_hand")
    if status == Status.RESOLVED:
        raise RuleViolation(
            _(
                "A case is resolved by saying what was done, not by changing its status: resolve it, and the customer "
                "is asked to confirm it is fixed."
            ),
            field="status",
            code="not_by_hand",
        )
    require_choice(status, Case.WORKING_STATUSES, field="status", what=_("working status"))
    case = lock_case(case)
    require_can_work(actor, case)
    require_open(case)
    if case.status == Status.RESOLVED:
        raise RuleViolation(_("The case is resolved and awaits the customer: reopen it first."), field="status")
    if case.status == status:
        return case
    old = case.status
    case.status = status
    case.last_activity_at = timezone.now()
    case.save(update_fields=["status", "last_activity_at", "updated_at"])
    record_event(
        case=case,
        kind=Kind.STATUS_CHANGED,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(
            gettext_noop("Status: %(old)s → %(new)s"),
            {"old": choice("cases.Case.status", old), "new": choice("cases.Case.status", status)},
        ),
        customer_visible=True,
        data={"status": status},
    )
    return case


@transaction.atomic
def case_resolve(*, actor: User, case: Case, summary: str, override_reason: str = "") -> Case:
    """Mark resolved and ask the customer to confirm; closing waits for their answer.

    Open promises, damage without a repair plan, an unanswered message, open claims or jobs are
    loose ends: resolving over them needs `override_reason`, which the timeline keeps."""
    summary = require_text(summary, field="summary", what=_("what was done to resolve the case"))
    case = lock_case(case)
    require_can_work(actor, case)
    require_open(case)
    if case.status == Status.RESOLVED:
        raise RuleViolation(_("The case is already resolved and waiting for the customer's answer."), field="status")
    override_reason = override_reason.strip()
    loose = loose_ends(case)
    if loose and not override_reason:
        items = loose.items
        raise RuleViolation(
            # Translators: %(list)s is one or more whole sentences, each naming something still open.
            ngettext(
                "One thing is still open on this case: %(list)s Say why you resolve it anyway.",
                "%(count)d things are still open on this case: %(list)s Say why you resolve it anyway.",
                len(items),
            )
            % {"count": len(items), "list": " ".join(item.text for item in items)},
            field="override_reason",
            code="loose_ends",
        )
    now = timezone.now()
    case.status = Status.RESOLVED
    case.resolved_at = now
    case.resolution_summary = summary
    case.confirmation_due_at = deadlines.confirmation_due(case, now)
    case.confirmation_reminder_sent_at = None
    case.last_activity_at = now
    case.save(
        update_fields=[
            "status",
            "resolved_at",
            "resolution_summary",
            "confirmation_due_at",
            "confirmation_reminder_sent_at",
            "last_activity_at",
            "updated_at",
        ]
    )
    record_event(
        case=case,
        kind=Kind.RESOLVED,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(
            gettext_noop("Resolved: %(summary)s We have asked the customer to confirm it is fixed."),
            {"summary": summary},
        ),
        customer_visible=True,
    )
    if loose:
        # Staff only: the reason speaks of internal matters the customer's timeline does not show.
        record_event(
            case=case,
            kind=Kind.RESOLVED,
            department=TimelineDepartment.SUPPORT,
            actor=actor,
            summary=Sentence(
                # Translators: %(open)s lists counts such as "open promises: 2, open insurance claims: 1".
                gettext_noop("Resolved although things were still open (%(open)s). Why: %(reason)s"),
                {"open": listing(_loose_end_counts(loose)), "reason": override_reason[:300]},
            ),
            data={"override_reason": override_reason},
        )
    _tell(case, "confirmation", actor=actor, now=now, reminder=False, kept=_kept_promises(case))
    return case


@transaction.atomic
def case_confirm(*, actor: User, case: Case) -> Case:
    """The customer (or their delegate) confirms it is fixed: the case closes."""
    case = lock_case(case)
    if not (policies.is_customer_side(actor, case) or policies.can_work_on_case(actor, case)):
        raise NotAllowed(
            _("Only the customer, their delegate, or staff working on the case may record the confirmation.")
        )
    if case.status != Status.RESOLVED:
        raise RuleViolation(_("Only a resolved case can be confirmed."), field="status")
    now = timezone.now()
    case.status = Status.CLOSED
    case.closed_at = now
    case.close_reason = Case.CloseReason.CONFIRMED
    case.last_activity_at = now
    case.save(update_fields=["status", "closed_at", "close_reason", "last_activity_at", "updated_at"])
    record_event(
        case=case,
        kind=Kind.CONFIRMED,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(gettext_noop("The customer confirmed it is fixed. Case closed.")),
        customer_visible=True,
    )
    # Translators: why a flag was cleared, shown as "Flag cleared (confirmed): <the flag>".
    confirmed = Sentence(gettext_noop("confirmed"))
    _clear_flags_on_closure(case, actor, resolution_note=confirmed)
    _tell(case, "survey", actor=actor, now=now)
    return case


def _kept_promises(case: Case) -> list[str]:
    """What we promised the customer and did, for the "is it fixed?" question; call and letter
    tasks are how we told them, not something done for them."""
    return _kept_promises_of([case])[case.pk]


def _kept_promises_of(cases: list[Case]) -> dict[int, list[str]]:
    tasks = (Promise.Kind.CALL_TASK, Promise.Kind.LETTER_TASK)
    kept = Promise.objects.filter(
        case_id__in=[case.pk for case in cases], status=Promise.Status.KEPT, owed_to_customer=True
    ).exclude(kind__in=tasks)
    by_case: dict[int, list[str]] = {case.pk: [] for case in cases}
    for case_id, text in kept.order_by("case_id", "resolved_at", "pk").values_list("case_id", "text"):
        by_case[case_id].append(text)
    return by_case


def _loose_end_counts(loose: LooseEnds) -> list[Sentence]:
    """How many of each kind were open, as "promises: 2" so no language needs a plural here."""
    counts = [
        (gettext_noop("unanswered customer message: %(count)s"), 1 if loose.awaiting_reply_since else 0),
        (gettext_noop("open promises: %(count)s"), len(loose.promises)),
        (gettext_noop("damage without a repair plan: %(count)s"), len(loose.incidents)),
        (gettext_noop("unfinished contractor jobs: %(count)s"), len(loose.jobs)),
        (gettext_noop("open insurance claims: %(count)s"), len(loose.claims)),
    ]
    return [Sentence(text, {"count": count}) for text, count in counts if count]


def _tell(case: Case, topic: str, *, actor: User | None, now: datetime, **context: object) -> None:
    """Ask the customer "is it fixed?" or for their opinion, in the way they prefer."""
    from correspondence.services.tell import customer_tell

    customer_tell(case=case, topic=topic, context=context, subject_key=f"case:{case.pk}", actor=actor, now=now)


# What a closed case can no longer owe: a reply, contact, an answer about its resolution, or a
# handoff's acknowledgement. A flag of these kinds left open would keep climbing the ladder about
# a case nobody may act on any more.
CLEARED_ON_CLOSURE = (
    Flag.Kind.UNANSWERED_MESSAGE,
    Flag.Kind.SILENT_CASE,
    Flag.Kind.UNCONFIRMED_RESOLUTION,
    Flag.Kind.REJECTED_RESOLUTION,
    Flag.Kind.HANDOFF_UNACKNOWLEDGED,
)


def _clear_flags_on_closure(case: Case, actor: User | None, *, resolution_note: Sentence) -> None:
    """Called by every path that closes a case, inside its transaction. Each rejection of a
    resolution has a flag of its own (subject "case:<id>:reopen:<n>"), so flags are found by case."""
    # Translators: why a flag was cleared, shown as "Flag cleared (case closed): <the flag>".
    closed = Sentence(gettext_noop("case closed"))
    still_open = (
        Flag.objects.filter(case=case, kind__in=CLEARED_ON_CLOSURE, cleared_at__isnull=True)
        .order_by("pk")
        .values_list("kind", "subject_key")
    )
    for kind, subject_key in list(still_open):
        note = resolution_note if kind == Flag.Kind.UNCONFIRMED_RESOLUTION else closed
        flags_clear(kind=kind, subject_key=subject_key, note=note, actor=actor)
    help_requests_clear_all(case=case, why=closed, actor=actor)


def _reopen(
    case: Case, *, actor: User | None, reason: str | Sentence, now: datetime, rejected_resolution: bool = False
) -> None:
    case.status = Status.IN_PROGRESS
    case.resolved_at = None
    case.confirmation_due_at = None
    case.confirmation_reminder_sent_at = None
    case.reopen_count += 1
    case.last_activity_at = now
    case.save(
        update_fields=[
            "status",
            "resolved_at",
            "confirmation_due_at",
            "confirmation_reminder_sent_at",
            "reopen_count",
            "last_activity_at",
            "updated_at",
        ]
    )
    record_event(
        case=case,
        kind=Kind.REOPENED,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(gettext_noop("Reopened: %(reason)s"), {"reason": reason}),
        customer_visible=True,
        # Marked, so the reports count rejections without reading the summary's words.
        rejected_resolution=rejected_resolution,
    )
    # Translators: why a flag was cleared, shown as "Flag cleared (reopened): <the flag>".
    reopened = Sentence(gettext_noop("reopened"))
    flags_clear(kind=Flag.Kind.UNCONFIRMED_RESOLUTION, subject_key=f"case:{case.pk}", note=reopened, actor=actor)


@transaction.atomic
def case_reject_resolution(*, actor: User, case: Case, reason: str) -> Case:
    """The customer says it is not fixed: reopen and flag the owner."""
    reason = require_text(reason, field="reason", what=_("what is still wrong"))
    case = lock_case(case)
    if not policies.is_customer_side(actor, case):
        raise NotAllowed(_("Only the customer or their delegate can say the resolution did not work."))
    if case.status != Status.RESOLVED:
        raise RuleViolation(_("This case is not waiting for your confirmation."), field="status")
    now = timezone.now()
    # Translators: why a case was reopened, shown as "Reopened: the customer says it is not fixed: …".
    not_fixed = Sentence(gettext_noop("the customer says it is not fixed: %(reason)s"), {"reason": reason})
    _reopen(case, actor=actor, reason=not_fixed, now=now, rejected_resolution=True)
    flag_raise(
        kind=Flag.Kind.REJECTED_RESOLUTION,
        subject_key=f"case:{case.pk}:reopen:{case.reopen_count}",
        summary=Sentence(
            gettext_noop("%(reference)s: the customer says it is not fixed — %(reason)s"),
            {"reference": case.reference, "reason": reason[:150]},
        ),
        case=case,
        now=now,
    )
    return case


@transaction.atomic
def case_reopen(*, actor: User, case: Case, reason: str) -> Case:
    """Staff reopen a resolved case (for example after a phone call)."""
    reason = require_text(reason, field="reason", what=_("why the case is reopened"))
    case = lock_case(case)
    require_can_work(actor, case)
    if case.status != Status.RESOLVED:
        raise RuleViolation(
            _("Only a resolved case can be reopened; a closed case gets a follow-up case."), field="status"
        )
    _reopen(case, actor=actor, reason=reason, now=timezone.now())
    return case


def reopen_on_customer_reply(case: Case, *, actor: User | None, now: datetime) -> None:
    """Invariant 3: a customer reply on a resolved case reopens it (called under the case lock)."""
    if case.status == Status.RESOLVED:
        # Translators: why a case was reopened, shown as "Reopened: the customer wrote again after the resolution".
        wrote_again = Sentence(gettext_noop("the customer wrote again after the resolution"))
        _reopen(case, actor=actor, reason=wrote_again, now=now)


@transaction.atomic
def case_send_confirmation_reminder(*, case: Case, now: datetime | None = None) -> bool:
    """Record that the customer was reminded to confirm; the window rule needs this before closing."""
    now = now or timezone.now()
    updated = Case.objects.filter(
        pk=case.pk, status=Status.RESOLVED, confirmation_reminder_sent_at__isnull=True
    ).update(confirmation_reminder_sent_at=now, confirmation_due_at=deadlines.confirmation_due(case, now))
    if not updated:
        return False
    case.refresh_from_db()
    record_events([_reminder_event(case)])
    _tell(case, "confirmation", actor=None, now=now, reminder=True, kept=_kept_promises(case))
    return True


def _reminder_event(case: Case) -> TimelineEvent:
    assert case.confirmation_due_at is not None, "the reminder renews the window first"
    return timeline_event(
        case=case,
        kind=Kind.REMINDER,
        department=TimelineDepartment.SUPPORT,
        actor=None,
        summary=Sentence(
            gettext_noop("Reminder sent: is it fixed? The case closes if we hear nothing by %(date)s."),
            {"date": moment(case.confirmation_due_at, LONG_DATE_FORMAT)},
        ),
        customer_visible=True,
    )


@dataclass
class PreparedReminder:
    """A case to remind, with its renewed window set in memory and its message rendered."""

    case: Case
    notices: list["PreparedNotice"]


def confirmation_reminders_prepare(*, cases: list[Case], now: datetime) -> list[PreparedReminder]:
    """The slow half of case_send_confirmation_reminder for many cases (a watcher's batch): the
    renewed windows and the "is it fixed?" messages, rendered before the transaction that writes
    them (confirmation_reminders_send). Changes the given cases in memory only."""
    from correspondence.services.tell import Telling, tellings_prepare

    kept = _kept_promises_of(cases)
    for case in cases:
        case.confirmation_due_at = deadlines.confirmation_due(case, now)
        case.confirmation_reminder_sent_at = now
    items = [
        Telling(case, "confirmation", {"reminder": True, "kept": kept[case.pk]}, subject_key=f"case:{case.pk}")
        for case in cases
    ]
    notices = tellings_prepare(items=items, now=now)
    return [PreparedReminder(case, [n for n in notices if n.case is case]) for case in cases]


def confirmation_reminders_send(*, prepared: list[PreparedReminder], now: datetime) -> list[Case]:
    """case_send_confirmation_reminder for the prepared cases still waiting for their first
    reminder: one conditional update renews their windows, then one insert each for the
    reminders' timeline events, the notices and what they need (customers_tell_many). Returns
    the cases reminded. Call inside the transaction that holds the cases (the watcher's batch)."""
    from correspondence.services.tell import customers_tell_many

    still = Case.objects.filter(status=Status.RESOLVED, confirmation_reminder_sent_at__isnull=True)
    claimable = set(still.filter(pk__in=[p.case.pk for p in prepared]).values_list("pk", flat=True))
    chosen = [p for p in prepared if p.case.pk in claimable]
    if not chosen:
        return []
    still.filter(pk__in=claimable).update(
        confirmation_reminder_sent_at=now,
        confirmation_due_at=CaseWhen(
            *(When(pk=p.case.pk, then=Value(p.case.confirmation_due_at)) for p in chosen),
            output_field=DateTimeField(),
        ),
    )
    record_events([_reminder_event(p.case) for p in chosen])
    customers_tell_many(prepared=[notice for p in chosen for notice in p.notices], now=now)
    return [p.case for p in chosen]


@transaction.atomic
def case_close(*, actor: User | None, case: Case, now: datetime | None = None) -> Case:
    """Close without the customer's answer: only after the window, with a reminder sent (invariant 3)."""
    now = now or timezone.now()
    case = lock_case(case)
    if actor is not None:
        require_can_work(actor, case)
    if case.status == Status.CLOSED:
        raise RuleViolation(_("Case %(reference)s is already closed.") % {"reference": case.reference}, field="status")
    if case.status != Status.RESOLVED:
        raise RuleViolation(
            _("Resolve the case first; it closes when the customer confirms, or after the confirmation window."),
            field="status",
        )
    if case.confirmation_reminder_sent_at is None:
        raise RuleViolation(_("The customer has not been reminded to confirm yet."), field="status")
    if case.confirmation_due_at is None or case.confirmation_due_at > now:
        raise RuleViolation(
            _("The customer has until %(date)s to answer.")
            % {"date": local_text(case.confirmation_due_at, LONG_MOMENT_FORMAT)},
            field="status",
        )
    case.status = Status.CLOSED
    case.closed_at = now
    case.close_reason = Case.CloseReason.WINDOW_ELAPSED
    case.last_activity_at = now
    case.save(update_fields=["status", "closed_at", "close_reason", "last_activity_at", "updated_at"])
    record_event(
        case=case,
        kind=Kind.CLOSED,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(gettext_noop("Closed: no answer came within the confirmation window after a reminder.")),
        customer_visible=True,
    )
    # Translators: why a flag was cleared, shown as "Flag cleared (closed): <the flag>" (the case was closed).
    closed = Sentence(gettext_noop("closed"))
    _clear_flags_on_closure(case, actor, resolution_note=closed)
    _tell(case, "survey", actor=actor, now=now)
    return case
