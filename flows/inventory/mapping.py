"""Pure functions of the inventory flow: NetSuite stock per location → Shopify quantities."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta

# inventorySetQuantities takes at most 250 quantities a call.
MAX_QUANTITIES_PER_CALL = 250
# Shopify refuses a single query over 1,000 points.
MAX_QUERY_COST = 1000


def per_shopify_location(
    available: Mapping[str, float], location_map: Mapping[str, str]
) -> tuple[dict[str, int], set[str]]:
    """NetSuite available per NetSuite location → per Shopify location (several NetSuite
    locations mapped to one are summed; whole units, as Shopify counts them). Also returns the
    NetSuite locations that are not mapped (ignored)."""
    totals: dict[str, float] = {}
    unmapped: set[str] = set()
    for ns_location, quantity in available.items():
        target = location_map.get(ns_location)
        if target is None:
            unmapped.add(ns_location)
            continue
        totals[target] = totals.get(target, 0.0) + (quantity or 0.0)
    return {loc: math.floor(q + 1e-9) for loc, q in totals.items()}, unmapped


def chunks(values: list, size: int) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def items_page_size(levels: int) -> int:
    """inventoryItemsWithLevels costs 2 + first * (4 + 3 * levels): the largest page under
    Shopify's single-query limit."""
    per_item = 4 + 3 * max(1, levels)
    return max(1, min(250, (MAX_QUERY_COST - 2) // per_item))


def search_terms(skus: Iterable[str] = (), item_ids: Iterable[str] = ()) -> str:
    """A Shopify search query matching any of these SKUs or inventory item ids."""
    terms = [f"sku:{_quote(s)}" for s in skus] + [f"id:{i}" for i in item_ids]
    return " OR ".join(terms)


def _quote(value: str) -> str:
    if value.replace("-", "").replace("_", "").replace(".", "").isalnum():
        return value
    return "'" + value.replace("'", "") + "'"


def batch_identity(quantities: list[dict]) -> str:
    """A digest of what one inventorySetQuantities call sets: the same batch sent again (a
    lost answer) has the same key; another batch (e.g. without stale items) another."""
    material = ";".join(
        f"{q['inventoryItemId']}@{q['locationId']}={q['quantity']}<{q['changeFromQuantity']}"
        for q in quantities
    )
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def parse_cursor(position: str | None) -> datetime | None:
    if not position:
        return None
    moment = datetime.fromisoformat(position.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_cursor(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def search_from(cursor: str | None, overlap: timedelta) -> datetime | None:
    """Where a delta search starts: the cursor less an overlap (NetSuite may commit a change
    stamped a little before one we already saw); items seen twice are compared and skipped."""
    moment = parse_cursor(cursor)
    return None if moment is None else moment - overlap
