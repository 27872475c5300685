"""The control API's side of products: seeding many at once, and listing them in full."""

from __future__ import annotations

from sandbox.shopify.products import (
    DEFAULT_OPTION,
    DEFAULT_VALUE,
    MAX_OPTIONS,
    new_product,
    new_variant,
    position,
    variant_title,
    variants_of,
)
from sandbox.shopify.store import SandboxError, Shop, Store, gid


def seed_products(store: Store, shop: Shop, specs: list[dict]) -> list[dict]:
    """Many products in one call (benchmarks, tests). A spec: {"title", "status", "options":
    [{"name", "values"}], "variants": [{"sku", "price", "options": {"Size": "S"},
    "barcode", "compare_at_price", "weight": {"value", "unit"}, "available"}]}. Without
    variants: one "Default Title" variant (give `sku` / `price` on the product)."""
    out = []
    for spec in specs:
        if not spec.get("title"):
            raise SandboxError("A product needs a title")
        options = spec.get("options") or []
        if len(options) > MAX_OPTIONS:
            raise SandboxError(f"A product has at most {MAX_OPTIONS} options")
        variants = spec.get("variants") or [
            {"sku": spec.get("sku"), "price": spec.get("price"), "options": {}}
        ]
        if not options:
            options = [{"name": DEFAULT_OPTION, "values": [DEFAULT_VALUE]}]
        product = new_product(
            store,
            shop,
            spec["title"],
            options=options,
            status=spec.get("status") or "ACTIVE",
            handle=spec.get("handle"),
            description_html=spec.get("description_html") or "",
        )
        made = []
        for v in variants:
            chosen = v.get("options") or {}
            picked = [
                {"name": o["name"], "value": chosen.get(o["name"], o["values"][0])} for o in options
            ]
            stock = None
            if v.get("available") is not None:
                stock = {loc: int(v["available"]) for loc in shop.locations}
            variant = new_variant(
                store,
                shop,
                product,
                sku=v.get("sku"),
                price=v.get("price") or "10.00",
                options=picked,
                barcode=v.get("barcode"),
                compare_at_price=v.get("compare_at_price"),
                weight=v.get("weight"),
                stock=stock,
            )
            made.append(
                {
                    "id": variant["id"],
                    "sku": variant["sku"],
                    "admin_graphql_api_id": gid("ProductVariant", variant["id"]),
                    "inventory_item_id": variant["inventory_item_id"],
                }
            )
        out.append(
            {
                "id": product["id"],
                "admin_graphql_api_id": gid("Product", product["id"]),
                "variants": made,
            }
        )
    return out


def product_state(shop: Shop, product: dict) -> dict:
    """A product as the control API shows it: every variant in full, with its price list
    prices (price list id -> {"price", "compare_at_price"})."""
    variants = []
    for variant in variants_of(shop, product):
        prices = {
            str(pl["id"]): pl["prices"][str(variant["id"])]
            for pl in shop.price_lists.values()
            if str(variant["id"]) in pl["prices"]
        }
        variants.append(
            {
                **variant,
                "admin_graphql_api_id": gid("ProductVariant", variant["id"]),
                "position": position(shop, variant),
                "title": variant_title(variant),
                "price_lists": prices,
            }
        )
    return {
        **{k: v for k, v in product.items() if k != "variant_ids"},
        "admin_graphql_api_id": gid("Product", product["id"]),
        "variants": variants,
    }
