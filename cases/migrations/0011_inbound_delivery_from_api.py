# The idempotency record of delivered inbound messages moves from the api app to the domain:
# cases.services.inbound writes it for every door (API, mail pipe, mailbox poller, webhook).
# Step 1 of 3: cases takes the model over in Django's state only, on the table api created, and
# the content type follows so that every grant of deliver_inbound (to integration accounts and
# groups) keeps working as cases.deliver_inbound. Step 2 (api 0004) drops it from api's state;
# step 3 (cases 0012) renames the table to cases_inbounddelivery. No row is copied.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODEL = "inbounddelivery"


def _move_content_type(apps, old_label: str, new_label: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    # On a fresh database there is none yet: post_migrate creates it under cases afterwards.
    if not ContentType.objects.filter(app_label=old_label, model=MODEL).exists():
        return
    # Code already running with the moved model may have made an empty one on its own
    # (ContentType.objects.get_for_model creates what it does not find); the old row, which
    # the permissions and their grants point at, wins.
    ContentType.objects.filter(app_label=new_label, model=MODEL, permission__isnull=True).delete()
    ContentType.objects.filter(app_label=old_label, model=MODEL).update(app_label=new_label)


def content_type_to_cases(apps, schema_editor):
    _move_content_type(apps, "api", "cases")


def content_type_to_api(apps, schema_editor):
    _move_content_type(apps, "cases", "api")


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0003_translatable_labels'),
        ('cases', '0010_early_visit_flag'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='InboundDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(help_text="The channel and the gateway's own id for the message (idempotency key).", max_length=200, unique=True, verbose_name='key')),
                        ('payload_digest', models.CharField(help_text='SHA-256 of what was delivered, to spot a reused key.', max_length=64, verbose_name='payload digest')),
                        ('channel', models.CharField(choices=[('portal', 'Portal'), ('email', 'E-mail'), ('phone', 'Phone call'), ('chat', 'Chat'), ('social', 'Social media'), ('post', 'Post'), ('note', 'Internal note')], max_length=10, verbose_name='channel')),
                        ('sender_name', models.CharField(blank=True, max_length=200, verbose_name='sender name')),
                        ('sender_email', models.CharField(blank=True, max_length=254, verbose_name='sender email')),
                        ('sender_phone', models.CharField(blank=True, max_length=40, verbose_name='sender phone')),
                        ('subject', models.CharField(blank=True, max_length=300, verbose_name='subject')),
                        ('route', models.CharField(choices=[('reference', 'The case whose reference the message quotes'), ('sender', "The sender's open case"), ('new_case', 'A new case for a known sender'), ('triage', 'A triage case for an unknown sender')], max_length=20, verbose_name='route')),
                        ('received_at', models.DateTimeField(auto_now_add=True, verbose_name='received at')),
                        ('delivered_by', models.ForeignKey(blank=True, help_text="The integration account; blank for Steward's own mail doors (pipe, mailbox poller).", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='delivered by')),
                        ('message', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='inbound_delivery', to='cases.message', verbose_name='message')),
                    ],
                    options={
                        'verbose_name': 'inbound delivery',
                        'verbose_name_plural': 'inbound deliveries',
                        'ordering': ['-received_at'],
                        'permissions': [('deliver_inbound', 'Deliver customer messages from a mail gateway or phone system')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('route__in', ['reference', 'sender', 'new_case', 'triage'])), name='inbound_route_valid'), models.CheckConstraint(condition=models.Q(('channel__in', ['portal', 'email', 'phone', 'chat', 'social', 'post', 'note'])), name='inbound_channel_valid')],
                        # Still api's table until step 3 renames it.
                        'db_table': 'api_inbounddelivery',
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_cases, content_type_to_api),
    ]
