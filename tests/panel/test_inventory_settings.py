"""Settings › Inventory: the location map (connector admins, validated, audited) and the
Full resync button."""

import pytest
from auditlog.models import LogEntry

from connector.models import LocationMapping
from flows.models import FlowRun
from tests.factories import make_admin, make_connector, make_cs

pytestmark = pytest.mark.django_db

URL = "/connectors/{}/settings/inventory/"


def _form(connector, text):
    # The page's form also carries the flow's schedule fields.
    prefix = "inventory_to_shopify"
    return {
        "locations": text,
        f"{prefix}-interval_minutes": "15",
        f"{prefix}-cron": "",
    }


def test_admin_sets_the_location_map_and_it_is_audited(client):
    admin = make_admin()
    connector = make_connector()
    LocationMapping.objects.create(
        connector=connector, netsuite_location_id="9", shopify_location_id="1"
    )
    client.force_login(admin)
    page = client.get(URL.format(connector.pk)).content.decode()
    assert "Location map" in page and "9 = 1" in page and "Full resync" in page

    text = "1 = 71001\n2 = gid://shopify/Location/71001  # summed into the same one\n3 = 71002\n"
    response = client.post(URL.format(connector.pk), _form(connector, text))
    assert response.status_code == 302
    rows = dict(
        LocationMapping.objects.filter(connector=connector).values_list(
            "netsuite_location_id", "shopify_location_id"
        )
    )
    assert rows == {"1": "71001", "2": "71001", "3": "71002"}
    entries = LogEntry.objects.get_for_model(LocationMapping)
    assert entries.filter(actor=admin).count() == 4  # three created, one deleted


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 71001", "write “NetSuite id = Shopify id”"),
        ("x = 71001", "NetSuite location id is digits only"),
        ("1 = main", "Shopify location id is digits only"),
        ("1 = 5\n1 = 6", "NetSuite location 1 is mapped twice"),
    ],
)
def test_bad_lines_are_refused_with_a_clear_message_and_nothing_saved(client, text, message):
    connector = make_connector()
    client.force_login(make_admin())
    response = client.post(URL.format(connector.pk), _form(connector, text))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not LocationMapping.objects.filter(connector=connector).exists()


def test_customer_service_can_neither_change_the_map_nor_resync(client):
    connector = make_connector()
    client.force_login(make_cs())
    response = client.post(URL.format(connector.pk), _form(connector, "1 = 2"))
    assert response.status_code == 403
    response = client.post(
        f"/connectors/{connector.pk}/flows/inventory_to_shopify/run/", {"scope": "full"}
    )
    assert response.status_code == 403
    assert not LocationMapping.objects.exists() and not FlowRun.objects.exists()


def test_full_resync_button_queues_a_run_with_the_full_scope(client, settings):
    connector = make_connector()
    client.force_login(make_admin())
    response = client.post(
        f"/connectors/{connector.pk}/flows/inventory_to_shopify/run/", {"scope": "full"}
    )
    assert response.status_code == 302
    run = FlowRun.objects.get(flow="inventory_to_shopify")
    assert run.scope == ["full"]


def test_full_resync_through_the_api(api_client):
    connector = make_connector()
    api_client.force_authenticate(make_admin())
    url = "/api/v1/flows/inventory_to_shopify/runs/"
    response = api_client.post(url, {"connector": connector.pk, "full": True}, format="json")
    assert response.status_code == 202, response.content
    assert FlowRun.objects.get(pk=response.json()["id"]).scope == ["full"]
    assert response.json()["summary"] == {}
    refused = api_client.post(
        "/api/v1/flows/order_import/runs/", {"connector": connector.pk, "full": True}, format="json"
    )
    assert refused.status_code == 400


def test_the_tab_counts_sku_bindings_and_links_staff_admins_to_correct_them(client):
    from connector import items
    from connector.models import ItemBinding

    connector = make_connector()
    items.bind_item(connector, "A", netsuite_item_id="1")
    items.bind_item(connector, "B", netsuite_item_id="2", source=ItemBinding.Source.ADMIN)
    items.bind_item(connector, "C", shopify_variant_id="3")  # not found in NetSuite
    client.force_login(make_admin(is_staff=True))
    page = client.get(URL.format(connector.pk)).content.decode()
    assert "3 SKUs bound to NetSuite items (1 set by an admin, 1 not found in NetSuite)" in page
    assert f"/admin/connector/itembinding/?connector__id__exact={connector.pk}" in page
    client.force_login(make_cs())  # not staff: the counts, no link into the admin
    page = client.get(URL.format(connector.pk)).content.decode()
    assert "3 SKUs bound" in page and "/admin/connector/itembinding/" not in page
