"""The dates the reports read a period by (reports/tables.py): cancellations and incident reports."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("contractors", "0003_translatable_labels")]

    operations = [
        migrations.AddIndex(
            model_name="incidentreport",
            index=models.Index(fields=["created_at"], name="incident_report_created"),
        ),
        migrations.AddIndex(
            model_name="jobcancellation",
            index=models.Index(fields=["cancelled_at"], name="job_cancellation_time"),
        ),
    ]
