"""Returns in the sandbox account: stock put back by credit memos and cash refunds, and the
Return Authorization's status rules.

What the sandbox models (an account with Multi-Location Inventory and without Advanced
Receiving, where crediting a return also receives the items):
- a cash refund or credit memo line of an inventory item with a `location` puts its quantity
  back at that location (`quantityOnHand` and `quantityAvailable` of the item's
  `locationsList` go up; the item's `lastModifiedDate` moves, as a stock change does). A line
  without a location, or of a non-inventory item (tax, adjustment), moves no stock;
- a Return Authorization moves no stock and no money; it starts `_pendingApproval` unless
  written `_pendingReceipt` (approved), and a credit memo or cash refund can be initialized
  from it only once approved (NetSuite's "Refund" / "Credit" buttons appear only then).
"""

from __future__ import annotations

from decimal import Decimal

from . import items as inventory
from . import soap
from .soap import q
from .store import Record, Store

RESTOCKING = frozenset({"CashRefund", "CreditMemo"})
RA_STATUSES = ("_pendingApproval", "_pendingReceipt")


def restock(store: Store, rec: Record) -> list[dict]:
    """Put the quantities of `rec`'s inventory lines back at their locations; returns what
    moved ([{item, location, quantity}]) for the request log."""
    if rec.type_name not in RESTOCKING:
        return []
    moved = []
    lines = rec.fields.get("itemList")
    for line in [] if lines is None else lines:
        item_ref = line.find(q(rec.ns, "item"))
        location = line.find(q(rec.ns, "location"))
        quantity = inventory_quantity(line.findtext(q(rec.ns, "quantity")))
        if item_ref is None or location is None or not quantity:
            continue
        item = store.get("InventoryItem", item_ref.get("internalId"))
        if item is None:
            continue  # tax, discount, adjustment items carry money, not stock
        add_stock(item, location.get("internalId"), quantity)
        moved.append(
            {"item": item.internal_id, "location": location.get("internalId"), "quantity": quantity}
        )
    return moved


def inventory_quantity(text) -> Decimal:
    try:
        return Decimal(str(text).strip()) if text not in (None, "") else Decimal(0)
    except ArithmeticError:
        return Decimal(0)


def stock(item: Record) -> list[dict]:
    """The item's stock per location: [{location, name, onHand, available}]."""
    rows = item.fields.get("locationsList")
    out = []
    for row in [] if rows is None else rows:
        ref = row.find(q(soap.ACCOUNTING, "locationId"))
        out.append(
            {
                "location": ref.get("internalId") if ref is not None else "",
                "name": row.findtext(q(soap.ACCOUNTING, "location")),
                "onHand": inventory_quantity(row.findtext(q(soap.ACCOUNTING, "quantityOnHand"))),
                "available": inventory_quantity(
                    row.findtext(q(soap.ACCOUNTING, "quantityAvailable"))
                ),
            }
        )
    return out


def add_stock(item: Record, location_id: str, quantity: Decimal) -> None:
    from .fulfilments import now_text

    rows = stock(item)
    row = next((r for r in rows if r["location"] == str(location_id)), None)
    if row is None:
        row = {"location": str(location_id), "name": None, "onHand": 0, "available": 0}
        rows.append(row)
    row["onHand"] = Decimal(row["onHand"]) + quantity
    row["available"] = Decimal(row["available"]) + quantity
    inventory.set_locations(item, rows)
    item.set_text("lastModifiedDate", now_text())


def creditable(ra: Record) -> bool:
    """A Return Authorization a credit memo or cash refund may be created from."""
    return ra.text("orderStatus") not in (None, "_pendingApproval")
