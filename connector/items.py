"""SKU <-> NetSuite item bindings and the location map: what every flow that moves items,
stock or shipments asks before it calls a remote system.

Flows look an unknown SKU up once (through the `lookup` they pass, usually the NetSuite
client's `find_item_by_sku`) and store the answer here, so the next record, run or flow does
not ask NetSuite again. A binding an admin set is never overwritten by a lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import IntegrityError, transaction

from .models import Connector, ItemBinding, LocationMapping

Source = ItemBinding.Source


def item_ids(
    connector: Connector,
    skus: Iterable[str],
    lookup: Callable[[str], str | None] | None = None,
) -> dict[str, str]:
    """SKU -> NetSuite item internal id for the SKUs that have one.

    Known bindings come from one query; each SKU not bound yet is looked up with `lookup`
    (when given) and the answer is stored. A SKU bound to nothing (looked up and not found)
    is looked up again: the item may have been created since.
    """
    wanted = {s.strip() for s in skus if s and s.strip()}
    if not wanted:
        return {}
    known = dict(
        ItemBinding.objects.filter(connector=connector, sku__in=wanted)
        .exclude(netsuite_item_id="")
        .values_list("sku", "netsuite_item_id")
    )
    if lookup is not None:
        for sku in sorted(wanted - known.keys()):
            found = lookup(sku)
            if found:
                known[sku] = bind_item(connector, sku, netsuite_item_id=found).netsuite_item_id
    return known


def skus_for(
    connector: Connector,
    item_ids: Iterable[str],
    lookup: Callable[[str], str | None] | None = None,
) -> dict[str, str]:
    """NetSuite item internal id -> SKU, the other way round from `item_ids`: from the stored
    bindings, and an item not bound yet looked up with `lookup` (item id -> SKU, usually the
    item's `itemId` in NetSuite) and stored."""
    wanted = {str(i) for i in item_ids if i}
    if not wanted:
        return {}
    known = dict(
        ItemBinding.objects.filter(connector=connector, netsuite_item_id__in=wanted)
        .order_by("-source", "pk")  # "found" rows first: an admin's binding, last, wins
        .values_list("netsuite_item_id", "sku")
    )
    if lookup is not None:
        for item_id in sorted(wanted - known.keys()):
            sku = lookup(item_id)
            if sku:
                bind_item(connector, sku, netsuite_item_id=item_id)
                known[item_id] = sku
    return known


def bind_item(connector: Connector, sku: str, *, source: str = Source.FOUND, **ids) -> ItemBinding:
    """Store what a flow learnt of a SKU (`netsuite_item_id`, `shopify_variant_id`,
    `shopify_inventory_item_id`); empty values never erase known ones, and a flow's finding
    (`source=found`) never changes an id an admin set."""
    ids = {k: str(v) for k, v in ids.items() if v}
    for _ in range(2):
        found = ItemBinding.objects.filter(connector=connector, sku=sku).first()
        if found is not None:
            changed = {
                k: v
                for k, v in ids.items()
                if getattr(found, k) != v
                and not (
                    source == Source.FOUND and found.source == Source.ADMIN and getattr(found, k)
                )
            }
            if source == Source.ADMIN and found.source != Source.ADMIN:
                changed["source"] = Source.ADMIN
            if changed:
                ItemBinding.objects.filter(pk=found.pk).update(**changed)
                found.__dict__.update(changed)
            return found
        try:
            with transaction.atomic():
                return ItemBinding.objects.create(
                    connector=connector, sku=sku, source=source, **ids
                )
        except IntegrityError:
            continue  # another worker bound it between our read and our insert
    raise IntegrityError(f"could not bind SKU {sku}")


def shopify_location_for(connector: Connector) -> dict[str, str]:
    """NetSuite location internal id -> Shopify location legacy id, as the admin mapped them."""
    return dict(
        LocationMapping.objects.filter(connector=connector).values_list(
            "netsuite_location_id", "shopify_location_id"
        )
    )


def netsuite_locations_for(connector: Connector) -> dict[str, list[str]]:
    """Shopify location legacy id -> the NetSuite location internal ids mapped to it (the
    reverse of `shopify_location_for`), in id order. Several NetSuite locations may share one
    Shopify location: the caller decides which one a record goes to (a refund prefers the
    sales order line's location when it is one of them)."""
    out: dict[str, list[str]] = {}
    rows = LocationMapping.objects.filter(connector=connector).values_list(
        "shopify_location_id", "netsuite_location_id"
    )
    for shopify_id, netsuite_id in sorted(rows, key=lambda r: (r[0], int(r[1]), r[1])):
        out.setdefault(shopify_id, []).append(netsuite_id)
    return out


def bind_items(
    connector: Connector, found: dict[str, dict[str, str]], *, source: str = Source.FOUND
) -> None:
    """`bind_item` for many SKUs at once (sku -> ids), in a few queries whatever their number:
    one read of the existing bindings, one bulk insert of the new ones, one UPDATE per SKU
    whose ids changed. Same rules: empty values never erase, a finding never changes what an
    admin set."""
    wanted = {sku: {k: str(v) for k, v in ids.items() if v} for sku, ids in found.items() if sku}
    if not wanted:
        return
    existing = {
        b.sku: b for b in ItemBinding.objects.filter(connector=connector, sku__in=list(wanted))
    }
    new = [
        ItemBinding(connector=connector, sku=sku, source=source, **ids)
        for sku, ids in wanted.items()
        if sku not in existing
    ]
    if new:
        ItemBinding.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    for sku, binding in existing.items():
        ids = wanted[sku]
        changed = {
            k: v
            for k, v in ids.items()
            if getattr(binding, k) != v
            and not (
                source == Source.FOUND and binding.source == Source.ADMIN and getattr(binding, k)
            )
        }
        if changed:
            ItemBinding.objects.filter(pk=binding.pk).update(**changed)
