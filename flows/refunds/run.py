"""Refunds as flows, both ways, on the synchronizer (the writes are `post_one`'s).

Shopify → NetSuite (`refund_to_netsuite`): the orders named by `refunds/create` webhooks, and
as a safety net the orders updated in Shopify since the cursor that carry a refund; every refund
of an order this connector imports that the panel did not write itself becomes a row and is
posted (a cash refund or credit memo, `initialize`d from the billed record). The cursor is the
order's `updatedAt` (`updated_at:>=`, whole seconds: the second of the cursor is read again),
moved past each order once its refunds are handled or due for retry by themselves. With no
cursor it starts at the first order the connector imported.

NetSuite → Shopify (`refund_to_shopify`): cash refunds and credit memos modified since the
cursor less OVERLAP (a save stamped before a later one can commit after it), oldest first;
those of orders this connector synced from Shopify (billed record → sales order → the order's
row) become rows and are posted as `refundCreate` with `@idempotent`. The cursor moves to each
record's `lastModifiedDate` once it is handled or due for retry by itself.

Never both, never an echo: each flow runs only when the connector's refund sync direction is
its own (`Flow.required_choices`, checked when a run is requested, claimed and at every beat),
`post_one` refuses the other direction again, and records the panel wrote (bindings, the
`shopify-` externalId, the `[NetSuite connector]` note) are skipped without a row.

Nothing twice: a row is claimed with a conditional UPDATE, so two webhooks for one refund (or a
webhook and the delta) post it once; a Posted row is never claimed again. Rows in Error that
wait for a person, and Waiting/Error rows whose next attempt has not come, are left alone here
(the retry sweeper posts them when due; Retry posts them at once).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from connector import bindings, external_ids, gids
from flows.context import SKIPPED, Job
from flows.positions import walk
from flows.sync import Synchronizer
from transactions.models import Channel, Kind, Status, Transaction
from transactions.orders import find_synced_order, synced_orders

from . import netsuite, shopify

OVERLAP = timedelta(minutes=10)
BILL_FOR_REFUND = {refund: bill for bill, refund in netsuite.REFUND_TYPE_FOR_BILL.items()}

NOT_CLAIMED = {
    Status.POSTED: "Already posted.",
    Status.SKIPPED: "Skipped before.",
    Status.IGNORED: "Ignored by a person.",
    Status.POSTING: "Being posted by another worker.",
    Status.CANCELED: "Canceled.",
}
OURS = "Written by the connector itself (a copy of a refund from the other side)."


def _decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _claimable(txn: Transaction, now) -> str | None:
    """Why a run leaves this row alone, or None to claim it."""
    if txn.status in (Status.RETRIEVED, Status.SCHEDULED):
        return None
    if txn.status in (Status.ERROR, Status.WAITING):
        if txn.next_attempt_at is None:
            return "Waits for a person (Retry or Ignore)."
        return None if txn.next_attempt_at <= now else "Not due yet."
    return NOT_CLAIMED.get(txn.status, "Not postable.")


def _post(job: Job, sync: Synchronizer, txn: Transaction) -> tuple[int | None, str, str]:
    from . import _write

    reason = _claimable(txn, timezone.now())
    if reason is None and sync.claim([txn]):
        return sync.one(txn, lambda: _write(job, sync, txn))
    if reason is None:
        txn.refresh_from_db(fields=["status"])
        reason = NOT_CLAIMED.get(txn.status, "Claimed by another worker.")
    return txn.pk, SKIPPED, reason


# -- Shopify → NetSuite ---------------------------------------------------------------------


def run_to_netsuite(ctx: Job) -> None:
    sync = Synchronizer(ctx, kind=Kind.REFUND, source_channel=Channel.SHOPIFY)
    for order, cursor in _refunded_orders(ctx):
        ctx.check()
        ctx.record(_shopify_order(ctx, sync, order))
        if cursor:
            # Every refund of this order is handled or due for retry by itself: move past it.
            ctx.advance_cursor(cursor)


def _refunded_orders(ctx: Job):
    """(full order, cursor position or "") of the orders to look at."""
    if ctx.scope:
        for order_id in ctx.scope:
            order = ctx.shopify.get_order(gids.order(order_id))
            if order is not None:
                ctx.add_total(1)
                yield order, ""
        return
    since = ctx.cursor() or _first_import(ctx)
    if since is None:
        return  # no order imported yet: no refund can be of one of ours
    for summary in ctx.shopify.iter_orders_updated_since(since):
        refunded = ((summary.get("totalRefundedSet") or {}).get("shopMoney") or {}).get("amount")
        if refunded in (None, "") or float(refunded) == 0:
            ctx.advance_cursor(summary["updatedAt"])
            continue
        order = ctx.shopify.get_order(summary["id"])
        if order is not None:
            ctx.add_total(1)
            yield order, summary["updatedAt"]
        else:
            ctx.advance_cursor(summary["updatedAt"])


def import_pending(connector, shopify_id: str) -> bool:
    """The order import has a row for it that has not reached NetSuite yet."""
    return (
        Transaction.objects.filter(
            connector=connector,
            kind=Kind.ORDER,
            source_channel=Channel.SHOPIFY,
            source_id=shopify_id,
            netsuite_sales_order_id="",
        )
        .exclude(status__in=(Status.SKIPPED, Status.IGNORED, Status.CANCELED))
        .exists()
    )


def _first_import(ctx: Job) -> str | None:
    first = (
        Transaction.objects.filter(
            connector=ctx.connector, kind=Kind.ORDER, source_channel=Channel.SHOPIFY
        )
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if first is None:
        return None
    return (first - OVERLAP).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _shopify_order(ctx: Job, sync: Synchronizer, order: dict) -> list:
    shopify_id = gids.legacy_id(order["id"])
    synced = find_synced_order(ctx.connector, shopify_id)
    if synced is None and not import_pending(ctx.connector, shopify_id):
        return [(None, SKIPPED, "Not an order this connector imported.")]
    outcomes = []
    theirs = []
    for refund in shopify.order_refunds(order):
        if shopify.is_ours(refund) or bindings.written_by_us(
            ctx.connector, Kind.REFUND, Channel.SHOPIFY, shopify.refund_id(refund)
        ):
            outcomes.append((None, SKIPPED, OURS))
        else:
            theirs.append(refund)
    if not theirs:
        return outcomes
    fields = {
        shopify.refund_id(r): {
            "shopify_order_id": shopify_id,
            "shopify_order_name": order.get("name", ""),
            "netsuite_sales_order_id": synced.netsuite_sales_order_id if synced else "",
            "source_type": "refund",
            "amount": _decimal(r["total"]),
            "currency": r["currency"],
            "payload": r,
        }
        for r in theirs
    }
    rows = sync.records(fields, message="Refund retrieved from Shopify by the refund flow.")
    for source_id in fields:
        outcomes.append(_post(ctx, sync, rows[source_id]))
    return outcomes


# -- NetSuite → Shopify ---------------------------------------------------------------------


def run_to_shopify(ctx: Job) -> None:
    work = NetSuiteRefunds(ctx)
    since = work.since()
    if since is None:
        return
    walk(ctx, work.client.find_modified_since(list(netsuite.REFUND_TYPES), since), work.handle)


class NetSuiteRefunds:
    def __init__(self, job: Job):
        self.job = job
        self.sync = Synchronizer(job, kind=Kind.REFUND, source_channel=Channel.NETSUITE)
        self.client = job.netsuite()
        self._bills: dict[tuple[str, str], object] = {}

    def since(self) -> datetime | None:
        cursor = self.job.cursor()
        if cursor:
            parsed = datetime.strptime(cursor, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
            return parsed - OVERLAP
        first = (
            synced_orders(self.job.connector)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        return None if first is None else first - OVERLAP

    def handle(self, record) -> tuple[int | None, str, str]:
        connector = self.job.connector
        if external_ids.is_ours(record.externalId) or bindings.written_by_us(
            connector, Kind.REFUND, Channel.NETSUITE, record.internalId
        ):
            return None, SKIPPED, OURS
        refund_type = netsuite.record_type(record)
        created_from = getattr(record, "createdFrom", None)
        if created_from is None or refund_type not in BILL_FOR_REFUND:
            return None, SKIPPED, "Not created from a billed order."
        bill = self._bill(BILL_FOR_REFUND[refund_type], str(created_from.internalId))
        so_ref = getattr(bill, "createdFrom", None) if bill is not None else None
        order = (
            synced_orders(connector)
            .filter(netsuite_sales_order_id=str(so_ref.internalId))
            .order_by("-id")
            .first()
            if so_ref is not None
            else None
        )
        if order is None:
            return None, SKIPPED, "Not an order synced from Shopify."
        item_ids = {
            line.item.internalId
            for line in (getattr(record.itemList, "item", None) or [])
            if line.item is not None
        }
        payload = netsuite.refund_payload(record, bill, netsuite.item_skus(self.client, item_ids))
        rows = self.sync.records(
            {
                str(record.internalId): {
                    "shopify_order_id": order.shopify_order_id,
                    "shopify_order_name": order.shopify_order_name,
                    "netsuite_sales_order_id": order.netsuite_sales_order_id,
                    "source_type": payload["record_type"],
                    "amount": _decimal(payload["total"]),
                    "currency": order.currency,
                    "payload": payload,
                }
            },
            message="Refund retrieved from NetSuite by the refund flow.",
        )
        return _post(self.job, self.sync, rows[str(record.internalId)])

    def _bill(self, bill_type: str, internal_id: str):
        key = (bill_type, internal_id)
        if key not in self._bills:
            from connector.netsuite.errors import NetSuiteRecordError

            try:
                self._bills[key] = self.client.get(bill_type, internal_id)
            except NetSuiteRecordError as exc:
                if exc.retryable:
                    raise
                self._bills[key] = None
        return self._bills[key]
