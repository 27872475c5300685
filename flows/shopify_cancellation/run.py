"""Shopify Cancellation → NetSuite Cancellation Add, on the synchronizer.

Orders cancelled in Shopify since the cursor (or named by an orders/cancelled webhook): the
NetSuite sales order is cancelled if pending approval, closed if pending fulfilment, and its
"Order cancelled in Shopify" checkbox ticked, in one update. Only full cancellations: an order
partly fulfilled or partly refunded is skipped with that reason, as is one already cancelled
or closed in NetSuite. A cancellation seen before its order reached NetSuite waits (it is
checked again by itself) instead of being lost; the import never makes a live order of an
order already cancelled in Shopify.
"""

from __future__ import annotations

from collections.abc import Iterator

from connector import external_ids, gids
from connector.netsuite import records
from flows.cancellations import mark_order_canceled, order_row
from flows.context import SKIPPED, Job
from flows.sync import Skip, Synchronizer, Wait, Written
from transactions.models import Channel, Kind, Status, Transaction

from .mapping import netsuite_cancellation_for_status, shopify_cancellation_skip_reason


def _sync(job: Job) -> Synchronizer:
    return Synchronizer(job, kind=Kind.CANCELLATION, source_channel=Channel.SHOPIFY)


def run(ctx: Job) -> None:
    sync = _sync(ctx)
    netsuite = ctx.netsuite()
    for summary in _orders(ctx):
        ctx.check()
        ctx.add_total(1)
        shopify_id = gids.legacy_id(summary["id"])
        txn, won = sync.record(
            shopify_id,
            {
                "shopify_order_id": shopify_id,
                "shopify_order_name": summary.get("name", ""),
                "source_type": "order",
            },
            message="Cancellation retrieved from Shopify.",
        )
        if won:
            outcome = sync.one(txn, lambda txn=txn: _cancel(ctx, sync, netsuite, txn))
        else:
            outcome = (txn.pk, SKIPPED, "Already handled.")
        ctx.record([outcome])
        if not ctx.scope:
            # Every order up to this one is handled or due for retry by itself: move past it.
            ctx.advance_cursor(summary["updatedAt"])


def post_one(job: Job, txn: Transaction) -> None:
    sync = _sync(job)
    sync.one(txn, lambda: _cancel(job, sync, job.netsuite(), txn))


def _orders(ctx: Job) -> Iterator[dict]:
    if ctx.scope:
        for order_id in ctx.scope:
            order = ctx.shopify.get_order(gids.order(order_id))
            if order is not None and order.get("cancelledAt"):
                yield order
        return
    yield from ctx.shopify.iter_cancelled_orders(cancelled_since=ctx.cursor())


def _cancel(job: Job, sync: Synchronizer, netsuite, txn: Transaction) -> Written:
    shopify_id = txn.source_id
    order = job.shopify.get_order(gids.order(shopify_id))
    if order is None:
        raise Skip("Shopify has no such order any more.")
    reason = shopify_cancellation_skip_reason(order)
    if reason is not None:
        raise Skip(reason)
    so = netsuite.find("salesOrder", external_ids.sales_order(shopify_id))
    if so is None:
        imported = order_row(job.connector, shopify_id)
        if imported is not None and imported.status == Status.CANCELED:
            raise Skip(
                "Cancelled in Shopify before it was imported: nothing to cancel in NetSuite."
            )
        raise Wait("The order is not in NetSuite yet: the cancellation waits for its import.")
    new_status, reason = netsuite_cancellation_for_status(so.orderStatus)
    if reason is not None:
        raise Skip(reason)
    job.check()
    netsuite.update(
        records.record(
            "SalesOrder",
            internalId=so.internalId,
            orderStatus=new_status,
            customFieldList=records.boolean_fields(
                {job.options.cancelled_in_shopify_field_id: True}
            ),
        )
    )
    sync.bind(
        Kind.ORDER,
        shopify_id=shopify_id,
        netsuite_id=str(so.internalId),
        netsuite_type="salesOrder",
        origin=Channel.SHOPIFY,
    )
    mark_order_canceled(job, shopify_id, "Cancelled in Shopify and in NetSuite.")
    verb = "cancelled" if new_status == "_cancelled" else "closed"
    return Written(
        target_id=str(so.internalId),
        message=f"NetSuite sales order {so.internalId} {verb}; marked cancelled in Shopify.",
        fields={
            "netsuite_sales_order_id": str(so.internalId),
            "shopify_order_name": order.get("name", txn.shopify_order_name),
        },
    )
