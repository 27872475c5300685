import pytest

from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_admin, make_connector, make_cs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_toggles_cancellation_options(page, live_server, screenshot):
    admin = make_admin(username="alice")
    connector = make_connector(admin, name="Acme")
    login(page, live_server, "alice", PASSWORD)
    page.get_by_role("link", name="Acme").click()
    page.get_by_role("link", name="Orders").click()
    page.get_by_label("If an order is canceled in NetSuite, cancel it in Shopify").check()
    page.get_by_label("Prevent Shopify from refunding paid orders when cancelling").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Orders settings saved.").wait_for()
    screenshot("settings-orders-saved")
    connector.options.refresh_from_db()
    assert connector.options.cancel_in_shopify_when_cancelled_in_netsuite
    assert connector.options.prevent_shopify_refund_on_cancel

    # Bad input: the message sits next to the field and nothing is saved.
    page.get_by_role("link", name="B2B").click()
    page.get_by_label("B2B order sync window (days)").fill("-5")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Nothing was saved").wait_for()
    assert page.locator(".has-error .error").first.inner_text().startswith("Ensure this value")
    screenshot("settings-b2b-error")
    connector.options.refresh_from_db()
    assert connector.options.b2b_sync_window_days == 90


def test_customer_service_reads_settings_without_changing(page, live_server):
    make_connector(name="Acme")
    make_cs(username="carol")
    login(page, live_server, "carol", PASSWORD)
    page.get_by_role("link", name="Acme").click()
    page.get_by_role("link", name="Refunds").click()
    assert page.get_by_text("only connector admins can change them").is_visible()
    assert page.get_by_role("button", name="Save").count() == 0
    assert page.get_by_role("link", name="Credentials").count() == 0


def test_admin_maps_locations_for_inventory(page, live_server, screenshot):
    from connector.models import LocationMapping
    from tests.e2e.conftest import axe_check

    admin = make_admin(username="ines")
    connector = make_connector(admin, name="Stocky")
    login(page, live_server, "ines", PASSWORD)
    page.get_by_role("link", name="Stocky").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Inventory").click()
    assert page.get_by_role("button", name="Full resync").count() == 1
    box = page.get_by_label("Location map")
    box.fill("1 = 71001\n2 = 71001\nthree = 5")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Nothing was saved").wait_for()
    assert (
        "Line 3: the NetSuite location id is digits only."
        in page.locator(".has-error").inner_text()
    )
    assert not LocationMapping.objects.exists()
    axe_check(page, "inventory-location-map-error")

    page.get_by_label("Location map").fill("1 = 71001\n2 = 71001\n3 = 71002")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Inventory settings saved.").wait_for()
    screenshot("settings-inventory-saved")
    assert dict(
        LocationMapping.objects.filter(connector=connector).values_list(
            "netsuite_location_id", "shopify_location_id"
        )
    ) == {"1": "71001", "2": "71001", "3": "71002"}
    assert "2 = 71001" in page.get_by_label("Location map").input_value()
