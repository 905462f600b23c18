"""Promises: made, then kept, broken or withdrawn. The due date is never moved."""

from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import policies
from cases.models import Case, Flag, Promise, TimelineDepartment, TimelineEvent
from cases.services.attention import refresh_attention
from cases.services.flags import flags_clear
from cases.services.guards import lock_case, require_choice, require_open, require_text
from cases.services.timeline import DUE_FORMAT, Sentence, actor_label, moment, record_event
from portal.errors import NotAllowed, RuleViolation

if TYPE_CHECKING:
    from contractors.models import Job

Kind = TimelineEvent.Kind
Status = Promise.Status

# One whole sentence per outcome, with and without a note, so that each translates on its own.
_SETTLED: dict[str, tuple[str, str]] = {
    Status.KEPT: (gettext_noop("Promise kept: “%(text)s”"), gettext_noop("Promise kept: “%(text)s” — %(note)s")),
    Status.BROKEN: (
        gettext_noop("Promise broken: “%(text)s”"),
        gettext_noop("Promise broken: “%(text)s” — %(note)s"),
    ),
    Status.WITHDRAWN: (
        gettext_noop("Promise withdrawn: “%(text)s”"),
        gettext_noop("Promise withdrawn: “%(text)s” — %(note)s"),
    ),
}
_ALREADY: dict[str, str] = {
    Status.KEPT: gettext_noop("This promise is already kept."),
    Status.BROKEN: gettext_noop("This promise is already broken."),
    Status.WITHDRAWN: gettext_noop("This promise is already withdrawn."),
}


# Call and letter tasks are written by Steward when it tells a customer something; nobody promises them by hand.
PROMISABLE_KINDS = [k for k in Promise.Kind.values if k not in (Promise.Kind.CALL_TASK, Promise.Kind.LETTER_TASK)]


def _may_promise(actor: User, case: Case, job: "Job | None") -> bool:
    if job is not None and policies.contractor_company_of(actor) is not None:
        return policies.can_work_on_job(actor, job)
    return policies.can_work_on_case(actor, case)


@transaction.atomic
def promise_make(
    *,
    actor: User,
    case: Case,
    text: str,
    due_at: datetime,
    kind: str = Promise.Kind.GENERAL,
    owed_to_customer: bool = True,
    owed_to_name: str = "",
    job: "Job | None" = None,
    now: datetime | None = None,
) -> Promise:
    """Record a commitment. Contractors promise through one of their jobs."""
    text = require_text(text, field="text", what=_("what is promised"), max_length=300)
    require_choice(kind, PROMISABLE_KINDS, field="kind", what=_("kind of promise"))
    now = now or timezone.now()
    if due_at is None:
        raise RuleViolation(_("Say by when it will be done."), field="due_at")
    if due_at <= now:
        raise RuleViolation(_("A promise must be due in the future."), field="due_at")
    if not owed_to_customer and not owed_to_name.strip():
        raise RuleViolation(_("Say who the promise is owed to."), field="owed_to_name")
    if job is not None and job.case_id != case.pk:
        raise RuleViolation(_("That job belongs to another case."), field="job")
    if not _may_promise(actor, case, job):
        raise NotAllowed(_("You may not make promises on this case."))
    case = lock_case(case)
    require_open(case)
    promise = Promise.objects.create(
        case=case,
        job=job,
        kind=kind,
        text=text,
        made_by=actor,
        made_by_label=actor_label(actor),
        owed_to_customer=owed_to_customer,
        owed_to_name=owed_to_name.strip(),
        due_at=due_at,
    )
    case.last_activity_at = now
    case.save(update_fields=["last_activity_at", "updated_at"])
    refresh_attention([case.pk], now=now)
    department = TimelineDepartment.FIELD if job is not None else TimelineDepartment.SUPPORT
    record_event(
        case=case,
        kind=Kind.PROMISE_MADE,
        department=department,
        actor=actor,
        summary=Sentence(
            gettext_noop("Promise: “%(text)s” — due %(due)s"), {"text": text, "due": moment(due_at, DUE_FORMAT)}
        ),
        customer_visible=owed_to_customer,
        subject_key=f"promise:{promise.pk}",
        data={"due_at": due_at.isoformat()},
    )
    if owed_to_customer:
        from correspondence.services.tell import customer_tell

        customer_tell(
            case=case,
            topic="promise",
            context={"promise": promise},
            subject_key=f"promise:{promise.pk}",
            actor=actor,
            now=now,
        )
    return promise


