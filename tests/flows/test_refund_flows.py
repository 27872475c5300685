"""Issue 13: refunds as flows, both ways, against both sandboxes over real HTTP: the delta and
the refunds/create webhook (delivered twice), waiting for billing, the one-direction switch,
no echo."""

from datetime import timedelta
from decimal import Decimal

import pytest

from connector import external_ids
from connector.models import RefundSyncDirection
from connector.shopify.models import WebhookDelivery
from connector.shopify.tasks import process_delivery
from flows import engine
from flows.models import FlowRun
from transactions import actions
from transactions.models import Channel, Kind, Status, Transaction

from .conftest import run_flow, set_options

pytestmark = pytest.mark.django_db(transaction=True)

TO_NETSUITE = RefundSyncDirection.SHOPIFY_TO_NETSUITE
TO_SHOPIFY = RefundSyncDirection.NETSUITE_TO_SHOPIFY


def _enable(connector, flow):
    from panel import actions as panel_actions
    from tests.factories import make_admin

    panel_actions.update_flow_schedule(make_admin(), connector, flow, {"enabled": True})


def _refund_rows(channel):
    return Transaction.objects.filter(kind=Kind.REFUND, source_channel=channel)


def _billed_order(seed003, connector, bill_as="cashSale"):
    order = seed003.order()
    sales_order = seed003.synced(connector, order)
    seed003.ns.post(f"sales-orders/{sales_order['internalId']}/bill", {"as": bill_as})
    return order, sales_order


def _cap(order):
    return next(li for li in order["line_items"] if li["sku"] == "CAP-NAVY")


# -- Shopify → NetSuite ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bill_as", "refund_type"), [("cashSale", "cashRefund"), ("invoice", "creditMemo")]
)
def test_delta_posts_shopify_refund_once(
    wired_connector, seed003, shopify_sandbox, netsuite_sandbox, bill_as, refund_type
):
    connector = wired_connector(TO_NETSUITE)
    order, _ = _billed_order(seed003, connector, bill_as)
    shopify_sandbox.control.refund(
        order["id"], amount="19.50", lines=[{"line_item_id": _cap(order)["id"], "quantity": 1}]
    )
    run = run_flow(connector, "refund_to_netsuite")
    assert run.posted == 1, (run.error, run.skip_reasons)
    (txn,) = _refund_rows(Channel.SHOPIFY)
    assert txn.status == Status.POSTED and txn.flow == "refund_to_netsuite"
    (record,) = netsuite_sandbox.control.records(
        refund_type, externalId=external_ids.refund(txn.source_id)
    )
    assert Decimal(record["fields"]["total"]) == Decimal("19.50") == txn.amount

    again = run_flow(connector, "refund_to_netsuite")
    assert again.posted == 0
    assert len(netsuite_sandbox.control.records(refund_type)) == 1


def test_refunds_create_webhook_delivered_twice_posts_once(
    wired_connector, seed003, shopify_sandbox, netsuite_sandbox, live_server
):
    connector = wired_connector(TO_NETSUITE)
    _enable(connector, "refund_to_netsuite")
    order, _ = _billed_order(seed003, connector)
    shopify_sandbox.control.refund(
        order["id"], amount="19.50", lines=[{"line_item_id": _cap(order)["id"], "quantity": 1}]
    )
    url = f"{live_server.url}/webhooks/shopify/{connector.pk}/"
    for _ in range(2):
        answer = shopify_sandbox.control.deliver_webhook(
            topic="refunds/create", order_id=order["id"], url=url
        )
        assert answer["status"] == 200
        for delivery in WebhookDelivery.objects.filter(status=WebhookDelivery.Status.RECEIVED):
            process_delivery(delivery.pk)
        for run in FlowRun.objects.filter(flow="refund_to_netsuite", status="queued"):
            engine.execute(run.pk)

    runs = list(FlowRun.objects.filter(flow="refund_to_netsuite"))
    assert runs and all(r.scope == [str(order["id"])] for r in runs)
    assert sum(r.posted for r in runs) == 1, [(r.error, r.skip_reasons) for r in runs]
    assert len(netsuite_sandbox.control.records("cashRefund")) == 1
    assert _refund_rows(Channel.SHOPIFY).get().status == Status.POSTED


