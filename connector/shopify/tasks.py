"""Processing of stored webhook deliveries (django-q2 tasks carrying only an id).

The flows register a handler per topic (see `HANDLERS`); a delivery whose topic has no
handler yet is marked ignored with that reason, visible in the admin. Delta flows pick up the
same changes on their schedule anyway, so a webhook is a faster path, never the only one.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone

from .models import WebhookDelivery

logger = logging.getLogger(__name__)

# topic -> callable(delivery) -> reason it was ignored, or None; filled in by flows.webhooks
# from the topics the flows declare: the one list of the topics the panel syncs.
HANDLERS: dict[str, Callable[[WebhookDelivery], None]] = {}


def topics() -> list[str]:
    """The webhook topics some flow handles (what to subscribe to, what to accept)."""
    return sorted(HANDLERS)


def queue_delivery(delivery_id: int) -> None:
    """Nudge a worker. If the broker is down the row stays `received` for the sweeper."""
    from django_q.tasks import async_task

    try:
        async_task(
            "connector.shopify.tasks.process_delivery",
            delivery_id,
            task_name=f"webhook-{delivery_id}",
        )
    except Exception:
        logger.exception("Could not queue webhook delivery %s; the sweeper will", delivery_id)


# One attempt must end within its lease (a handler only queues a flow run: milliseconds); the
# sweeper hands a delivery whose lease ran out to another worker.
DELIVERY_LEASE = timedelta(minutes=5)
# A delivery whose handler failed is tried again after 1, 2, 4, 8 minutes, then given up
# (`failed`, with the last error, visible in the admin).
MAX_DELIVERY_ATTEMPTS = 5
RETRY_BACKOFF = timedelta(minutes=1)
# A `received` delivery never claimed this long after it arrived: its message was lost.
NUDGE_AFTER = timedelta(minutes=2)


def retry_delay(attempts: int) -> timedelta:
    return RETRY_BACKOFF * (2 ** max(attempts - 1, 0))


def process_delivery(delivery_id: int) -> str:
    now = timezone.now()
    # Claim: only one worker moves a due delivery out of `received`, so a duplicate task is a
    # no-op; a delivery waiting for its retry is not due before `next_attempt_at`.
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.RECEIVED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(
            status=WebhookDelivery.Status.PROCESSING,
            attempts=F("attempts") + 1,
            claimed_at=now,
            lease_until=now + DELIVERY_LEASE,
        )
    )
    if not claimed:
        waiting = WebhookDelivery.objects.filter(
            pk=delivery_id, status=WebhookDelivery.Status.RECEIVED
        ).exists()
        return "not due yet" if waiting else "already taken"
    delivery = WebhookDelivery.objects.select_related("connector").get(pk=delivery_id)
    handler = HANDLERS.get(delivery.topic)
    outcome = {"processed_at": timezone.now(), "lease_until": None, "next_attempt_at": None}
    try:
        if handler is None:
            status = WebhookDelivery.Status.IGNORED
            detail = f"No flow handles {delivery.topic} yet."
        else:
            # A handler returns why it ignored the delivery (e.g. the flow is off), or None.
            ignored = handler(delivery)
            status = WebhookDelivery.Status.IGNORED if ignored else WebhookDelivery.Status.PROCESSED
            detail = ignored or ""
    except Exception as exc:
        logger.exception("Webhook delivery %s failed (attempt %s)", delivery_id, delivery.attempts)
        error = str(exc)[:2000] or exc.__class__.__name__
        if delivery.attempts < MAX_DELIVERY_ATTEMPTS:
            retry_at = timezone.now() + retry_delay(delivery.attempts)
            status = WebhookDelivery.Status.RECEIVED
            detail = f"Attempt {delivery.attempts} failed, retrying at {retry_at:%H:%M:%S}: {error}"
            outcome = {"lease_until": None, "next_attempt_at": retry_at}
        else:
            status = WebhookDelivery.Status.FAILED
            detail = f"Failed {delivery.attempts} times; last error: {error}"
    # Conditional on our claim: a worker whose lease ran out (the sweeper handed the delivery
    # on) does not overwrite the new attempt.
    WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PROCESSING, attempts=delivery.attempts
    ).update(status=status, status_detail=detail, **outcome)
    return status


def requeue_stuck_deliveries(now=None, limit: int = 500) -> int:
    """For the periodic sweeper: hand on deliveries whose worker died (lease ran out), and queue
    those due (a retry whose time came, a message lost). Returns how many were queued."""
    now = now or timezone.now()
    expired = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PROCESSING).filter(
        # Rows claimed before claims had a lease: judged by their age, as before.
        Q(lease_until__lt=now) | Q(lease_until__isnull=True, received_at__lt=now - DELIVERY_LEASE)
    )
    for pk, attempts in expired.values_list("pk", "attempts")[:limit]:
        mine = WebhookDelivery.objects.filter(
            pk=pk, status=WebhookDelivery.Status.PROCESSING, attempts=attempts
        )
        if attempts >= MAX_DELIVERY_ATTEMPTS:
            mine.update(
                status=WebhookDelivery.Status.FAILED,
                status_detail=f"The worker processing it stopped {attempts} times; given up.",
                lease_until=None,
                processed_at=now,
            )
        elif mine.update(status=WebhookDelivery.Status.RECEIVED, lease_until=None):
            logger.warning("Webhook delivery %s: worker lease expired; queued again", pk)
    due = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.RECEIVED)
        .filter(
            Q(next_attempt_at__lte=now)
            | Q(next_attempt_at__isnull=True, received_at__lt=now - NUDGE_AFTER)
            # Handed on from a dead worker just now (above): due at once.
            | Q(next_attempt_at__isnull=True, attempts__gt=0)
        )
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        queue_delivery(delivery_id)
    return len(due)
