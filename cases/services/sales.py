"""Sales recorded on a case, so support and field staff see what was sold and promised."""

from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.models import Case, Sale, TimelineDepartment, TimelineEvent
from cases.services.guards import lock_case, require_active_staff, require_can_work, require_open, require_text
from cases.services.timeline import Sentence, person_name, record_event
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
