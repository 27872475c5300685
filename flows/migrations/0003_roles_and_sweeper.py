from django.db import migrations

from connector.roles import sync_roles


def create_sweeper_schedule(apps, schema_editor):
    # Idempotent: one schedule, found by name; flows.sweeper.ensure_schedule does the same at
    # cluster start for databases migrated before this schedule existed.
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="flows-sweeper",
        defaults={
            "func": "flows.sweeper.sweep",
            "schedule_type": "I",
            "minutes": 1,
            "repeats": -1,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0002_flow_runs"),
        ("connector", "0004_saved_search_default"),
        ("django_q", "0018_task_success_index"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
        migrations.RunPython(create_sweeper_schedule, migrations.RunPython.noop),
    ]
