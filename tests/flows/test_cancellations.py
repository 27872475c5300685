"""Both cancellation flows against both sandboxes over real HTTP."""

import pytest

from connector import external_ids
from flows import engine
from flows.models import RunStatus
from transactions.models import Kind, Status, Transaction

from .conftest import run_flow, set_options

pytestmark = pytest.mark.django_db(transaction=True)

EXPORTED = "custbody_etail_cancelled_exported"
IN_SHOPIFY = "custbody_etail_cancelled_in_shopify"


def _imported_order(wired, shopify_sandbox, netsuite_sandbox, **order):
    netsuite_sandbox.control.items("SKU-1")
    created = shopify_sandbox.control.create_order(
        lines=[{"sku": "SKU-1", "quantity": 1, "price": "20.00"}], **order
    )
    run = run_flow(wired, "order_import")
    assert run.posted == 1, run.error
    txn = Transaction.objects.get(kind=Kind.ORDER, source_id=str(created["id"]))
    return created, txn.netsuite_sales_order_id


def _so(netsuite_sandbox, internal_id):
    return netsuite_sandbox.control.records("salesOrder", internalId=internal_id)[0]


def _checkbox(so, script_id):
    return f"'{script_id}'" in str(so["fields"].get("customFieldList")) and "true" in str(
        so["fields"].get("customFieldList")
    )


# -- NetSuite → Shopify ---------------------------------------------------------------------


@pytest.mark.parametrize("prevent_refund", [False, True])
def test_cancelled_in_netsuite_cancels_in_shopify_and_marks_exported(
    wired, shopify_sandbox, netsuite_sandbox, prevent_refund
):
    order, so_id = _imported_order(wired, shopify_sandbox, netsuite_sandbox, paid=True)
    set_options(
        wired,
        cancel_in_shopify_when_cancelled_in_netsuite=True,
        prevent_shopify_refund_on_cancel=prevent_refund,
    )
    netsuite_sandbox.control.order(so_id, "cancel")
    run = run_flow(wired, "netsuite_cancellation_to_shopify")
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.posted == 1
    state = shopify_sandbox.control.order(order["id"])
    assert state["cancelled_at"]
    assert state["restocked"] is True
    assert (state["financial_status"] == "PAID") is prevent_refund
    assert (state["financial_status"] == "REFUNDED") is not prevent_refund
    assert "true" in str(_so(netsuite_sandbox, so_id)["fields"]["customFieldList"])
    order_txn = Transaction.objects.get(kind=Kind.ORDER, source_id=str(order["id"]))
    assert order_txn.status == Status.CANCELED

    # Again: the saved search no longer lists it; nothing cancelled twice.
    again = run_flow(wired, "netsuite_cancellation_to_shopify")
    assert (again.seen, again.posted) == (0, 0)
    cancels = [m for m in shopify_sandbox.control.mutations() if m["mutation"] == "orderCancel"]
    assert len(cancels) == 1


def test_closed_pending_fulfilment_also_cancels(wired, shopify_sandbox, netsuite_sandbox):
    order, so_id = _imported_order(wired, shopify_sandbox, netsuite_sandbox)
    set_options(wired, cancel_in_shopify_when_cancelled_in_netsuite=True)
    netsuite_sandbox.control.order(so_id, "approve")
    netsuite_sandbox.control.order(so_id, "close")
    run = run_flow(wired, "netsuite_cancellation_to_shopify")
    assert run.posted == 1
    assert shopify_sandbox.control.order(order["id"])["cancelled_at"]


def test_option_off_cancels_nothing(wired, shopify_sandbox, netsuite_sandbox):
    order, so_id = _imported_order(wired, shopify_sandbox, netsuite_sandbox)
    netsuite_sandbox.control.order(so_id, "cancel")
    with pytest.raises(engine.FlowNotRunnable, match="If an order is canceled in NetSuite"):
        run_flow(wired, "netsuite_cancellation_to_shopify")
    assert not shopify_sandbox.control.order(order["id"])["cancelled_at"]


def test_already_cancelled_in_shopify_is_only_marked_exported(
    wired, shopify_sandbox, netsuite_sandbox
):
    order, so_id = _imported_order(wired, shopify_sandbox, netsuite_sandbox)
    set_options(wired, cancel_in_shopify_when_cancelled_in_netsuite=True)
    netsuite_sandbox.control.order(so_id, "cancel")
    shopify_sandbox.control.cancel(order["id"], refund=False)
    run = run_flow(wired, "netsuite_cancellation_to_shopify")
    assert run.skipped == 1
    assert "Already cancelled in Shopify" in next(iter(run.skip_reasons))
    assert not [m for m in shopify_sandbox.control.mutations() if m["mutation"] == "orderCancel"]
    assert "true" in str(_so(netsuite_sandbox, so_id)["fields"]["customFieldList"])


