"""Pure functions of the product sync: NetSuite items → Shopify products and variants.

A standalone inventory item is a product with one variant ("Default Title"); a matrix parent
is a product whose variants are its children, with the children's matrix options as the
product's options. What is written for a product and for each variant is also hashed into a
fingerprint (a binding's marker), so a re-run writes only what changed since.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from connector.netsuite.catalogue import ItemProduct

DEFAULT_OPTION = "Title"
DEFAULT_VALUE = "Default Title"
MAX_OPTIONS = 3  # Shopify allows three options a product
# productVariantsBulkUpdate / productVariantsBulkCreate and a productSet take at most this many
# variants a call (a matrix item rarely has more; a bigger one needs a person).
MAX_VARIANTS_PER_CALL = 250
MAX_PRICES_PER_CALL = 250

WEIGHT_UNITS = {"_lb": "POUNDS", "_oz": "OUNCES", "_kg": "KILOGRAMS", "_g": "GRAMS"}

# Fields an admin may leave to the merchant in Shopify: never sent on an update.
PRODUCT_FIELDS = ("title", "description", "status")
VARIANT_FIELDS = ("barcode", "weight", "compare_at_price")


@dataclass(frozen=True)
class Pricing:
    """Which NetSuite price levels become a variant's price and compare-at price."""

    price_level: str = "1"  # NetSuite's Base Price
    compare_at_level: str = ""


@dataclass
class Variant:
    item: ItemProduct
    price: Decimal | None
    compare_at: Decimal | None
    option_values: list[tuple[str, str]]  # (option name, value)

    @property
    def sku(self) -> str:
        return self.item.sku

    def fields(self, kept: frozenset[str] = frozenset()) -> dict:
        """ProductVariantsBulkInput without `id` (SKU and price are always NetSuite's)."""
        out: dict = {"inventoryItem": {"sku": self.sku}}
        if self.price is not None:
            out["price"] = str(self.price)
        if "compare_at_price" not in kept:
            out["compareAtPrice"] = str(self.compare_at) if self.compare_at is not None else None
        if "barcode" not in kept:
            out["barcode"] = self.item.barcode or None
        if "weight" not in kept and self.item.weight is not None:
            unit = WEIGHT_UNITS.get(self.item.weight_unit)
            if unit:
                out["inventoryItem"]["measurement"] = {
                    "weight": {"value": float(self.item.weight), "unit": unit}
                }
        return out

    def create_input(self) -> dict:
        out = self.fields()
        out["optionValues"] = [{"optionName": n, "name": v} for n, v in self.option_values]
        return out

    def fingerprint(self, kept: frozenset[str]) -> str:
        return digest(self.fields(kept))


@dataclass
class Product:
    """One Shopify product: a NetSuite matrix parent with its children, or a standalone item."""

    key: str  # the NetSuite internal id of the parent (or of the standalone item)
    head: ItemProduct | None  # the parent / standalone item (None: a parent we could not read)
    variants: list[Variant] = field(default_factory=list)
    options: list[str] = field(default_factory=list)  # option names, in order

    @property
    def is_matrix(self) -> bool:
        return self.head is not None and self.head.is_parent

    @property
    def title(self) -> str:
        head = self.head
        return (head.title or head.sku) if head is not None else ""

    def fields(self, kept: frozenset[str] = frozenset()) -> dict:
        """ProductUpdateInput / ProductSetInput's product-level fields (without `id`)."""
        head = self.head
        out: dict = {}
        if head is None:
            return out
        if "title" not in kept:
            out["title"] = self.title
        if "description" not in kept:
            out["descriptionHtml"] = head.description
        if "status" not in kept:
            out["status"] = "ARCHIVED" if head.inactive else "ACTIVE"
        return out

    def fingerprint(self, kept: frozenset[str]) -> str:
        return digest(self.fields(kept))

    def set_input(self) -> dict:
        """productSet's input for a NEW product: everything, with all its variants."""
        names = self.options or [DEFAULT_OPTION]
        values: dict[str, list[str]] = {name: [] for name in names}
        for variant in self.variants:
            for name, value in variant.option_values:
                if value not in values[name]:
                    values[name].append(value)
        return {
            **self.fields(),
            "productOptions": [
                {"name": name, "values": [{"name": v} for v in values[name]]} for name in names
            ],
            "variants": [v.create_input() for v in self.variants],
        }


def digest(value) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def option_name(script_id: str) -> str:
    """A Shopify option name for a NetSuite matrix option field: `custitem_shirt_size` →
    "Shirt size" (the field's label is not in the item record)."""
    name = script_id
    for prefix in ("custitem_", "custitem"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    name = name.replace("_", " ").strip() or script_id
    return name[:1].upper() + name[1:]


def products_of(
    items: Iterable[ItemProduct], parents: dict[str, ItemProduct], pricing: Pricing
) -> tuple[list[Product], list[ItemProduct]]:
    """The products these changed items belong to (a changed parent alone is a product with
    no changed variants), and the items left out: children whose parent is unknown."""
    products: dict[str, Product] = {}
    orphans: list[ItemProduct] = []
    for item in items:
        if not item.sku:
            continue
        if item.is_child:
            head = parents.get(item.parent_id)
            if head is None:
                orphans.append(item)
                continue
            product = products.setdefault(item.parent_id, Product(item.parent_id, head))
            product.variants.append(_variant(item, pricing, product))
        elif item.is_parent:
            product = products.setdefault(item.internal_id, Product(item.internal_id, item))
            product.head = item
        else:
            product = products.setdefault(item.internal_id, Product(item.internal_id, item))
            product.variants.append(_variant(item, pricing, product))
    return list(products.values()), orphans


def _variant(item: ItemProduct, pricing: Pricing, product: Product) -> Variant:
    if item.is_child:
        values = []
        for script_id, value in item.options:
            name = option_name(script_id)
            if name not in product.options:
                product.options.append(name)
            values.append((name, value))
    else:
        values = [(DEFAULT_OPTION, DEFAULT_VALUE)]
    return Variant(
        item=item,
        price=item.price(pricing.price_level),
        compare_at=item.price(pricing.compare_at_level) if pricing.compare_at_level else None,
        option_values=values,
    )


def refused_indexes(user_errors: Iterable[dict], size: int) -> dict[int, str]:
    """`variants.<n>.…` userErrors → {n: message}; an error naming no variant is under -1."""
    out: dict[int, str] = {}
    for error in user_errors:
        path = [str(p) for p in (error.get("field") or [])]
        message = str(error.get("message") or error.get("code") or "refused")
        if len(path) >= 2 and path[0] == "variants" and path[1].isdigit() and int(path[1]) < size:
            index = int(path[1])
            out[index] = f"{out[index]}; {message}" if index in out else message
        else:
            out[-1] = f"{out[-1]}; {message}" if -1 in out else message
    return out
