"""Webhook topics start the flows that declare them, for the record the delivery names
(registered with the delivery processor in apps.ready)."""

from __future__ import annotations

import json
import logging

from connector.shopify.models import WebhookDelivery

from . import engine
from .models import Trigger
from .registry import topics

logger = logging.getLogger(__name__)


def handle(delivery: WebhookDelivery) -> str | None:
    """Start each flow of the topic for the order; returns why it was ignored, or None."""
    body = json.loads(delivery.body)
    reasons = []
    for flow in topics()[delivery.topic]:
        order_id = str(order_key(body, flow.webhook_order_key))
        try:
            engine.request_run(delivery.connector, flow.name, Trigger.WEBHOOK, scope=[order_id])
        except engine.FlowNotRunnable as exc:
            # Switched off: the reason is kept on the delivery (visible in the admin).
            reasons.append(str(exc))
    started = len(topics()[delivery.topic]) - len(reasons)
    return None if started else " ".join(reasons)


def order_key(body: dict, path: str):
    """The order id at a dotted path of the body: "id", "order_id", "order_edit.order_id"."""
    value = body
    for part in path.split("."):
        value = value[part]
    return value


def register() -> None:
    from connector.shopify.tasks import HANDLERS

    for topic in topics():
        HANDLERS[topic] = handle
