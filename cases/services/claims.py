"""Insurance claims: filed and moved along their states, each change on the timeline."""

from datetime import date
from decimal import Decimal
from typing import cast

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.models import Case, Flag, InsuranceClaim, TimelineDepartment, TimelineEvent
from cases.services.flags import flags_clear
from cases.services.guards import lock_case, require_can_work, require_choice, require_open, require_text
from cases.services.timeline import Sentence, choice, listing, record_event
from portal.errors import RuleViolation

Kind = TimelineEvent.Kind
Status = InsuranceClaim.Status

_EDITABLE = {
    "policy_number",
    "claim_number",
    "amount_claimed",
    "amount_paid",
    "next_action",
    "next_action_due",
    "adjuster_name",
    "adjuster_contact",
}
# How the timeline names a changed field.
_FIELD_NAMES = {
    # Translators: a claim detail, shown as "updated claim number, amount paid".
    "policy_number": gettext_noop("policy number"),
    # Translators: a claim detail, shown as "updated claim number, amount paid".
    "claim_number": gettext_noop("claim number"),
    # Translators: a claim detail, shown as "updated claim number, amount paid".
    "amount_claimed": gettext_noop("amount claimed"),
    # Translators: a claim detail, shown as "updated claim number, amount paid".
    "amount_paid": gettext_noop("amount paid"),
    # Translators: a claim detail, shown as "updated claim number, amount paid".
    "next_action": gettext_noop("next action"),
    # Translators: a claim detail (the date of the next action), shown as "updated next action due".
    "next_action_due": gettext_noop("next action due"),
    # Translators: a claim detail (the insurer's adjuster), shown as "updated adjuster name".
    "adjuster_name": gettext_noop("adjuster name"),
    # Translators: a claim detail (how to reach the insurer's adjuster), shown as "updated adjuster contact".
    "adjuster_contact": gettext_noop("adjuster contact"),
}


def _check_amount(value: Decimal | None, field: str) -> None:
    if value is not None and value < 0:
        raise RuleViolation(_("Amounts cannot be negative."), field=field)


def _describe(claim: InsuranceClaim) -> Sentence:
    holder = choice("cases.InsuranceClaim.policy_holder", claim.policy_holder, lower=True)
    if claim.claim_number:
        return Sentence(
            # Translators: an insurance claim, e.g. "Axa no. 12345 (the customer's own policy)".
            gettext_noop("%(insurer)s no. %(number)s (%(holder)s)"),
            {"insurer": claim.insurer, "number": claim.claim_number, "holder": holder},
        )
    return Sentence(gettext_noop("%(insurer)s (%(holder)s)"), {"insurer": claim.insurer, "holder": holder})


@transaction.atomic
def claim_file(
    *,
    actor: User,
    case: Case,
    insurer: str,
    policy_holder: str,
    claim_number: str = "",
    policy_number: str = "",
    amount_claimed: Decimal | None = None,
    next_action: str = "",
    next_action_due: date | None = None,
    adjuster_name: str = "",
    adjuster_contact: str = "",
    draft: bool = False,
) -> InsuranceClaim:
    """Open a claim on a case: filed at once, or kept as a draft to complete."""
    insurer = require_text(insurer, field="insurer", what=_("the insurer's name"), max_length=200)
    require_choice(policy_holder, InsuranceClaim.PolicyHolder.values, field="policy_holder", what=_("policy holder"))
    _check_amount(amount_claimed, "amount_claimed")
    if next_action_due is not None and not next_action.strip():
        raise RuleViolation(_("Say what the next action is."), field="next_action")
    case = lock_case(case)
    require_can_work(actor, case)
    require_open(case)
    now = timezone.now()
    claim = InsuranceClaim.objects.create(
        case=case,
        insurer=insurer,
        policy_holder=policy_holder,
        claim_number=claim_number.strip(),
        policy_number=policy_number.strip(),
        amount_claimed=amount_claimed,
        next_action=next_action.strip(),
        next_action_due=next_action_due,
        adjuster_name=adjuster_name.strip(),
        adjuster_contact=adjuster_contact.strip(),
        status=Status.DRAFT if draft else Status.FILED,
        filed_at=None if draft else now,
        created_by=actor,
        last_update_at=now,
    )
    case.last_activity_at = now
    case.save(update_fields=["last_activity_at", "updated_at"])
    record_event(
        case=case,
        kind=Kind.CLAIM_FILED,
        department=TimelineDepartment.INSURANCE,
        actor=actor,
        summary=Sentence(
            gettext_noop("Claim drafted: %(claim)s") if draft else gettext_noop("Claim filed: %(claim)s"),
            {"claim": _describe(claim)},
        ),
        customer_visible=not draft,
        subject_key=f"claim:{claim.pk}",
    )
    return claim


