"""The error workbench in Chromium: an admin finds the order import's unknown-SKU errors
grouped with their count, opens the group, ignores one with a reason, binds the other SKU to a
NetSuite item and retries (the orders post to the NetSuite sandbox), then reads who resolved
what on the Resolved tab."""

import pytest

from tests.e2e.conftest import axe_check, login
from tests.factories import PASSWORD, make_admin
from tests.flows.conftest import run_flow
from transactions.models import Kind, Status, Transaction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_ignores_one_binds_a_sku_and_retries_the_rest(
    page, live_server, screenshot, wired_connector, shopify_sandbox, netsuite_sandbox
):
    connector = wired_connector("none")
    netsuite_sandbox.control.items("KNOWN", "TSHIRT-BLK-M")
    shirt = netsuite_sandbox.control.records("inventoryItem", itemId="TSHIRT-BLK-M")[0]
    blocked = [
        shopify_sandbox.control.create_order(
            lines=[{"sku": "KNOWN", "quantity": 1}, {"sku": "OLD-SHIRT", "quantity": 1}]
        )
        for _ in range(2)
    ]
    gone = shopify_sandbox.control.create_order(lines=[{"sku": "GONE-SKU", "quantity": 1}])
    assert run_flow(connector, "order_import").failed == 3

    make_admin(username="ada")
    login(page, live_server, "ada", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Errors").click()
    page.get_by_role("heading", name="Error workbench").wait_for()
    group = page.locator("tr[data-group]")
    assert group.locator("[data-count]").inner_text() == "3"
    assert "SKU … on line … is not an item in NetSuite" in group.inner_text()
    axe_check(page, "error-workbench")
    screenshot("error-workbench-groups")

    # Retry all asks first: dismissed, nothing happens; confirmed, the group's rows as they are
    # then are retried (and fail again here: the SKUs are still unknown).
    page.once("dialog", lambda dialog: dialog.dismiss())
    group.get_by_role("button", name="Retry all").click()
    assert Transaction.objects.filter(status=Status.ERROR, attempts=1).count() == 3
    page.once("dialog", lambda dialog: dialog.accept())
    group.get_by_role("button", name="Retry all").click()
    page.get_by_text("3 errors retried.").wait_for()
    assert page.locator("tr[data-group] [data-count]").inner_text() == "3"
    retried = Transaction.objects.filter(kind=Kind.ORDER)
    assert {
        (t.status, t.events.filter(message__startswith="Post requested by ada").count())
        for t in retried
    } == {(Status.ERROR, 1)}

    group.get_by_role("link", name="Show the 3 errors of this kind").click()
    rows = page.locator("tr[data-error-row]")
    rows.first.wait_for()
    assert rows.count() == 3
    axe_check(page, "error-workbench-rows")
    screenshot("error-workbench-rows")

    gone_row = page.locator("tr[data-error-row]", has_text="GONE-SKU")
    gone_row.locator("summary", has_text="Ignore").click()
    gone_row.get_by_label("Reason (required)").fill("Discontinued: refunded in Shopify")
    gone_row.get_by_role("button", name="Ignore", exact=True).click()
    page.get_by_text("1 error ignored.").wait_for()
    assert page.locator("tr[data-group] [data-count]").inner_text() == "2"

    page.get_by_role("link", name="Show the 2 errors of this kind").click()
    shirt_row = page.locator("tr[data-error-row]", has_text="OLD-SHIRT").first
    shirt_row.locator("summary", has_text="Bind SKU").click()
    shirt_row.get_by_label("NetSuite item id for SKU OLD-SHIRT").fill(shirt["internalId"])
    shirt_row.get_by_role("button", name="Bind SKU and retry").click()
    page.get_by_text(
        f"SKU OLD-SHIRT bound to NetSuite item {shirt['internalId']}. 2 errors retried."
    ).wait_for()
    page.get_by_role("heading", name="No open errors").wait_for()

    orders = Transaction.objects.filter(kind=Kind.ORDER)
    statuses = {t.source_id: t.status for t in orders}
    assert {statuses[str(o["id"])] for o in blocked} == {Status.ORDER_POSTED}
    assert statuses[str(gone["id"])] == Status.IGNORED
    assert len(netsuite_sandbox.control.records("salesOrder")) == 2

    page.get_by_role("link", name="Resolved").click()
    resolved = page.locator("tr[data-resolved]")
    resolved.first.wait_for()
    assert resolved.count() == 3
    text = page.locator(".resolved-table").inner_text()
    assert "Error resolved: ignored by ada: Discontinued: refunded in Shopify" in text
    assert text.count("after ada's retry") == 2
    assert text.count(f"after binding SKU OLD-SHIRT to NetSuite item {shirt['internalId']}") == 2
    axe_check(page, "error-workbench-resolved")
    screenshot("error-workbench-resolved")
