"""Processing of stored webhook deliveries (django-q2 tasks carrying only an id).

The flows register a handler per topic (see `HANDLERS`); a delivery whose topic has no
handler yet is marked ignored with that reason, visible in the admin. Delta flows pick up the
same changes on their schedule anyway, so a webhook is a faster path, never the only one.
"""

import logging
from collections.abc import Callable

from django.utils import timezone

from .models import WebhookDelivery

logger = logging.getLogger(__name__)

# topic -> callable(delivery) -> reason it was ignored, or None; filled in by flows.webhooks.
HANDLERS: dict[str, Callable[[WebhookDelivery], None]] = {}


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


def process_delivery(delivery_id: int) -> str:
    # Claim: only one worker moves a delivery out of `received`, so a duplicate task is a no-op.
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.RECEIVED
    ).update(status=WebhookDelivery.Status.PROCESSING)
    if not claimed:
        return "already taken"
    delivery = WebhookDelivery.objects.select_related("connector").get(pk=delivery_id)
    handler = HANDLERS.get(delivery.topic)
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
        logger.exception("Webhook delivery %s failed", delivery_id)
        status, detail = WebhookDelivery.Status.FAILED, str(exc)[:2000]
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        status=status, status_detail=detail, processed_at=timezone.now()
    )
    return status
