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

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connector.crypto import CredentialDecryptionError
from connector.errors import RemoteError
from connector.models import RefundSyncDirection

from . import lifecycle
from .errors import RetrieveError
from .models import RETRYABLE, Channel, Kind, Status, Transaction, TransactionEvent
from .orders import find_synced_order, order_label

logger = logging.getLogger(__name__)

NOT_SYNCED = (
    "Order {order_id} was not found among the orders this connector has synced to NetSuite. "
    "Make sure the order ID is an order the connector has previously synced to NetSuite."
)
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
    """Import the refunds of a synced order from NetSuite or Shopify.

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
    from flows.refunds import retrieve as refunds

    order = find_synced_order(connector, order_id)
    if order is None:
        raise RetrieveError(NOT_SYNCED.format(order_id=str(order_id).strip()), 404)
    try:
        if source_channel == Channel.NETSUITE:
            found = refunds.from_netsuite(connector, order)
        else:
            found = refunds.from_shopify(connector, order)
    except CredentialDecryptionError as exc:
        raise RetrieveError(exc.message, 409) from exc
    except RemoteError as exc:
        raise RetrieveError(f"{exc.system} could not answer: {exc}", 502) from exc
    flow = "refund_to_shopify" if source_channel == Channel.NETSUITE else "refund_to_netsuite"

    result = Retrieved(order)
    for source_id, defaults in found:
        txn, created = lifecycle.upsert_transaction(
            connector,
            kind=Kind.REFUND,
            source_channel=source_channel,
            source_id=source_id,
            defaults=defaults,
            flow=flow,
            actor=user,
            message=(
                f"Refund retrieved from {Channel(source_channel).label} for order "
                f"{order_label(order)}."
            ),
        )
        result.transactions.append(txn)
        result.created += created
    return result


# --- posting ----------------------------------------------------------------------------


def request_post(
    user, txn: Transaction | int, *, from_statuses=(Status.RETRIEVED,), note: str = ""
) -> bool:
    """Schedule the post of a row (a click). False when it was already scheduled, posting or
    done: a double click or a second person's click does nothing."""
    txn_id = txn if isinstance(txn, int) else txn.pk
    who = getattr(user, "get_username", lambda: "the system")()
    won = lifecycle.claim(
        txn_id,
        from_statuses=from_statuses,
        to_status=Status.SCHEDULED,
        actor=user,
        message=f"Post requested by {who}" + (f" {note}." if note else "."),
    )
    if won:
        transaction.on_commit(lambda: enqueue_post(txn_id))
    return won


def retry(user, txn: Transaction | int, *, from_statuses=RETRYABLE, note: str = "") -> bool:
    """Post a row in Error (or Waiting) again now, whatever its kind. A person's Retry starts
    a fresh series of automatic attempts (the cause was presumably fixed): the count of
    attempts goes back to zero, so the backoff starts short again. `note` says what was fixed
    (e.g. the SKU bound); it is on the timeline and in the resolution that follows."""
    txn_id = txn if isinstance(txn, int) else txn.pk
    with transaction.atomic():
        won = request_post(user, txn_id, from_statuses=from_statuses, note=note)
        if won:
            Transaction.objects.filter(pk=txn_id).update(attempts=0)
    return won


IGNORABLE = (Status.RETRIEVED, Status.SCHEDULED, *RETRYABLE)


