"""Pure functions from a NetSuite item fulfillment (zeep record) and a Shopify order (GraphQL
dict, `orderFulfilment.graphql`) to the fulfilments to write. No I/O here.

Tracking: NetSuite keeps packages in four sublists, each with its own field names (2025.2 XSD);
all four are read. The carrier is the sublist's (UPS, FedEx, USPS, each with its public tracking
address); a package of the generic `packageList` carries the item fulfillment's ship method
name as the company, if any, and no address (Shopify links known carriers itself).

Lines: an item fulfillment line names its sales order line (`orderLine`) and the item. The
import wrote the sales order's item lines in the order of the Shopify order's line items,
first, with the charge lines (tax, discount) after them, so sales order line n is Shopify line
item n; but an order edited in NetSuite renumbers nothing and may add lines. So the rule is:
the item's SKU must be the Shopify line's SKU; among the Shopify lines with that SKU, the one
at position `orderLine` wins, else the first. A line whose SKU is not on the order is an error
a person reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flows.sync import NeedsPerson

# sublist -> (element, tracking number field, company, tracking address)
PACKAGE_LISTS = {
    "packageList": ("package", "packageTrackingNumber", None, None),
    "packageUpsList": (
        "packageUps",
        "packageTrackingNumberUps",
        "UPS",
        "https://www.ups.com/track?tracknum={}",
    ),
    "packageFedExList": (
        "packageFedEx",
        "packageTrackingNumberFedEx",
        "FedEx",
        "https://www.fedex.com/fedextrack/?trknbr={}",
    ),
    "packageUspsList": (
        "packageUsps",
        "packageTrackingNumberUsps",
        "USPS",
        "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    ),
}
SHIP_STATUS_WORDS = {"_picked": "picked", "_packed": "packed", "_shipped": "shipped"}
OPEN_STATUSES = ("OPEN", "IN_PROGRESS")


@dataclass(frozen=True)
class Package:
    number: str
    company: str | None
    url: str | None


def packages(record) -> list[Package]:
    """Every package with a tracking number, from all four sublists, without repeats."""
    ship_method = getattr(getattr(record, "shipMethod", None), "name", None) or None
    out: list[Package] = []
    seen: set[str] = set()
    for list_name, (element, field, company, url) in PACKAGE_LISTS.items():
        sublist = getattr(record, list_name, None)
        for package in (getattr(sublist, element, None) or []) if sublist is not None else []:
            number = (getattr(package, field, None) or "").strip()
            if not number or number in seen:
                continue
            seen.add(number)
            out.append(
                Package(
                    number=number,
                    company=company or ship_method,
                    url=url.format(number) if url else None,
                )
            )
    return out


def tracking_numbers(found: Iterable[Package]) -> list[str]:
    return [p.number for p in found]


def tracking_input(found: list[Package]) -> dict | None:
    """Shopify's FulfillmentTrackingInput for the packages: every number, their addresses when
    every package has one, and the first package's carrier."""
    if not found:
        return None
    tracking: dict = {"numbers": [p.number for p in found]}
    if all(p.url for p in found):
        tracking["urls"] = [p.url for p in found]
    company = next((p.company for p in found if p.company), None)
    if company:
        tracking["company"] = company
    return tracking


@dataclass(frozen=True)
class FulfilmentLine:
    """One line of the item fulfillment."""

    order_line: int
    item_id: str
    quantity: int
    location_id: str | None


def fulfilment_lines(record) -> list[FulfilmentLine]:
    items = getattr(getattr(record, "itemList", None), "item", None) or []
    out = []
    for line in items:
        quantity = round(float(getattr(line, "quantity", None) or 0))
        item = getattr(line, "item", None)
        if quantity <= 0 or item is None:
            continue
        location = getattr(line, "location", None)
        out.append(
            FulfilmentLine(
                order_line=int(getattr(line, "orderLine", None) or 0),
                item_id=str(item.internalId),
                quantity=quantity,
                location_id=str(location.internalId) if location is not None else None,
            )
        )
    return out