def test_unbilled_order_waits_visibly_and_goes_once_billed(
    wired_connector, seed003, shopify_sandbox, netsuite_sandbox
):
    connector = wired_connector(TO_NETSUITE)
    order = seed003.order()
    sales_order = seed003.synced(connector, order)
    shopify_sandbox.control.refund(
        order["id"], amount="19.50", lines=[{"line_item_id": _cap(order)["id"], "quantity": 1}]
    )
    run = run_flow(connector, "refund_to_netsuite")
    assert run.posted == 0
    txn = _refund_rows(Channel.SHOPIFY).get()
    assert txn.status == Status.WAITING
    assert "not billed in NetSuite yet" in txn.status_reason
    assert txn.next_attempt_at is not None  # re-checked by itself, never an Error
    # A run before it is due leaves it alone (not hammered, not an error).
    assert run_flow(connector, "refund_to_netsuite").posted == 0
    txn.refresh_from_db()
    assert txn.status == Status.WAITING

    seed003.ns.post(f"sales-orders/{sales_order['internalId']}/bill", {"as": "invoice"})
    assert actions.sweep_stuck_posts(now=txn.next_attempt_at + timedelta(seconds=1)) == 1
    txn.refresh_from_db()
    assert txn.status == Status.POSTED, txn.last_error
    (memo,) = netsuite_sandbox.control.records("creditMemo")
    assert Decimal(memo["fields"]["total"]) == Decimal("19.50")


def test_order_of_another_system_is_not_touched(wired_connector, shopify_sandbox, seed003):
    connector = wired_connector(TO_NETSUITE)
    _billed_order(seed003, connector)  # gives the delta a starting point
    stranger = shopify_sandbox.control.create_order(
        lines=[{"sku": "CAP-NAVY", "quantity": 1, "price": "19.50"}], paid=True
    )
    shopify_sandbox.control.refund(stranger["id"], full=True)
    run = run_flow(connector, "refund_to_netsuite")
    assert run.posted == 0 and not _refund_rows(Channel.SHOPIFY).exists()


# -- NetSuite → Shopify ---------------------------------------------------------------------


@pytest.mark.parametrize("bill_as", ["cashSale", "invoice"])
def test_delta_posts_netsuite_refund_to_shopify_once(
    wired_connector, seed003, shopify_sandbox, bill_as
):
    connector = wired_connector(TO_SHOPIFY)
    order, _, refund = seed003.billed_and_refunded(connector, bill_as=bill_as)
    run = run_flow(connector, "refund_to_shopify")
    assert run.posted == 1, (run.error, run.skip_reasons)
    txn = _refund_rows(Channel.NETSUITE).get()
    assert txn.status == Status.POSTED and txn.source_id == str(refund["internalId"])
    (made,) = shopify_sandbox.control.order(order["id"])["refunds"]
    assert Decimal(made["total"]) == txn.amount == Decimal("50.00")

    again = run_flow(connector, "refund_to_shopify")
    assert again.posted == 0
    assert len(shopify_sandbox.control.order(order["id"])["refunds"]) == 1


# -- one direction, never an echo -------------------------------------------------------------


def test_only_the_connectors_direction_runs(wired_connector):
    connector = wired_connector(TO_SHOPIFY)
    with pytest.raises(engine.FlowNotRunnable, match="Shopify → NetSuite"):
        engine.request_run(connector, "refund_to_netsuite", "button")
    set_options(connector, refund_sync_direction=RefundSyncDirection.NONE)
    for flow in ("refund_to_netsuite", "refund_to_shopify"):
        with pytest.raises(engine.FlowNotRunnable, match="None"):
            engine.request_run(connector, flow, "button")


