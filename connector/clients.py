"""Build the outside-system clients for a connector: the one place that decrypts credentials
and hands them to a client."""

from django.conf import settings

from .models import Connector


def shopify_client(connector: Connector, **overrides):
    from .shopify.client import ShopifyClient

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