@dataclass(frozen=True)
class Wanted:
    """What is to be fulfilled in Shopify: a line item, how many, and where from."""

    line_item_id: str
    sku: str
    quantity: int
    location_id: str | None  # a Shopify location gid, from the location map; None: any


def too_large(order: dict) -> str | None:
    """What of the order one read could not hold (the flow then asks a person rather than
    work from part of it)."""
    for field, what in (("lineItems", "50 lines"), ("fulfillmentOrders", "10 fulfillment orders")):
        if (((order.get(field) or {}).get("pageInfo")) or {}).get("hasNextPage"):
            return what
    return None


def line_sku(node: dict) -> str:
    return ((node.get("sku") or (node.get("variant") or {}).get("sku")) or "").strip()


def match_lines(
    lines: list[FulfilmentLine],
    order: dict,
    skus: Mapping[str, str],
    locations: Mapping[str, str],
    *,
    label: str,
) -> list[Wanted]:
    """Each item fulfillment line's Shopify line item (the rule in the module docstring).
    `skus`: NetSuite item id -> SKU; `locations`: NetSuite location id -> Shopify location gid."""
    nodes = list((order.get("lineItems") or {}).get("nodes") or [])
    out = []
    for line in lines:
        sku = skus.get(line.item_id)
        if not sku:
            raise NeedsPerson(
                f"{label}: NetSuite item {line.item_id} (line {line.order_line}) has no SKU the "
                "connector knows: bind the item to its Shopify SKU (SKU ↔ item bindings), then "
                "Retry."
            )
        candidates = [(n, node) for n, node in enumerate(nodes, start=1) if line_sku(node) == sku]
        if not candidates:
            raise NeedsPerson(
                f"{label}: SKU {sku} (sales order line {line.order_line}) is not a line of "
                f"Shopify order {order.get('name')}: fulfil it in Shopify by hand, or correct "
                "the item fulfillment, then Retry."
            )
        node = next((nd for n, nd in candidates if n == line.order_line), candidates[0][1])
        out.append(
            Wanted(
                line_item_id=node["id"],
                sku=sku,
                quantity=line.quantity,
                location_id=locations.get(line.location_id or ""),
            )
        )
    return out


# -- read before write: which fulfilments in Shopify are this item fulfillment's -------------


def fulfilment_numbers(fulfilment: dict) -> set[str]:
    return {t["number"] for t in fulfilment.get("trackingInfo") or [] if t.get("number")}


