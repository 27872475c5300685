"""'Test connection': one cheap authenticated call to each side, reported as a person would
want it: ok with the shop name / server time, or the exact error the service gave."""

import logging

from .clients import shopify_client
from .crypto import CredentialDecryptionError
from .models import Connector

logger = logging.getLogger(__name__)


def check_shopify(connector: Connector) -> dict:
    from .shopify.errors import ShopifyError

    if not connector.has_secret("shopify_access_token"):
        return {"ok": False, "detail": "No Shopify access token is set (Settings › Credentials)."}
    try:
        client = shopify_client(connector, max_retries=1, read_timeout=15)
        shop = client.shop()
    except CredentialDecryptionError as exc:
        return {"ok": False, "detail": str(exc)}
    except ShopifyError as exc:
        return {"ok": False, "detail": str(exc)}
    name = shop.get("name") or connector.shopify_shop_domain
    return {"ok": True, "detail": f"Connected to {name}."}


def check_netsuite(connector: Connector) -> dict:
    return {"ok": False, "detail": "NetSuite connection test is not available yet."}


def check_connection(connector: Connector) -> dict:
    return {"shopify": check_shopify(connector), "netsuite": check_netsuite(connector)}
