"""NetSuite externalIds derived from Shopify ids: the keys that make every write an upsert.

One place, so the order import, the refund post and the cancellation flows all name the same
NetSuite record the same way. Shopify ids are taken as their numeric legacy id (the last part
of a gid), so `gid://shopify/Order/5512` and `5512` give the same key.
"""

from .gids import legacy_id

__all__ = ["legacy_id"]


def sales_order(shopify_order_id: str | int) -> str:
    return f"shopify-order-{legacy_id(shopify_order_id)}"


def customer(shopify_customer_id: str | int) -> str:
    return f"shopify-customer-{legacy_id(shopify_customer_id)}"


def company(shopify_company_id: str | int) -> str:
    return f"shopify-company-{legacy_id(shopify_company_id)}"


def company_location(shopify_location_id: str | int) -> str:
    return f"shopify-company-location-{legacy_id(shopify_location_id)}"


REFUND_PREFIX = "shopify-refund-"


def refund(shopify_refund_id: str | int) -> str:
    """A cash refund or credit memo created from a Shopify refund."""
    return f"{REFUND_PREFIX}{legacy_id(shopify_refund_id)}"


def return_authorization(shopify_refund_id: str | int) -> str:
    """The Return Authorization written for a Shopify refund of a return (one per refund, so a
    retry upserts it instead of writing a second)."""
    return f"shopify-return-{legacy_id(shopify_refund_id)}"


def is_ours(external_id: str | None) -> bool:
    """True for a NetSuite record the panel wrote from a Shopify record (never echo it)."""
    return bool(external_id) and str(external_id).startswith("shopify-")


def payout(shopify_payout_id: str | int) -> str:
    """The NetSuite deposit of a Shopify Payments payout."""
    return f"shopify-payout-{legacy_id(shopify_payout_id)}"
