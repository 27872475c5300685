from django.db import migrations


def add_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        name="reconciliation:daily",
        defaults={"func": "reconciliation.tasks.daily", "schedule_type": "D", "repeats": -1},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="reconciliation:daily").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reconciliation", "0002_roles"),
        ("django_q", "0001_initial"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
