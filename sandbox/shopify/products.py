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
- `productVariantsBulkUpdate` changes only the fields given, all-or-nothing unless
  `allowPartialUpdates`; `productVariantsBulkCreate` adds variants (new option values join
  their option), all-or-nothing.

Records are plain dicts (see `Store`); every function expects the caller to hold the store lock.
Variants made by `Store.variant_for_sku` (orders, inventory) get a one-variant product too.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.shopify.store import SandboxError, Shop, Store, gid, gid_number, money, user_error

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
        "options": [_option(store, o["name"], o.get("values") or []) for o in options or []],
        "variant_ids": [],
        "created_at": now,
        "updated_at": now,
    }
    index = _handles(shop)
    shop.products[product["id"]] = product
    index[handle] = product["id"]
    return product


def _option(store: Store, name: str, values: list[str]) -> dict:
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


def _price(value: Any) -> Decimal | None:
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
            product["options"] = [_option(store, DEFAULT_OPTION, [DEFAULT_VALUE])]
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
            amount = _price(variant[money_field])
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
            replaced.append(_option(store, option["name"].strip(), values))
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
            _apply_variant_fields(store, variant, spec)
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


def _apply_variant_fields(store: Store, variant: dict, spec: dict) -> None:
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


# -- productVariantsBulkUpdate / productVariantsBulkCreate ----------------------------------


def _money_errors(spec: dict, field: list[str], too_long_code: str) -> list[dict]:
    """Price, compare-at price, SKU, barcode and weight checks. (The create mutation's enum
    has no TOO_LONG: it says INVALID.)"""
    errors = []
    price = spec.get("price")
    if price is not None:
        amount = _price(price)
        if amount is None or amount < 0:
            errors.append(
                user_error(
                    "Price must be greater than or equal to 0",
                    [*field, "price"],
                    "NEGATIVE_PRICE_VALUE",
                )
            )
    compare = spec.get("compareAtPrice")
    if compare is not None:
        amount = _price(compare)
        if amount is None or amount < 0:
            errors.append(
                user_error(
                    "Compare at price must be greater than or equal to 0",
                    [*field, "compareAtPrice"],
                    "GREATER_THAN_OR_EQUAL_TO",
                )
            )
    item = spec.get("inventoryItem") or {}
    if len(item.get("sku") or "") > MAX_TEXT:
        errors.append(
            user_error(
                f"SKU is too long (maximum is {MAX_TEXT} characters)",
                [*field, "inventoryItem", "sku"],
                too_long_code,
            )
        )
    if len(spec.get("barcode") or "") > MAX_TEXT:
        errors.append(
            user_error(
                f"Barcode is too long (maximum is {MAX_TEXT} characters)",
                [*field, "barcode"],
                too_long_code,
            )
        )
    weight = (item.get("measurement") or {}).get("weight")
    if weight and float(weight["value"]) < 0:
        errors.append(
            user_error(
                "Weight must be greater than or equal to 0",
                [*field, "inventoryItem", "measurement", "weight", "value"],
                "GREATER_THAN_OR_EQUAL_TO",
            )
        )
    return errors


def _resolve_options(
    product: dict,
    current: list[dict] | None,
    picked: list[dict],
    field: list[str],
    codes: tuple[str, str],
) -> tuple[list[dict] | None, list[dict], list[tuple[str, str]]]:
    """The variant's option values after `picked` ([{optionName, name}]) applies; the values
    that are new to their option (they join it when the write happens)."""
    by_name = {o["name"]: o for o in product["options"]}
    chosen = {o["name"]: o["value"] for o in current or []}
    added = []
    errors = []
    for index, pick in enumerate(picked):
        name = pick.get("optionName")
        if pick.get("optionId"):
            number = gid_number(pick["optionId"], "ProductOption")
            name = next((o["name"] for o in product["options"] if o["id"] == number), None)
        if name not in by_name:
            errors.append(
                user_error(
                    f"Option '{pick.get('optionName') or pick.get('optionId')}' does not exist",
                    [*field, "optionValues", str(index)],
                    codes[0],
                )
            )
            continue
        value = pick.get("name")
        if value is None:
            number = gid_number(pick.get("id"), "ProductOptionValue")
            value = next((v["name"] for v in by_name[name]["values"] if v["id"] == number), None)
        if value is None:
            errors.append(
                user_error(
                    "Option value does not exist",
                    [*field, "optionValues", str(index)],
                    codes[1],
                )
            )
            continue
        if value not in {v["name"] for v in by_name[name]["values"]}:
            added.append((name, value))
        chosen[name] = value
    if errors:
        return None, errors, []
    return (
        [{"name": o["name"], "value": chosen.get(o["name"])} for o in product["options"]],
        [],
        added,
    )


