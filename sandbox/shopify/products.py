"""Products and their variants in the sandbox store, with Shopify's rules for writing them.

A product holds up to 3 options (name + values) and up to 2,048 variants; each variant picks
one value per option, has its price, compare-at price, barcode and one inventory item (SKU,
weight). The rules follow the Admin API 2026-10 mutations:

- `productSet` creates a product, or REPLACES one: variants missing from its `variants` list
  are deleted (with their inventory item, levels and price list prices). This is the hazard
  a sync must avoid; it is kept on purpose.
- `productCreate` makes one default variant ("Default Title"), or one with the first value of
  each option given.
- `productUpdate` changes only the fields given.
- `productVariantsBulkUpdate` / `productVariantsBulkCreate`: variant_writes.py. Searches:
  product_search.py; the control API's seeding and listing: product_control.py.

Records are plain dicts (see `Store`); every function expects the caller to hold the store lock.
Variants made by `Store.variant_for_sku` (orders, inventory) get a one-variant product too.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.shopify.store import Shop, Store, gid_number, money, user_error

MAX_OPTIONS = 3
MAX_VARIANTS = 2048
MAX_TEXT = 255
DEFAULT_OPTION = "Title"
DEFAULT_VALUE = "Default Title"
STATUSES = ("ACTIVE", "ARCHIVED", "DRAFT", "UNLISTED")
WEIGHT_UNITS = ("GRAMS", "KILOGRAMS", "OUNCES", "POUNDS")


# -- records ------------------------------------------------------------------------------


def new_product(
    store: Store,
    shop: Shop,
    title: str,
    *,
    options: list[dict] | None = None,
    status: str = "ACTIVE",
    handle: str | None = None,
    description_html: str = "",
    vendor: str = "",
    product_type: str = "",
    tags: list[str] | None = None,
) -> dict:
    """An empty product (no variants yet). `options`: [{"name", "values": [names]}]."""
    now = store.now()
    handle = unique_handle(shop, handle or title)
    product = {
        "id": store.new_id(),
        "title": title,
        "description_html": description_html or "",
        "handle": handle,
        "status": status,
        "vendor": vendor or shop.name,
        "product_type": product_type or "",
        "tags": list(tags or []),
        "options": [new_option(store, o["name"], o.get("values") or []) for o in options or []],
        "variant_ids": [],
        "created_at": now,
        "updated_at": now,
    }
    index = _handles(shop)
    shop.products[product["id"]] = product
    index[handle] = product["id"]
    return product


def new_option(store: Store, name: str, values: list[str]) -> dict:
    return {
        "id": store.new_id(),
        "name": name,
        "values": [{"id": store.new_id(), "name": v} for v in values],
    }


def new_variant(
    store: Store,
    shop: Shop,
    product: dict,
    *,
    sku: str | None,
    price: Any = "0.00",
    options: list[dict] | None = None,
    barcode: str | None = None,
    compare_at_price: Any = None,
    weight: dict | None = None,
    title: str | None = None,
    stock: dict[int, int] | None = None,
) -> dict:
    """A variant of `product` with its inventory item. `options`: [{"name", "value"}].
    `stock`: location id -> available (default: stocked at the shop's first location with 0,
    as a new tracked variant is). `title` is what an order line shows (the product title
    unless given)."""
    now = store.now()
    variant = {
        "id": store.new_id(),
        "sku": sku or "",
        "title": title or product["title"],
        "price": str(money(price if price is not None else "0")),
        "inventory_item_id": store.new_id(),
        "product_id": product["id"],
        "barcode": barcode,
        "compare_at_price": str(money(compare_at_price)) if compare_at_price else None,
        "options": list(options or [{"name": DEFAULT_OPTION, "value": DEFAULT_VALUE}]),
        "weight": _weight(weight),
        "taxable": True,
        "inventory_policy": "DENY",
        "created_at": now,
        "updated_at": now,
    }
    shop.variants[variant["id"]] = variant
    product["variant_ids"].append(variant["id"])
    product["updated_at"] = now
    if stock is None:
        stock = {store.default_location(shop): 0}
    for location_id, available in stock.items():
        shop.levels[f"{variant['inventory_item_id']}:{location_id}"] = {
            "available": int(available),
            "on_hand": int(available),
            "updated_at": now,
        }
    return variant


def _weight(weight: dict | None) -> dict | None:
    if not weight:
        return None
    return {"value": float(weight["value"]), "unit": weight.get("unit") or "KILOGRAMS"}


def default_product_for(store: Store, shop: Shop, variant: dict) -> dict:
    """Give a bare variant (from variant_for_sku or an older state file) its own product with
    the one "Default Title" variant, as a product made in the admin without options is."""
    product = new_product(
        store,
        shop,
        variant.get("title") or variant["sku"],
        options=[{"name": DEFAULT_OPTION, "values": [DEFAULT_VALUE]}],
    )
    now = store.now()
    variant.setdefault("barcode", None)
    variant.setdefault("compare_at_price", None)
    variant.setdefault("options", [{"name": DEFAULT_OPTION, "value": DEFAULT_VALUE}])
    variant.setdefault("weight", None)
    variant.setdefault("taxable", True)
    variant.setdefault("inventory_policy", "DENY")
    variant.setdefault("created_at", now)
    variant.setdefault("updated_at", now)
    variant["product_id"] = product["id"]
    product["variant_ids"].append(variant["id"])
    return product


def adopt_bare_variants(store: Store, shop: Shop) -> None:
    """State saved before products existed: each variant gets its default product."""
    for variant in list(shop.variants.values()):
        if variant.get("product_id") not in shop.products:
            default_product_for(store, shop, variant)


def delete_variant(shop: Shop, variant: dict) -> None:
    """Gone with its inventory item: levels and price list prices go too."""
    shop.variants.pop(variant["id"], None)
    product = shop.products.get(variant.get("product_id"))
    if product and variant["id"] in product["variant_ids"]:
        product["variant_ids"].remove(variant["id"])
    item = variant["inventory_item_id"]
    for key in [k for k in shop.levels if k.startswith(f"{item}:")]:
        del shop.levels[key]
    for price_list in shop.price_lists.values():
        price_list["prices"].pop(str(variant["id"]), None)


def variants_of(shop: Shop, product: dict) -> list[dict]:
    return [shop.variants[v] for v in product["variant_ids"] if v in shop.variants]


def position(shop: Shop, variant: dict) -> int:
    product = shop.products.get(variant.get("product_id"))
    if not product or variant["id"] not in product["variant_ids"]:
        return 1
    return product["variant_ids"].index(variant["id"]) + 1


def variant_title(variant: dict) -> str:
    return " / ".join(o["value"] for o in variant.get("options") or []) or DEFAULT_VALUE


def combination(options: list[dict]) -> tuple:
    return tuple((o["name"], o["value"]) for o in options)


def has_only_default_variant(shop: Shop, product: dict) -> bool:
    variants = variants_of(shop, product)
    return len(variants) == 1 and variant_title(variants[0]) == DEFAULT_VALUE


def _handles(shop: Shop) -> dict[str, int]:
    """handle -> product id, kept beside the products (10,000 products need no rescans)."""
    index = getattr(shop, "_handles", None)
    if index is None or len(index) != len(shop.products):
        index = {p["handle"]: p["id"] for p in shop.products.values()}
        shop._handles = index
    return index


def unique_handle(shop: Shop, text: str, keep: int | None = None) -> str:
    """The handle for `text`, with a suffix when another product has it (as Shopify does)."""
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "product"
    taken = _handles(shop)
    handle, n = base, 1
    while handle in taken and taken[handle] != keep:
        handle = f"{base}-{n}"
        n += 1
    return handle


def _set_handle(shop: Shop, product: dict, handle: str) -> None:
    index = _handles(shop)
    if index.get(product.get("handle")) == product["id"]:
        del index[product["handle"]]
    product["handle"] = handle
    index[handle] = product["id"]


def by_handle(shop: Shop, handle: str) -> dict | None:
    number = _handles(shop).get(handle)
    return shop.products.get(number) if number is not None else None


def find_product(shop: Shop, product_id: Any) -> dict | None:
    number = gid_number(product_id, "Product")
    return shop.products.get(number) if number is not None else None


def parse_money(value: Any) -> Decimal | None:
    """A Money input as a Decimal; None when it is not a number."""
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


# -- productSet ---------------------------------------------------------------------------


def product_set(
    store: Store, shop: Shop, data: dict, identifier: dict | None
) -> tuple[dict | None, list[dict]]:
    """Create the product, or replace the one named by `identifier` / `input.id`."""
    product, errors = _set_target(shop, data, identifier)
    if errors:
        return None, errors
    creating = product is None
    options = data.get("productOptions")
    variants = data.get("variants")
    errors = _check_set(shop, data, product, options, variants, creating)
    if errors:
        return None, errors
    if creating:
        handle = data.get("handle") or (identifier or {}).get("handle")
        product = new_product(
            store,
            shop,
            data["title"],
            status=data.get("status") or "ACTIVE",
            handle=handle,
            description_html=data.get("descriptionHtml") or "",
            vendor=data.get("vendor") or "",
            product_type=data.get("productType") or "",
            tags=data.get("tags"),
        )
    else:
        _set_scalars(shop, product, data)
    if options is not None:
        _replace_options(store, product, options)
    if variants is not None:
        _replace_variants(store, shop, product, variants)
    elif creating:
        new_variant(store, shop, product, sku=None, price="0.00")
        if not product["options"]:
            product["options"] = [new_option(store, DEFAULT_OPTION, [DEFAULT_VALUE])]
    product["updated_at"] = store.now()
    return product, []


def _set_target(shop: Shop, data: dict, identifier: dict | None):
    identifier = identifier or {}
    if identifier.get("customId"):
        return None, [
            user_error(
                "The sandbox does not simulate product lookup by customId.",
                ["identifier", "customId"],
                "GENERIC_ERROR",
            )
        ]
    if identifier.get("id") or data.get("id"):
        field = ["identifier", "id"] if identifier.get("id") else ["input", "id"]
        product = find_product(shop, identifier.get("id") or data.get("id"))
        if product is None:
            return None, [user_error("Product does not exist", field, "PRODUCT_DOES_NOT_EXIST")]
        if identifier.get("id") and data.get("id") and data["id"] != identifier["id"]:
            return None, [
                user_error(
                    "The id in the identifier does not match the id in the input.",
                    ["input", "id"],
                    "INPUT_MISMATCH",
                )
            ]
        return product, []
    if identifier.get("handle"):
        return by_handle(shop, identifier["handle"]), []
    return None, []


def _check_set(shop, data, product, options, variants, creating) -> list[dict]:
    errors: list[dict] = []
    if creating and not (data.get("title") or "").strip():
        errors.append(user_error("Title can't be blank", ["input", "title"], "INVALID_PRODUCT"))
    if data.get("status") is not None and data["status"] not in STATUSES:
        errors.append(user_error("Status is invalid", ["input", "status"], "INVALID_INPUT"))
    if options is not None and len(options) > MAX_OPTIONS:
        errors.append(
            user_error(
                f"Can only specify a maximum of {MAX_OPTIONS} options",
                ["input", "productOptions"],
                "OPTIONS_OVER_LIMIT",
            )
        )
    if variants is not None and len(variants) > MAX_VARIANTS:
        errors.append(
            user_error(
                f"Number of variants exceeds the limit of {MAX_VARIANTS}",
                ["input", "variants"],
                "VARIANTS_OVER_LIMIT",
            )
        )
    if errors:
        return errors
    if variants and options is None and creating:
        return [
            user_error(
                "Product options input is required when variants are provided.",
                ["input", "productOptions"],
                "PRODUCT_OPTIONS_INPUT_MISSING",
            )
        ]
    if options and variants is None:
        return [
            user_error(
                "Variants input is required when product options are provided.",
                ["input", "variants"],
                "VARIANTS_INPUT_MISSING",
            )
        ]
    known: dict[str, set[str]] = {}
    if options is None and product is not None:
        known = {o["name"]: {v["name"] for v in o["values"]} for o in product["options"]}
    for index, option in enumerate(options or []):
        field = ["input", "productOptions", str(index)]
        name = (option.get("name") or "").strip()
        values = [(v.get("name") or "").strip() for v in option.get("values") or []]
        if not name:
            errors.append(
                user_error("Option name can't be blank", [*field, "name"], "INVALID_INPUT")
            )
        elif name in known:
            errors.append(
                user_error(
                    f"Duplicated option name '{name}'.", [*field, "name"], "DUPLICATED_OPTION_NAME"
                )
            )
        if not values:
            errors.append(
                user_error(
                    f"Option '{name}' must specify at least one option value.",
                    [*field, "values"],
                    "OPTION_VALUES_MISSING",
                )
            )
        elif len(set(values)) != len(values):
            errors.append(
                user_error(
                    f"Duplicated option value in option '{name}'.",
                    [*field, "values"],
                    "DUPLICATED_OPTION_VALUE",
                )
            )
        known[name] = set(values)
    if errors:
        return errors
    seen: dict[tuple, int] = {}
    owned = set(product["variant_ids"]) if product else set()
    for index, variant in enumerate(variants or []):
        field = ["input", "variants", str(index)]
        picked = variant.get("optionValues") or []
        names = [v.get("optionName") for v in picked]
        for pick_index, pick in enumerate(picked):
            name, value = pick.get("optionName"), pick.get("name")
            if name not in known:
                errors.append(
                    user_error(
                        f"Option '{name}' does not exist.",
                        [*field, "optionValues", str(pick_index), "optionName"],
                        "OPTION_DOES_NOT_EXIST",
                    )
                )
            elif value not in known[name]:
                errors.append(
                    user_error(
                        f"Option value '{value}' does not exist for option '{name}'.",
                        [*field, "optionValues", str(pick_index), "name"],
                        "OPTION_VALUE_DOES_NOT_EXIST",
                    )
                )
        missing = [n for n in known if n not in names]
        if missing:
            errors.append(
                user_error(
                    f"Variant is missing a value for option(s) {', '.join(missing)}.",
                    [*field, "optionValues"],
                    "OPTION_VALUES_MISSING",
                )
            )
        key = tuple(sorted((v.get("optionName"), v.get("name")) for v in picked))
        if key in seen:
            errors.append(
                user_error(
                    f"The variant '{' / '.join(str(v.get('name')) for v in picked)}' already "
                    "exists. Please change at least one option value.",
                    field,
                    "INVALID_VARIANT",
                )
            )
        seen[key] = index
        for money_field in ("price", "compareAtPrice"):
            if variant.get(money_field) is None:
                continue
            amount = parse_money(variant[money_field])
            if amount is None or amount < 0:
                errors.append(
                    user_error(
                        f"{money_field} must be greater than or equal to 0.",
                        [*field, money_field],
                        "INVALID_VARIANT",
                    )
                )
        if variant.get("id"):
            number = gid_number(variant["id"], "ProductVariant")
            if number not in owned:
                errors.append(
                    user_error(
                        "Product variant does not exist",
                        [*field, "id"],
                        "PRODUCT_VARIANT_DOES_NOT_EXIST",
                    )
                )
    return errors


def _set_scalars(shop: Shop, product: dict, data: dict) -> None:
    for key, field in (
        ("title", "title"),
        ("description_html", "descriptionHtml"),
        ("status", "status"),
        ("vendor", "vendor"),
        ("product_type", "productType"),
        ("tags", "tags"),
    ):
        if field in data and data[field] is not None:
            product[key] = data[field]
    if data.get("handle"):
        _set_handle(shop, product, unique_handle(shop, data["handle"], keep=product["id"]))


def _replace_options(store: Store, product: dict, options: list[dict]) -> None:
    existing = {o["name"]: o for o in product["options"]}
    replaced = []
    for option in options:
        values = [(v.get("name") or "").strip() for v in option.get("values") or []]
        old = existing.get(option["name"].strip())
        if old is None:
            replaced.append(new_option(store, option["name"].strip(), values))
            continue
        ids = {v["name"]: v["id"] for v in old["values"]}
        old["values"] = [{"id": ids.get(v) or store.new_id(), "name": v} for v in values]
        replaced.append(old)
    product["options"] = replaced


def _variant_options(product: dict, picked: list[dict]) -> list[dict]:
    """The variant's values in the product's option order."""
    by_name = {p.get("optionName"): p.get("name") for p in picked}
    return [{"name": o["name"], "value": by_name[o["name"]]} for o in product["options"]]


def _replace_variants(store: Store, shop: Shop, product: dict, specs: list[dict]) -> None:
    """productSet's list semantics: the input is the whole list; the rest is deleted."""
    keep: list[int] = []
    for spec in specs:
        options = _variant_options(product, spec.get("optionValues") or [])
        item = spec.get("inventoryItem") or {}
        if spec.get("id"):
            variant = shop.variants[gid_number(spec["id"], "ProductVariant")]
            apply_variant_fields(store, variant, spec)
            variant["options"] = options
        else:
            stock = _set_stock(spec.get("inventoryQuantities"))
            variant = new_variant(
                store,
                shop,
                product,
                sku=item.get("sku") or spec.get("sku"),
                price=spec.get("price") or "0.00",
                options=options,
                barcode=spec.get("barcode"),
                compare_at_price=spec.get("compareAtPrice"),
                weight=(item.get("measurement") or {}).get("weight"),
                stock=stock,
            )
        keep.append(variant["id"])
    for variant in variants_of(shop, product):
        if variant["id"] not in keep:
            delete_variant(shop, variant)
    product["variant_ids"] = keep


