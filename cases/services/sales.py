"""Sales recorded on a case, so support and field staff see what was sold and promised."""

from datetime import datetime
from decimal import Decimal
from typing import cast

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.models import Case, Sale, TimelineDepartment, TimelineEvent
from cases.services.guards import lock_case, require_active_staff, require_can_work, require_open, require_text
from cases.services.timeline import Sentence, listing, person_name, record_event
from portal.errors import RuleViolation


@transaction.atomic
def sale_record(
    *,
    actor: User,
    case: Case,
    product: str,
    advisor: User,
    plan: str = "",
    monthly_price: Decimal | None = None,
    pending_offers: str = "",
    sold_at: datetime | None = None,
) -> Sale:
    product = require_text(product, field="product", what=_("what was sold"), max_length=200)
    require_active_staff(advisor, field="advisor")
    if monthly_price is not None and monthly_price < 0:
        raise RuleViolation(_("The price cannot be negative."), field="monthly_price")
    case = lock_case(case)
    require_can_work(actor, case)
    require_open(case)
    sale = Sale.objects.create(
        case=case,
        product=product,
        plan=plan.strip(),
        monthly_price=monthly_price,
        advisor=advisor,
        pending_offers=pending_offers.strip(),
        sold_at=sold_at or timezone.now(),
    )
    case.last_activity_at = timezone.now()
    case.save(update_fields=["last_activity_at", "updated_at"])
    # One whole sentence per combination of plan and price, so that each translates on its own.
    if monthly_price is None:
        said = (
            gettext_noop("Sold: %(product)s — %(plan)s (advisor %(advisor)s)")
            if sale.plan
            else gettext_noop("Sold: %(product)s (advisor %(advisor)s)")
        )
    else:
        said = (
            gettext_noop("Sold: %(product)s — %(plan)s, %(price)s per month (advisor %(advisor)s)")
            if sale.plan
            else gettext_noop("Sold: %(product)s, %(price)s per month (advisor %(advisor)s)")
        )
    params = {"product": product, "plan": sale.plan, "advisor": person_name(advisor)}
    if monthly_price is not None:
        params["price"] = str(monthly_price)
    record_event(
        case=case,
        kind=TimelineEvent.Kind.SALE,
        department=TimelineDepartment.SALES,
        actor=actor,
        summary=Sentence(said, params),
        customer_visible=True,
        subject_key=f"sale:{sale.pk}",
    )
    return sale


# What a sale update may change, and how the timeline names each field.
_CUSTOMER_FACING = ("product", "plan", "monthly_price", "advisor")
_FIELD_NAMES = {
    # Translators: a detail of a sale, shown as "product: Fibre → Fibre 2 Gb/s".
    "product": gettext_noop("product"),
    # Translators: a detail of a sale (the customer's plan), shown as "plan: Essential → Premium".
    "plan": gettext_noop("plan"),
    # Translators: a detail of a sale, shown as "monthly price: 34.99 → 39.99".
    "monthly_price": gettext_noop("monthly price"),
    # Translators: a detail of a sale (the member of staff who sold it), shown as "advisor: Samir → Chloé".
    "advisor": gettext_noop("advisor"),
}


def _shown(field: str, value: object) -> str | Sentence:
    """A sale's value as the timeline writes it; an empty one in words."""
    if value is None or value == "":
        # Translators: a sale detail that had, or now has, no value, as in "plan: (none) → Premium".
        return Sentence(gettext_noop("(none)"))
    if field == "advisor":
        return person_name(cast(User, value))  # a sale's advisor is a user
    return str(value)


