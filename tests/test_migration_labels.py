"""`LabelsOnly` skips the database: this checks, for every migration that uses it, that each
wrapped operation really changes only labels on the database under test (the same test that
Django's schema editor makes before it writes an ALTER)."""

import pytest
from django.db import connection
from django.db.migrations import AlterField, AlterModelOptions
from django.db.migrations.loader import MigrationLoader

from portal.migration_operations import LabelsOnly


def labels_only_migrations() -> list[tuple[str, str]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(
        key
        for key, migration in loader.disk_migrations.items()
        if any(isinstance(operation, LabelsOnly) for operation in migration.operations)
    )


def test_the_labels_migrations_use_it():
    assert {app for app, _ in labels_only_migrations()} == {"api", "cases", "contractors", "people"}


@pytest.mark.parametrize(("app_label", "name"), labels_only_migrations())
def test_each_wrapped_change_needs_no_sql(app_label, name):
    loader = MigrationLoader(None, ignore_no_migrations=True)
    before = loader.project_state((app_label, name), at_end=False).apps
    after = loader.project_state((app_label, name), at_end=True).apps
    migration = loader.graph.nodes[app_label, name]
    # Not entered: the check is pure Python, the one the editor makes before it writes SQL.
    editor = connection.SchemaEditorClass(connection, collect_sql=True)
    altered = []
    for wrapper in migration.operations:
        assert isinstance(wrapper, LabelsOnly), f"{name} mixes labels with schema changes"
        for operation in wrapper.operations:
            if isinstance(operation, AlterModelOptions):
                continue  # Django never writes SQL for model options
            old = before.get_model(app_label, operation.model_name)._meta.get_field(operation.name)
            new = after.get_model(app_label, operation.model_name)._meta.get_field(operation.name)
            if editor._field_should_be_altered(old, new):
                altered.append(f"{operation.model_name}.{operation.name}")
    assert altered == [], f"{app_label}.{name} changes the schema of {altered}"
    assert any(isinstance(op, AlterField) for wrapper in migration.operations for op in wrapper.operations)


def test_a_change_that_is_not_a_label_is_caught():
    """The check above can fail: a max_length change is a schema change."""
    from django.db import models

    loader = MigrationLoader(None, ignore_no_migrations=True)
    apps = loader.project_state(("api", "0003_translatable_labels"), at_end=True).apps
    old = apps.get_model("api", "inbounddelivery")._meta.get_field("subject")
    new = models.CharField(blank=True, max_length=301, verbose_name="subject")
    new.set_attributes_from_name("subject")
    assert connection.SchemaEditorClass(connection, collect_sql=True)._field_should_be_altered(old, new)


def test_refuses_what_is_not_a_label_operation():
    from django.db import migrations, models

    with pytest.raises(TypeError):
        LabelsOnly([migrations.AddField("case", "x", models.IntegerField(default=0))])
