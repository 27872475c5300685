"""The demo `make run` seeds: both sandboxes' demo data, the refund demo on top, then a first
Run of the order import. What a newcomer sees first must work, to the cent."""

from decimal import Decimal

import pytest

from connector.models import RefundSyncDirection
from flows.models import RunStatus
from sandbox.control_client import ControlClient
from sandbox.netsuite import demo as netsuite_demo
from sandbox.shopify.demo import PLANTED_FAILURE_SKU
from tests.flows.conftest import run_flow
from transactions import actions, demo
from transactions.errors import RetrieveError
from transactions.models import Kind, Status, Transaction

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_refunds_post_and_the_first_run_explains_every_failure(
    wired_connector, shopify_sandbox, netsuite_sandbox
):
    shopify_sandbox.control.reset(demo=True)
    netsuite_demo.seed(netsuite_sandbox.server)
    # As the demo connector (panel/demo.py): B2B on.
    connector = wired_connector(RefundSyncDirection.NETSUITE_TO_SHOPIFY, b2b_sync_enabled=True)
    assert demo.seed_sandboxes(connector, shopify_sandbox.url, netsuite_sandbox.base_url) == [
        "#1001",
        "#1002",
        "#1003",
    ]
    connector.refresh_from_db()
    assert connector.options.netsuite_tax_item_id  # the sandbox account's SHOPIFY-TAX

    (refund,) = actions.retrieve(None, connector, "netsuite", "#1001").transactions
    actions.request_post(None, refund)
    refund.refresh_from_db()
    assert refund.status == Status.POSTED, refund.last_error
    assert "totals agree" in refund.events.get(type="posted").message
    with pytest.raises(RetrieveError, match="not billed in NetSuite yet"):
        actions.retrieve(None, connector, "netsuite", "#1003")

    run = run_flow(connector, "order_import")
    assert run.status in (RunStatus.SUCCEEDED, RunStatus.PARTLY_FAILED), run.error
    errors = Transaction.objects.filter(kind=Kind.ORDER, status=Status.ERROR)
    # Exactly one failure, the planted one, explained in words a person can act on.
    assert [e.last_error for e in errors] == [
        f"SKU {PLANTED_FAILURE_SKU} on line 1 is not an item in NetSuite: create it or map it, "
        "then Retry."
    ]
    posted = Transaction.objects.filter(kind=Kind.ORDER, status=Status.ORDER_POSTED)
    assert posted.count() >= 20
    for txn in posted.exclude(shopify_order_name__in=["#1001", "#1002", "#1003"])[:5]:
        assert "totals agree" in txn.events.get(type="posted").message
        assert txn.amount > Decimal("0")


def test_the_demo_ships_one_order_and_stocks_the_shop_from_two_locations(
    wired_connector, shopify_sandbox, netsuite_sandbox
):
    shopify_sandbox.control.reset(demo=True)
    netsuite_demo.seed(netsuite_sandbox.server)
    connector = wired_connector(RefundSyncDirection.NETSUITE_TO_SHOPIFY, b2b_sync_enabled=True)
    demo.seed_sandboxes(connector, shopify_sandbox.url, netsuite_sandbox.base_url)
    demo.seed_sandboxes(connector, shopify_sandbox.url, netsuite_sandbox.base_url)  # again: same
    assert len(netsuite_sandbox.control.records("itemFulfillment")) == 1

    run = run_flow(connector, "fulfilment_to_shopify")
    assert (run.status, run.posted, run.failed) == (RunStatus.SUCCEEDED, 1, 0), run.error
    shipped = shopify_sandbox.control.order(demo.DEMO_SHIPPED.replace("#", "%23"))
    assert shipped["fulfillment_status"] == "FULFILLED"

    run = run_flow(connector, "inventory_to_shopify")
    assert run.status == RunStatus.SUCCEEDED, run.error
    total = sum(qty for _name, qty in demo.DEMO_STOCK_LOCATIONS.values())
    control = ControlClient(shopify_sandbox.url)
    shop_location = str(control.get("inventory")["locations"][0]["id"])
    levels = control.get("inventory/levels")["levels"]
    assert levels["CAP-NAVY"][shop_location]["available"] == total
    assert run.summary, "the run says what it did"