def _settle(*, actor: User | None, promise: Promise, status: str, note: str, kind: str) -> Promise:
    locked = Promise.objects.select_for_update(of=("self",)).select_related("case").get(pk=promise.pk)
    if locked.status != Promise.Status.OPEN:
        raise RuleViolation(_(_ALREADY[locked.status]), field="status")
    if actor is not None and not _may_promise(actor, locked.case, locked.job):
        raise NotAllowed(_("You may not change promises on this case."))
    now = timezone.now()
    locked.status = status
    locked.resolution_note = note
    locked.resolved_at = now
    locked.resolved_by = actor
    locked.save(update_fields=["status", "resolution_note", "resolved_at", "resolved_by"])
    Case.objects.filter(pk=locked.case_id).update(last_activity_at=now)
    refresh_attention([locked.case_id], now=now)
    record_event(
        case=locked.case,
        kind=kind,
        department=TimelineDepartment.FIELD if locked.job_id else TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(_SETTLED[status][bool(note)], {"text": locked.text, "note": note}),
        customer_visible=locked.owed_to_customer,
        subject_key=f"promise:{locked.pk}",
    )
    return locked


@transaction.atomic
def promise_keep(*, actor: User, promise: Promise, note: str = "") -> Promise:
    kept = _settle(actor=actor, promise=promise, status=Promise.Status.KEPT, note=note.strip(), kind=Kind.PROMISE_KEPT)
    # Translators: why a flag was cleared, shown as "Flag cleared (promise kept): <the flag>".
    done = Sentence(gettext_noop("promise kept"))
    flags_clear(kind=Flag.Kind.STALE_PROMISE, subject_key=f"promise:{kept.pk}", note=done, actor=actor)
    return kept


@transaction.atomic
def promise_break(*, actor: User | None, promise: Promise, note: str) -> Promise:
    """Say honestly that a promise was not kept; the customer sees it marked broken."""
    note = require_text(note, field="note", what=_("what happened and what happens next"))
    broken = _settle(actor=actor, promise=promise, status=Promise.Status.BROKEN, note=note, kind=Kind.PROMISE_BROKEN)
    if actor is not None:
        # Broken and acknowledged by a person: the stale-promise flag has done its work.
        # Translators: why a flag was cleared, shown as "Flag cleared (marked broken): <the flag>".
        marked = Sentence(gettext_noop("marked broken"))
        flags_clear(kind=Flag.Kind.STALE_PROMISE, subject_key=f"promise:{broken.pk}", note=marked, actor=actor)
    return broken


@transaction.atomic
def promise_withdraw(*, actor: User, promise: Promise, note: str) -> Promise:
    note = require_text(note, field="note", what=_("why the promise is withdrawn"))
    withdrawn = _settle(
        actor=actor,
        promise=promise,
        status=Promise.Status.WITHDRAWN,
        note=note,
        kind=Kind.PROMISE_WITHDRAWN,
    )
    # Translators: why a flag was cleared, shown as "Flag cleared (withdrawn): <the promise flag>".
    dropped = Sentence(gettext_noop("withdrawn"))
    flags_clear(kind=Flag.Kind.STALE_PROMISE, subject_key=f"promise:{withdrawn.pk}", note=dropped, actor=actor)
    return withdrawn
