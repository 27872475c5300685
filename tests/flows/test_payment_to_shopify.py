"""NetSuite customer payments → Shopify payments ("Reverse Payment Sync"), against both
sandboxes over real HTTP."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail

from connector import actions as connector_actions
from connector import bindings
from flows.models import RunStatus
from flows.registry import FLOWS
from flows.sweeper import sweep
from tests.factories import make_admin
from transactions import actions
from transactions.models import Channel, Kind, Status, Transaction

from .conftest import run_flow, set_options

pytestmark = pytest.mark.django_db(transaction=True)

FLOW = "payment_to_shopify"
LINES = [
    {"sku": "TSHIRT-BLK-M", "quantity": 2, "price": "25.00"},
    {"sku": "CAP-NAVY", "quantity": 1, "price": "19.50"},
]  # 69.50


def _invoiced(seed003, connector):
    """A B2B-style Shopify order on terms (unpaid), synced to NetSuite and billed as an
    invoice: (Shopify order, sales order id, invoice id)."""
    order = seed003.shopify.control.create_order(
        lines=LINES, paid=False, tax="0.00", shipping="0.00"
    )
    sales_order = seed003.synced(connector, order)
    so_id = sales_order["internalId"]
    invoice = seed003.netsuite.control.order(so_id, "bill", **{"as": "invoice"})
    return order, so_id, invoice["internalId"]


def _pay(netsuite_sandbox, so_id, invoice_id, amount=None, **dates):
    data = {"invoice": invoice_id, **dates}
    if amount is not None:
        data["amount"] = amount
    return netsuite_sandbox.control.order(so_id, "pay", **data)


def _txn(payment_id, invoice_id) -> Transaction:
    return Transaction.objects.get(
        kind=Kind.PAYMENT,
        source_channel=Channel.NETSUITE,
        source_id=f"{payment_id}/{invoice_id}",
    )


def _payment_mutations(shopify_sandbox) -> list[dict]:
    return [
        m
        for m in shopify_sandbox.control.mutations()
        if m["mutation"] in ("orderMarkAsPaid", "orderCreateManualPayment")
    ]


def _plan(shopify_sandbox, plan):
    shopify_sandbox.control.request("POST", "/plan", plan=plan)


def _ago(days) -> str:
    moment = datetime.now(UTC) - timedelta(days=days)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_the_flow_is_declared_on_the_b2b_tab():
    flow = FLOWS[FLOW]
    assert (flow.settings_section, flow.direction, flow.kind) == (
        "b2b",
        "netsuite_to_shopify",
        Kind.PAYMENT,
    )
    assert flow.default_interval_minutes == 15 and flow.schedulable


def test_full_payment_marks_the_order_paid_and_a_rerun_pays_nothing_twice(
    wired, seed003, shopify_sandbox, netsuite_sandbox
):
    order, so_id, invoice_id = _invoiced(seed003, wired)
    payment = _pay(netsuite_sandbox, so_id, invoice_id)
    run = run_flow(wired, FLOW)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.posted == 1
    state = shopify_sandbox.control.order(order["id"])
    assert state["financial_status"] == "PAID"
    assert state["totals"]["outstanding"] == "0.00"
    (mutation,) = _payment_mutations(shopify_sandbox)
    assert mutation["mutation"] == "orderMarkAsPaid"
    txn = _txn(payment["internalId"], invoice_id)
    assert txn.status == Status.POSTED and txn.amount == Decimal("69.50")
    assert txn.shopify_order_name == order["name"] and txn.netsuite_sales_order_id == so_id
    sale = [t for t in state["transactions"] if t["gateway"] == "manual"][-1]
    assert txn.target_id == str(sale["id"])
    binding = bindings.find(wired, Kind.PAYMENT, netsuite_id=txn.source_id)
    assert binding.shopify_id == str(sale["id"]) and binding.origin == Channel.NETSUITE

    again = run_flow(wired, FLOW)
    assert (again.posted, again.failed) == (0, 0)
    assert again.skip_reasons == {"Already in Shopify.": 1}
    assert len(_payment_mutations(shopify_sandbox)) == 1


def test_partial_payments_on_plus_record_the_amounts_then_the_rest_marks_paid(
    wired, seed003, shopify_sandbox, netsuite_sandbox
):
    order, so_id, invoice_id = _invoiced(seed003, wired)
    first = _pay(netsuite_sandbox, so_id, invoice_id, "30.00")
    run = run_flow(wired, FLOW)
    assert run.posted == 1, (run.error, run.skip_reasons)
    state = shopify_sandbox.control.order(order["id"])
    assert state["financial_status"] == "PARTIALLY_PAID"
    assert state["totals"]["outstanding"] == "39.50"
    assert [m["mutation"] for m in _payment_mutations(shopify_sandbox)] == [
        "orderCreateManualPayment"
    ]
    assert _txn(first["internalId"], invoice_id).target_id

    second = _pay(netsuite_sandbox, so_id, invoice_id)  # the 39.50 left
    run = run_flow(wired, FLOW)
    assert run.posted == 1, (run.error, run.skip_reasons)
    assert shopify_sandbox.control.order(order["id"])["financial_status"] == "PAID"
    assert [m["mutation"] for m in _payment_mutations(shopify_sandbox)] == [
        "orderCreateManualPayment",
        "orderMarkAsPaid",
    ]
    assert _txn(second["internalId"], invoice_id).status == Status.POSTED


def test_a_plan_without_partial_payments_is_an_error_naming_the_limit_and_alerts(
    wired, seed003, shopify_sandbox, netsuite_sandbox
):
    connector_actions.update_alert_settings(
        make_admin(), wired, {"emails": ["finance@example.com"]}
    )
    _plan(shopify_sandbox, "basic")
    order, so_id, invoice_id = _invoiced(seed003, wired)
    payment = _pay(netsuite_sandbox, so_id, invoice_id, "30.00")
    run = run_flow(wired, FLOW)
    assert run.failed == 1
    txn = _txn(payment["internalId"], invoice_id)
    assert txn.status == Status.ERROR
    assert "Shopify Plus plan only" in txn.last_error and "Basic" in txn.last_error
    assert _payment_mutations(shopify_sandbox) == []
    assert shopify_sandbox.control.order(order["id"])["totals"]["outstanding"] == "69.50"
    sweep()  # the sweeper announces the failure, once per kind
    (email,) = mail.outbox
    assert email.to == ["finance@example.com"]
    assert f"customerPayment {payment['internalId']}/{invoice_id}" in email.body
    assert "Shopify Plus" in email.body
    assert netsuite_sandbox.credentials["token_secret"] not in email.body

    # The sandbox itself refuses the mutation off Plus, as Shopify does.
    client = shopify_sandbox.client()
    from connector.shopify.errors import ShopifyUserError

    with pytest.raises(ShopifyUserError, match="Shopify Plus"):
        client.create_manual_payment(order["admin_graphql_api_id"], "30.00", "USD")


def test_payments_before_the_window_are_left_and_a_wider_window_takes_them(
    wired, seed003, shopify_sandbox, netsuite_sandbox
):
    order, so_id, invoice_id = _invoiced(seed003, wired)
    old = _ago(100)
    payment = _pay(netsuite_sandbox, so_id, invoice_id, tranDate=old, lastModifiedDate=old)
    run = run_flow(wired, FLOW)
    assert (run.posted, run.failed) == (0, 0)
    assert not Transaction.objects.filter(kind=Kind.PAYMENT).exists()
    assert shopify_sandbox.control.order(order["id"])["financial_status"] == "PENDING"

    set_options(wired, b2b_sync_window_days=120)
    run = run_flow(wired, FLOW)
    assert run.posted == 1, (run.error, run.skip_reasons)
    assert _txn(payment["internalId"], invoice_id).status == Status.POSTED
    assert shopify_sandbox.control.order(order["id"])["financial_status"] == "PAID"


def test_a_retry_after_a_lost_binding_finds_the_payment_instead_of_paying_again(
    wired, seed003, shopify_sandbox, netsuite_sandbox
):
    order, so_id, invoice_id = _invoiced(seed003, wired)
    payment = _pay(netsuite_sandbox, so_id, invoice_id, "20.00")
    assert run_flow(wired, FLOW).posted == 1
    txn = _txn(payment["internalId"], invoice_id)
    # A worker died between the write and the bind: no binding, the row back in Error.
    bindings.Binding.objects.filter(connector=wired, kind=Kind.PAYMENT).delete()
    Transaction.objects.filter(pk=txn.pk).update(status=Status.ERROR, next_attempt_at=None)
    actions.retry(_admin(), txn)
    txn.refresh_from_db()
    assert txn.status == Status.POSTED, txn.last_error
    assert len(_payment_mutations(shopify_sandbox)) == 1
    assert shopify_sandbox.control.order(order["id"])["totals"]["outstanding"] == "49.50"
    assert bindings.find(wired, Kind.PAYMENT, netsuite_id=txn.source_id) is not None


def test_an_order_already_paid_in_shopify_is_skipped_and_not_paid_twice(
    wired, seed003, shopify_sandbox, netsuite_sandbox
):
    order, so_id, invoice_id = _invoiced(seed003, wired)
    shopify_sandbox.control.pay(order["id"])  # paid in Shopify by a person
    before = len(shopify_sandbox.control.order(order["id"])["transactions"])
    payment = _pay(netsuite_sandbox, so_id, invoice_id, "10.00")
    run = run_flow(wired, FLOW)
    assert run.posted == 0 and run.failed == 0
    txn = _txn(payment["internalId"], invoice_id)
    assert txn.status == Status.SKIPPED and "nothing outstanding" in txn.status_reason
    assert len(shopify_sandbox.control.order(order["id"])["transactions"]) == before


def test_more_than_the_balance_is_an_error_with_both_figures(
    wired, seed003, shopify_sandbox, netsuite_sandbox
):
    order, so_id, invoice_id = _invoiced(seed003, wired)
    payment = _pay(netsuite_sandbox, so_id, invoice_id, "30.00")
    # Shopify's order was edited down since: only 19.50 outstanding.
    line = next(li for li in order["line_items"] if li["sku"] == "TSHIRT-BLK-M")
    shopify_sandbox.control.edit(order["id"], line_item_id=line["id"], quantity=0)
    assert shopify_sandbox.control.order(order["id"])["totals"]["outstanding"] == "19.50"
    run = run_flow(wired, FLOW)
    assert run.failed == 1
    txn = _txn(payment["internalId"], invoice_id)
    assert "30.00" in txn.last_error and "19.50" in txn.last_error
    assert _payment_mutations(shopify_sandbox) == []


def _admin():
    from tests.factories import make_admin

    return make_admin()
