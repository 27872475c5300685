"""Items as products, read from NetSuite item searches.

The product sync reads thousands of items a run; like the stock in `inventory`, the search
answer is read with lxml (zeep builds ~300 fields an item), keeping what a Shopify product
and its variants are made of: the SKU (`itemId`), title (`displayName`, else `storeDisplayName`),
description (`storeDescription`, else `salesDescription`), UPC (`upcCode`), `weight` and
`weightUnit`, `isInactive`, the matrix (`matrixType`, `parent`, `matrixOptionList`) and the
price of each price level in `pricingMatrix` (the first quantity tier: Shopify has no quantity
breaks on a variant's price).

Prices stay text as NetSuite sent them, and become Decimals without a float in between.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

from .inventory import ACCT, CORE, ItemPage, inventory_items

_NAME = f"{{{CORE}}}name"
_VALUE = f"{{{CORE}}}value"


def _a(name: str) -> str:
    return f"{{{ACCT}}}{name}"


MATRIX_PARENT = "_parent"
MATRIX_CHILD = "_child"


@dataclass
class ItemProduct:
    internal_id: str
    sku: str
    last_modified: str
    title: str = ""
    description: str = ""
    barcode: str = ""
    weight: Decimal | None = None
    weight_unit: str = ""  # "_lb", "_oz", "_kg", "_g"
    inactive: bool = False
    matrix_type: str = ""  # MATRIX_PARENT, MATRIX_CHILD or "" (a standalone item)
    parent_id: str = ""
    # (option script id, value name) in NetSuite's order, e.g. ("custitem_size", "M")
    options: list[tuple[str, str]] = field(default_factory=list)
    # price level internal id -> price, for each currency internal id ("" when not given)
    prices: dict[tuple[str, str], Decimal] = field(default_factory=dict)

    @property
    def is_parent(self) -> bool:
        return self.matrix_type == MATRIX_PARENT

    @property
    def is_child(self) -> bool:
        return self.matrix_type == MATRIX_CHILD and bool(self.parent_id)

    def price(self, level: str, currency: str = "") -> Decimal | None:
        """The item's price at a price level; without a currency, the one price of that level
        (or the base currency's, which NetSuite lists first)."""
        if currency:
            return self.prices.get((level, currency))
        for (lvl, _cur), value in self.prices.items():
            if lvl == level:
                return value
        return None


def _decimal(text: str | None) -> Decimal | None:
    if not text or not text.strip():
        return None
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None


def _prices(matrix: etree._Element | None) -> dict[tuple[str, str], Decimal]:
    out: dict[tuple[str, str], Decimal] = {}
    if matrix is None:
        return out
    for pricing in matrix.iterfind(_a("pricing")):
        level = pricing.find(_a("priceLevel"))
        if level is None or not level.get("internalId"):
            continue
        currency = pricing.find(_a("currency"))
        currency_id = currency.get("internalId", "") if currency is not None else ""
        lowest = None
        price_list = pricing.find(_a("priceList"))
        for price in price_list.iterfind(_a("price")) if price_list is not None else ():
            quantity = _decimal(price.findtext(_a("quantity"))) or Decimal(0)
            value = _decimal(price.findtext(_a("value")))
            if value is not None and (lowest is None or quantity < lowest[0]):
                lowest = (quantity, value)
        if lowest is not None:
            out[(level.get("internalId"), currency_id)] = lowest[1]
    return out


def _options(option_list: etree._Element | None) -> list[tuple[str, str]]:
    out = []
    for option in option_list if option_list is not None else ():
        script_id = option.get("scriptId") or option.get("internalId") or ""
        value = option.find(_VALUE)
        name = (value.findtext(_NAME) if value is not None else "") or ""
        if script_id and name.strip():
            out.append((script_id, name.strip()))
    return out


def item_product(rec: etree._Element) -> ItemProduct:
    def text(name: str) -> str:
        return (rec.findtext(_a(name)) or "").strip()

    parent = rec.find(_a("parent"))
    return ItemProduct(
        internal_id=rec.get("internalId"),
        sku=text("itemId"),
        last_modified=text("lastModifiedDate"),
        title=text("displayName") or text("storeDisplayName"),
        description=text("storeDescription") or text("salesDescription"),
        barcode=text("upcCode"),
        weight=_decimal(text("weight")),
        weight_unit=text("weightUnit"),
        inactive=text("isInactive") == "true",
        matrix_type=text("matrixType"),
        parent_id=parent.get("internalId", "") if parent is not None else "",
        options=_options(rec.find(_a("matrixOptionList"))),
        prices=_prices(rec.find(_a("pricingMatrix"))),
    )


def parse_page(body: bytes) -> ItemPage:
    """A search answer's inventory items as ItemProducts (an ItemPage of them)."""
    return inventory_items(body, item_product)
