"""The verbs of the Other Transactions page: retrieve, request a post, retry, ignore, and the
post itself (run by a task). Views, the API, the admin and tasks call these; nothing else
changes a transaction.

Exactly once: a click moves the row Retrieved/Error → Scheduled with a conditional UPDATE
(lifecycle.claim), so a double click or two staff members schedule it once; the task moves it
Scheduled → Posting the same way, so a duplicated or retried task posts once; the remote write
is keyed by the row (Shopify `@idempotent` key, NetSuite externalId looked up first), so a
re-post after a killed worker or a lost answer finds the first write instead of repeating it.
NetSuite and Shopify are never called inside a database transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connector.clients import netsuite_client, shopify_client
from connector.models import RefundSyncDirection
from connector.netsuite.budget import Priority
from connector.netsuite.errors import NetSuiteError
from connector.shopify.errors import ShopifyError

from . import lifecycle, netsuite_refunds, shopify_refunds
from .errors import PostError, RetrieveError
from .models import Channel, Kind, Status, Transaction, TransactionEvent
from .orders import find_synced_order, order_gid, order_label

logger = logging.getLogger(__name__)

NOT_SYNCED = (
    "Order {order_id} was not found among the orders this connector has synced to NetSuite. "
    "Make sure the order ID is an order the connector has previously synced to NetSuite."
)
NOT_BILLED = (
    "Order {order} is not billed in NetSuite yet. Bill the order (as a cash sale or an "
    "invoice) and refund the billed record in NetSuite, then retrieve again."
)
NO_NETSUITE_REFUND = (
    "Order {order} has no cash refund or credit memo generated from its billed record "
    "({bills}) in NetSuite. Refund the billed record in NetSuite, then retrieve again."
)
NO_SHOPIFY_REFUND = "Order {order} has no refund in Shopify. Refund it in Shopify first."
WRONG_DIRECTION = (
    "This connector's refund sync direction is {direction}, so refunds cannot be retrieved "
    "from {source}. A connector admin can change it in Settings › Refunds."
)
ALLOWED_SOURCE = {
    RefundSyncDirection.NETSUITE_TO_SHOPIFY: Channel.NETSUITE,
    RefundSyncDirection.SHOPIFY_TO_NETSUITE: Channel.SHOPIFY,
}


@dataclass
class Retrieved:
    order: Transaction
    transactions: list[Transaction] = field(default_factory=list)
    created: int = 0

    @property
    def message(self) -> str:
        n = len(self.transactions)
        what = f"{n} refund{'s' if n != 1 else ''}"
        if self.created == n:
            return f"Retrieved {what} of order {order_label(self.order)}."
        if self.created == 0:
            return f"{what.capitalize()} of order {order_label(self.order)} already retrieved."
        return f"Retrieved {self.created} new of {what} of order {order_label(self.order)}."


def _direction(connector) -> str:
    options = getattr(connector, "options", None)
    return options.refund_sync_direction if options else RefundSyncDirection.NONE


def retrieve(user, connector, source_channel: str, order_id: str) -> Retrieved:
    """Import the refunds of a synced order from NetSuite or Shopify (seed 003).

    Raises RetrieveError with the words the dialog and the API show.
    """
    direction = _direction(connector)
    if ALLOWED_SOURCE.get(direction) != source_channel:
        raise RetrieveError(
            WRONG_DIRECTION.format(
                direction=RefundSyncDirection(direction).label,
                source=Channel(source_channel).label,
            )
        )
    order = find_synced_order(connector, order_id)
    if order is None:
        raise RetrieveError(NOT_SYNCED.format(order_id=str(order_id).strip()), 404)
    try:
        if source_channel == Channel.NETSUITE:
            found = _netsuite_refunds(connector, order)
        else:
            found = _shopify_refunds(connector, order)
    except (NetSuiteError, ShopifyError) as exc:
        raise RetrieveError(
            f"{Channel(source_channel).label} could not answer: {exc}", 502
        ) from exc

    result = Retrieved(order)
    for source_id, defaults in found:
        txn, created = lifecycle.upsert_transaction(
            connector,
            kind=Kind.REFUND,
            source_channel=source_channel,
            source_id=source_id,
            defaults=defaults,
            actor=user,
            message=(
                f"Refund retrieved from {Channel(source_channel).label} for order "
                f"{order_label(order)}."
            ),
        )
        result.transactions.append(txn)
        result.created += created
    return result


def _netsuite_refunds(connector, order) -> list[tuple[str, dict]]:
    client = netsuite_client(connector, priority=Priority.URGENT)
    bills = netsuite_refunds.billed_records(client, order.netsuite_sales_order_id)
    if not bills:
        raise RetrieveError(NOT_BILLED.format(order=order_label(order)))
    refunds = netsuite_refunds.refunds_of(client, bills)
    if not refunds:
        labels = ", ".join(
            f"{netsuite_refunds.record_type(b)} {getattr(b, 'tranId', None) or b.internalId}"
            for b in bills
        )
        raise RetrieveError(NO_NETSUITE_REFUND.format(order=order_label(order), bills=labels), 404)
    bill_by_id = {b.internalId: b for b in bills}
    item_ids = {
        line.item.internalId
        for r in refunds
        for line in (getattr(r.itemList, "item", None) or [])
        if line.item is not None
    }
    skus = netsuite_refunds.item_skus(client, item_ids)
    found = []
    for refund in refunds:
        bill = bill_by_id.get(refund.createdFrom.internalId, bills[0])
        payload = netsuite_refunds.refund_payload(refund, bill, skus)
        found.append(
            (
                refund.internalId,
                {
                    **_order_fields(order),
                    "source_type": payload["record_type"],
                    "amount": _decimal(payload["total"]),
                    "currency": order.currency,
                    "payload": payload,
                },
            )
        )
    return found


def _shopify_refunds(connector, order) -> list[tuple[str, dict]]:
    client = shopify_client(connector)
    shopify_order = client.get_order(order_gid(order))
    refunds = shopify_refunds.order_refunds(shopify_order) if shopify_order else []
    if not refunds:
        raise RetrieveError(NO_SHOPIFY_REFUND.format(order=order_label(order)), 404)
    return [
        (
            shopify_refunds.refund_id(r),
            {
                **_order_fields(order),
                "source_type": "refund",
                "amount": _decimal(r["total"]),
                "currency": r["currency"],
                "payload": r,
            },
        )
        for r in refunds
    ]


def _decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _order_fields(order) -> dict:
    return {
        "shopify_order_id": order.shopify_order_id,
        "shopify_order_name": order.shopify_order_name,
        "netsuite_sales_order_id": order.netsuite_sales_order_id,
    }


# --- posting ----------------------------------------------------------------------------


def request_post(user, txn: Transaction | int, *, from_statuses=(Status.RETRIEVED,)) -> bool:
    """Schedule the post of a row (a click). False when it was already scheduled, posting or
    done: a double click or a second person's click does nothing."""
    txn_id = txn if isinstance(txn, int) else txn.pk
    who = getattr(user, "get_username", lambda: "the system")()
    won = lifecycle.claim(
        txn_id,
        from_statuses=from_statuses,
        to_status=Status.SCHEDULED,
        actor=user,
        message=f"Post requested by {who}.",
    )
    if won:
        transaction.on_commit(lambda: enqueue_post(txn_id))
    return won


