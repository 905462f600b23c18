"""Case subjects searchable by the start of each word, whatever their accents and case; case
references and claim numbers by their start in any case (portal.fulltext)."""

from django.db import migrations

from portal import fulltext

INDEXES = (fulltext.CASE_WORDS, fulltext.CASE_REFERENCE_PREFIX, fulltext.CLAIM_NUMBER_PREFIX)


def install(apps, schema_editor):
    fulltext.install(schema_editor.connection, *INDEXES)


def uninstall(apps, schema_editor):
    fulltext.uninstall(schema_editor.connection, *INDEXES)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0025_attention_watcher_schedule"),
        ("people", "0011_customer_words"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
