"""Inventory items with stock per location, and item searches by lastModifiedDate.

An InventoryItem carries `locationsList` (InventoryItemLocationsList) with one `locations` per
location: `locationId` (RecordRef), `location` (its name), `quantityOnHand` and
`quantityAvailable`, as in lists.accounting.xsd; `lastModifiedDate` moves whenever the item
or its stock changes (through the control API here).

Searches return body fields only unless the request's searchPreferences say
`bodyFieldsOnly=false` (the XSD default is true): sublists such as `locationsList` or
`itemList` are left out of the records otherwise, as NetSuite does.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

from lxml import etree

from . import soap
from .store import Record, Store

ACCT = soap.ACCOUNTING
DATE_OPERATORS = {"after", "onOrAfter", "before", "onOrBefore", "within", "on"}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _num(value) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def set_locations(rec: Record, locations: list[dict]) -> None:
    """Replace the item's stock per location: [{location, name, available, onHand}]."""
    sublist = etree.Element(soap.q(ACCT, "locationsList"))
    for spec in locations:
        row = etree.SubElement(sublist, soap.q(ACCT, "locations"))
        location_id = str(spec["location"])
        name = spec.get("name") or f"Location {location_id}"
        available = spec.get("available", 0)
        on_hand = spec.get("onHand", available)
        # In the order of the XSD's sequence.
        etree.SubElement(row, soap.q(ACCT, "location")).text = name
        etree.SubElement(row, soap.q(ACCT, "quantityOnHand")).text = _num(on_hand)
        etree.SubElement(row, soap.q(ACCT, "quantityAvailable")).text = _num(available)
        ref = etree.SubElement(row, soap.q(ACCT, "locationId"))
        ref.set("internalId", location_id)
        etree.SubElement(ref, soap.q(soap.CORE, "name")).text = name
    rec.fields["locationsList"] = sublist


def upsert_inventory(store: Store, items: list[dict], now: datetime | None = None) -> list[Record]:
    """Create or change inventory items by SKU in one pass: [{sku, name?, locations: [...],
    lastModified?, ...product fields (see `set_product_fields`)}]. `lastModified` (ISO) lets
    tests fix the time; else the sandbox's now. A matrix parent must come before (or in the
    same list ahead of) its children."""
    by_sku = {r.text("itemId"): r for r in store.of_type("InventoryItem")}
    stamp_default = iso(now or datetime.now(UTC))
    out = []
    with store.lock:
        for spec in items:
            sku = spec["sku"]
            rec = by_sku.get(sku)
            stamp = iso(parse_time(spec["lastModified"])) if spec.get("lastModified") else None
            stamp = stamp or stamp_default
            if rec is None:
                rec = store.add("InventoryItem", spec.get("externalId"))
                rec.set_text("createdDate", stamp)
                rec.set_text("itemId", sku)
                rec.set_text("displayName", spec.get("name") or sku)
                by_sku[sku] = rec
            elif spec.get("name"):
                rec.set_text("displayName", spec["name"])
            if "locations" in spec:
                set_locations(rec, spec["locations"])
            set_product_fields(rec, spec, by_sku)
            rec.set_text("lastModifiedDate", stamp)
            out.append(rec)
    return out


PRODUCT_TEXT = {
    "description": "salesDescription",
    "storeDescription": "storeDescription",
    "storeDisplayName": "storeDisplayName",
    "upc": "upcCode",
    "weightUnit": "weightUnit",
}


def set_product_fields(rec: Record, spec: dict, by_sku: dict[str, Record]) -> None:
    """What a product is made of, in InventoryItem's own fields: description, upc, weight and
    weightUnit ("_lb"...), inactive, the matrix (`matrix: "parent"`, or `parent: <sku>` with
    `options: {scriptId: value}`) and `prices`: {priceLevel internal id: price} (currency 1)
    or [{level, price, currency?, quantity?}] as rows of `pricingMatrix`."""
    for key, name in PRODUCT_TEXT.items():
        if key in spec:
            rec.set_text(name, spec[key])
    if "weight" in spec:
        rec.set_text("weight", _num(spec["weight"]))
    if "inactive" in spec:
        rec.set_text("isInactive", bool(spec["inactive"]))
    if spec.get("matrix") == "parent":
        rec.set_text("matrixType", "_parent")
    if spec.get("parent"):
        parent = by_sku.get(spec["parent"])
        if parent is None:
            raise ValueError(f"matrix parent {spec['parent']!r} of {spec['sku']!r} not found")
        rec.set_text("matrixType", "_child")
        rec.set_ref("parent", internal_id=parent.internal_id, ref_name=parent.text("itemId"))
    if "options" in spec:
        set_matrix_options(rec, spec["options"])
    if "prices" in spec:
        set_prices(rec, spec["prices"])


