"""Merging duplicates: two records of one customer (triage of unknown senders makes them), or two
cases of one customer about the same problem.

Everything linked to the merged record is moved to the survivor in one transaction. The merged
record stays, closed to new work, with a `merged_into` link: its old addresses lead to the
survivor and it leaves every worklist, search, intake and inbound match. Timeline events are
append-only, so a merged case keeps its own; the survivor's timeline reads them through the link
(cases.policies.timeline_for). Both timelines say who merged what, and why.
"""

from collections.abc import Collection

from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from guardian.ctypes import get_content_type
from guardian.models import (
    GroupObjectPermission,
    GroupObjectPermissionBase,
    UserObjectPermission,
    UserObjectPermissionBase,
)

from cases import deadlines, policies
from cases.models import (
    Case,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Flag,
    Handoff,
    InsuranceClaim,
    Message,
    Promise,
    Sale,
    Survey,
    TimelineDepartment,
    TimelineEvent,
)
from cases.services.attention import refresh_attention
from cases.services.edits import CUSTOMER_SENTENCES, _record_change
from cases.services.flags import flags_clear
from cases.services.guards import require_text
from cases.services.timeline import Sentence, record_event
from people.models import Customer, CustomerGroupObjectPermission, CustomerUserObjectPermission, Delegate
from portal.errors import NotAllowed, RuleViolation

Kind = TimelineEvent.Kind

# Contact details the manager chooses between when the two records differ.
CHOSEN_FIELDS = ("full_name", "email", "phone", "address", "postcode", "service_area", "preferred_channel", "language")
# Notes nobody should lose: when they differ, the survivor keeps both.
JOINED_FIELDS = ("vulnerability_notes", "access_notes")

CASE_MERGED_HERE = gettext_noop("Case %(merged)s was merged into this case: %(reason)s")
CASE_MERGED_AWAY = gettext_noop("Merged into case %(survivor)s: %(reason)s")
CUSTOMER_MERGED_HERE = gettext_noop(
    "Customer record “%(merged)s” (no. %(number)s) was merged into this one: %(reason)s"
)
CASE_MOVED = gettext_noop("Moved from customer record no. %(merged)s to %(survivor)s (records merged): %(reason)s")
FLAG_DUPLICATE = gettext_noop("case merged into %(survivor)s, which has the same flag open")


def _require_merger(actor: User) -> None:
    if not policies.can_merge_records(actor):
        raise NotAllowed(_("Only a team manager or a head of department can merge records."))


def _reason(reason: str) -> str:
    return require_text(reason, field="reason", what=_("why the records are merged"), max_length=300)


def _move_grants(
    model: type[UserObjectPermissionBase] | type[GroupObjectPermissionBase],
    holder: str,
    merged: models.Model,
    survivor: models.Model,
) -> None:
    """Guardian grants on the merged record go to the survivor; one the survivor already holds
    is dropped rather than doubled (the tables allow each grant once)."""
    for grant in model.objects.filter(content_object=merged):
        duplicate = model.objects.filter(
            content_object=survivor, permission_id=grant.permission_id, **{holder: getattr(grant, f"{holder}_id")}
        )
        if duplicate.exists():
            grant.delete()
        else:
            model.objects.filter(pk=grant.pk).update(content_object=survivor)


def _move_generic_grants(merged: models.Model, survivor: models.Model) -> None:
    """Grants kept in guardian's generic tables (none are written by Steward, but the admin can)."""
    content_type = get_content_type(merged)
    for model, holder in ((UserObjectPermission, "user"), (GroupObjectPermission, "group")):
        for grant in model.objects.filter(content_type=content_type, object_pk=str(merged.pk)):
            taken = model.objects.filter(
                content_type=content_type,
                object_pk=str(survivor.pk),
                permission_id=grant.permission_id,
                **{holder: getattr(grant, f"{holder}_id")},
            )
            if taken.exists():
                grant.delete()
            else:
                model.objects.filter(pk=grant.pk).update(object_pk=str(survivor.pk))


# --- two records of one customer ----------------------------------------------------------------


def customer_merge_refusal(*, survivor: Customer, merged: Customer) -> str | None:
    """Why these two records cannot be merged, in the reader's language; None when they can."""
    if survivor.pk == merged.pk:
        return _("A customer record cannot be merged into itself: choose the duplicate.")
    for customer in (merged, survivor):
        if customer.merged_into_id is not None:
            return _("“%(name)s” was already merged into another record; merge into that one instead.") % {
                "name": customer.full_name
            }
    if survivor.user_id and merged.user_id:
        return _(
            "Both records have their own sign-in for the self-service pages, and a customer has only one. "
            "Ask the customer which one they use and have an administrator remove the other sign-in first."
        )
    return None


