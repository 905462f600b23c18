"""What the reports used to work out on every request, stored when it happens: whether a customer
message was answered after the case's reply deadline, and whether a reopen was the customer
rejecting the resolution. Filled in for the rows already there by 0028."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0026_search_indexes")]

    operations = [
        migrations.AddField(
            model_name="message",
            name="answered_late",
            field=models.BooleanField(
                default=False,
                help_text="The answer came after the case's reply deadline (the one the unanswered-message watcher uses).",
                verbose_name="answered late",
            ),
        ),
        migrations.AddField(
            model_name="timelineevent",
            name="rejected_resolution",
            field=models.BooleanField(
                default=False,
                help_text="A reopen because the customer said the resolution did not fix it.",
                verbose_name="rejected resolution",
            ),
        ),
    ]
