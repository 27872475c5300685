"""The sandbox's JSON control API (``/_control/...``): see docs/sandbox-netsuite.md."""

from __future__ import annotations

import re

from . import fulfilments, items
from .account import ActionError, build_lines
from .store import Record

ORDER_ACTION = re.compile(r"^/_control/sales-orders/(?P<id>\d+)/(?P<action>[a-z-]+)$")
FULFILMENT_ACTION = re.compile(r"^/_control/item-fulfillments/(?P<id>\d+)/(?P<action>[a-z-]+)$")


def handle_control(sandbox, method: str, path: str, query: dict, data: dict):
    """(HTTP status, JSON-able result)."""
    store = sandbox.store
    if method == "GET":
        if path == "/_control/state":
            return 200, sandbox.state()
        if path == "/_control/log":
            return 200, list(sandbox.log)
        if path == "/_control/records":
            return 200, [r.to_json() for r in _select(sandbox, query)]
        return 404, {"error": f"unknown control path {path}"}

    with store.lock:
        if path == "/_control/reset":
            sandbox.reset()
            return 200, {"ok": True}
        if path == "/_control/config":
            unknown = set(data) - set(sandbox.config)
            if unknown:
                raise ValueError(f"unknown config keys: {sorted(unknown)}")
            sandbox.config.update(data)
            return 200, sandbox.config
        if path == "/_control/faults":
            return 200, _faults(sandbox, data)
        if path == "/_control/items":
            return 200, [create_item(sandbox, **item).to_json() for item in data["items"]]
        if path == "/_control/inventory-items":
            made = items.upsert_inventory(store, data["items"])
            store.save()
            return 200, {
                "count": len(made),
                "internalIds": {r.text("itemId"): r.internal_id for r in made},
            }
        if path == "/_control/customers":
            return 200, [create_customer(sandbox, **c).to_json() for c in data["customers"]]
        if path == "/_control/sales-orders":
            return 200, create_sales_order(sandbox, **data).to_json()
        if path == "/_control/bulk-sales-orders":
            return 200, bulk_sales_orders(sandbox, **data)
        if path == "/_control/item-fulfillments":
            result = fulfilments.create(sandbox, **data)
            store.save()
            return 200, result.to_json()
        match = FULFILMENT_ACTION.match(path)
        if match:
            result = fulfilments.change(sandbox, match["id"], match["action"], data)
            store.save()
            return 200, result.to_json()
        match = ORDER_ACTION.match(path)
        if match:
            result = order_action(sandbox, match["id"], match["action"], data)
            store.save()
            return 200, result.to_json()
    return 404, {"error": f"unknown control path {path}"}


def _select(sandbox, query: dict) -> list[Record]:
    from .soap import TYPE_BY_RECORD_TYPE

    records = list(sandbox.store.records.values())
    if "type" in query:
        type_name = TYPE_BY_RECORD_TYPE.get(query["type"])
        records = [r for r in records if r.type_name == type_name]
    if "externalId" in query:
        records = [r for r in records if r.external_id == query["externalId"]]
    if "internalId" in query:
        records = [r for r in records if r.internal_id == query["internalId"]]
    if "createdFrom" in query:
        records = [r for r in records if r.ref_id("createdFrom") == query["createdFrom"]]
    return sorted(records, key=lambda r: r.seq)


def _faults(sandbox, data: dict) -> dict:
    with sandbox.lock:
        if "fail_next" in data:
            spec = data["fail_next"]
            sandbox.fail_next.append(
                [int(spec.get("count", 1)), spec.get("fault", "concurrency"), spec.get("operation")]
            )
        if "timeout_after_commit" in data:
            spec = data["timeout_after_commit"]
            sandbox.timeout_after_commit = {
                "count": int(spec.get("count", 1)),
                "mode": spec.get("mode", "delay"),
                "seconds": float(spec.get("seconds", 5.0)),
            }
        if "clear" in data:
            sandbox.fail_next = []
            sandbox.timeout_after_commit = {"count": 0, "mode": "delay", "seconds": 5.0}
        return {
            "fail_next": sandbox.fail_next,
            "timeout_after_commit": sandbox.timeout_after_commit,
        }


ITEM_KINDS = {
    "inventory": "InventoryItem",
    "otherCharge": "OtherChargeSaleItem",
    "discount": "DiscountItem",
}


def create_item(
    sandbox,
    sku: str,
    name: str | None = None,
    price=None,
    externalId=None,
    type: str = "inventory",
    rate=None,
):
    """An item by SKU (``itemId``), created or updated. ``type``: ``inventory`` (price kept as
    ``cost``), ``otherCharge`` (an OtherChargeSaleItem, price as its ``rate``) or ``discount``
    (a DiscountItem, ``rate`` like ``-10%`` or ``-5.00``)."""
    if type not in ITEM_KINDS:
        raise ValueError(f"unknown item type {type!r}: one of {sorted(ITEM_KINDS)}")
    type_name = ITEM_KINDS[type]
    existing = sandbox.store.item_by_sku(sku)
    if existing is not None and existing.type_name != type_name:
        raise ValueError(f"item {sku} exists as {existing.record_type}")
    rec = existing or sandbox.store.add(type_name, externalId)
    rec.set_text("itemId", sku)
    rec.set_text("displayName", name or sku)
    if type_name == "InventoryItem":
        if price is not None:
            rec.set_text("cost", float(price))
    elif type_name == "OtherChargeSaleItem":
        if price is not None or rate is not None:
            rec.set_text("rate", float(rate if rate is not None else price))
    elif rate is not None or price is not None:
        rec.set_text("rate", str(rate if rate is not None else price))
    return rec


