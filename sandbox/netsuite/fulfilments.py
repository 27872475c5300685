"""Item fulfillments in the sandbox account: what a warehouse does in NetSuite (pick, pack,
ship, type a tracking number), and the basic search that finds them by last-modified date.

An item fulfillment is created from a sales order (`createdFrom`); each line names the order
line it ships (`orderLine`, the sales order line's number: its 1-based position in the sandbox),
the item, the quantity and the location it ships from. Tracking numbers live in four package
sublists, each with its own field names, as in the 2025.2 XSD:

    packageList / package / packageTrackingNumber             (any carrier)
    packageUpsList / packageUps / packageTrackingNumberUps
    packageFedExList / packageFedEx / packageTrackingNumberFedEx
    packageUspsList / packageUsps / packageTrackingNumberUsps

Every change stamps `lastModifiedDate` (milliseconds, UTC), which the search filters on.
"""

from __future__ import annotations

import datetime as dt
import uuid

from lxml import etree

from . import soap
from .soap import CORE, SoapFault, q
from .store import Record, sort_children

# sublist -> (element, its type, tracking number field)
PACKAGE_LISTS = {
    "packageList": ("package", "ItemFulfillmentPackage", "packageTrackingNumber"),
    "packageUpsList": ("packageUps", "ItemFulfillmentPackageUps", "packageTrackingNumberUps"),
    "packageFedExList": (
        "packageFedEx",
        "ItemFulfillmentPackageFedEx",
        "packageTrackingNumberFedEx",
    ),
    "packageUspsList": ("packageUsps", "ItemFulfillmentPackageUsps", "packageTrackingNumberUsps"),
}
SHIP_STATUSES = ("_picked", "_packed", "_shipped")


class FulfilmentError(ValueError):
    """A change NetSuite would refuse (e.g. more than the order line has left to ship)."""


def now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _stamp(rec: Record, when: str | None = None) -> None:
    rec.set_text("lastModifiedDate", when or now_text())


def order_lines(so: Record) -> list[tuple[int, etree._Element]]:
    """(orderLine, line) for the sales order's lines: each line's own ``line`` number (never
    reused on the order), or its position for a line saved without one."""
    items = so.fields.get("itemList")
    return [
        (int(line.findtext(q(so.ns, "line")) or position), line)
        for position, line in enumerate([] if items is None else list(items), start=1)
    ]


def _line_item(so: Record, line: etree._Element) -> str | None:
    ref = line.find(q(so.ns, "item"))
    return None if ref is None else ref.get("internalId")


def _shipped_before(store, so: Record) -> dict[int, float]:
    """orderLine -> quantity already on item fulfillments of this order."""
    done: dict[int, float] = {}
    for rec in store.of_type("ItemFulfillment"):
        if rec.ref_id("createdFrom") != so.internal_id or rec.fields.get("itemList") is None:
            continue
        for line in rec.fields["itemList"]:
            number = int(line.findtext(q(rec.ns, "orderLine")) or 0)
            done[number] = done.get(number, 0) + float(line.findtext(q(rec.ns, "quantity")) or 0)
    return done


