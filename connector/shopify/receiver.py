"""The endpoint Shopify posts webhooks to: /webhooks/shopify/<connector id>/.

Answer fast (Shopify waits 5 s at most): verify the signature over the raw body in constant
time, store the delivery, queue a task carrying its id, answer 200. A bad or missing signature
is a 401 and stores nothing. Work happens in the task, never here.
"""

import json
import logging

from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from connector.crypto import CredentialDecryptionError
from connector.models import Connector

from . import webhooks
from .models import WebhookDelivery
from .tasks import HANDLERS, process_delivery, queue_delivery

logger = logging.getLogger(__name__)


def _unauthorized() -> HttpResponse:
    # Says nothing about which check failed: that would help a forger.
    return JsonResponse({"detail": "Invalid webhook signature."}, status=401)


def _version(body: bytes) -> tuple[str, str]:
    """(resource id, updated_at) from the signed body, or empty strings when it has none."""
    try:
        payload = json.loads(body)
    except ValueError:
        return "", ""
    if not isinstance(payload, dict):
        return "", ""
    if len(payload) == 1 and isinstance(next(iter(payload.values())), dict):
        # A wrapped body ({"order_edit": {...}}): the edit's id and when it was committed.
        ((wrapper, inner),) = payload.items()
        payload = {
            "id": f"{wrapper}:{inner.get('id') or ''}" if inner.get("id") else "",
            "updated_at": inner.get("committed_at") or inner.get("created_at"),
        }
    resource_id = str(payload.get("admin_graphql_api_id") or payload.get("id") or "")
    updated_at = str(payload.get("updated_at") or "")
    if not resource_id or not updated_at or len(resource_id) > 100 or len(updated_at) > 40:
        return "", ""
    return resource_id, updated_at


@csrf_exempt  # authenticated by the HMAC signature, not a session
@login_not_required
@require_POST
def shopify_webhook(request, connector_id: int):
    connector = Connector.objects.filter(pk=connector_id).first()
    if connector is None:
        return JsonResponse({"detail": "Unknown connector."}, status=404)
    try:
        secret = connector.get_secret("shopify_webhook_secret")
    except CredentialDecryptionError:
        logger.error("Webhook for connector %s: signing secret cannot be decrypted", connector.pk)
        secret = ""
    body = request.body
    if not webhooks.verify(secret, body, request.headers.get("X-Shopify-Hmac-Sha256")):
        logger.warning("Webhook for connector %s rejected: bad or missing signature", connector.pk)
        return _unauthorized()
    shop = (request.headers.get("X-Shopify-Shop-Domain") or "").lower()
    if shop != connector.shopify_shop_domain:
        logger.warning("Webhook for connector %s rejected: sent for shop %r", connector.pk, shop)
        return _unauthorized()

    topic = request.headers.get("X-Shopify-Topic", "")
    webhook_id = request.headers.get("X-Shopify-Webhook-Id", "")
    event_id = request.headers.get("X-Shopify-Event-Id", "")
    if not topic or not webhook_id:
        return JsonResponse(
            {"detail": "Missing X-Shopify-Topic or X-Shopify-Webhook-Id."}, status=400
        )
    too_long = [
        header
        for header, value, field in (
            ("X-Shopify-Topic", topic, "topic"),
            ("X-Shopify-Webhook-Id", webhook_id, "webhook_id"),
            ("X-Shopify-Event-Id", event_id, "event_id"),
            (
                "X-Shopify-API-Version",
                request.headers.get("X-Shopify-API-Version", ""),
                "api_version",
            ),
            (
                "X-Shopify-Triggered-At",
                request.headers.get("X-Shopify-Triggered-At", ""),
                "triggered_at",
            ),
        )
        if len(value) > WebhookDelivery._meta.get_field(field).max_length
    ]
    if too_long:
        return JsonResponse({"detail": f"Header too long: {', '.join(too_long)}."}, status=400)

    resource_id, updated_at = _version(body)
    status, detail = WebhookDelivery.Status.RECEIVED, ""
    if topic not in HANDLERS:
        status, detail = WebhookDelivery.Status.IGNORED, f"Topic {topic} is not synced."
    elif not connector.is_active:
        status, detail = WebhookDelivery.Status.IGNORED, "The connector is inactive."
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                connector=connector,
                topic=topic,
                webhook_id=webhook_id,
                event_id=event_id,
                resource_id=resource_id,
                resource_updated_at=updated_at,
                api_version=request.headers.get("X-Shopify-API-Version", ""),
                triggered_at=request.headers.get("X-Shopify-Triggered-At", ""),
                body=body.decode("utf-8", errors="replace"),
                status=status,
                status_detail=detail,
            )
    except IntegrityError:
        same = Q(webhook_id=webhook_id)
        if event_id:
            same |= Q(topic=topic, event_id=event_id)
        if resource_id and updated_at:
            same |= Q(topic=topic, resource_id=resource_id, resource_updated_at=updated_at)
        WebhookDelivery.objects.filter(same, connector=connector).update(
            duplicates=F("duplicates") + 1
        )
        return JsonResponse({"status": "duplicate"})
    if status == WebhookDelivery.Status.RECEIVED:
        _process_now(delivery.pk)
    return JsonResponse({"status": status})


def _process_now(delivery_id: int) -> None:
    """Process the stored delivery in this request: a handler only starts a flow run (a few
    queries), and a task would wait for a free worker behind long runs, seconds per order.
    The delivery is committed before this, and processing claims it as a task would: a
    handler that fails leaves it due for retry; if even the claim fails, the task (or the
    sweeper, should the broker be down) does it."""
    try:
        process_delivery(delivery_id)
    except Exception:
        logger.exception("Webhook delivery %s not processed at once; queued", delivery_id)
        queue_delivery(delivery_id)
