"""The jobs list's tabs (contractors.selectors.tab_filters) read a company's jobs by visit date."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("contractors", "0004_report_period_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="job",
            index=models.Index(fields=["company", "window_start", "status", "window_end"], name="job_company_window"),
        ),
    ]