def create(
    sandbox,
    sales_order: str,
    lines=None,
    packages=None,
    shipStatus: str = "_shipped",
    shipMethod: str | None = None,
    lastModifiedDate: str | None = None,
) -> Record:
    """An item fulfillment of ``sales_order``. ``lines``: ``[{"orderLine": n | "sku": s,
    "quantity": q, "location": id}]`` (default: every inventory line, in full, no location);
    ``packages``: ``{"packageUpsList": ["1Z..."], ...}`` (tracking numbers per sublist)."""
    store = sandbox.store
    so = store.get("SalesOrder", sales_order)
    if so is None:
        raise FulfilmentError(f"no sales order {sales_order}")
    if so.text("orderStatus") not in ("_pendingFulfillment", "_partiallyFulfilled"):
        raise FulfilmentError(
            f"cannot fulfil sales order {so.internal_id} in status {so.text('orderStatus')}"
        )
    if shipStatus not in SHIP_STATUSES:
        raise FulfilmentError(f"shipStatus must be one of {SHIP_STATUSES}")
    numbered = order_lines(so)
    shipped = _shipped_before(store, so)
    if lines is None:
        lines = [
            {"orderLine": n, "quantity": float(line.findtext(q(so.ns, "quantity")) or 0)}
            for n, line in numbered
            if (item := store.item(internal_id=_line_item(so, line))) is not None
            and item.type_name == "InventoryItem"
        ]
        lines = [{**w, "quantity": w["quantity"] - shipped.get(w["orderLine"], 0)} for w in lines]
        lines = [w for w in lines if w["quantity"] > 0]
    rec = Record("ItemFulfillment", "", None)
    created = lastModifiedDate or now_text()
    rec.set_text("createdDate", created)
    _stamp(rec, created)
    rec.set_ref("entity", so.ref_id("entity"))
    rec.set_ref("createdFrom", so.internal_id)
    rec.set_text("shipStatus", shipStatus)
    if shipMethod:
        rec.set_ref("shipMethod", "1", ref_name=shipMethod)
    item_list = etree.Element(q(rec.ns, "itemList"))
    for wanted in lines:
        number = wanted.get("orderLine")
        if number is None:
            item = store.item_by_sku(wanted["sku"])
            number = next(
                (n for n, line in numbered if item and _line_item(so, line) == item.internal_id),
                None,
            )
        found = dict(numbered).get(int(number)) if number is not None else None
        if found is None:
            raise FulfilmentError(f"sales order {so.internal_id} has no line {wanted}")
        ordered = float(found.findtext(q(so.ns, "quantity")) or 0)
        quantity = float(wanted["quantity"])
        if quantity <= 0 or quantity > ordered - shipped.get(int(number), 0):
            raise FulfilmentError(
                f"line {number} of sales order {so.internal_id} has "
                f"{ordered - shipped.get(int(number), 0):g} left to fulfil, not {quantity:g}"
            )
        out = etree.SubElement(item_list, q(rec.ns, "item"))
        if wanted.get("location"):
            etree.SubElement(out, q(rec.ns, "location"), internalId=str(wanted["location"]))
        etree.SubElement(out, q(rec.ns, "quantity")).text = f"{quantity:g}"
        etree.SubElement(out, q(rec.ns, "item"), internalId=_line_item(so, found) or "")
        etree.SubElement(out, q(rec.ns, "orderLine")).text = str(int(number))
        sort_children(out, rec.ns, "ItemFulfillmentItem")
    rec.fields["itemList"] = item_list
    set_packages(rec, packages or {}, stamp=False)
    saved = store.add("ItemFulfillment", None, rec.fields)
    _order_status(sandbox, so)
    return saved


def _order_status(sandbox, so: Record) -> None:
    shipped = _shipped_before(sandbox.store, so)
    # Each line shows how much of it is on item fulfillments, as NetSuite's does.
    for number, line in order_lines(so):
        if number in shipped:
            old = line.find(q(so.ns, "quantityFulfilled"))
            if old is not None:
                line.remove(old)
            etree.SubElement(line, q(so.ns, "quantityFulfilled")).text = f"{shipped[number]:g}"
            sort_children(line, so.ns, "SalesOrderItem")
    complete = all(
        shipped.get(n, 0) >= float(line.findtext(q(so.ns, "quantity")) or 0)
        for n, line in order_lines(so)
        if (item := sandbox.store.item(internal_id=_line_item(so, line))) is not None
        and item.type_name == "InventoryItem"
    )
    if not complete:
        so.set_text("orderStatus", "_partiallyFulfilled")
        return
    billed = any(
        r.ref_id("createdFrom") == so.internal_id
        for r in sandbox.store.of_type("CashSale") + sandbox.store.of_type("Invoice")
    )
    so.set_text("orderStatus", "_fullyBilled" if billed else "_pendingBilling")


