"""NetSuite Cancellation → Shopify Cancellation Add, on the synchronizer.

The connector's saved search lists Shopify orders cancelled (pending approval) or closed
(pending fulfilment) in NetSuite and not yet marked exported; the search itself is the queue,
so there is no cursor: an order leaves it when we tick its "exported" checkbox, last.

orderCancel has no idempotency key, so we read before we write: an order already cancelled in
Shopify (by us in a run that died before ticking the box, or by a person) is only marked
exported. "Prevent Shopify from refunding paid orders when cancelling" cancels without a
refund method.
"""

from __future__ import annotations

from connector import external_ids, gids
from connector.netsuite import records
from connector.shopify.errors import ShopifyUserError
from flows.cancellations import mark_order_canceled
from flows.context import SKIPPED, Job
from flows.sync import NeedsPerson, Skip, Synchronizer, Written
from transactions.models import Channel, Kind, Transaction

PREFIX = external_ids.sales_order("")  # "shopify-order-"


def _sync(job: Job) -> Synchronizer:
    return Synchronizer(job, kind=Kind.CANCELLATION, source_channel=Channel.NETSUITE)


def run(ctx: Job) -> None:
    sync = _sync(ctx)
    netsuite = ctx.netsuite()
    search_id = ctx.options.cancelled_orders_saved_search_id
    if search_id.isdigit():
        found = list(netsuite.search(search_id))
    else:
        found = list(netsuite.search(script_id=search_id))
    ctx.add_total(len(found))
    for so in found:
        ctx.check()
        ctx.record([_handle(ctx, sync, netsuite, so)])


def post_one(job: Job, txn: Transaction) -> None:
    sync = _sync(job)
    netsuite = job.netsuite()
    sync.one(txn, lambda: _cancel(job, netsuite, netsuite.get("salesOrder", txn.source_id), txn))


def _handle(ctx: Job, sync: Synchronizer, netsuite, so) -> tuple[int | None, str, str]:
    external_id = so.externalId or ""
    if not external_id.startswith(PREFIX):
        return None, SKIPPED, "Not an order synced from Shopify."
    shopify_id = external_id[len(PREFIX) :]
    txn, won = sync.record(
        str(so.internalId),
        {
            "shopify_order_id": shopify_id,
            "netsuite_sales_order_id": str(so.internalId),
            "source_type": "salesOrder",
        },
        message="Cancellation retrieved from NetSuite.",
    )
    if not won:
        return txn.pk, SKIPPED, "Already handled."
    return sync.one(txn, lambda: _cancel(ctx, netsuite, so, txn))


def _cancel(job: Job, netsuite, so, txn: Transaction) -> Written:
    shopify_id = txn.shopify_order_id
    gid = gids.order(shopify_id)
    order = job.shopify.get_order(gid)
    if order is None:
        raise NeedsPerson(
            f"Shopify has no order {shopify_id} for NetSuite sales order {so.internalId}: "
            "check the order's externalId, or untick it from the saved search."
        )
    fields = {"shopify_order_name": order["name"]}
    already = bool(order.get("cancelledAt"))
    if not already:
        job.check()
        already = _cancel_in_shopify(job, gid, so)
    _mark_exported(job, netsuite, so)
    mark_order_canceled(job, shopify_id, "Cancelled in NetSuite and in Shopify.")
    if already:
        raise Skip("Already cancelled in Shopify: marked exported in NetSuite.", **fields)
    refund = "without a refund" if job.options.prevent_shopify_refund_on_cancel else "refunded"
    return Written(
        target_id=shopify_id,
        message=f"Cancelled in Shopify ({refund}, restocked); marked exported in NetSuite.",
        fields=fields,
    )


def _cancel_in_shopify(job: Job, gid: str, so) -> bool:
    """Cancel in Shopify; True if it turns out to be cancelled already (by a person, or by a
    run that died before ticking the box). Decided by reading the order, not by the wording
    of Shopify's refusal."""
    try:
        job.shopify.cancel_order(
            gid,
            reason="OTHER",
            restock=True,
            refund=not job.options.prevent_shopify_refund_on_cancel,
            staff_note=f"Cancelled in NetSuite (sales order {so.internalId}).",
        )
    except ShopifyUserError:
        current = job.shopify.get_order(gid)
        if current is not None and current.get("cancelledAt"):
            return True
        raise
    return False


def _mark_exported(job: Job, netsuite, so) -> None:
    field = job.options.cancelled_exported_field_id
    netsuite.update(records.checkbox_update("SalesOrder", so.internalId, {field: True}))
