"""Shopify's search syntax for products and variants, the part the sandbox simulates.

`sku:A-1 OR sku:"B 2"` (what a sync sends), `product_id:12`, `title:shirt status:active`:
terms AND-ed by spaces, groups OR-ed by `OR`. Matching is case-insensitive; a `sku:` term
matches the whole SKU. Unknown fields are a NOT_SIMULATED error rather than ignored.
"""

from __future__ import annotations

import re

from graphql import GraphQLError

from sandbox.shopify.products import variants_of
from sandbox.shopify.store import Shop

_TERM = re.compile(r"""(\w+):("(?:[^"\\]|\\.)*"|'[^']*'|[^\s()]+)""")
VARIANT_FIELDS = ("sku", "product_id", "barcode", "id", "title")
PRODUCT_FIELDS = ("sku", "id", "title", "status", "handle", "barcode", "product_type", "vendor")


def parse_search(query: str | None, fields: tuple[str, ...], what: str) -> list[list] | None:
    """`a:1 b:2 OR c:3` as OR-groups of AND-ed (field, value) terms; None matches all."""
    if not query or not query.strip():
        return None
    groups = []
    for part in re.split(r"\s+OR\s+", query.strip()):
        terms = []
        for field, raw in _TERM.findall(part):
            value = raw[1:-1].replace('\\"', '"') if raw[:1] in "\"'" else raw
            terms.append((field, value))
        if not terms or {f for f, _ in terms} - set(fields):
            raise GraphQLError(
                f"The sandbox simulates {what} searches on {', '.join(fields)} only, "
                f"not {query!r}.",
                extensions={"code": "NOT_SIMULATED"},
            )
        groups.append(terms)
    return groups


def _number(value: str) -> str:
    return value.rsplit("/", 1)[-1]


def variant_matcher(shop: Shop, groups: list[list] | None):
    """A predicate for variants. Shopify's search is case-insensitive; a `sku:` term matches
    the whole SKU here. `sku:A OR sku:B ...` (what a sync sends) is one set lookup per
    variant, so a search of 50 SKUs in 30,000 variants stays fast."""
    if groups is None:
        return lambda _variant: True
    if all(len(terms) == 1 and terms[0][0] == "sku" for terms in groups):
        wanted = {terms[0][1].lower() for terms in groups}
        return lambda variant: (variant.get("sku") or "").lower() in wanted
    return lambda variant: any(
        all(_variant_term(shop, variant, f, v) for f, v in terms) for terms in groups
    )


def _variant_term(shop: Shop, variant: dict, field: str, value: str) -> bool:
    if field == "sku":
        return (variant.get("sku") or "").lower() == value.lower()
    if field == "barcode":
        return (variant.get("barcode") or "").lower() == value.lower()
    if field == "product_id":
        return str(variant.get("product_id")) == _number(value)
    if field == "id":
        return str(variant["id"]) == _number(value)
    product = shop.products.get(variant.get("product_id")) or {}
    return value.lower() in (product.get("title") or "").lower()


def product_matches(shop: Shop, product: dict, groups: list[list] | None) -> bool:
    if groups is None:
        return True
    return any(all(_product_term(shop, product, f, v) for f, v in terms) for terms in groups)


def _product_term(shop: Shop, product: dict, field: str, value: str) -> bool:
    if field in ("sku", "barcode"):
        return any(_variant_term(shop, v, field, value) for v in variants_of(shop, product))
    if field == "id":
        return str(product["id"]) == _number(value)
    if field == "title":
        return value.lower() in product["title"].lower()
    if field == "status":
        return product["status"].lower() in value.lower().split(",")
    key = {"product_type": "product_type", "vendor": "vendor", "handle": "handle"}[field]
    return (product.get(key) or "").lower() == value.lower()