@transaction.atomic
def sale_update(
    *,
    actor: User,
    sale: Sale,
    product: str | None = None,
    plan: str | None = None,
    monthly_price: Decimal | None = None,
    clear_price: bool = False,
    advisor: User | None = None,
    pending_offers: str | None = None,
) -> Sale:
    """Correct or change a recorded sale; only the values given are changed.

    `monthly_price=None` leaves the price as it is; `clear_price` removes it. Each change is on
    the timeline with its value before and after: what the customer bought is on their
    timeline, pending offers (staff notes on what is still being discussed) only on staff's.
    """
    changes: dict[str, object] = {}
    if product is not None:
        changes["product"] = require_text(product, field="product", what=_("what was sold"), max_length=200)
    if plan is not None:
        changes["plan"] = plan.strip()
    if clear_price:
        changes["monthly_price"] = None
    elif monthly_price is not None:
        if monthly_price < 0:
            raise RuleViolation(_("The price cannot be negative."), field="monthly_price")
        changes["monthly_price"] = monthly_price
    if pending_offers is not None:
        changes["pending_offers"] = pending_offers.strip()
    # The case first, as every service locks it, then the sale.
    case = lock_case(sale.case)
    require_can_work(actor, case)
    require_open(case)
    sale = Sale.objects.select_for_update(of=("self",)).select_related("advisor").get(pk=sale.pk)
    if advisor is not None and advisor.pk != sale.advisor_id:
        # Only a new advisor must be active staff: a sale made by someone since gone stays theirs.
        changes["advisor"] = require_active_staff(advisor, field="advisor")
    changed = [field for field, value in changes.items() if getattr(sale, field) != value]
    if not changed:
        raise RuleViolation(_("Nothing changed: change at least one detail of the sale."))
    before = {field: getattr(sale, field) for field in changed}
    for field in changed:
        setattr(sale, field, changes[field])
    sale.save(update_fields=changed)
    now = timezone.now()
    case.last_activity_at = now
    case.save(update_fields=["last_activity_at", "updated_at"])
    facing = [field for field in _CUSTOMER_FACING if field in changed]
    if facing:
        words = [
            Sentence(
                # Translators: one changed detail of a sale, e.g. "plan: Essential → Premium".
                gettext_noop("%(field)s: %(old)s → %(new)s"),
                {
                    "field": Sentence(_FIELD_NAMES[field]),
                    "old": _shown(field, before[field]),
                    "new": _shown(field, getattr(sale, field)),
                },
            )
            for field in facing
        ]
        record_event(
            case=case,
            kind=TimelineEvent.Kind.SALE,
            department=TimelineDepartment.SALES,
            actor=actor,
            summary=Sentence(
                # Translators: %(changes)s lists what changed, separated by semicolons.
                gettext_noop("Sale changed: %(product)s — %(changes)s"),
                {"product": sale.product, "changes": listing(words, "; ")},
            ),
            customer_visible=True,
            subject_key=f"sale:{sale.pk}",
            data={"before": _data(before, facing), "after": _data(_values(sale), facing)},
        )
    if "pending_offers" in changed:
        record_event(
            case=case,
            kind=TimelineEvent.Kind.SALE,
            department=TimelineDepartment.SALES,
            actor=actor,
            summary=Sentence(
                # Translators: staff only: the offers still being discussed with the customer, before and after.
                gettext_noop("Pending offers on %(product)s: %(old)s → %(new)s"),
                {
                    "product": sale.product,
                    "old": _shown("pending_offers", before["pending_offers"]),
                    "new": _shown("pending_offers", sale.pending_offers),
                },
            ),
            subject_key=f"sale:{sale.pk}",
            data={
                "before": {"pending_offers": before["pending_offers"]},
                "after": {"pending_offers": sale.pending_offers},
            },
        )
    return sale


def _values(sale: Sale) -> dict[str, object]:
    return {field: getattr(sale, field) for field in (*_CUSTOMER_FACING, "pending_offers")}


def _data(values: dict[str, object], fields: list[str]) -> dict[str, object]:
    """Values as JSON keeps them: a price as text, the advisor by id and name."""
    kept: dict[str, object] = {}
    for field in fields:
        value = values[field]
        if field == "advisor":
            advisor = cast(User, value)  # a sale always has its advisor
            kept[field] = {"id": advisor.pk, "name": person_name(advisor)}
        elif isinstance(value, Decimal):
            kept[field] = str(value)
        else:
            kept[field] = value
    return kept
