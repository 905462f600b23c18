"""Count the stored attention inputs of every existing case (migration 0023 adds them at zero),
by ranges of ids so that no statement holds a long lock or a huge transaction.

The counting repeats cases.selectors (owners_flag_level, earliest_promise_due, promise_overdue)
on the historical models, as a migration must; the attention itself is generated from the inputs.
"""

from django.db import migrations
from django.db.models import DateTimeField, Exists, IntegerField, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

BATCH = 5000


def backfill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Flag = apps.get_model("cases", "Flag")
    Promise = apps.get_model("cases", "Promise")
    now = timezone.now()
    top = (
        Flag.objects.exclude(kind="help_requested")
        .filter(case=OuterRef("pk"), cleared_at__isnull=True)
        .order_by("-level")
        .values("level")[:1]
    )
    open_promises = Promise.objects.filter(case=OuterRef("pk"), status="open")
    earliest = open_promises.order_by("due_at").values("due_at")[:1]
    last = Case.objects.aggregate(last=Max("pk"))["last"] or 0
    for start in range(0, last + 1, BATCH):
        Case.objects.filter(pk__gte=start, pk__lt=start + BATCH).update(
            attention_flag_level=Coalesce(Subquery(top, output_field=IntegerField()), 0),
            promise_due_at=Subquery(earliest, output_field=DateTimeField()),
            promise_overdue=Exists(open_promises.filter(due_at__lt=now)),
        )


class Migration(migrations.Migration):
    # Each range commits on its own: a large table is not rewritten in one transaction.
    atomic = False

    dependencies = [("cases", "0023_case_attention")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
