"""Inventory in the sandbox store: inventory items, their levels per location, locations.

Read through Admin GraphQL as Shopify serves them (`inventoryItems(query:)` with `sku:` and
`id:` terms joined by OR, `InventoryItem.inventoryLevels` / `inventoryLevel(locationId:)`,
`InventoryLevel.quantities(names:)`, `locations`); written with `inventorySetQuantities`
(store.set_inventory). The control routes make catalogues of thousands of SKUs in one call.

Each variant has one inventory item (`inventory_item_id`); its levels live in
`shop.levels["<item>:<location>"] = {"available": n, "on_hand": n}`.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError

from sandbox.shopify.present import connection
from sandbox.shopify.products import DEFAULT_OPTION, DEFAULT_VALUE, new_product, new_variant
from sandbox.shopify.store import SandboxError, Shop, Store, gid, gid_number

QUANTITY_NAMES = ("available", "on_hand")
_TERM = re.compile(r"""(\w+):('[^']*'|"[^"]*"|[^\s)]+)""")


def _items(shop: Shop) -> dict[int, dict]:
    """inventory item number -> its variant."""
    return {v["inventory_item_id"]: v for v in shop.variants.values()}


def _matches(variant: dict, terms: list[tuple[str, str]]) -> bool:
    """OR over `sku:` and `id:` terms (the only ones the sandbox simulates)."""
    for field, value in terms:
        if field == "sku" and variant["sku"] == value:
            return True
        if field == "id" and str(variant["inventory_item_id"]) == value.rsplit("/", 1)[-1]:
            return True
    return False


def parse_query(query: str | None) -> list[tuple[str, str]] | None:
    if not query or not query.strip():
        return None
    terms = [(f, v.strip("'\"")) for f, v in _TERM.findall(query)]
    unknown = {f for f, _ in terms} - {"sku", "id"}
    if unknown or not terms:
        raise GraphQLError(
            f"The sandbox simulates inventoryItems queries on sku and id only, not {query!r}.",
            extensions={"code": "NOT_SIMULATED"},
        )
    return terms


def location_node(location: dict) -> dict:
    return {
        "__typename": "Location",
        "id": gid("Location", location["id"]),
        "legacyResourceId": str(location["id"]),
        "name": location["name"],
        "isActive": True,
    }


def level_node(store: Store, shop: Shop, item_id: int, location_id: int) -> dict | None:
    level = shop.levels.get(f"{item_id}:{location_id}")
    location = shop.locations.get(location_id)
    if level is None or location is None:
        return None

    def quantities(names: list[str], **_kw) -> list[dict]:
        for name in names:
            if name not in QUANTITY_NAMES:
                raise GraphQLError(f"The quantity name {name!r} is not simulated.")
        return [
            {
                "id": f"gid://shopify/InventoryQuantity/{item_id}-{location_id}-{name}",
                "name": name,
                "quantity": level[name],
                "updatedAt": level.get("updated_at"),
            }
            for name in names
        ]

    return {
        "__typename": "InventoryLevel",
        "id": f"gid://shopify/InventoryLevel/{item_id}?inventory_item_id={location_id}",
        "location": location_node(location),
        "quantities": quantities,
        "isActive": True,
        "canDeactivate": True,
        "createdAt": level.get("updated_at") or store.now(),
        "updatedAt": level.get("updated_at") or store.now(),
    }


def item_node(store: Store, shop: Shop, variant: dict) -> dict:
    item_id = variant["inventory_item_id"]

    def levels(**kw) -> dict:
        entries = [
            (loc_id, lambda loc_id=loc_id: level_node(store, shop, item_id, loc_id))
            for loc_id in shop.locations
            if f"{item_id}:{loc_id}" in shop.levels
        ]
        return connection(entries, **kw)

    def level(locationId: str, **_kw) -> dict | None:
        number = gid_number(locationId, "Location")
        return level_node(store, shop, item_id, number) if number is not None else None

    return {
        "__typename": "InventoryItem",
        "id": gid("InventoryItem", item_id),
        "legacyResourceId": str(item_id),
        "sku": variant["sku"],
        "tracked": True,
        "variant": {
            "__typename": "ProductVariant",
            "id": gid("ProductVariant", variant["id"]),
            "legacyResourceId": str(variant["id"]),
            "sku": variant["sku"],
            "title": variant["title"],
        },
        "inventoryLevels": levels,
        "inventoryLevel": level,
    }


