"""The customers' names and e-mail addresses searchable by the start of each word, whatever their
accents and case: FTS5 on SQLite, a GIN index on PostgreSQL (portal.fulltext)."""

from django.db import migrations

from portal import fulltext


def install(apps, schema_editor):
    fulltext.install(schema_editor.connection, fulltext.CUSTOMER_WORDS)


def uninstall(apps, schema_editor):
    fulltext.uninstall(schema_editor.connection, fulltext.CUSTOMER_WORDS)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0010_customer_phone_digits"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