def create_customer(
    sandbox,
    externalId=None,
    companyName=None,
    firstName=None,
    lastName=None,
    email=None,
    parent=None,
):
    rec = sandbox.store.add("Customer", externalId)
    for name, value in (
        ("companyName", companyName),
        ("firstName", firstName),
        ("lastName", lastName),
        ("email", email),
    ):
        if value:
            rec.set_text(name, value)
    if parent:
        rec.set_ref("parent", parent)
    return rec


def create_sales_order(
    sandbox,
    customer: str,
    lines,
    externalId=None,
    status=None,
    shippingCost=None,
    handlingCost=None,
):
    """A sales order as if entered in NetSuite; lines by ``sku`` or ``item`` (internalId),
    with ``quantity``, ``rate`` and/or ``amount``; totals computed as NetSuite does."""
    if sandbox.store.get("Customer", customer) is None:
        raise ActionError(f"no customer {customer}")
    rec = Record("SalesOrder", "", externalId)
    rec.set_ref("entity", customer)
    rec.set_text("orderStatus", status or "_pendingApproval")
    rec.fields["itemList"] = build_lines(sandbox.store, rec, lines)
    for name, value in (("shippingCost", shippingCost), ("handlingCost", handlingCost)):
        if value is not None:
            rec.set_text(name, value)
    sandbox.compute_record_totals(rec)
    stored = sandbox.store.add("SalesOrder", externalId, rec.fields)
    sandbox.on_save(stored)  # NetSuite stamps lastModifiedDate on every transaction it saves
    return stored


def bulk_sales_orders(sandbox, customer: str, orders: list[dict]) -> dict:
    """Many approved sales orders in one request (benchmarks seed tens of thousands): each
    ``{"externalId", "lines", "shippingCost"?, "refund"?: {"externalId"?} }``; with
    ``refund`` the order is billed as a cash sale and refunded in full."""
    made = refunds = 0
    # SKUs resolved once: a lookup by SKU scans the account, and seeding must stay linear.
    items: dict[str, str] = {}
    for order in orders:
        for line in order["lines"]:
            sku = line.get("sku")
            if sku and sku not in items:
                found = sandbox.store.item_by_sku(sku)
                if found is None:
                    raise ActionError(f"no item with SKU {sku}")
                items[sku] = found.internal_id
    for order in orders:
        lines = [
            {
                k: v
                for k, v in {**line, "item": items.get(line.get("sku"), line.get("item"))}.items()
                if k != "sku"
            }
            for line in order["lines"]
        ]
        rec = create_sales_order(
            sandbox,
            customer,
            lines,
            externalId=order.get("externalId"),
            shippingCost=order.get("shippingCost"),
        )
        sandbox.approve(rec.internal_id)
        made += 1
        if order.get("refund") is not None:
            # As `refund` does for a full refund, from the bill just made (no scan of the
            # account for the order's bills: seeding stays linear).
            bill = sandbox.bill(rec.internal_id, "cashSale")
            refund = sandbox.initialize("cashRefund", bill)
            sandbox.compute_record_totals(refund)
            sandbox._save_new(refund, order["refund"].get("externalId"))
            refunds += 1
    return {"sales_orders": made, "refunds": refunds}


def order_action(sandbox, internal_id: str, action: str, data: dict) -> Record:
    if action == "approve":
        return sandbox.approve(internal_id)
    if action == "cancel":
        return sandbox.cancel(internal_id)
    if action == "close":
        return sandbox.close(internal_id)
    if action == "bill":
        return sandbox.bill(internal_id, data.get("as", "cashSale"), data.get("externalId"))
    if action == "refund":
        return sandbox.refund(
            internal_id, data.get("lines"), data.get("externalId"), data.get("shippingCost")
        )
    if action == "fulfil":
        return sandbox.fulfil(
            internal_id, data.get("tracking", []), data.get("shipStatus", "_shipped")
        )
    if action == "pay":
        dates = {k: data[k] for k in ("tranDate", "lastModifiedDate") if data.get(k)}
        return sandbox.pay(data["invoice"], data.get("amount"), **dates)
    if action == "edit-lines":
        return sandbox.edit_lines(internal_id, data["lines"])
    if action == "set-checkbox":
        rec = sandbox.store.get("SalesOrder", internal_id)
        rec.set_checkbox(data["scriptId"], bool(data["value"]))
        return rec
    raise ActionError(f"unknown action {action}")
