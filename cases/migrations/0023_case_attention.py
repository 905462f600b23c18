"""The worklist's attention order stored on the case: its inputs, the number generated from them
(cases.models.attention_rule) and the indexes of the worklist and of the attention watcher."""

import django.db.models.expressions
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0022_alert_telling_pending"),
        ("people", "0009_customer_privacy_permissions_and_erasure"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="attention_flag_level",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="The highest level of the open flags that ask something of the owner; 0 when none.",
                verbose_name="attention flag level",
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="promise_overdue",
            field=models.BooleanField(
                default=False,
                help_text="Whether an open promise was past due when the attention was last counted.",
                verbose_name="promise overdue",
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="promise_due_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the earliest open promise on the case is due.",
                null=True,
                verbose_name="earliest promise due at",
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="attention",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.expressions.CombinedExpression(
                    django.db.models.expressions.CombinedExpression(
                        django.db.models.expressions.CombinedExpression(
                            models.F("attention_flag_level"), "*", models.Value(4)
                        ),
                        "+",
                        models.Case(
                            models.When(models.Q(("promise_overdue", True)), then=models.Value(2)),
                            default=models.Value(0),
                            output_field=models.IntegerField(),
                        ),
                    ),
                    "+",
                    models.Case(
                        models.When(models.Q(("awaiting_reply_since__isnull", False)), then=models.Value(1)),
                        default=models.Value(0),
                        output_field=models.IntegerField(),
                    ),
                ),
                output_field=models.PositiveSmallIntegerField(),
                verbose_name="attention",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("status", "closed"), _negated=True),
                fields=["owner", "-attention", "last_activity_at", "id"],
                name="case_worklist_attention",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("promise_due_at__isnull", False), ("promise_overdue", False)),
                fields=["promise_due_at"],
                name="case_attention_due",
            ),
        ),
    ]
