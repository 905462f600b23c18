"""Migration operations of our own.

`LabelsOnly` wraps a run of `AlterField` / `AlterModelOptions` operations that change nothing
but what people read (verbose names, help texts, choice labels, ordering, permission names):
no SQL, on any database. Django re-renders the model and every model related to it after each
such operation, which made the four "translatable labels" migrations cost 17 of the 40 seconds
of a fresh `migrate` (and every test process starts with one). Wrapped, the state is rendered
once, when it is next used.
"""

from typing import Any

from django.db.migrations.operations import AlterField, AlterModelOptions
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState


class LabelsOnly(Operation):
    reduces_to_sql = False
    reversible = True

    def __init__(self, operations: list[AlterField | AlterModelOptions]) -> None:
        unexpected = [op for op in operations if not isinstance(op, AlterField | AlterModelOptions)]
        if unexpected:
            raise TypeError(f"LabelsOnly takes AlterField and AlterModelOptions only, not {unexpected!r}")
        self.operations = operations

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.operations], {})

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        # Without a rendered registry, each operation below only edits the model states
        # (reload_model does nothing); `state.apps` renders them all afresh when next read.
        state.__dict__.pop("apps", None)
        for operation in self.operations:
            operation.state_forwards(app_label, state)

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        """Labels live in Python: the tables stay as they are (tests/test_migration_labels.py
        checks that each wrapped operation would have written no SQL)."""

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        """Nothing to undo in the database either."""

    def describe(self) -> str:
        return f"Change the labels of {len(self.operations)} fields and models (no SQL)"

    @property
    def migration_name_fragment(self) -> str:
        return "labels"