def fulfilment_quantities(fulfilment: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for node in (fulfilment.get("fulfillmentLineItems") or {}).get("nodes") or []:
        line_id = node["lineItem"]["id"]
        out[line_id] = out.get(line_id, 0) + int(node.get("quantity") or 0)
    return out


def ours(
    fulfilments: list[dict],
    *,
    bound: set[str],
    bound_elsewhere: set[str],
    numbers: list[str],
    wanted: list[Wanted],
    created_after: str | None,
) -> list[dict]:
    """The order's fulfilments that this item fulfillment already made (see run.py):
    bound to it; or sharing a tracking number with it; or, when it has no tracking, made
    after it, bound to no other item fulfillment, untracked, and within its lines."""
    wanted_qty: dict[str, int] = {}
    for w in wanted:
        wanted_qty[w.line_item_id] = wanted_qty.get(w.line_item_id, 0) + w.quantity
    out = []
    for f in fulfilments:
        if f.get("status") not in (None, "SUCCESS"):
            continue
        legacy = str(f.get("legacyResourceId") or "")
        if legacy in bound:
            out.append(f)
        elif legacy in bound_elsewhere:
            continue
        elif numbers and fulfilment_numbers(f) & set(numbers):
            out.append(f)
        elif not numbers and not fulfilment_numbers(f):
            if created_after and (f.get("createdAt") or "") < created_after:
                continue
            quantities = fulfilment_quantities(f)
            if quantities and all(q <= wanted_qty.get(line, 0) for line, q in quantities.items()):
                for line, q in quantities.items():
                    wanted_qty[line] -= q
                out.append(f)
    return out


def left_to_send(wanted: list[Wanted], done: list[dict]) -> list[Wanted]:
    """`wanted` less what the fulfilments in `done` already cover (by line item)."""
    covered: dict[str, int] = {}
    for f in done:
        for line, q in fulfilment_quantities(f).items():
            covered[line] = covered.get(line, 0) + q
    out = []
    for w in wanted:
        take = min(w.quantity, covered.get(w.line_item_id, 0))
        covered[w.line_item_id] = covered.get(w.line_item_id, 0) - take
        if w.quantity - take > 0:
            out.append(Wanted(w.line_item_id, w.sku, w.quantity - take, w.location_id))
    return out


# -- where to fulfil: fulfillment orders, per location ------------------------------------------


def _location(fo: dict) -> str:
    return ((fo.get("assignedLocation") or {}).get("location") or {}).get("id") or ""


def _hold_text(fo: dict) -> str:
    holds = fo.get("fulfillmentHolds") or []
    reasons = ", ".join(h.get("displayReason") or h.get("reason") or "" for h in holds)
    return f" ({reasons})" if reasons else ""


def allocate(wanted: list[Wanted], order: dict, *, label: str) -> dict[str, list[dict]]:
    """Shopify location gid -> `lineItemsByFulfillmentOrder` for one fulfillmentCreate each
    (a fulfilment covers fulfillment orders of one location). A line goes to the fulfillment
    order at its mapped location first, then to any other open one that has it left.

    Raises NeedsPerson when a line's fulfillment order is on hold, or when the item
    fulfillment ships more than Shopify has left to fulfil on the line."""
    fos = list((order.get("fulfillmentOrders") or {}).get("nodes") or [])
    remaining: dict[tuple[str, str], int] = {}
    fo_line_of: dict[tuple[str, str], str] = {}
    for fo in fos:
        for node in (fo.get("lineItems") or {}).get("nodes") or []:
            key = (fo["id"], node["lineItem"]["id"])
            remaining[key] = remaining.get(key, 0) + int(node.get("remainingQuantity") or 0)
            fo_line_of[key] = node["id"]
    picks: dict[str, dict[str, dict[str, int]]] = {}  # location -> fo -> fo line -> quantity
    for w in wanted:
        holding = [fo for fo in fos if (fo["id"], w.line_item_id) in remaining]
        usable = [
            fo
            for fo in holding
            if fo.get("status") in OPEN_STATUSES and remaining[(fo["id"], w.line_item_id)] > 0
        ]
        usable.sort(key=lambda fo: _location(fo) != w.location_id)  # mapped location first
        need = w.quantity
        for fo in usable:
            key = (fo["id"], w.line_item_id)
            take = min(need, remaining[key])
            if take <= 0:
                continue
            remaining[key] -= take
            need -= take
            by_fo = picks.setdefault(_location(fo), {}).setdefault(fo["id"], {})
            by_fo[fo_line_of[key]] = by_fo.get(fo_line_of[key], 0) + take
            if need == 0:
                break
        if need == 0:
            continue
        held = [
            fo
            for fo in holding
            if fo.get("status") == "ON_HOLD" and remaining[(fo["id"], w.line_item_id)] > 0
        ]
        if held:
            raise NeedsPerson(
                f"{label}: SKU {w.sku} is on a fulfillment order of Shopify order "
                f"{order.get('name')} that is on hold{_hold_text(held[0])}: release the hold "
                "in Shopify, then Retry."
            )
        left = w.quantity - need
        raise NeedsPerson(
            f"{label} ships {w.quantity} of SKU {w.sku}, but Shopify order {order.get('name')} "
            f"has only {left} left to fulfil on that line (fulfilled in Shopify already, "
            "refunded or edited): check both orders, correct the item fulfillment or fulfil "
            "in Shopify by hand, then Retry or Ignore."
        )
    return {
        location: [
            {
                "fulfillmentOrderId": fo_id,
                "fulfillmentOrderLineItems": [
                    {"id": line, "quantity": q} for line, q in lines.items()
                ],
            }
            for fo_id, lines in by_fo.items()
        ]
        for location, by_fo in picks.items()
    }