@transaction.atomic
def claim_update(
    *, actor: User, claim: InsuranceClaim, status: str | None = None, note: str = "", **changes: object
) -> InsuranceClaim:
    """Move the claim to a new state and/or change its details; any update clears a stalled-claim flag."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise RuleViolation(
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    for field in ("amount_claimed", "amount_paid"):
        # The staff form and the API's serializer give amounts as Decimal.
        _check_amount(cast("Decimal | None", changes.get(field)), field)
    claim = InsuranceClaim.objects.select_for_update(of=("self",)).select_related("case").get(pk=claim.pk)
    require_can_work(actor, claim.case)
    if claim.status == Status.CLOSED:
        raise RuleViolation(_("This claim is closed."), field="status")
    now = timezone.now()
    words: list[Sentence | str] = []
    if status is not None and status != claim.status:
        require_choice(status, Status.values, field="status", what=_("claim status"))
        if status not in InsuranceClaim.TRANSITIONS[claim.status]:
            allowed = ", ".join(Status(s).label.lower() for s in sorted(InsuranceClaim.TRANSITIONS[claim.status]))
            raise RuleViolation(
                _("A claim that is %(status)s can only become: %(allowed)s.")
                % {"status": claim.get_status_display().lower(), "allowed": allowed},
                field="status",
            )
        if status == Status.PAID and (changes.get("amount_paid", claim.amount_paid) is None):
            raise RuleViolation(_("Enter the amount paid."), field="amount_paid")
        words.append(
            Sentence(
                # Translators: a claim's change of status, e.g. "Filed → Being assessed".
                gettext_noop("%(old)s → %(new)s"),
                {
                    "old": choice("cases.InsuranceClaim.status", claim.status),
                    "new": choice("cases.InsuranceClaim.status", status),
                },
            )
        )
        claim.status = status
        if status == Status.FILED and claim.filed_at is None:
            claim.filed_at = now
    changed = [f for f, v in changes.items() if getattr(claim, f) != v]
    for field in changed:
        setattr(claim, field, changes[field])
    if claim.next_action_due is not None and not claim.next_action.strip():
        raise RuleViolation(_("Say what the next action is."), field="next_action")
    if not words and not changed and not note.strip():
        raise RuleViolation(_("Nothing changed: change a field or write a note."))
    claim.last_update_at = now
    claim.save()
    if changed:
        fields = listing([Sentence(_FIELD_NAMES[f]) for f in changed])
        # Translators: the claim details changed, e.g. "updated claim number, amount paid".
        words.append(Sentence(gettext_noop("updated %(fields)s"), {"fields": fields}))
    if note.strip():
        words.append(note.strip())
    Case.objects.filter(pk=claim.case_id).update(last_activity_at=now)
    record_event(
        case=claim.case,
        kind=Kind.CLAIM_UPDATED,
        department=TimelineDepartment.INSURANCE,
        actor=actor,
        summary=Sentence(
            # Translators: %(changes)s lists what changed, separated by semicolons.
            gettext_noop("Claim %(claim)s: %(changes)s"),
            {"claim": _describe(claim), "changes": listing(words, "; ")},
        ),
        customer_visible=claim.status != Status.DRAFT,
        subject_key=f"claim:{claim.pk}",
        data={"status": claim.status},
    )
    # Translators: why a flag was cleared, shown as "Flag cleared (claim updated): <the flag>".
    updated = Sentence(gettext_noop("claim updated"))
    flags_clear(kind=Flag.Kind.STALLED_CLAIM, subject_key=f"claim:{claim.pk}", note=updated, actor=actor)
    return claim
