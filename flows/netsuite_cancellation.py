"""NetSuite Cancellation → Shopify Cancellation Add (seeds 000, 001).

The connector's saved search lists Shopify orders cancelled (pending approval) or closed
(pending fulfilment) in NetSuite and not yet marked exported; the search itself is the queue,
so there is no cursor: an order leaves it when we tick its "exported" checkbox, last.

orderCancel has no idempotency key, so we read before we write: an order already cancelled in
Shopify (by us in a run that died before ticking the box, or by a person) is only marked
exported.
"""

from __future__ import annotations

import logging

from connector import external_ids
from connector.netsuite import records
from connector.netsuite.errors import NetSuiteError
from connector.shopify.errors import ShopifyError, ShopifyUserError
from transactions.lifecycle import finish
from transactions.models import Channel, Status

from .cancellation_records import claim_cancellation, mark_order_canceled
from .engine import FAILED, POSTED, SKIPPED, RunContext

logger = logging.getLogger(__name__)

FLOW = "netsuite_cancellation_to_shopify"
PREFIX = external_ids.sales_order("")  # "shopify-order-"


def run(ctx: RunContext) -> None:
    options = ctx.options
    netsuite = ctx.netsuite()
    search_id = options.cancelled_orders_saved_search_id
    if search_id.isdigit():
        found = list(netsuite.search(search_id))
    else:
        found = list(netsuite.search(script_id=search_id))
    ctx.add_total(len(found))
    for so in found:
        ctx.check()
        ctx.record([_handle(ctx, netsuite, so)])


def _handle(ctx: RunContext, netsuite, so) -> tuple[int | None, str, str]:
    external_id = so.externalId or ""
    if not external_id.startswith(PREFIX):
        return None, SKIPPED, "Not an order synced from Shopify."
    shopify_id = external_id[len(PREFIX) :]
    txn, won = claim_cancellation(
        ctx,
        source_channel=Channel.NETSUITE,
        source_id=str(so.internalId),
        flow=FLOW,
        fields={
            "shopify_order_id": shopify_id,
            "netsuite_sales_order_id": str(so.internalId),
            "source_type": "salesOrder",
        },
    )
    if not won:
        return txn.pk, SKIPPED, "Already handled."
    gid = f"gid://shopify/Order/{shopify_id}"
    try:
        order = ctx.shopify.get_order(gid)
        if order is None:
            message = (
                f"Shopify has no order {shopify_id} for NetSuite sales order {so.internalId}: "
                "check the order's externalId, or untick it from the saved search."
            )
            finish(txn.pk, Status.ERROR, error=message, flow_run_id=ctx.run_id)
            return txn.pk, FAILED, ""
        finish_fields = {"shopify_order_name": order["name"]}
        already = bool(order.get("cancelledAt"))
        if not already:
            already = _cancel(ctx, gid, so)
        _mark_exported(ctx, netsuite, so)
    except ShopifyError as exc:
        if exc.retryable:
            finish(txn.pk, Status.ERROR, error=str(exc), flow_run_id=ctx.run_id)
            raise
        finish(txn.pk, Status.ERROR, error=str(exc), flow_run_id=ctx.run_id)
        return txn.pk, FAILED, ""
    except NetSuiteError as exc:
        finish(txn.pk, Status.ERROR, error=str(exc), flow_run_id=ctx.run_id)
        if exc.retryable:
            raise
        return txn.pk, FAILED, ""
    mark_order_canceled(ctx, shopify_id, "Cancelled in NetSuite and in Shopify.")
    if already:
        reason = "Already cancelled in Shopify: marked exported in NetSuite."
        finish(txn.pk, Status.SKIPPED, reason=reason, flow_run_id=ctx.run_id, **finish_fields)
        return txn.pk, SKIPPED, reason
    refund = "without a refund" if ctx.options.prevent_shopify_refund_on_cancel else "refunded"
    finish(
        txn.pk,
        Status.POSTED,
        target_id=shopify_id,
        message=f"Cancelled in Shopify ({refund}, restocked); marked exported in NetSuite.",
        flow_run_id=ctx.run_id,
        **finish_fields,
    )
    return txn.pk, POSTED, ""


def _cancel(ctx: RunContext, gid: str, so) -> bool:
    """Cancel in Shopify; True if Shopify says it was already cancelled."""
    try:
        ctx.shopify.cancel_order(
            gid,
            reason="OTHER",
            restock=True,
            refund=not ctx.options.prevent_shopify_refund_on_cancel,
            staff_note=f"Cancelled in NetSuite (sales order {so.internalId}).",
        )
    except ShopifyUserError as exc:
        if "already been cancelled" in str(exc):
            return True
        raise
    return False


def _mark_exported(ctx: RunContext, netsuite, so) -> None:
    field = ctx.options.cancelled_exported_field_id
    netsuite.update(records.checkbox_update("SalesOrder", so.internalId, {field: True}))