def ignore(user, txn: Transaction | int, reason: str = "", *, from_statuses=IGNORABLE) -> bool:
    """Ignore a row. Ignoring an error resolves it: the timeline records who, when and why."""
    txn_id = txn if isinstance(txn, int) else txn.pk
    who = getattr(user, "get_username", lambda: "the system")()
    message = f"Ignored by {who}" + (f": {reason}" if reason else ".")
    with transaction.atomic():
        # Read first, then claim only from what was read: the resolution names the error the
        # row really had when the claim won.
        was = (
            Transaction.objects.filter(pk=txn_id, status=Status.ERROR)
            .values("last_error", "error_kind")
            .first()
        )
        if was is not None:
            statuses = [Status.ERROR] if Status.ERROR in from_statuses else []
        else:
            statuses = [s for s in from_statuses if s != Status.ERROR]
        if not statuses or not lifecycle.claim(
            txn_id, from_statuses=statuses, to_status=Status.IGNORED, actor=user, message=message
        ):
            return False
        if reason:
            # Shown with the Ignored status on the lists (the field says why).
            Transaction.objects.filter(pk=txn_id).update(status_reason=reason[:300])
        if was is not None:
            lifecycle.record_event(
                txn_id,
                TransactionEvent.Type.RESOLVED,
                f"Error resolved: ignored by {who}" + (f": {reason}" if reason else "."),
                detail={
                    "how": "ignored",
                    "status": Status.IGNORED,
                    "reason": reason,
                    "error": was["last_error"][:1000],
                    "error_kind": was["error_kind"],
                },
                actor=user,
            )
    return True


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
    """Post one scheduled row through its flow (the task's body). Returns the outcome.

    Whatever happens, the row does not stay Posting: the flow's synchronizer finishes it, and
    anything that escapes is finished here as an Error with the reason.
    """
    from flows.context import Job, RunLeaseLost
    from flows.gates import why_not_postable
    from flows.registry import flow_for
    from flows.sync import Synchronizer

    if not lifecycle.claim(
        txn_id, from_statuses=(Status.SCHEDULED,), to_status=Status.POSTING, message="Posting."
    ):
        return "not claimed"
    txn = Transaction.objects.select_related("connector", "connector__options").get(pk=txn_id)
    flow = flow_for(txn.kind, txn.source_channel)
    if flow is None:
        lifecycle.finish(txn_id, Status.ERROR, error=f"No flow posts a {txn.get_kind_display()}.")
        return "error"
    reason = why_not_postable(txn.connector, flow)
    if reason:
        lifecycle.finish(txn_id, Status.ERROR, error=reason)
        return "error"
    job = Job(txn.connector, flow)
    try:
        flow.post_one(job, txn)
    except RunLeaseLost:
        pass
    except Exception as exc:  # the row must end in a visible state
        Synchronizer(job, kind=txn.kind, source_channel=txn.source_channel).finish(txn, exc)
    status = Transaction.objects.filter(pk=txn_id).values_list("status", flat=True).first()
    return str(status)


def sweep_stuck_posts(lease: timedelta | None = None, *, now=None) -> int:
    """Re-queue rows whose post was lost or is due: Posting longer than the lease (worker
    killed), Scheduled longer than the lease (task message lost), and Error/Waiting rows whose
    next attempt is due (the synchronizer's backoff). Safe because a re-post uses the same
    keys. Returns how many rows were re-queued. Run it from a periodic schedule."""
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
    now = now or timezone.now()
    due = Transaction.objects.filter(
        status__in=RETRYABLE, next_attempt_at__lte=now, connector__is_active=True
    ).values_list("pk", flat=True)
    for txn_id in list(due[:500]):
        if lifecycle.claim(
            txn_id,
            from_statuses=RETRYABLE,
            to_status=Status.SCHEDULED,
            message="Trying again by itself.",
            only_if={"next_attempt_at__lte": now},
        ):
            transaction.on_commit(lambda txn_id=txn_id: enqueue_post(txn_id))
            requeued += 1
    return requeued


def undo_ignore(user, txn: Transaction | int) -> bool:
    """Take back an Ignore: the row is Retrieved again and can be posted."""
    txn_id = txn if isinstance(txn, int) else txn.pk
    who = getattr(user, "get_username", lambda: "the system")()
    return lifecycle.claim(
        txn_id,
        from_statuses=(Status.IGNORED,),
        to_status=Status.RETRIEVED,
        actor=user,
        message=f"Ignore undone by {who}: it can be posted again.",
    )
