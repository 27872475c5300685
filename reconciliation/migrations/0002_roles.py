from django.db import migrations

from connector.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("reconciliation", "0001_initial"),
        ("connector", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
