"""Refunds both ways: a NetSuite cash refund / credit memo becomes a Shopify refund,
or a Shopify refund becomes a cash refund / credit memo, in the one direction the connector
allows. Two flows (run.py: webhook `refunds/create` and a delta one way, a delta the other)
and the manual Retrieve + Post of seed 003 all go through the synchronizer (claim, write
keyed, bind, verify the total to the cent, finish) and this module's `post_one`.
"""

from __future__ import annotations

from connector import bindings, gids, items
from connector.models import RefundSyncDirection
from connector.netsuite.budget import Priority
from flows.base import Flow
from flows.charges import ChargeItems
from flows.context import Job
from flows.order_edits.absorbed import absorbed_by_edit
from flows.sync import NeedsPerson, Skip, Synchronizer, Wait, Written
from transactions.models import Channel, Kind, Transaction

from . import netsuite, shopify
from .restock import ReturnOptions
from .run import import_pending, run_to_netsuite, run_to_shopify

# Binding kind of the Return Authorization written for a Shopify refund of a return.
RETURN_BINDING = "return_authorization"

DIRECTION = {
    Channel.NETSUITE: RefundSyncDirection.NETSUITE_TO_SHOPIFY,
    Channel.SHOPIFY: RefundSyncDirection.SHOPIFY_TO_NETSUITE,
}


def post_one(job: Job, txn: Transaction) -> None:
    sync = Synchronizer(job, kind=Kind.REFUND, source_channel=txn.source_channel)
    sync.one(txn, lambda: _write(job, sync, txn))


def _write(job: Job, sync: Synchronizer, txn: Transaction) -> Written:
    from transactions.orders import find_synced_order

    if job.options.refund_sync_direction != DIRECTION[txn.source_channel]:
        raise NeedsPerson(
            f"This connector's refund sync direction is "
            f"{RefundSyncDirection(job.options.refund_sync_direction).label}: a refund from "
            f"{Channel(txn.source_channel).label} is not posted. Ignore it, or change the "
            "direction in Settings › Refunds."
        )
    if bindings.written_by_us(job.connector, Kind.REFUND, txn.source_channel, txn.source_id):
        raise NeedsPerson(
            "This refund was written by the connector itself (a copy of a refund from "
            f"{Channel(txn.target_channel).label}); posting it back would refund twice. Ignore it."
        )
    order = find_synced_order(job.connector, txn.shopify_order_id)
    if (
        order is None
        and txn.source_channel == Channel.SHOPIFY
        and import_pending(job.connector, txn.shopify_order_id)
    ):
        raise Wait(
            f"Order {txn.shopify_order_name or txn.shopify_order_id} is not in NetSuite yet: "
            "the refund goes to NetSuite by itself once the order is imported."
        )
    if order is None or not _belongs(job, txn, order):
        raise NeedsPerson(
            f"Refund {txn.source_id} does not belong to an order this connector synced "
            f"(order {txn.shopify_order_name or txn.shopify_order_id}); nothing was posted."
        )
    job.check()

    def bind(shopify_id: str, netsuite_id: str, netsuite_type: str = "") -> None:
        # Right after the write, before the totals are compared: a record that exists on the
        # other side is ours whatever the check finds, so it is never written or offered again.
        sync.bind(
            shopify_id=gids.legacy_id(shopify_id),
            netsuite_id=netsuite_id,
            netsuite_type=netsuite_type,
            origin=txn.source_channel,
            marker=str(txn.amount or ""),
        )

    if txn.target_channel == Channel.SHOPIFY:
        return shopify.post_netsuite_refund(
            job.shopify,
            txn,
            lambda refund_id: bind(refund_id, txn.source_id, txn.source_type),
            store_credit=bool(job.options.refund_to_store_credit),
            cancel_refunds=not job.options.prevent_shopify_refund_on_cancel,
        )
    if absorbed_by_edit(job.connector, txn.shopify_order_id, txn.source_id):
        raise Skip(
            "An order edit took this refund off the NetSuite sales order before it was billed: "
            "nothing to credit (it would count twice)."
        )
    charges = ChargeItems.of(job.options)

    def bind_return(ns_id: str) -> None:
        # The Return Authorization written for this Shopify refund (one per refund).
        sync.bind(
            kind=RETURN_BINDING,
            shopify_id=gids.legacy_id(txn.source_id),
            netsuite_id=ns_id,
            netsuite_type="returnAuthorization",
            origin=txn.source_channel,
        )

    return netsuite.post_shopify_refund(
        job.netsuite(),
        txn,
        order,
        charges,
        lambda ns_id, ns_type: bind(txn.source_id, ns_id, ns_type),
        returns=ReturnOptions(
            locations=items.netsuite_locations_for(job.connector),
            no_restock_location=job.options.netsuite_no_restock_location_id,
            return_authorization=bool(job.options.create_return_authorization),
        ),
        bind_return=bind_return,
    )


def _belongs(job: Job, txn: Transaction, order: Transaction) -> bool:
    """The refund names the order it was retrieved for, and that order is the one bound to
    the NetSuite sales order (so a key or a record can never land on another order)."""
    if txn.source_channel == Channel.SHOPIFY:
        payload_order = (txn.payload or {}).get("order_id")
        if payload_order and gids.legacy_id(payload_order) != order.shopify_order_id:
            return False
    if txn.netsuite_sales_order_id and txn.netsuite_sales_order_id != order.netsuite_sales_order_id:
        return False
    bound = bindings.find(job.connector, Kind.ORDER, shopify_id=order.shopify_order_id)
    return bound is None or bound.netsuite_id in ("", order.netsuite_sales_order_id)


TO_SHOPIFY = Flow(
    name="refund_to_shopify",
    label="NetSuite Refund to Shopify Refund Add",
    direction="netsuite_to_shopify",
    kind=Kind.REFUND,
    settings_section="refunds",
    default_interval_minutes=15,
    required_choices=(("refund_sync_direction", RefundSyncDirection.NETSUITE_TO_SHOPIFY),),
    priority=Priority.URGENT,
    run=run_to_shopify,
    post_one=post_one,
)
TO_NETSUITE = Flow(
    name="refund_to_netsuite",
    label="Shopify Refund to NetSuite Refund Add",
    direction="shopify_to_netsuite",
    kind=Kind.REFUND,
    settings_section="refunds",
    default_interval_minutes=15,
    required_choices=(("refund_sync_direction", RefundSyncDirection.SHOPIFY_TO_NETSUITE),),
    webhook_topics=("refunds/create",),
    webhook_order_key="order_id",
    records_per_run=1,  # each refund its own run: record by record, several calls each
    priority=Priority.URGENT,
    run=run_to_netsuite,
    post_one=post_one,
)
