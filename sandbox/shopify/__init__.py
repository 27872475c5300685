"""A sandbox Shopify store speaking the Admin GraphQL API over real HTTP (see docs)."""

from sandbox.shopify.server import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_SHOP_DOMAIN,
    DEFAULT_WEBHOOK_SECRET,
    ShopifySandbox,
)

__all__ = [
    "DEFAULT_ACCESS_TOKEN",
    "DEFAULT_SHOP_DOMAIN",
    "DEFAULT_WEBHOOK_SECRET",
    "ShopifySandbox",
]
