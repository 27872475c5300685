"""Customer service retrieves a NetSuite refund by order ID in the dialog, posts it from the
action menu and sees Posted; exactly one refund lands in the Shopify sandbox.

The post task runs in the web process through django-q2's sync mode (TRANSACTIONS_POST_SYNC in
the test settings), so the click's answer already carries the final row; the polling of rows
in flight is covered in tests/transactions/test_page_and_api.py.
"""

import pytest

from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_cs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cs_retrieves_and_posts_a_refund(
    page,
    live_server,
    screenshot,
    wired_connector,
    seed003,
    shopify_sandbox,
):
    connector = wired_connector()
    order, _, ns_refund = seed003.billed_and_refunded(connector, "cashSale")
    make_cs(username="carol")
    login(page, live_server, "carol", PASSWORD)
    page.get_by_role("link", name="Transactions").click()
    page.get_by_role("heading", name="Other Transactions").wait_for()

    page.get_by_role("button", name="Retrieve").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Source Channel").select_option("netsuite")
    dialog.get_by_label("Order/Transaction ID").fill("#424242")
    dialog.get_by_role("button", name="Retrieve").click()
    page.get_by_text("Make sure the order ID is an order the connector has previously").wait_for()

    page.get_by_role("dialog").get_by_label("Order/Transaction ID").fill(order["name"])
    page.get_by_role("dialog").get_by_role("button", name="Retrieve").click()
    page.get_by_text(f"Retrieved 1 refund of order {order['name']}.").wait_for()
    screenshot("transactions-retrieve-dialog")
    page.get_by_role("dialog").get_by_role("button", name="Close").click()

    row = page.locator("tr", has_text=ns_refund["internalId"])
    row.wait_for()
    row.locator("summary").click()
    row.get_by_role("menuitem", name="Post to Shopify").click()
    page.locator("tr [data-status=posted]").wait_for()
    screenshot("transactions-posted")
    assert len(shopify_sandbox.control.order(order["id"])["refunds"]) == 1
