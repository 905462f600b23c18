"""Seeds and inspects the database a real Celery worker uses, for the integration test.

Run as `python -m tests.watchers.worker_driver seed|report` with DATABASE_URL pointing at
that database; prints one line of JSON.
"""

import json
import os
import sys
from datetime import timedelta


def seed() -> dict[str, object]:
    from unittest import mock

    from django.utils import timezone

    from cases.services import promise_make
    from people.models import StaffProfile
    from tests.factories import CustomerFactory, DepartmentFactory, make_case, make_staff

    # An hour ago, so the promise is already overdue when the worker looks.
    an_hour_ago = timezone.now() - timedelta(hours=1)
    with mock.patch.object(timezone, "now", return_value=an_hour_ago):
        department = DepartmentFactory(code="customer-relations", name="Customer relations")
        manager = make_staff("it-manager", department=department, role=StaffProfile.Role.MANAGER)
        owner = make_staff("it-owner", department=department, manager=manager, email="owner@example.test")
        case = make_case(customer=CustomerFactory(full_name="Jeanne Martin"), owner=owner)
        promise = promise_make(
            actor=owner, case=case, text="Technician back Monday", due_at=timezone.now() + timedelta(minutes=30)
        )
    return {"promise": promise.pk, "case": case.reference}


def report() -> dict[str, object]:
    from cases.models import Flag, Notification

    return {
        "flags": list(Flag.objects.values_list("kind", "subject_key", "level").order_by("pk")),
        "notifications": Notification.objects.count(),
        "emailed": Notification.objects.filter(emailed_at__isnull=False).count(),
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    print(json.dumps({"seed": seed, "report": report}[sys.argv[1]]()))
