"""Webhook topics that trigger flows for the record they name (registered in apps.ready)."""

from __future__ import annotations

import json
import logging

from connector.shopify.models import WebhookDelivery

from . import engine
from .models import Trigger

logger = logging.getLogger(__name__)

TOPIC_FLOWS = {
    "orders/create": "order_import",
    "orders/updated": "order_import",
    "orders/cancelled": "shopify_cancellation_to_netsuite",
}


def handle(delivery: WebhookDelivery) -> str | None:
    flow = TOPIC_FLOWS[delivery.topic]
    order_id = str(json.loads(delivery.body)["id"])
    try:
        engine.request_run(delivery.connector, flow, Trigger.WEBHOOK, scope=[order_id])
    except engine.FlowNotRunnable as exc:
        # Switched off: the reason is kept on the delivery (visible in the admin).
        return str(exc)
    return None


def register() -> None:
    from connector.shopify.tasks import HANDLERS

    for topic in TOPIC_FLOWS:
        HANDLERS[topic] = handle