def _set_stock(quantities: list[dict] | None) -> dict[int, int] | None:
    if not quantities:
        return None
    return {
        gid_number(q["locationId"], "Location"): int(q["quantity"])
        for q in quantities
        if q.get("name", "available") in ("available", "on_hand")
    }


def apply_variant_fields(store: Store, variant: dict, spec: dict) -> None:
    """Only what is in `spec` changes (a null compare-at price or barcode clears it)."""
    if spec.get("price") is not None:
        variant["price"] = str(money(spec["price"]))
    if "compareAtPrice" in spec:
        value = spec["compareAtPrice"]
        variant["compare_at_price"] = str(money(value)) if value is not None else None
    if "barcode" in spec:
        variant["barcode"] = spec["barcode"]
    if spec.get("sku") is not None:
        variant["sku"] = spec["sku"]
    for field, key in (("taxable", "taxable"), ("inventoryPolicy", "inventory_policy")):
        if spec.get(field) is not None:
            variant[key] = spec[field]
    item = spec.get("inventoryItem") or {}
    if "sku" in item:
        variant["sku"] = item["sku"] or ""
    measurement = item.get("measurement") or {}
    if "weight" in measurement:
        variant["weight"] = _weight(measurement["weight"])
    variant["updated_at"] = store.now()