def _add_values(store: Store, product: dict, added: list[tuple[str, str]]) -> None:
    for name, value in added:
        option = next(o for o in product["options"] if o["name"] == name)
        if value not in {v["name"] for v in option["values"]}:
            option["values"].append({"id": store.new_id(), "name": value})


def variants_bulk_update(
    store: Store, shop: Shop, product_id: str, specs: list[dict], allow_partial: bool
) -> tuple[dict | None, list[dict], list[dict]]:
    """(product, updated variants, userErrors); field paths ["variants", "<i>", ...]."""
    product = find_product(shop, product_id)
    if product is None:
        return (
            None,
            [],
            [user_error("Product does not exist", ["productId"], "PRODUCT_DOES_NOT_EXIST")],
        )
    if len(specs) > MAX_VARIANTS:
        return (
            None,
            [],
            [
                user_error(
                    f"You can only update up to {MAX_VARIANTS} variants at a time.",
                    ["variants"],
                    "INVALID_INPUT",
                )
            ],
        )
    planned: list[tuple[dict, dict, list[dict] | None, list]] = []
    errors: list[dict] = []
    combos = {combination(v["options"]): v["id"] for v in variants_of(shop, product)}
    for index, spec in enumerate(specs):
        field = ["variants", str(index)]
        if not spec.get("id"):
            errors.append(
                user_error(
                    "Product variant ID is missing", [*field, "id"], "PRODUCT_VARIANT_ID_MISSING"
                )
            )
            continue
        variant = shop.variants.get(gid_number(spec["id"], "ProductVariant") or -1)
        if variant is None:
            errors.append(
                user_error(
                    "Product variant does not exist",
                    [*field, "id"],
                    "PRODUCT_VARIANT_DOES_NOT_EXIST",
                )
            )
            continue
        if variant.get("product_id") != product["id"]:
            errors.append(
                user_error(
                    "Product variant does not exist on this product",
                    [*field, "id"],
                    "MUST_BE_FOR_THIS_PRODUCT",
                )
            )
            continue
        problems = _money_errors(spec, field, "TOO_LONG")
        if spec.get("inventoryQuantities"):
            problems.append(
                user_error(
                    "Inventory quantities can only be provided during create. To update "
                    "inventory for existing variants, use inventoryAdjustQuantities.",
                    [*field, "inventoryQuantities"],
                    "NO_INVENTORY_QUANTITIES_ON_VARIANTS_UPDATE",
                )
            )
        options, added = None, []
        if spec.get("optionValues"):
            options, option_errors, added = _resolve_options(
                product,
                variant["options"],
                spec["optionValues"],
                field,
                ("OPTION_DOES_NOT_EXIST", "OPTION_VALUE_DOES_NOT_EXIST"),
            )
            problems += option_errors
            if options is not None:
                owner = combos.get(combination(options))
                if owner is not None and owner != variant["id"]:
                    problems.append(
                        user_error(
                            f"The variant '{variant_title({'options': options})}' already exists.",
                            [*field, "optionValues"],
                            "VARIANT_ALREADY_EXISTS",
                        )
                    )
        if problems:
            errors += problems
            continue
        if options is not None:
            combos.pop(combination(variant["options"]), None)
            combos[combination(options)] = variant["id"]
        planned.append((variant, spec, options, added))
    if errors and not allow_partial:
        return None, [], errors
    for variant, spec, options, added in planned:
        _apply_variant_fields(store, variant, spec)
        if options is not None:
            _add_values(store, product, added)
            variant["options"] = options
    if planned:
        product["updated_at"] = store.now()
    updated = [v for v, *_ in planned]
    return (product if planned or not errors else None), updated, errors