def retry(user, txn: Transaction | int) -> bool:
    return request_post(user, txn, from_statuses=(Status.ERROR,))


def ignore(user, txn: Transaction | int, reason: str = "") -> bool:
    txn_id = txn if isinstance(txn, int) else txn.pk
    who = getattr(user, "get_username", lambda: "the system")()
    return lifecycle.claim(
        txn_id,
        from_statuses=(Status.RETRIEVED, Status.SCHEDULED, Status.ERROR),
        to_status=Status.IGNORED,
        actor=user,
        message=f"Ignored by {who}" + (f": {reason}" if reason else "."),
    )


def enqueue_post(txn_id: int) -> None:
    """Queue the post task. The row is the work; the task is only a nudge (the sweeper
    re-queues rows whose nudge was lost). TRANSACTIONS_POST_SYNC runs it in-process through
    django-q2's own sync mode (tests, the browser test)."""
    from django_q.tasks import async_task

    async_task(
        "transactions.tasks.post_transaction",
        txn_id,
        task_name=f"post-transaction-{txn_id}",
        sync=bool(getattr(settings, "TRANSACTIONS_POST_SYNC", False)),
    )


def run_post(txn_id: int) -> str:
    """Post one scheduled row to its target (the task's body). Returns the outcome."""
    if not lifecycle.claim(
        txn_id, from_statuses=(Status.SCHEDULED,), to_status=Status.POSTING, message="Posting."
    ):
        return "not claimed"
    txn = Transaction.objects.select_related("connector").get(pk=txn_id)
    attempt: dict = {"attempt": txn.attempts}
    try:
        target_id = _write(txn, attempt)
    except (PostError, NetSuiteError, ShopifyError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        attempt["error"] = message
        lifecycle.record_event(
            txn_id, TransactionEvent.Type.POST_ATTEMPT, "Post attempt failed.", detail=attempt
        )
        lifecycle.finish(txn_id, Status.ERROR, error=message, detail=attempt)
        return "error"
    lifecycle.record_event(
        txn_id, TransactionEvent.Type.POST_ATTEMPT, "Post attempt.", detail=attempt
    )
    lifecycle.finish(
        txn_id,
        Status.POSTED,
        target_id=str(target_id),
        message=f"Posted to {Channel(txn.target_channel).label} ({target_id}).",
        detail=attempt.get("answer"),
    )
    return "posted"


def _write(txn: Transaction, attempt: dict) -> str:
    if txn.kind != Kind.REFUND:
        raise PostError(f"Posting a {txn.get_kind_display().lower()} is done by its flow.")
    connector = txn.connector
    if txn.target_channel == Channel.SHOPIFY:
        return shopify_refunds.post_netsuite_refund(
            shopify_client(connector),
            txn,
            f"gid://shopify/Order/{txn.shopify_order_id}",
            attempt,
        )
    order = find_synced_order(connector, txn.shopify_order_id)
    if order is None:
        raise PostError(NOT_SYNCED.format(order_id=txn.shopify_order_name))
    client = netsuite_client(connector, priority=Priority.URGENT)
    return netsuite_refunds.post_shopify_refund(client, txn, order, attempt)


def sweep_stuck_posts(lease: timedelta | None = None, *, now=None) -> int:
    """Re-queue rows whose post was lost: Posting longer than the lease (worker killed) and
    Scheduled longer than the lease (task message lost). Safe because the re-post uses the
    same keys. Returns how many rows were re-queued. Run it from a periodic schedule."""
    lease = lease or timedelta(seconds=settings.TRANSACTIONS_POST_LEASE_SECONDS)
    cutoff = (now or timezone.now()) - lease
    requeued = 0
    stuck = Transaction.objects.filter(
        status=Status.POSTING, posting_started_at__lt=cutoff
    ).values_list("pk", flat=True)
    for txn_id in list(stuck[:500]):
        # Conditional on the same old start: a worker that just finished or restarted it wins.
        if lifecycle.claim(
            txn_id,
            from_statuses=(Status.POSTING,),
            to_status=Status.SCHEDULED,
            message="Posting took longer than its lease (worker stopped?); posting again.",
            only_if={"posting_started_at__lt": cutoff},
        ):
            transaction.on_commit(lambda txn_id=txn_id: enqueue_post(txn_id))
            requeued += 1
    lost = Transaction.objects.filter(status=Status.SCHEDULED, updated_at__lt=cutoff).values_list(
        "pk", flat=True
    )
    for txn_id in list(lost[:500]):
        enqueue_post(txn_id)
        requeued += 1
    return requeued
