"""Migration connector 0010: the one alert address of Settings › General becomes the first
recipient of Settings › Alerts, and back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("connector", "0009_return_options")]
AFTER = [("connector", "0010_alert_settings")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_alert_address_moves_to_the_alert_recipients():
    old = _migrate(BEFORE)
    Connector = old.get_model("connector", "Connector")
    fields = {"shopify_shop_domain": "a.myshopify.com", "netsuite_account_id": "1_SB1"}
    with_email = Connector.objects.create(name="A", alert_email="ops@example.com", **fields)
    Connector.objects.create(name="B", **{**fields, "shopify_shop_domain": "b.myshopify.com"})

    new = _migrate(AFTER)
    AlertSettings = new.get_model("connector", "AlertSettings")
    assert list(AlertSettings.objects.values_list("connector_id", "emails")) == [
        (with_email.pk, ["ops@example.com"])
    ]

    back = _migrate(BEFORE)
    assert back.get_model("connector", "Connector").objects.get(name="A").alert_email == (
        "ops@example.com"
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