def variants_bulk_create(
    store: Store, shop: Shop, product_id: str, specs: list[dict], strategy: str | None
) -> tuple[dict | None, list[dict], list[dict]]:
    """(product, created variants, userErrors); all-or-nothing."""
    product = find_product(shop, product_id)
    if product is None:
        return (
            None,
            [],
            [user_error("Product does not exist", ["productId"], "PRODUCT_DOES_NOT_EXIST")],
        )
    strategy = strategy or "DEFAULT"
    existing = variants_of(shop, product)
    standalone = len(existing) == 1
    drop_standalone = standalone and (
        (strategy == "DEFAULT" and has_only_default_variant(shop, product))
        or strategy == "REMOVE_STANDALONE_VARIANT"
    )
    if len(existing) - int(drop_standalone) + len(specs) > MAX_VARIANTS:
        return (
            None,
            [],
            [
                user_error(
                    f"Product would exceed the limit of {MAX_VARIANTS} variants.",
                    ["variants"],
                    "INVALID_INPUT",
                )
            ],
        )
    # A product with only "Default Title" takes the options the new variants name.
    options_before = product["options"]
    if has_only_default_variant(shop, product) and drop_standalone:
        names: list[str] = []
        for spec in specs:
            for pick in spec.get("optionValues") or []:
                if pick.get("optionName") and pick["optionName"] not in names:
                    names.append(pick["optionName"])
        if names:
            product["options"] = [_option(store, n, []) for n in names[:MAX_OPTIONS]]
    combos = {
        combination(v["options"]) for v in existing if not (drop_standalone and v is existing[0])
    }
    planned, errors = [], []
    for index, spec in enumerate(specs):
        field = ["variants", str(index)]
        problems = _money_errors(spec, field, "INVALID")
        picked = spec.get("optionValues") or []
        if not picked:
            problems.append(
                user_error(
                    "Option values are required to create a variant",
                    [*field, "optionValues"],
                    "NEED_TO_ADD_OPTION_VALUES",
                )
            )
            errors += problems
            continue
        options, option_errors, added = _resolve_options(
            product,
            None,
            picked,
            field,
            ("OPTION_VALUES_FOR_NUMBER_OF_UNKNOWN_OPTIONS", "INVALID"),
        )
        problems += option_errors
        if options is not None:
            if any(o["value"] is None for o in options):
                problems.append(
                    user_error(
                        "A value is required for every option of the product",
                        [*field, "optionValues"],
                        "NEED_TO_ADD_OPTION_VALUES",
                    )
                )
            elif combination(options) in combos:
                problems.append(
                    user_error(
                        f"The variant '{variant_title({'options': options})}' already exists.",
                        field,
                        "VARIANT_ALREADY_EXISTS",
                    )
                )
            else:
                combos.add(combination(options))
        if problems:
            errors += problems
            continue
        planned.append((spec, options, added))
    if errors:
        product["options"] = options_before
        return None, [], errors
    if drop_standalone:
        delete_variant(shop, existing[0])
    created = []
    for spec, options, added in planned:
        _add_values(store, product, added)
        item = spec.get("inventoryItem") or {}
        stock = None
        if spec.get("inventoryQuantities"):
            stock = {
                gid_number(q["locationId"], "Location"): int(q["availableQuantity"])
                for q in spec["inventoryQuantities"]
            }
        variant = new_variant(
            store,
            shop,
            product,
            sku=item.get("sku"),
            price=spec.get("price") or "0.00",
            options=options,
            barcode=spec.get("barcode"),
            compare_at_price=spec.get("compareAtPrice"),
            weight=(item.get("measurement") or {}).get("weight"),
            stock=stock,
        )
        created.append(variant)
    return product, created, []


# -- search -------------------------------------------------------------------------------

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
            from graphql import GraphQLError

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


# -- control API ---------------------------------------------------------------------------


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
