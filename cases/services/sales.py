"""Sales recorded on a case, so support and field staff see what was sold and promised."""

from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from cases.models import Case, Sale, TimelineDepartment, TimelineEvent
from cases.services.guards import lock_case, require_active_staff, require_can_work, require_open, require_text
from cases.services.timeline import person_name, record_event
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
    product = require_text(product, field="product", what="what was sold", max_length=200)
    require_active_staff(advisor, field="advisor")
    if monthly_price is not None and monthly_price < 0:
        raise RuleViolation("The price cannot be negative.", field="monthly_price")
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
    price = f", {monthly_price} per month" if monthly_price is not None else ""
    record_event(
        case=case,
        kind=TimelineEvent.Kind.SALE,
        department=TimelineDepartment.SALES,
        actor=actor,
        summary=f"Sold: {product}{' — ' + sale.plan if sale.plan else ''}{price} (advisor {person_name(advisor)})",
        customer_visible=True,
        subject_key=f"sale:{sale.pk}",
    )
    return sale
