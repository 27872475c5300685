from django.db import migrations

from connector.roles import sync_roles


class Migration(migrations.Migration):
    """Grant the transaction permissions to both roles (connector.roles.ROLE_PERMISSIONS)."""

    dependencies = [
        ("transactions", "0002_permissions_and_search_indexes"),
        ("connector", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