def test_checkbox_refused_after_cancel_rerun_marks_without_second_cancel(
    wired, shopify_sandbox, netsuite_sandbox
):
    order, so_id = _imported_order(wired, shopify_sandbox, netsuite_sandbox)
    set_options(wired, cancel_in_shopify_when_cancelled_in_netsuite=True)
    netsuite_sandbox.control.order(so_id, "cancel")
    # Shopify cancels; then NetSuite refuses the checkbox update (the login was revoked).
    netsuite_sandbox.control.fail_next(count=1, fault="auth", operation="update")
    run = run_flow(wired, "netsuite_cancellation_to_shopify")
    assert run.status == RunStatus.FAILED
    assert shopify_sandbox.control.order(order["id"])["cancelled_at"]
    txn = Transaction.objects.get(kind=Kind.CANCELLATION)
    assert txn.status == Status.ERROR and "refused the login" in txn.last_error
    run = run_flow(wired, "netsuite_cancellation_to_shopify")
    assert run.status == RunStatus.SUCCEEDED, run.error
    cancels = [m for m in shopify_sandbox.control.mutations() if m["mutation"] == "orderCancel"]
    assert len(cancels) == 1
    assert "true" in str(_so(netsuite_sandbox, so_id)["fields"]["customFieldList"])


# -- Shopify → NetSuite ---------------------------------------------------------------------


def test_cancelled_in_shopify_cancels_pending_approval_order(
    wired, shopify_sandbox, netsuite_sandbox
):
    order, so_id = _imported_order(wired, shopify_sandbox, netsuite_sandbox)
    shopify_sandbox.control.cancel(order["id"], refund=True)
    run = run_flow(wired, "shopify_cancellation_to_netsuite")
    assert run.posted == 1, (run.error, run.skip_reasons)
    so = _so(netsuite_sandbox, so_id)
    assert so["fields"]["orderStatus"] == "_cancelled"
    assert IN_SHOPIFY in str(so["fields"]["customFieldList"])
    txn = Transaction.objects.get(kind=Kind.CANCELLATION, source_id=str(order["id"]))
    assert txn.status == Status.POSTED and txn.netsuite_sales_order_id == so_id
    # Re-run: nothing twice.
    again = run_flow(wired, "shopify_cancellation_to_netsuite")
    assert again.posted == 0


def test_pending_fulfilment_order_is_closed(wired, shopify_sandbox, netsuite_sandbox):
    order, so_id = _imported_order(wired, shopify_sandbox, netsuite_sandbox)
    netsuite_sandbox.control.order(so_id, "approve")
    shopify_sandbox.control.cancel(order["id"])
    run = run_flow(wired, "shopify_cancellation_to_netsuite")
    assert run.posted == 1
    assert _so(netsuite_sandbox, so_id)["fields"]["orderStatus"] == "_closed"


@pytest.mark.parametrize(
    "setup, reason",
    [
        ("fulfilled", "Partly fulfilled"),
        ("refunded", "Partly refunded"),
        ("cancelled_in_netsuite", "Already cancelled or closed in NetSuite"),
    ],
)
def test_skip_reasons(wired, shopify_sandbox, netsuite_sandbox, setup, reason):
    netsuite_sandbox.control.items("SKU-1", "SKU-2")
    order = shopify_sandbox.control.create_order(
        lines=[
            {"sku": "SKU-1", "quantity": 1, "price": "20.00"},
            {"sku": "SKU-2", "quantity": 1, "price": "20.00"},
        ]
    )
    assert run_flow(wired, "order_import").posted == 1
    so_id = (
        Transaction.objects.filter(kind=Kind.ORDER, source_id=str(order["id"]))
        .values_list("netsuite_sales_order_id", flat=True)
        .first()
    )
    line = order["line_items"][0]["id"] if "line_items" in order else None
    if setup == "fulfilled":
        shopify_sandbox.control.fulfil(order["id"], lines=[{"line_item_id": line, "quantity": 1}])
    elif setup == "refunded":
        shopify_sandbox.control.refund(order["id"], amount="5.00")
    elif setup == "cancelled_in_netsuite":
        netsuite_sandbox.control.order(so_id, "cancel")
    shopify_sandbox.control.cancel(order["id"], refund=False)
    run = run_flow(wired, "shopify_cancellation_to_netsuite")
    assert run.skipped == 1, (run.posted, run.failed, run.error)
    txn = Transaction.objects.get(kind=Kind.CANCELLATION, source_id=str(order["id"]))
    assert txn.status == Status.SKIPPED
    assert reason in txn.status_reason
    if so_id and setup != "cancelled_in_netsuite":
        assert _so(netsuite_sandbox, so_id)["fields"]["orderStatus"] == "_pendingApproval"
    assert external_ids.sales_order(order["id"])