@transaction.atomic
def customer_merge(
    *, actor: User, survivor: Customer, merged: Customer, reason: str, take: Collection[str] = ()
) -> Customer:
    """Move everything of `merged` to `survivor`: cases, delegates and their grants, the sign-in
    (when only `merged` has one) and the services held. `take` names the contact details (of
    CHOSEN_FIELDS) to copy from `merged`; differing notes are joined, never dropped."""
    _require_merger(actor)
    reason = _reason(reason)
    unknown = sorted(set(take) - set(CHOSEN_FIELDS))
    if unknown:
        raise RuleViolation(_("These details cannot be chosen: %(fields)s.") % {"fields": ", ".join(unknown)})
    locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])}
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    refusal = customer_merge_refusal(survivor=survivor, merged=merged)
    if refusal:
        raise RuleViolation(refusal, field="merged")
    now = timezone.now()

    changed = _merge_details(survivor, merged, take)
    user = merged.user
    if user is not None:
        merged.user = None
        merged.save(update_fields=["user"])
    merged.merged_into, merged.merged_at = survivor, now
    merged._history_user = actor
    merged.save(update_fields=["merged_into", "merged_at"])
    if user is not None:
        survivor.user = user
    survivor._history_user = actor
    survivor.save()
    survivor.services.add(*merged.services.all())

    for delegate in Delegate.objects.filter(customer=merged, revoked_at__isnull=True):
        if Delegate.objects.filter(customer=survivor, user_id=delegate.user_id, revoked_at__isnull=True).exists():
            # The same person already helps the survivor: one active delegation is enough.
            Delegate.objects.filter(pk=delegate.pk).update(revoked_at=now)
    Delegate.objects.filter(customer=merged).update(customer=survivor)
    _move_grants(CustomerUserObjectPermission, "user", merged, survivor)
    _move_grants(CustomerGroupObjectPermission, "group", merged, survivor)
    _move_generic_grants(merged, survivor)
    # Records merged into this one earlier now point straight at the survivor.
    Customer.objects.filter(merged_into=merged).update(merged_into=survivor)

    moved = list(Case.objects.select_for_update().filter(customer=merged).order_by("pk"))
    Case.objects.filter(pk__in=[case.pk for case in moved]).update(customer=survivor, last_activity_at=now)
    for case in moved:
        case.customer = survivor
        record_event(
            case=case,
            kind=Kind.MERGED,
            department=TimelineDepartment.SUPPORT,
            actor=actor,
            summary=Sentence(CASE_MOVED, {"merged": merged.pk, "survivor": survivor.full_name, "reason": reason}),
            subject_key=f"customer:{merged.pk}",
        )
    here = Sentence(CUSTOMER_MERGED_HERE, {"merged": merged.full_name, "number": merged.pk, "reason": reason})
    for case in survivor.cases.exclude(status=Case.Status.CLOSED).exclude(pk__in=[c.pk for c in moved]):
        record_event(
            case=case,
            kind=Kind.MERGED,
            department=TimelineDepartment.SUPPORT,
            actor=actor,
            summary=here,
            subject_key=f"customer:{merged.pk}",
        )
    for case in survivor.cases.exclude(status=Case.Status.CLOSED):
        for name, (old, new) in changed.items():
            _record_change(case=case, actor=actor, sentences=CUSTOMER_SENTENCES, name=name, old=old, new=new)
    return survivor


def _merge_details(survivor: Customer, merged: Customer, take: Collection[str]) -> dict[str, tuple[str, str]]:
    """Set the survivor's details; what changed, as (before, after)."""
    changed: dict[str, tuple[str, str]] = {}
    for name in CHOSEN_FIELDS:
        value = getattr(merged, name)
        if name in take and value != getattr(survivor, name):
            changed[name] = (getattr(survivor, name), value)
            setattr(survivor, name, value)
    for name in JOINED_FIELDS:
        mine, theirs = getattr(survivor, name).strip(), getattr(merged, name).strip()
        if theirs and theirs not in mine:
            joined = f"{mine}\n{theirs}" if mine else theirs
            changed[name] = (getattr(survivor, name), joined)
            setattr(survivor, name, joined)
    return {name: values for name, values in changed.items() if name in CUSTOMER_SENTENCES}


# --- two cases of one customer ----------------------------------------------------------------


def case_merge_refusal(*, survivor: Case, merged: Case) -> str | None:
    """Why these two cases cannot be merged, in the reader's language; None when they can."""
    if survivor.pk == merged.pk:
        return _("A case cannot be merged into itself: choose the duplicate case.")
    if survivor.customer_id != merged.customer_id:
        return _(
            "Cases %(merged)s and %(survivor)s belong to different customers: only cases of one customer can be "
            "merged. If they are the same person, merge the customer records first."
        ) % {"merged": merged.reference, "survivor": survivor.reference}
    for case in (merged, survivor):
        if case.merged_into_id is not None:
            return _("Case %(reference)s was already merged into another case.") % {"reference": case.reference}
    if survivor.status == Case.Status.CLOSED:
        return _("Case %(reference)s is closed: merge into an open case, or the other way round.") % {
            "reference": survivor.reference
        }
    if merged.status == Case.Status.CLOSED:
        return _("Case %(reference)s is closed: its history stays as it is.") % {"reference": merged.reference}
    return None


