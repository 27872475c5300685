"""productVariantsBulkUpdate and productVariantsBulkCreate on the sandbox's products.

- `productVariantsBulkUpdate` changes only the fields given; errors name the variant by its
  index (`["variants", "<i>", ...]`); all-or-nothing unless `allowPartialUpdates`.
- `productVariantsBulkCreate` adds variants, all-or-nothing; a new value of an existing
  option joins it; strategy DEFAULT drops a product's lone "Default Title" variant.

Each answers only codes of its own error enum (the create one has no TOO_LONG). Callers hold
the store lock.
"""

from __future__ import annotations

from sandbox.shopify.products import (
    MAX_OPTIONS,
    MAX_TEXT,
    MAX_VARIANTS,
    apply_variant_fields,
    combination,
    delete_variant,
    find_product,
    has_only_default_variant,
    new_option,
    new_variant,
    parse_money,
    variant_title,
    variants_of,
)
from sandbox.shopify.store import Shop, Store, gid_number, user_error


def _money_errors(spec: dict, field: list[str], too_long_code: str) -> list[dict]:
    """Price, compare-at price, SKU, barcode and weight checks. (The create mutation's enum
    has no TOO_LONG: it says INVALID.)"""
    errors = []
    price = spec.get("price")
    if price is not None:
        amount = parse_money(price)
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
        amount = parse_money(compare)
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
        apply_variant_fields(store, variant, spec)
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
            product["options"] = [new_option(store, n, []) for n in names[:MAX_OPTIONS]]
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
