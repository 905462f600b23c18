# Step 2 of 3 of moving InboundDelivery to the domain (see cases 0011): api forgets the model.
# State only: the table and its rows stay, now cases's (cases 0012 renames the table).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0003_translatable_labels'),
        ('cases', '0011_inbound_delivery_from_api'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='InboundDelivery')],
            database_operations=[],
        ),
    ]