def set_matrix_options(rec: Record, options: dict[str, str]) -> None:
    sublist = etree.Element(soap.q(ACCT, "matrixOptionList"))
    for number, (script_id, value) in enumerate(options.items(), start=1):
        option = etree.SubElement(sublist, soap.q(ACCT, "matrixOption"), nsmap=soap.NSMAP)
        option.set("internalId", str(100 + number))
        option.set("scriptId", script_id)
        soap.set_xsi_type(option, soap.CORE, "SelectCustomFieldRef")
        ref = etree.SubElement(option, soap.q(soap.CORE, "value"))
        ref.set("internalId", str(zlib.crc32(value.encode()) % 10_000))
        ref.set("typeId", str(100 + number))
        etree.SubElement(ref, soap.q(soap.CORE, "name")).text = value
    rec.fields["matrixOptionList"] = sublist


def set_prices(rec: Record, prices) -> None:
    """`pricingMatrix`: one `pricing` per price level and currency, its `priceList` of
    quantity tiers."""
    rows = (
        [{"level": level, "price": price} for level, price in prices.items()]
        if isinstance(prices, dict)
        else prices
    )
    matrix = etree.Element(soap.q(ACCT, "pricingMatrix"))
    tiers: dict[tuple[str, str], list[dict]] = {}
    for row in rows:  # one `pricing` per level and currency, its quantity tiers inside
        tiers.setdefault((str(row.get("currency", "1")), str(row["level"])), []).append(row)
    for (currency_id, level_id), levels in tiers.items():
        pricing = etree.SubElement(matrix, soap.q(ACCT, "pricing"))
        etree.SubElement(pricing, soap.q(ACCT, "currency")).set("internalId", currency_id)
        etree.SubElement(pricing, soap.q(ACCT, "priceLevel")).set("internalId", level_id)
        price_list = etree.SubElement(pricing, soap.q(ACCT, "priceList"))
        for row in levels:
            price = etree.SubElement(price_list, soap.q(ACCT, "price"))
            etree.SubElement(price, soap.q(ACCT, "value")).text = str(row["price"])
            etree.SubElement(price, soap.q(ACCT, "quantity")).text = _num(row.get("quantity", 0))
    rec.fields["pricingMatrix"] = matrix


def matches_modified(search: etree._Element, items: list[Record]) -> list[Record]:
    """Apply a `lastModifiedDate` criterion of an ItemSearchBasic, if there is one."""
    criterion = next((c for c in search if etree.QName(c).localname == "lastModifiedDate"), None)
    if criterion is None:
        return items
    operator = criterion.get("operator") or "onOrAfter"
    if operator not in DATE_OPERATORS:
        raise ValueError(f"The sandbox does not simulate the date operator {operator!r}.")
    first = criterion.findtext(soap.q(soap.CORE, "searchValue"))
    second = criterion.findtext(soap.q(soap.CORE, "searchValue2"))
    if not first:
        raise ValueError("A lastModifiedDate criterion needs a searchValue.")
    low = parse_time(first)
    high = parse_time(second) if second else None

    def ok(rec: Record) -> bool:
        text = rec.text("lastModifiedDate")
        if not text:
            return False
        moment = parse_time(text)
        return {
            "after": lambda: moment > low,
            "onOrAfter": lambda: moment >= low,
            "before": lambda: moment < low,
            "onOrBefore": lambda: moment <= low,
            "on": lambda: moment == low,
            "within": lambda: low <= moment <= (high or low),
        }[operator]()

    return [r for r in items if ok(r)]


def body_fields_only(prefs: etree._Element | None) -> bool:
    """searchPreferences.bodyFieldsOnly; true when absent (the XSD's default)."""
    flag = None if prefs is None else prefs.findtext(soap.q(soap.MSGS, "bodyFieldsOnly"))
    return (flag or "true").strip() not in ("false", "0")


def strip_sublists(el: etree._Element) -> etree._Element:
    """A record as a body-fields-only search returns it: no sublists (`...List` elements other
    than customFieldList and nullFieldList, and the item's `pricingMatrix`)."""
    for child in list(el):
        name = etree.QName(child).localname
        if name == "pricingMatrix" or (
            name.endswith("List") and name not in ("customFieldList", "nullFieldList")
        ):
            el.remove(child)
    return el
