"""Shopify Cancellation → NetSuite Cancellation Add (seed 000).

Orders cancelled in Shopify since the cursor (or named by an orders/cancelled webhook): the
NetSuite sales order is cancelled if pending approval, closed if pending fulfilment, and its
"Order cancelled in Shopify" checkbox ticked, in one update. Only full cancellations: an order
partly fulfilled or partly refunded is skipped with that reason, as is one already cancelled
or closed in NetSuite.
"""

from __future__ import annotations

from collections.abc import Iterator

from connector import external_ids
from connector.netsuite import records
from connector.netsuite.errors import NetSuiteError
from connector.shopify.errors import ShopifyError
from transactions.lifecycle import finish
from transactions.models import Channel, Status

from . import mappers
from .cancellation_records import claim_cancellation, mark_order_canceled
from .engine import FAILED, POSTED, SKIPPED, RunContext

FLOW = "shopify_cancellation_to_netsuite"


def run(ctx: RunContext) -> None:
    netsuite = ctx.netsuite()
    for order in _orders(ctx):
        ctx.check()
        ctx.add_total(1)
        ctx.record([_handle(ctx, netsuite, order)])
        if not ctx.scope:
            # Sequential, so every order up to this one is handled: safe to move past it.
            ctx.advance_cursor(order["updatedAt"])


def _orders(ctx: RunContext) -> Iterator[dict]:
    if ctx.scope:
        for order_id in ctx.scope:
            order = ctx.shopify.get_order(f"gid://shopify/Order/{order_id}")
            if order is not None and order.get("cancelledAt"):
                yield order
        return
    yield from ctx.shopify.iter_cancelled_orders(cancelled_since=ctx.cursor())


def _handle(ctx: RunContext, netsuite, summary: dict) -> tuple[int | None, str, str]:
    shopify_id = external_ids.legacy_id(summary["id"])
    txn, won = claim_cancellation(
        ctx,
        source_channel=Channel.SHOPIFY,
        source_id=shopify_id,
        flow=FLOW,
        fields={
            "shopify_order_id": shopify_id,
            "shopify_order_name": summary.get("name", ""),
            "source_type": "order",
        },
    )
    if not won:
        return txn.pk, SKIPPED, "Already handled."
    try:
        order = ctx.shopify.get_order(summary["id"]) or summary
        reason = mappers.shopify_cancellation_skip_reason(order)
        so = None
        if reason is None:
            so = netsuite.find("salesOrder", external_ids.sales_order(shopify_id))
            if so is None:
                reason = "No NetSuite sales order for this Shopify order (it was never imported)."
        if reason is None:
            new_status, reason = mappers.netsuite_cancellation_for_status(so.orderStatus)
        if reason is not None:
            finish(txn.pk, Status.SKIPPED, reason=reason, flow_run_id=ctx.run_id)
            return txn.pk, SKIPPED, reason
        update = records.record(
            "SalesOrder",
            internalId=so.internalId,
            orderStatus=new_status,
            customFieldList=records.boolean_fields(
                {ctx.options.cancelled_in_shopify_field_id: True}
            ),
        )
        netsuite.update(update)
    except (ShopifyError, NetSuiteError) as exc:
        finish(txn.pk, Status.ERROR, error=str(exc), flow_run_id=ctx.run_id)
        if exc.retryable:
            raise  # ends the run before the cursor moves past this order
        return txn.pk, FAILED, ""
    verb = "cancelled" if new_status == "_cancelled" else "closed"
    finish(
        txn.pk,
        Status.POSTED,
        target_id=str(so.internalId),
        netsuite_sales_order_id=str(so.internalId),
        message=f"NetSuite sales order {so.internalId} {verb}; marked cancelled in Shopify.",
        flow_run_id=ctx.run_id,
    )
    mark_order_canceled(ctx, shopify_id, "Cancelled in Shopify and in NetSuite.")
    return txn.pk, POSTED, ""