# -- productCreate / productUpdate ---------------------------------------------------------


def product_create(store: Store, shop: Shop, data: dict) -> tuple[dict | None, list[dict]]:
    """productCreate(product:): the product and its one first variant (since 2024-04)."""
    if not (data.get("title") or "").strip():
        return None, [user_error("Title can't be blank", ["title"])]
    options = data.get("productOptions") or []
    if len(options) > MAX_OPTIONS:
        return None, [user_error("Can only specify a maximum of 3 options", ["productOptions"])]
    specs = [
        {"name": o.get("name"), "values": [v.get("name") for v in o.get("values") or []]}
        for o in options
    ]
    for index, spec in enumerate(specs):
        if not spec["values"]:
            return None, [
                user_error(
                    f"Option '{spec['name']}' must specify at least one option value.",
                    ["productOptions", str(index), "values"],
                )
            ]
    if not specs:
        specs = [{"name": DEFAULT_OPTION, "values": [DEFAULT_VALUE]}]
    product = new_product(
        store,
        shop,
        data["title"],
        options=specs,
        status=data.get("status") or "ACTIVE",
        handle=data.get("handle"),
        description_html=data.get("descriptionHtml") or "",
        vendor=data.get("vendor") or "",
        product_type=data.get("productType") or "",
        tags=data.get("tags"),
    )
    first = [{"name": s["name"], "value": s["values"][0]} for s in specs]
    new_variant(store, shop, product, sku=None, price="0.00", options=first)
    return product, []


def product_update(
    store: Store, shop: Shop, data: dict, identifier: dict | None
) -> tuple[dict | None, list[dict]]:
    """productUpdate(product:): only the fields given change."""
    identifier = identifier or {}
    if identifier.get("handle"):
        product = by_handle(shop, identifier["handle"])
    else:
        product = find_product(shop, identifier.get("id") or data.get("id"))
    if product is None:
        return None, [user_error("Product does not exist", ["id"])]
    if data.get("handle"):
        taken = by_handle(shop, data["handle"])
        if taken and taken["id"] != product["id"]:
            return None, [
                user_error(
                    f"Handle '{data['handle']}' already in use. Please provide a new handle.",
                    ["handle"],
                )
            ]
    if data.get("title") is not None and not data["title"].strip():
        return None, [user_error("Title can't be blank", ["title"])]
    _set_scalars(shop, product, data)
    product["updated_at"] = store.now()
    return product, []
