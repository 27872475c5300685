"""B2B price lists and their catalogs in the sandbox store.

A price list has a currency, a parent adjustment (a percentage off or on the variant price, for
the variants without a fixed price) and fixed prices per variant; it belongs to one catalog
(here always a company location catalog, tied to company locations). `priceListFixedPricesAdd`
adds or replaces fixed prices, all-or-nothing: an unknown variant (`VARIANT_NOT_FOUND`) or a
price in another currency (`PRICE_LIST_CURRENCY_MISMATCH`) refuses the whole call.

Records (`shop.price_lists[id]`): {"id", "name", "currency", "adjustment": {"type", "value"},
"prices": {"<variant id>": {"price", "compare_at_price"}}, "catalog": {"id", "title",
"status", "company_location_ids"}}. Callers hold the store lock.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.shopify.store import SandboxError, Shop, Store, gid, gid_number, money, user_error

ADJUSTMENT_TYPES = ("PERCENTAGE_DECREASE", "PERCENTAGE_INCREASE")


def create_price_list(store: Store, shop: Shop, body: dict) -> dict:
    """The control API's price list + catalog (a person sets them up in the admin)."""
    name = (body.get("name") or "").strip()
    currency = (body.get("currency") or shop.currency).upper()
    if not name:
        raise SandboxError("A price list needs a name")
    if any(pl["name"] == name for pl in shop.price_lists.values()):
        raise SandboxError(f"A price list named {name!r} exists already", status=409)
    adjustment = body.get("adjustment") or {"type": "PERCENTAGE_DECREASE", "value": 0}
    if adjustment.get("type") not in ADJUSTMENT_TYPES:
        raise SandboxError(f"adjustment.type must be one of {', '.join(ADJUSTMENT_TYPES)}")
    locations = []
    for ref in body.get("company_location_ids") or []:
        number = gid_number(ref, "CompanyLocation")
        if not any(loc["id"] == number for c in shop.companies.values() for loc in c["locations"]):
            raise SandboxError(f"No company location {ref} in shop {shop.domain}", status=404)
        locations.append(number)
    price_list = {
        "id": store.new_id(),
        "name": name,
        "currency": currency,
        "adjustment": {"type": adjustment["type"], "value": float(adjustment.get("value", 0))},
        "prices": {},
        "catalog": {
            "id": store.new_id(),
            "title": body.get("catalog_title") or name,
            "status": body.get("status") or "ACTIVE",
            "company_location_ids": locations,
        },
    }
    shop.price_lists[price_list["id"]] = price_list
    return price_list


def price_list_state(price_list: dict) -> dict:
    return {
        **price_list,
        "admin_graphql_api_id": gid("PriceList", price_list["id"]),
        "catalog_admin_graphql_api_id": gid("CompanyLocationCatalog", price_list["catalog"]["id"]),
    }


def find(shop: Shop, price_list_id: Any) -> dict | None:
    number = gid_number(price_list_id, "PriceList")
    return shop.price_lists.get(number) if number is not None else None


def fixed_prices_add(
    shop: Shop, price_list_id: str, prices: list[dict]
) -> tuple[list[dict] | None, list[dict]]:
    """(the variants whose fixed price was written, userErrors)."""
    price_list = find(shop, price_list_id)
    if price_list is None:
        return None, [
            user_error(
                "The specified price list doesn't exist.", ["priceListId"], "PRICE_LIST_NOT_FOUND"
            )
        ]
    errors, planned = [], []
    for index, entry in enumerate(prices):
        field = ["prices", str(index)]
        variant = shop.variants.get(gid_number(entry["variantId"], "ProductVariant") or -1)
        if variant is None:
            errors.append(
                user_error("Variant not found.", [*field, "variantId"], "VARIANT_NOT_FOUND")
            )
            continue
        mismatch = False
        for key in ("price", "compareAtPrice"):
            amount = entry.get(key)
            if amount and amount["currencyCode"] != price_list["currency"]:
                errors.append(
                    user_error(
                        f"The currency specified does not match the price list's currency "
                        f"({price_list['currency']}).",
                        [*field, key, "currencyCode"],
                        "PRICE_LIST_CURRENCY_MISMATCH",
                    )
                )
                mismatch = True
        if not mismatch:
            planned.append((variant, entry))
    if errors:
        return None, errors
    for variant, entry in planned:
        compare = entry.get("compareAtPrice")
        price_list["prices"][str(variant["id"])] = {
            "price": str(money(entry["price"]["amount"])),
            "compare_at_price": str(money(compare["amount"])) if compare else None,
        }
    return [v for v, _ in planned], []


def relative_price(price_list: dict, variant: dict) -> Decimal:
    """The price a variant without a fixed price gets from the parent adjustment."""
    base = money(variant["price"])
    percent = Decimal(str(price_list["adjustment"]["value"])) / 100
    if price_list["adjustment"]["type"] == "PERCENTAGE_DECREASE":
        return money(base * (1 - percent))
    return money(base * (1 + percent))
