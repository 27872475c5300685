"""Fulfilment in the sandbox store, beyond creating one: fulfillment orders per location, holds,
tracking changes, and what a fulfilment remembers (when, whether the customer was told).

Shopify splits an order's lines into one fulfillment order per location that will ship them;
a fulfilment covers lines of fulfillment orders at one location. A fulfillment order on hold
(status ON_HOLD, with its `fulfillmentHolds`) refuses fulfilment until released.
"""

from __future__ import annotations

from sandbox.shopify.store import SandboxError, Shop, Store, gid_number, user_error


def tracking_entries(tracking: dict | None) -> list[dict]:
    """FulfillmentTrackingInput -> [{number, url, company}]: `number`/`url` or the lists
    `numbers`/`urls` (Shopify takes either; the lists win)."""
    if not tracking:
        return []
    numbers = tracking.get("numbers") or ([tracking["number"]] if tracking.get("number") else [])
    urls = tracking.get("urls") or ([tracking["url"]] if tracking.get("url") else [])
    company = tracking.get("company")
    if not numbers:
        return [{"number": None, "url": urls[0] if urls else None, "company": company}]
    return [
        {"number": n, "url": urls[i] if i < len(urls) else None, "company": company}
        for i, n in enumerate(numbers)
    ]


def find_fulfillment_order(shop: Shop, fo_id) -> tuple[dict, dict] | tuple[None, None]:
    number = gid_number(fo_id, "FulfillmentOrder")
    for order in shop.orders.values():
        for fo in order["fulfillment_orders"]:
            if fo["id"] == number:
                return order, fo
    return None, None


def refusal(shop: Shop, groups: list[dict]) -> list[dict]:
    """Shopify's refusal of a fulfilment on a fulfillment order that is on hold, or over
    fulfillment orders of several locations (a fulfilment ships from one place). The on-hold
    wording is the one merchants quote from Shopify; the other is the sandbox's."""
    locations = set()
    for group in groups or []:
        _order, fo = find_fulfillment_order(shop, group.get("fulfillmentOrderId"))
        if fo is not None:
            locations.add(fo["location_id"])
        if len(locations) > 1:
            return [
                user_error(
                    "All fulfillment orders in a fulfillment must be assigned to the same "
                    "location.",
                    ["fulfillment", "lineItemsByFulfillmentOrder"],
                )
            ]
        if fo is not None and fo["status"] == "ON_HOLD":
            return [
                user_error(
                    f"Fulfillment order {fo['id']} has an unfulfillable status= on_hold.",
                    ["fulfillment"],
                )
            ]
    return []


def remember(store: Store, created: dict, tracking: dict | None, notify: bool | None) -> None:
    """What Shopify keeps of a new fulfilment besides its lines."""
    created["created_at"] = store.now()
    created["tracking"] = tracking_entries(tracking)
    created["notify_customer"] = bool(notify)
    created["notifications"] = 1 if notify else 0


def find_fulfillment(shop: Shop, fulfillment_id) -> tuple[dict, dict] | tuple[None, None]:
    number = gid_number(fulfillment_id, "Fulfillment")
    for order in shop.orders.values():
        for fulfillment in order["fulfillments"]:
            if fulfillment["id"] == number:
                return order, fulfillment
    return None, None


def update_tracking(
    store: Store, shop: Shop, fulfillment_id, tracking: dict, notify: bool | None
) -> tuple[dict | None, list[dict]]:
    order, fulfillment = find_fulfillment(shop, fulfillment_id)
    if fulfillment is None:
        return None, [user_error("Fulfillment does not exist.", ["fulfillmentId"])]
    if fulfillment["status"] != "SUCCESS":
        return None, [user_error("Fulfillment is not successful.", ["fulfillmentId"])]
    fulfillment["tracking"] = tracking_entries(tracking)
    fulfillment["updated_at"] = store.now()
    if notify:
        fulfillment["notifications"] = fulfillment.get("notifications", 0) + 1
    store.touch(order)
    return fulfillment, []