def test_direction_switch_never_echoes(wired_connector, seed003, shopify_sandbox, netsuite_sandbox):
    # NetSuite → Shopify first: the credit memo becomes a Shopify refund.
    connector = wired_connector(TO_SHOPIFY)
    order, _, _ = seed003.billed_and_refunded(connector, bill_as="invoice")
    assert run_flow(connector, "refund_to_shopify").posted == 1
    # Switched to Shopify → NetSuite: the refund we wrote in Shopify is not sent back.
    set_options(connector, refund_sync_direction=TO_NETSUITE)
    run = run_flow(connector, "refund_to_netsuite")
    assert run.posted == 0
    assert not _refund_rows(Channel.SHOPIFY).exists()
    assert len(netsuite_sandbox.control.records("creditMemo")) == 1
    # A new Shopify refund does go, as a second credit memo.
    shopify_sandbox.control.refund(
        order["id"], amount="19.50", lines=[{"line_item_id": _cap(order)["id"], "quantity": 1}]
    )
    run = run_flow(connector, "refund_to_netsuite")
    assert run.posted == 1, (run.error, run.skip_reasons)
    # Back to NetSuite → Shopify: the credit memo we wrote is not sent back either.
    set_options(connector, refund_sync_direction=TO_SHOPIFY)
    run = run_flow(connector, "refund_to_shopify")
    assert run.posted == 0
    assert len(shopify_sandbox.control.order(order["id"])["refunds"]) == 2


# -- refund shapes, to the cent ----------------------------------------------------------------


def _rich_order(shopify_sandbox, seed003, connector, bill_as="cashSale"):
    """Two lines, a line discount and an order discount, tax on lines and shipping."""
    order = shopify_sandbox.control.create_order(
        lines=[
            {"sku": "TSHIRT-BLK-M", "quantity": 3, "price": "25.00", "discount": "3.00"},
            {"sku": "CAP-NAVY", "quantity": 2, "price": "19.50"},
        ],
        paid=True,
        tax="9.37",
        shipping="8.00",
        shipping_tax="0.64",
        discount="5.00",
    )
    sales_order = seed003.synced(connector, order)
    seed003.ns.post(f"sales-orders/{sales_order['internalId']}/bill", {"as": bill_as})
    return order


def _line(order, sku):
    return next(li for li in order["line_items"] if li["sku"] == sku)


SHAPES = {
    "partial multi-line with tax and discounts": {
        "lines": [("TSHIRT-BLK-M", 1, "RETURN"), ("CAP-NAVY", 1, "NO_RESTOCK")],
        "amount": "suggested",
    },
    "lines and part of the shipping": {
        "lines": [("CAP-NAVY", 2, "CANCEL")],
        "shipping": {"amount": "3.00"},
        "amount": "suggested",
    },
    "amount only": {"lines": [], "amount": "12.34"},
    "lines, less than suggested (a discrepancy)": {
        "lines": [("TSHIRT-BLK-M", 2, "NO_RESTOCK")],
        "amount": "30.00",
    },
}


