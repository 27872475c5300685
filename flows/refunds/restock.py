"""Where a refunded item goes back in NetSuite, decided from Shopify's restock type and
location (pure functions; the flow writes what they decide and shows why on the timeline).

NetSuite puts the quantity of every inventory line of a credit memo or cash refund back in
stock at the line's `location`. So:
- a line Shopify restocked (RETURN, CANCEL, LEGACY_RESTOCK) carries the NetSuite location
  mapped to Shopify's restock location (Settings › Inventory › locations); when Shopify names
  none, or one that is not mapped, the sales order line's location (copied by `initialize`);
- a line Shopify did not restock (NO_RESTOCK) must not put sellable stock back (the inventory
  flow would send it to Shopify): it is credited at the connector's "not restocked" location
  when one is set (e.g. a Damaged location no Shopify location is mapped to), else its amount
  goes on the refund adjustment item (money to the cent, no stock moves).
"""

from __future__ import annotations

from dataclasses import dataclass, field

RESTOCKED = frozenset({"RETURN", "CANCEL", "LEGACY_RESTOCK"})
NO_RESTOCK = "NO_RESTOCK"


@dataclass(frozen=True)
class ReturnOptions:
    """What the connector says about returns: its location map (Shopify location -> NetSuite
    locations), the "not restocked" location, and whether a Return Authorization comes first."""

    locations: dict[str, list[str]] = field(default_factory=dict)
    no_restock_location: str = ""
    return_authorization: bool = False


DEFAULTS = ReturnOptions()


@dataclass(frozen=True)
class Placement:
    """One refund line's NetSuite location (None: leave it to NetSuite), whether it moves to
    the adjustment item instead (not restocked, no "not restocked" location), and why."""

    location: str | None
    as_adjustment: bool
    reason: str


def place(line: dict, order_line_location: str | None, options: ReturnOptions) -> Placement:
    sku = line.get("sku") or "(no SKU)"
    restock_type = line.get("restock_type")
    if restock_type == NO_RESTOCK:
        if options.no_restock_location:
            return Placement(
                options.no_restock_location,
                False,
                f"{sku}: not restocked in Shopify, credited at the “not restocked” NetSuite "
                f"location {options.no_restock_location}.",
            )
        return Placement(
            None,
            True,
            f"{sku}: not restocked in Shopify and no “not restocked” location is set: its "
            "amount is on the refund adjustment item, so no stock goes back.",
        )
    shopify_location = line.get("location_id")
    candidates = options.locations.get(str(shopify_location)) if shopify_location else None
    if candidates:
        if order_line_location in candidates:
            chosen, note = order_line_location, " (the sales order line's, one of those mapped)"
        else:
            chosen, note = candidates[0], ""
        return Placement(
            chosen,
            False,
            f"{sku}: restocked in Shopify at location {shopify_location}, mapped to NetSuite "
            f"location {chosen}{note}.",
        )
    why = (
        f"Shopify location {shopify_location} is not mapped to a NetSuite location"
        if shopify_location
        else "Shopify names no restock location"
    )
    if order_line_location:
        return Placement(
            order_line_location,
            False,
            f"{sku}: {why}; restocked at the sales order line's NetSuite location "
            f"{order_line_location}.",
        )
    return Placement(
        None,
        False,
        f"{sku}: {why} and the sales order line has no location; NetSuite uses its default.",
    )


def is_return(payload: dict) -> bool:
    """A Shopify refund that settles a return: it names its return, or a line came back
    (restock type RETURN)."""
    return bool(payload.get("return_id")) or any(
        line.get("restock_type") == "RETURN" for line in payload.get("lines") or []
    )


def mapped_elsewhere(options: ReturnOptions) -> str | None:
    """The Shopify location the "not restocked" location is mapped to, if it is (stock
    credited there would be sent to Shopify: a setting a person must fix)."""
    if not options.no_restock_location:
        return None
    return next(
        (
            shopify_id
            for shopify_id, netsuite_ids in options.locations.items()
            if options.no_restock_location in netsuite_ids
        ),
        None,
    )
