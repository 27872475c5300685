"""The two roles and what each may do, as Django groups with model permissions.

`sync_roles` is idempotent: migrations call it whenever an app adds permissions a role needs,
so a fresh install and an upgraded one end up with the same groups.
"""

CONNECTOR_ADMINS = "Connector admins"
CUSTOMER_SERVICE = "Customer service"

# app_label.codename
ROLE_PERMISSIONS: dict[str, list[str]] = {
    CONNECTOR_ADMINS: [
        "connector.add_connector",
        "connector.change_connector",
        "connector.view_connector",
        "connector.change_connectoroptions",
        "connector.view_connectoroptions",
        "connector.add_itembinding",
        "connector.change_itembinding",
        "connector.delete_itembinding",
        "connector.view_itembinding",
        "connector.add_locationmapping",
        "connector.change_locationmapping",
        "connector.delete_locationmapping",
        "connector.view_locationmapping",
        "connector.add_bundlecomponent",
        "connector.change_bundlecomponent",
        "connector.delete_bundlecomponent",
        "connector.view_bundlecomponent",
        "flows.change_flowschedule",
        "flows.view_flowschedule",
        "flows.run_flow",
        "flows.view_flowrun",
        "transactions.view_transaction",
        "transactions.retrieve_transaction",
        "transactions.post_transaction",
        "reconciliation.view_variance",
        "reconciliation.view_run",
        "reconciliation.run_reconciliation",
    ],
    CUSTOMER_SERVICE: [
        # To list connectors and read their options when picking one; nothing else.
        "connector.view_connector",
        "connector.view_connectoroptions",
        "connector.view_itembinding",
        "connector.view_bundlecomponent",
        "flows.view_flowschedule",
        "flows.view_flowrun",
        # Other Transactions: look refunds up by order ID and post them.
        "transactions.view_transaction",
        "transactions.retrieve_transaction",
        "transactions.post_transaction",
        # Reconciliation: the exceptions behind a refund question (not the Run button).
        "reconciliation.view_variance",
    ],
}


def sync_roles(apps, schema_editor=None) -> None:
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for perm in perms:
            app_label, codename = perm.split(".")
            # A permission of an app not migrated yet is added by that app's own migration.
            found = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found:
                group.permissions.add(found)