def location_named(store: Store, shop: Shop, name: str) -> int:
    for location in shop.locations.values():
        if location["name"] == name:
            return location["id"]
    location_id = store.new_id()
    shop.locations[location_id] = {"id": location_id, "name": name}
    return location_id


def assign(store: Store, shop: Shop, order: dict, locations: dict) -> None:
    """Move unfulfilled lines to other locations: ``{line item id: location name}``. The
    lines of each location go to that location's open fulfillment order (made if missing),
    as Shopify does when it routes an order."""
    for line_id, name in locations.items():
        location_id = location_named(store, shop, name)
        for fo in list(order["fulfillment_orders"]):
            moving = [li for li in fo["line_items"] if li["line_item_id"] == int(line_id)]
            if not moving or fo["location_id"] == location_id:
                continue
            if any(li["remaining"] < li["total"] for li in moving):
                raise SandboxError(f"line {line_id} is partly fulfilled already")
            target = next(
                (
                    f
                    for f in order["fulfillment_orders"]
                    if f["location_id"] == location_id and f["status"] == "OPEN"
                ),
                None,
            )
            if target is None:
                target = {
                    "id": store.new_id(),
                    "status": "OPEN",
                    "location_id": location_id,
                    "line_items": [],
                }
                order["fulfillment_orders"].append(target)
            for li in moving:
                fo["line_items"].remove(li)
                target["line_items"].append(li)
            if not fo["line_items"]:
                order["fulfillment_orders"].remove(fo)
    store.touch(order)


def hold(store: Store, order: dict, reason: str = "OTHER", notes: str = "") -> None:
    """Put the order's open fulfillment orders on hold (as fulfillmentOrderHold does)."""
    for fo in order["fulfillment_orders"]:
        if fo["status"] in ("OPEN", "IN_PROGRESS"):
            fo["held_from"] = fo["status"]
            fo["status"] = "ON_HOLD"
            fo["holds"] = [{"id": store.new_id(), "reason": reason, "notes": notes}]
    store.touch(order)


def release(store: Store, order: dict) -> None:
    for fo in order["fulfillment_orders"]:
        if fo["status"] == "ON_HOLD":
            fo["status"] = fo.pop("held_from", "OPEN")
            fo["holds"] = []
    store.touch(order)


HOLD_REASONS = {
    "AWAITING_PAYMENT": "Awaiting payment",
    "HIGH_RISK_OF_FRAUD": "High risk of fraud",
    "INCORRECT_ADDRESS": "Incorrect address",
    "INVENTORY_OUT_OF_STOCK": "Inventory out of stock",
    "OTHER": "Other",
}


def present_holds(store_id_gid, fo: dict) -> list[dict]:
    return [
        {
            "id": store_id_gid("FulfillmentHold", h["id"]),
            "reason": h["reason"],
            "reasonNotes": h.get("notes") or None,
            "displayReason": HOLD_REASONS.get(h["reason"], h["reason"].title()),
            "handle": None,
            "heldByApp": None,
            "heldByRequestingApp": False,
        }
        for h in fo.get("holds", [])
    ]


def present_line_items(order: dict, record: dict, line_item) -> list[tuple]:
    """(sort key, node factory) for the fulfilment's FulfillmentLineItem nodes, for
    `present.connection` (`line_item` presents an order line)."""
    fo_lines = {
        li["id"]: li["line_item_id"]
        for fo in order["fulfillment_orders"]
        for li in fo["line_items"]
    }
    lines = {li["id"]: li for li in order["line_items"]}
    out = []
    for index, part in enumerate(record["line_items"]):
        line = lines.get(fo_lines.get(part["fo_line_id"]))
        if line is not None:
            node = {
                "__typename": "FulfillmentLineItem",
                "id": f"gid://shopify/FulfillmentLineItem/{record['id'] * 1000 + index}",
                "quantity": part["quantity"],
                "lineItem": line_item(order, line),
            }
            out.append((index, lambda node=node: node))
    return out


def order_of(shop: Shop, record: dict) -> dict | None:
    return next((o for o in shop.orders.values() if record in o["fulfillments"]), None)
