"""Shopify webhook signatures and subscriptions.

Shopify signs the raw request body with the app secret: Base64(HMAC-SHA256(secret, body)) in
`X-Shopify-Hmac-Sha256`. Verification must use the raw bytes (re-serialised JSON differs) and
compare in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connector.shopify.client import ShopifyClient


def topic_enum(topic: str) -> str:
    """The WebhookSubscriptionTopic value of a topic: "orders/create" -> "ORDERS_CREATE"."""
    return topic.upper().replace("/", "_")


def sign(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(secret: str, body: bytes, header_value: str | None) -> bool:
    """True only for a well-formed header that matches the body; never raises."""
    if not secret or not header_value:
        return False
    try:
        received = base64.b64decode(header_value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(received) != hashlib.sha256().digest_size:
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return hmac.compare_digest(expected, received)


def subscribe(
    client: ShopifyClient, callback_url: str, topics: Iterable[str]
) -> list[dict[str, Any]]:
    """Create one subscription per topic ("orders/create" or "ORDERS_CREATE")."""
    return [client.create_webhook_subscription(topic_enum(topic), callback_url) for topic in topics]
