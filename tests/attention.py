"""The invariant of the stored worklist order: every case's stored attention, and the inputs it is
generated from, equal what the rule counts from scratch from its flags, promises and messages."""

from datetime import datetime

from django.utils import timezone

from cases.attention import earliest_promise_due
from cases.models import Case
from cases.selectors import with_attention


def assert_attention_counted(now: datetime | None = None) -> int:
    """Fails naming every case whose stored attention differs from the rule counted at `now`
    (default: the clock). Returns the number of cases checked, so a caller can tell it saw some."""
    now = now or timezone.now()
    rows = (
        with_attention(Case.objects.all(), now)
        .annotate(earliest_due=earliest_promise_due())
        .order_by("pk")
        .values(
            "reference",
            "attention",
            "attention_now",
            "attention_flag_level",
            "top_flag_level",
            "promise_overdue",
            "has_overdue_promise",
            "promise_due_at",
            "earliest_due",
        )
    )
    wrong = [
        row
        for row in rows
        if (row["attention"], row["attention_flag_level"], row["promise_overdue"], row["promise_due_at"])
        != (row["attention_now"], row["top_flag_level"], row["has_overdue_promise"], row["earliest_due"])
    ]
    assert not wrong, f"stored attention differs from the rule counted at {now}: {wrong}"
    return len(rows)
