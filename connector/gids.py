"""Shopify global ids: the one place that builds and parses them.

Shopify names a record `gid://shopify/<Type>/<number>`; the panel stores the number (the
"legacy id") and builds the gid when it calls the API.
"""

PREFIX = "gid://shopify/"


def legacy_id(shopify_id: str | int) -> str:
    """`gid://shopify/Order/5512`, `5512` and 5512 all give "5512"."""
    return str(shopify_id).rsplit("/", 1)[-1]


def gid(type_name: str, shopify_id: str | int) -> str:
    return f"{PREFIX}{type_name}/{legacy_id(shopify_id)}"


def order(shopify_id: str | int) -> str:
    return gid("Order", shopify_id)


def type_of(value: str) -> str | None:
    """ "Order" for `gid://shopify/Order/1`, None for a bare id."""
    if not str(value).startswith(PREFIX):
        return None
    return str(value)[len(PREFIX) :].split("/", 1)[0]
