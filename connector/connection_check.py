"""'Test connection': one cheap authenticated call to each side, reported as a person would
want it: ok with the shop name / server time, or the exact error the service gave."""

import logging

from .clients import netsuite_client, shopify_client
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


NETSUITE_CREDENTIALS = (
    "netsuite_consumer_key",
    "netsuite_consumer_secret",
    "netsuite_token_id",
    "netsuite_token_secret",
)


def check_netsuite(connector: Connector) -> dict:
    from .netsuite.budget import Priority
    from .netsuite.errors import NetSuiteError

    missing = [name for name in NETSUITE_CREDENTIALS if not connector.has_secret(name)]
    if missing:
        labels = ", ".join(name.removeprefix("netsuite_").replace("_", " ") for name in missing)
        return {
            "ok": False,
            "detail": f"Missing NetSuite credentials: {labels} (Settings › Credentials).",
        }
    try:
        # A person is waiting for this answer: it goes ahead of bulk work in the budget.
        client = netsuite_client(connector, priority=Priority.URGENT, max_retries=1)
        server_time = client.get_server_time()
    except CredentialDecryptionError as exc:
        return {"ok": False, "detail": str(exc)}
    except NetSuiteError as exc:
        return {"ok": False, "detail": str(exc)}
    return {
        "ok": True,
        "detail": f"Connected to account {connector.netsuite_account_id}; "
        f"NetSuite server time {server_time:%Y-%m-%d %H:%M:%S %Z}.",
    }


def check_connection(connector: Connector) -> dict:
    return {"shopify": check_shopify(connector), "netsuite": check_netsuite(connector)}