def set_packages(rec: Record, packages: dict, *, stamp: bool = True, when=None) -> Record:
    """Replace the package sublists named in ``packages`` (a list of tracking numbers each;
    an empty list removes the sublist)."""
    for list_name, numbers in packages.items():
        if list_name not in PACKAGE_LISTS:
            raise FulfilmentError(f"unknown package list {list_name!r}: {sorted(PACKAGE_LISTS)}")
        element, type_name, field = PACKAGE_LISTS[list_name]
        if not numbers:
            rec.fields.pop(list_name, None)
            continue
        sublist = etree.Element(q(rec.ns, list_name))
        for number in numbers:
            package = etree.SubElement(sublist, q(rec.ns, element))
            etree.SubElement(package, q(rec.ns, field)).text = str(number)
            sort_children(package, rec.ns, type_name)
        rec.fields[list_name] = sublist
    if stamp:
        _stamp(rec, when)
    return rec


def change(sandbox, internal_id: str, action: str, data: dict) -> Record:
    """Control actions on an item fulfillment: ``pick``, ``pack``, ``ship`` and ``packages``."""
    rec = sandbox.store.get("ItemFulfillment", internal_id)
    if rec is None:
        raise FulfilmentError(f"no item fulfillment {internal_id}")
    when = data.get("lastModifiedDate")
    if action in ("pick", "pack", "ship"):
        status = {"pick": "_picked", "pack": "_packed", "ship": "_shipped"}[action]
        rec.set_text("shipStatus", status)
        _stamp(rec, when)
        return rec
    if action == "packages":
        return set_packages(rec, data.get("packages") or {}, when=when)
    raise FulfilmentError(f"unknown item fulfillment action {action!r}")


# -- the basic search: TransactionSearchBasic by type and lastModifiedDate ---------------------

_DATE_OPERATORS = {
    "after": lambda value, bound: value > bound,
    "onOrAfter": lambda value, bound: value >= bound,
    "before": lambda value, bound: value < bound,
    "onOrBefore": lambda value, bound: value <= bound,
}


def _moment(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00")).astimezone(dt.UTC)


def search(operations, criteria: dict, page_size: int):
    """Transactions of some types (``type`` anyOf), modified in a window (``lastModifiedDate``
    after / onOrAfter / before / onOrBefore / within); returns the first page."""
    unsupported = set(criteria) - {"type", "lastModifiedDate"}
    if unsupported or "type" not in criteria:
        raise SoapFault(
            None,
            None,
            "The sandbox simulates TransactionSearchBasic by createdFrom, or by type with "
            f"lastModifiedDate, only; not {', '.join(sorted(unsupported)) or 'without type'}.",
            "soapenv:Client",
        )
    wanted = {(v.text or "").lstrip("_") for v in criteria["type"].iter(q(CORE, "searchValue"))}
    types = {soap.TYPE_BY_RECORD_TYPE.get(t) for t in wanted}
    test = _date_test(criteria.get("lastModifiedDate"))
    found = [
        r
        for r in sorted(operations.store.records.values(), key=lambda r: r.seq)
        if r.type_name in types and test(_moment(r.text("lastModifiedDate")))
    ]
    search_id = f"WEBSERVICES_{uuid.uuid4().hex[:20]}"
    operations.store.searches[search_id] = ([r.internal_id for r in found], page_size)
    return operations._search_page("searchResponse", search_id, 1)


def _date_test(field):
    if field is None:
        return lambda value: True
    operator = field.get("operator") or "on"
    first = _moment(field.findtext(q(CORE, "searchValue")))
    second = _moment(field.findtext(q(CORE, "searchValue2")))
    if operator == "within" and first and second:
        return lambda value: value is not None and first <= value <= second
    if operator not in _DATE_OPERATORS or first is None:
        raise SoapFault(
            None,
            None,
            f"The sandbox simulates lastModifiedDate with {sorted(_DATE_OPERATORS)} or within "
            f"and a searchValue, not {operator!r}.",
            "soapenv:Client",
        )
    compare = _DATE_OPERATORS[operator]
    return lambda value: value is not None and compare(value, first)
