"""Keep routing as it was before operators could set it: new requests and triage go to the
agents of customer relations, when that department exists. Otherwise nothing is seeded and
cases/services/routing.py falls back until an operator sets the routing in the admin site."""

from django.db import migrations

FORMER_DEPARTMENT = "customer-relations"
PURPOSES = ("requests", "triage")


def seed(apps, schema_editor):
    Department = apps.get_model("people", "Department")
    Routing = apps.get_model("people", "Routing")
    department = Department.objects.filter(code=FORMER_DEPARTMENT).first()
    if department is None:
        return
    for purpose in PURPOSES:
        Routing.objects.get_or_create(
            purpose=purpose, defaults={"department": department, "agents": True, "managers": False, "head": False}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0005_routing"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
