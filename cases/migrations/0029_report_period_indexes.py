"""The dates the reports read a period by (reports/tables.py): flags raised, handoffs and
promises made, surveys answered, and the resolution events by kind and date."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0028_report_columns_backfill")]

    operations = [
        migrations.AddIndex(model_name="flag", index=models.Index(fields=["raised_at"], name="flag_raised")),
        migrations.AddIndex(model_name="handoff", index=models.Index(fields=["created_at"], name="handoff_created")),
        migrations.AddIndex(model_name="promise", index=models.Index(fields=["created_at"], name="promise_created")),
        migrations.AddIndex(
            model_name="survey", index=models.Index(fields=["submitted_at"], name="survey_submitted")
        ),
        migrations.AddIndex(
            model_name="timelineevent",
            index=models.Index(fields=["kind", "created_at"], name="timeline_kind_time"),
        ),
    ]
