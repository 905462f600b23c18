# Step 3 of 3 of moving InboundDelivery to the domain (see cases 0011): the table takes the
# name of its app, like every other cases table. A rename keeps every row, index and constraint.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0004_inbound_delivery_to_cases'),
        ('cases', '0011_inbound_delivery_from_api'),
    ]

    operations = [
        migrations.AlterModelTable(name='inbounddelivery', table=None),
    ]