def inventory_items(store: Store, shop: Shop, query: str | None = None, **kw) -> dict:
    terms = parse_query(query)
    variants = _items(shop)
    entries = [
        (item_id, lambda v=v: item_node(store, shop, v))
        for item_id, v in variants.items()
        if terms is None or _matches(v, terms)
    ]
    return connection(entries, **kw)


def inventory_item(store: Store, shop: Shop, id: str) -> dict | None:
    number = gid_number(id, "InventoryItem")
    variant = _items(shop).get(number) if number is not None else None
    return item_node(store, shop, variant) if variant else None


def locations(shop: Shop, **kw) -> dict:
    kw.pop("includeInactive", None)
    kw.pop("includeLegacy", None)
    kw.pop("sortKey", None)
    kw.pop("query", None)
    return connection(
        ((i, lambda loc=loc: location_node(loc)) for i, loc in shop.locations.items()), **kw
    )


# -- control API ---------------------------------------------------------------------------


def handle_control(store: Store, shop: Shop, method: str, path: str, body: dict):
    """(status, answer) for /_control/locations and /_control/inventory/...; None if the path
    is not ours."""
    if path == "/_control/locations" and method == "POST":
        location_id = store.new_id()
        shop.locations[location_id] = {"id": location_id, "name": body.get("name") or "Location"}
        return 201, {"id": location_id, "admin_graphql_api_id": gid("Location", location_id)}
    if path == "/_control/inventory/items" and method == "POST":
        return 201, {"items": add_items(store, shop, body["items"])}
    if path == "/_control/inventory/levels" and method == "POST":
        return 200, {"changed": set_levels(store, shop, body["levels"])}
    if path == "/_control/inventory/levels" and method == "GET":
        return 200, {"levels": levels_by_sku(shop)}
    return None


def add_items(store: Store, shop: Shop, items: list[dict]) -> list[dict]:
    """Variants by SKU (created once), stocked at the locations given (`levels`: location id
    -> available) or at every location with 0. One pass, so 10,000 SKUs take one call."""
    by_sku = {v["sku"]: v for v in shop.variants.values()}
    out = []
    for spec in items:
        sku = spec["sku"]
        variant = by_sku.get(sku)
        if variant is None:
            # Each SKU is its own one-variant product, as variant_for_sku makes them.
            product = new_product(
                store,
                shop,
                spec.get("title") or sku,
                options=[{"name": DEFAULT_OPTION, "values": [DEFAULT_VALUE]}],
            )
            variant = new_variant(
                store,
                shop,
                product,
                sku=sku,
                price=spec.get("price") or "10.00",
                title=spec.get("title") or sku,
                stock={},
            )
            by_sku[sku] = variant
        wanted = spec.get("levels")
        if wanted is None:
            wanted = {str(loc): spec.get("available", 0) for loc in shop.locations}
        for location, available in wanted.items():
            location_id = int(str(location).rsplit("/", 1)[-1])
            if location_id not in shop.locations:
                raise SandboxError(f"No location {location} in shop {shop.domain}")
            shop.levels[f"{variant['inventory_item_id']}:{location_id}"] = {
                "available": int(available),
                "on_hand": int(available),
                "updated_at": store.now(),
            }
        out.append(
            {
                "sku": sku,
                "variant_id": variant["id"],
                "inventory_item_id": variant["inventory_item_id"],
                "inventory_item_gid": gid("InventoryItem", variant["inventory_item_id"]),
            }
        )
    return out


def set_levels(store: Store, shop: Shop, levels: list[dict]) -> int:
    """As if stock moved in Shopify (a sale, a person's edit): [{sku, location, available}]."""
    by_sku = {v["sku"]: v for v in shop.variants.values()}
    for spec in levels:
        variant = by_sku.get(spec["sku"])
        if variant is None:
            raise SandboxError(f"No SKU {spec['sku']} in shop {shop.domain}")
        key = f"{variant['inventory_item_id']}:{int(spec['location'])}"
        level = shop.levels.setdefault(key, {"available": 0, "on_hand": 0})
        delta = int(spec["available"]) - level["available"]
        level["available"] += delta
        level["on_hand"] += delta
        level["updated_at"] = store.now()
    return len(levels)


def levels_by_sku(shop: Shop) -> dict[str, dict[str, dict[str, Any]]]:
    """sku -> location id -> {"available", "on_hand"}."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for variant in shop.variants.values():
        item = variant["inventory_item_id"]
        for location_id in shop.locations:
            level = shop.levels.get(f"{item}:{location_id}")
            if level is not None:
                out.setdefault(variant["sku"], {})[str(location_id)] = {
                    "available": level["available"],
                    "on_hand": level["on_hand"],
                }
    return out
