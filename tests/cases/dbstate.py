"""Helpers for service tests: prove that a refused call wrote nothing, and collect the
timeline events a successful call wrote."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection, models

from cases.models import TimelineEvent

# Every table a service may write: the project's apps, their many-to-many tables
# (guardian grants live in the apps as direct foreign-key permission models), and users.
_APPS = ("people", "cases", "contractors")


def _watched_tables() -> list[tuple[str, str, str]]:
    found: list[type[models.Model]] = [User, User.groups.through]
    for label in _APPS:
        found.extend(apps.get_app_config(label).get_models(include_auto_created=True))
    return [(model._meta.label, model._meta.db_table, model._meta.pk.column) for model in found]


def database_state() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every watched table, so updates are caught as well as inserts and deletes.

    Read with plain SQL: it runs twice per refused call, and the ORM's row building would
    dominate the test run.
    """
    quote = connection.ops.quote_name
    state: dict[str, list[tuple[Any, ...]]] = {}
    with connection.cursor() as cursor:
        for label, table, pk in _watched_tables():
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {quote(pk)}")  # noqa: S608 (names from models)
            state[label] = cursor.fetchall()
    return state


@contextmanager
def nothing_written() -> Iterator[None]:
    """Fail if any watched row was inserted, changed or deleted inside the block.

    Put it outside `pytest.raises` so the comparison runs after the refused call:
    `with nothing_written(), pytest.raises(RuleViolation): ...`.
    """
    before = database_state()
    yield
    after = database_state()
    changed = sorted(label for label in before if before[label] != after[label])
    assert not changed, f"a refused call wrote to: {', '.join(changed)}"


class EventLog(list):
    """The timeline events written inside an `events_written()` block, oldest first."""

    def kinds(self) -> list[str]:
        return [event.kind for event in self]

    def of_kind(self, kind: str) -> list[TimelineEvent]:
        return [event for event in self if event.kind == kind]

    def one(self, kind: str) -> TimelineEvent:
        found = self.of_kind(kind)
        assert len(found) == 1, f"expected one {kind} event, got {len(found)}: {self.kinds()}"
        return found[0]


@contextmanager
def events_written() -> Iterator[EventLog]:
    last = TimelineEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    log = EventLog()
    yield log
    log.extend(TimelineEvent.objects.filter(pk__gt=last).order_by("pk"))
