"""Rule: one open flag per kind and subject, even when two workers pass the "none open yet" check
at the same moment. The second insert meets the partial unique index and flag_raise gives up
quietly, leaving no half-written timeline event or notification. Interleaved in one process (the
other worker raises between our check and our insert), so it runs on SQLite too."""

import pytest
from django.contrib.auth.models import User

from cases.models import Case, Flag, Notification, TimelineEvent
from cases.services import flag_raise
from cases.services import flags as flag_services


def test_the_worker_that_loses_between_check_and_insert_writes_nothing(
    case: Case, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_person_at_level = flag_services.person_at_level
    other_worker: list[Flag | None] = []

    def owner_while_another_worker_raises(*args, **kwargs):
        # Runs after flag_raise checked that no flag is open and before it inserts its own.
        if not other_worker:
            other_worker.append(None)
            other_worker[0] = flag_raise(
                kind=Flag.Kind.SILENT_CASE, subject_key=f"case:{case.pk}", summary="Silent", case=case
            )
        return real_person_at_level(*args, **kwargs)

    monkeypatch.setattr(flag_services, "person_at_level", owner_while_another_worker_raises)

    lost = flag_raise(kind=Flag.Kind.SILENT_CASE, subject_key=f"case:{case.pk}", summary="Silent", case=case)

    assert lost is None
    [flag] = Flag.objects.filter(kind=Flag.Kind.SILENT_CASE)
    assert other_worker == [flag]
    assert TimelineEvent.objects.filter(case=case, kind=TimelineEvent.Kind.FLAG_RAISED).count() == 1
    assert list(Notification.objects.values_list("flag_id", "recipient_id")) == [(flag.pk, owner.pk)]
