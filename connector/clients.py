"""Build the outside-system clients for a connector: the one place that decrypts credentials
and hands them to a client."""

from django.conf import settings

from . import endpoints
from .models import Connector


def shopify_client(connector: Connector, **overrides):
    from .shopify.client import ShopifyClient
    from .shopify.errors import ShopifyError

    try:
        endpoints.check(
            connector.shopify_endpoint or f"https://{connector.shopify_shop_domain}", resolve=True
        )
    except endpoints.EndpointNotAllowed as exc:
        raise ShopifyError(f"Shopify endpoint refused: {exc}", retryable=False) from exc
    options = {
        "shop_domain": connector.shopify_shop_domain,
        "access_token": connector.get_secret("shopify_access_token"),
        "api_version": connector.shopify_api_version,
        "endpoint": connector.shopify_endpoint or None,
        "connect_timeout": settings.HTTP_CONNECT_TIMEOUT,
        "read_timeout": settings.HTTP_READ_TIMEOUT,
    }
    options.update(overrides)
    return ShopifyClient(**options)


def netsuite_client(connector: Connector, **overrides):
    """A SuiteTalk client for the connector's account, inside the account's shared budget.

    Callers pass `priority=Priority.URGENT` for cancellations, refunds, edits and staff clicks,
    `Priority.BULK` for inventory and products.
    """
    from .netsuite import wsdl
    from .netsuite.client import NetSuiteClient
    from .netsuite.errors import NetSuiteError

    address = connector.netsuite_endpoint or wsdl.service_url(connector.netsuite_account_id)
    try:
        endpoints.check(address, resolve=True)
    except endpoints.EndpointNotAllowed as exc:
        raise NetSuiteError(f"NetSuite endpoint refused: {exc}", retryable=False) from exc
    options = {
        "account_id": connector.netsuite_account_id,
        "consumer_key": connector.get_secret("netsuite_consumer_key"),
        "consumer_secret": connector.get_secret("netsuite_consumer_secret"),
        "token_id": connector.get_secret("netsuite_token_id"),
        "token_secret": connector.get_secret("netsuite_token_secret"),
        "service_url": address,
        "concurrency_limit": connector.netsuite_concurrency_limit,
    }
    options.update(overrides)
    return NetSuiteClient(**options)
