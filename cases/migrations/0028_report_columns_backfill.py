"""Fill in 0027's columns for the rows written before them, in batches of ids (one UPDATE each,
each committed on its own: a million messages never sit in one transaction), on SQLite and
PostgreSQL alike.

- Message.answered_late: the deadline a past answer was measured against is gone (the case keeps
  only its current one), but the unanswered-message watcher's flags are its verdict: an answered
  customer message is late when such a flag on its case was raised before the answer and not
  cleared before the message came (what the reports counted until now).
- TimelineEvent.rejected_resolution: the reopens whose English summary says the customer found
  it not fixed (cases.services.lifecycle.case_reject_resolution wrote it so). The historical model
  has a plain manager, so the append-only guard of the real one does not refuse this one update.
"""

from django.db import migrations
from django.db.models import Exists, Max, OuterRef, Q

BATCH = 20_000
REJECTED_SUMMARY_PREFIX = "Reopened: the customer says it is not fixed"


def _in_batches(model, rows, **values):
    highest = model.objects.aggregate(top=Max("pk"))["top"] or 0
    for start in range(0, highest + 1, BATCH):
        rows.filter(pk__gte=start, pk__lt=start + BATCH).update(**values)


def fill(apps, schema_editor):
    Message = apps.get_model("cases", "Message")
    Flag = apps.get_model("cases", "Flag")
    TimelineEvent = apps.get_model("cases", "TimelineEvent")
    flagged_while_waiting = Flag.objects.filter(
        case=OuterRef("case"),
        kind="unanswered_message",
        raised_at__lte=OuterRef("answered_at"),
    ).filter(Q(cleared_at__isnull=True) | Q(cleared_at__gt=OuterRef("created_at")))
    late = Message.objects.filter(direction="inbound", is_automatic=False, answered_at__isnull=False).filter(
        Exists(flagged_while_waiting)
    )
    _in_batches(Message, late, answered_late=True)
    rejected = TimelineEvent.objects.filter(kind="reopened", summary__startswith=REJECTED_SUMMARY_PREFIX)
    _in_batches(TimelineEvent, rejected, rejected_resolution=True)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0027_report_columns")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