@pytest.mark.parametrize("bill_as", ["cashSale", "invoice"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_shopify_refund_shapes_reach_netsuite_to_the_cent(
    wired_connector, seed003, shopify_sandbox, netsuite_sandbox, shape, bill_as
):
    connector = wired_connector(TO_NETSUITE)
    order = _rich_order(shopify_sandbox, seed003, connector, bill_as)
    spec = SHAPES[shape]
    shopify_sandbox.control.refund(
        order["id"],
        amount=spec["amount"],
        shipping=spec.get("shipping"),
        lines=[
            {"line_item_id": _line(order, sku)["id"], "quantity": qty, "restock_type": restock}
            for sku, qty, restock in spec["lines"]
        ],
    )
    (shopify_refund,) = shopify_sandbox.control.order(order["id"])["refunds"]
    run = run_flow(connector, "refund_to_netsuite")
    assert run.posted == 1, (run.error, run.skip_reasons)
    txn = _refund_rows(Channel.SHOPIFY).get()
    refund_type = "cashRefund" if bill_as == "cashSale" else "creditMemo"
    (record,) = netsuite_sandbox.control.records(
        refund_type, externalId=external_ids.refund(txn.source_id)
    )
    assert Decimal(record["fields"]["total"]) == Decimal(shopify_refund["total"]) == txn.amount
    # Shopify's refunded quantities and restock types are what the row carries.
    kept = [(li["sku"], li["quantity"], li["restock_type"]) for li in txn.payload["lines"]]
    assert kept == list(spec["lines"])
    # Restocked lines keep their item and quantity; a line Shopify did not restock is an
    # amount on the adjustment item (no "not restocked" location set), so no stock goes back.
    ns_lines = [li for li in record["fields"]["itemList"] if li.get("quantity")]
    assert sorted(float(li["quantity"]) for li in ns_lines) == sorted(
        float(q) for _, q, restock in spec["lines"] if restock != "NO_RESTOCK"
    )
    descriptions = [li.get("description") or "" for li in record["fields"]["itemList"]]
    not_restocked = [d for d in descriptions if "not restocked" in d]
    assert len(not_restocked) == sum(1 for *_, r in spec["lines"] if r == "NO_RESTOCK")


@pytest.mark.parametrize("bill_as", ["cashSale", "invoice"])
def test_netsuite_refund_with_lines_and_shipping_reaches_shopify_to_the_cent(
    wired_connector, seed003, shopify_sandbox, bill_as
):
    connector = wired_connector(TO_SHOPIFY)
    order = _rich_order(shopify_sandbox, seed003, connector, bill_as)
    sales_order = Transaction.objects.get(kind=Kind.ORDER).netsuite_sales_order_id
    lines = seed003.ns.get("records", type="salesOrder", internalId=sales_order)[0]["fields"][
        "itemList"
    ]
    tshirt = next(li for li in lines if li.get("quantity"))
    seed003.ns.post(
        f"sales-orders/{sales_order}/refund",
        {"lines": [{"item": tshirt["item"]["internalId"], "quantity": 2}], "shippingCost": "3.00"},
    )
    run = run_flow(connector, "refund_to_shopify")
    assert run.posted == 1, (run.error, run.skip_reasons)
    txn = _refund_rows(Channel.NETSUITE).get()
    (made,) = shopify_sandbox.control.order(order["id"])["refunds"]
    assert Decimal(made["total"]) == txn.amount
    assert [(li["quantity"]) for li in made["line_items"]] == [2]
    assert [Decimal(s["subtotal"]) for s in made["shipping_lines"]] == [Decimal("3.00")]


@pytest.mark.parametrize("store_credit", [False, True])
def test_money_goes_back_to_the_payment_method_or_as_store_credit(
    wired_connector, seed003, shopify_sandbox, store_credit
):
    connector = wired_connector(TO_SHOPIFY, refund_to_store_credit=store_credit)
    order, _, _ = seed003.billed_and_refunded(connector)
    run = run_flow(connector, "refund_to_shopify")
    assert run.posted == 1, (run.error, run.skip_reasons)
    state = shopify_sandbox.control.order(order["id"])
    (made,) = state["refunds"]
    (money,) = [t for t in state["transactions"] if t["id"] in made["transaction_ids"]]
    assert Decimal(money["amount"]) == Decimal(made["total"]) == Decimal("50.00")
    assert (money["gateway"] == "shopify_store_credit") is store_credit
    txn = _refund_rows(Channel.NETSUITE).get()
    assert txn.events.get(type="posted").detail["request"]["to"] == (
        "store credit" if store_credit else "original payment method"
    )


@pytest.mark.parametrize("prevent", [False, True])
def test_a_cancelled_orders_credit_memo_refunds_only_what_the_cancellation_did_not(
    wired_connector, seed003, shopify_sandbox, prevent
):
    # "Prevent Shopify from refunding paid orders when cancelling" off: Shopify refunded the
    # order at its cancellation, so NetSuite's credit memo for it is not refunded again. On:
    # the cancellation returned nothing and the money follows the refund sync.
    connector = wired_connector(TO_SHOPIFY, prevent_shopify_refund_on_cancel=prevent)
    order, _, _ = seed003.billed_and_refunded(connector)
    shopify_sandbox.control.cancel(order["id"], refund=not prevent)
    before = len(shopify_sandbox.control.order(order["id"])["refunds"])

    run = run_flow(connector, "refund_to_shopify")

    txn = _refund_rows(Channel.NETSUITE).get()
    refunds = shopify_sandbox.control.order(order["id"])["refunds"]
    if prevent:
        assert run.posted == 1, (run.error, run.skip_reasons)
        assert len(refunds) == before + 1
    else:
        assert (run.posted, run.skipped) == (0, 1)
        assert txn.status == Status.SKIPPED
        assert "not refunded a second time" in txn.status_reason
        assert len(refunds) == before


def test_a_live_orders_credit_memo_is_refunded_whatever_the_cancel_option(
    wired_connector, seed003, shopify_sandbox
):
    connector = wired_connector(TO_SHOPIFY, prevent_shopify_refund_on_cancel=False)
    order, _, _ = seed003.billed_and_refunded(connector)
    assert run_flow(connector, "refund_to_shopify").posted == 1
    assert len(shopify_sandbox.control.order(order["id"])["refunds"]) == 1


# -- currencies: the shop currency is written ------------------------------------------------


def _order_in_euros(shopify_sandbox, seed003, connector):
    order = shopify_sandbox.control.create_order(
        lines=[
            {"sku": "TSHIRT-BLK-M", "quantity": 2, "price": "25.00"},
            {"sku": "CAP-NAVY", "quantity": 1, "price": "19.50"},
        ],
        paid=True,
        tax="5.56",
        shipping="6.00",
        presentment_currency="EUR",
        exchange_rate="0.9137",
    )
    sales_order = seed003.synced(connector, order)
    seed003.ns.post(f"sales-orders/{sales_order['internalId']}/bill", {"as": "cashSale"})
    return order


def test_refund_of_an_order_paid_in_another_currency_is_written_in_shop_currency(
    wired_connector, seed003, shopify_sandbox, netsuite_sandbox
):
    connector = wired_connector(TO_NETSUITE)
    order = _order_in_euros(shopify_sandbox, seed003, connector)
    shopify_sandbox.control.refund(
        order["id"],
        amount="suggested",
        lines=[{"line_item_id": _line(order, "TSHIRT-BLK-M")["id"], "quantity": 1}],
    )
    (shopify_refund,) = shopify_sandbox.control.order(order["id"])["refunds"]
    run = run_flow(connector, "refund_to_netsuite")
    assert run.posted == 1, (run.error, run.skip_reasons)
    txn = _refund_rows(Channel.SHOPIFY).get()
    # The shop currency (USD) amounts, Shopify's shopMoney, never the customer's EUR ones.
    assert txn.currency == "USD"
    (record,) = netsuite_sandbox.control.records("cashRefund")
    assert Decimal(record["fields"]["total"]) == Decimal(shopify_refund["total"]) == txn.amount


def test_netsuite_refund_of_an_order_paid_in_another_currency_goes_to_a_person(
    wired_connector, seed003, shopify_sandbox
):
    connector = wired_connector(TO_SHOPIFY)
    order = _order_in_euros(shopify_sandbox, seed003, connector)
    sales_order = Transaction.objects.get(kind=Kind.ORDER).netsuite_sales_order_id
    seed003.ns.post(f"sales-orders/{sales_order}/refund", {"lines": None})
    run = run_flow(connector, "refund_to_shopify")
    assert run.posted == 0
    txn = _refund_rows(Channel.NETSUITE).get()
    assert txn.status == Status.ERROR and txn.next_attempt_at is None
    assert "paid in EUR" in txn.last_error and "by hand" in txn.last_error
    assert shopify_sandbox.control.order(order["id"])["refunds"] == []


def test_run_queued_before_the_direction_switch_does_nothing(
    wired_connector, seed003, shopify_sandbox, netsuite_sandbox
):
    connector = wired_connector(TO_NETSUITE)
    order, _ = _billed_order(seed003, connector)
    shopify_sandbox.control.refund(
        order["id"], amount="19.50", lines=[{"line_item_id": _cap(order)["id"], "quantity": 1}]
    )
    run, _ = engine.request_run(connector, "refund_to_netsuite", "button")
    set_options(connector, refund_sync_direction=TO_SHOPIFY)
    engine.execute(run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and "Shopify → NetSuite" in run.error
    assert not _refund_rows(Channel.SHOPIFY).exists()
    assert netsuite_sandbox.control.records("cashRefund") == []