@transaction.atomic
def case_merge(*, actor: User, survivor: Case, merged: Case, reason: str) -> Case:
    """Move every record of `merged` to `survivor` and close `merged` as merged into it."""
    _require_merger(actor)
    reason = _reason(reason)
    locked = {
        c.pk: c
        for c in Case.objects.select_for_update(of=("self",))
        .select_related("customer", "owner")
        .filter(pk__in=[survivor.pk, merged.pk])
    }
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    refusal = case_merge_refusal(survivor=survivor, merged=merged)
    if refusal:
        raise RuleViolation(refusal, field="merged")
    now = timezone.now()

    _move_flags(actor, survivor, merged)
    for model in (Message, Promise, Sale, InsuranceClaim, Handoff):
        model.objects.filter(case=merged).update(case=survivor)
    _move_linked_elsewhere(survivor, merged)
    if not Survey.objects.filter(case=survivor).exists():
        Survey.objects.filter(case=merged).update(case=survivor)
    _move_grants(CaseUserObjectPermission, "user", merged, survivor)
    _move_grants(CaseGroupObjectPermission, "group", merged, survivor)
    _move_generic_grants(merged, survivor)
    survivor.linked_alerts.add(*merged.linked_alerts.all())
    merged.linked_alerts.clear()
    Case.objects.filter(merged_into=merged).update(merged_into=survivor)

    _take_watch_keys(survivor, merged)
    survivor.last_activity_at = now
    survivor.save()
    merged.status, merged.close_reason, merged.closed_at = Case.Status.CLOSED, Case.CloseReason.MERGED, now
    merged.merged_into, merged.merged_at, merged.last_activity_at = survivor, now, now
    merged.awaiting_reply_since = merged.reply_due_at = merged.confirmation_due_at = None
    merged.save()
    # The merged case's flags and promises are the survivor's now.
    refresh_attention([survivor.pk, merged.pk], now=now)

    record_event(
        case=survivor,
        kind=Kind.MERGED,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(CASE_MERGED_HERE, {"merged": merged.reference, "reason": reason}),
        subject_key=f"case:{merged.pk}",
    )
    record_event(
        case=merged,
        kind=Kind.MERGED,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(CASE_MERGED_AWAY, {"survivor": survivor.reference, "reason": reason}),
        subject_key=f"case:{survivor.pk}",
    )
    return survivor


def _survivor_key(key: str, survivor: Case, merged: Case) -> str:
    """A case-level subject ("case:12", "case:12:reopen:1") said of the survivor instead."""
    prefix = f"case:{merged.pk}"
    if key == prefix or key.startswith(prefix + ":"):
        return f"case:{survivor.pk}" + key[len(prefix) :]
    return key


def _move_flags(actor: User, survivor: Case, merged: Case) -> None:
    """Flags follow their records. An open flag about the merged case itself is said of the
    survivor; when the survivor already has that flag open (at most one per subject), the
    duplicate is cleared with the reason on the merged case's timeline."""
    for flag in Flag.objects.filter(case=merged, cleared_at__isnull=True).order_by("pk"):
        key = _survivor_key(flag.subject_key, survivor, merged)
        if key == flag.subject_key:
            continue
        if Flag.objects.filter(kind=flag.kind, subject_key=key, cleared_at__isnull=True).exists():
            note = Sentence(FLAG_DUPLICATE, {"survivor": survivor.reference})
            flags_clear(kind=flag.kind, subject_key=flag.subject_key, note=note, actor=actor)
        else:
            Flag.objects.filter(pk=flag.pk).update(subject_key=key)
    Flag.objects.filter(case=merged).update(case=survivor)


def _move_linked_elsewhere(survivor: Case, merged: Case) -> None:
    """Records of the other apps that name the case: contractor jobs and the correspondence."""
    from contractors.models import Job
    from correspondence.models import CustomerNotice, InboundEmail, OutboundEmail

    for model in (Job, CustomerNotice, OutboundEmail, InboundEmail):
        model.objects.filter(case=merged).update(case=survivor)


def _take_watch_keys(survivor: Case, merged: Case) -> None:
    """The survivor now holds the merged case's conversation: its oldest unanswered message and
    its latest contact count for the watchers."""
    waiting = [moment for moment in (survivor.awaiting_reply_since, merged.awaiting_reply_since) if moment]
    if waiting and min(waiting) != survivor.awaiting_reply_since:
        survivor.awaiting_reply_since = min(waiting)
        survivor.reply_due_at = deadlines.reply_due(survivor, survivor.awaiting_reply_since)
    contacts = [moment for moment in (survivor.last_outbound_at, merged.last_outbound_at) if moment]
    if contacts:
        survivor.last_outbound_at = max(contacts)
