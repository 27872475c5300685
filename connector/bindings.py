"""Bindings: our record <-> remote ids, and which side the panel wrote (see models.Binding).

The synchronizer binds after every write; flows and the retrieve verb ask `written_by_us`
before they offer a record as new work, so the panel never syncs back what it wrote.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q

from .models import Binding, Connector

Origin = Binding.Origin

# The kinds the company sync binds: a Shopify company and its locations to NetSuite customers
# (the parent and its sub-customers). The B2B order import reads them.
COMPANY = "company"
COMPANY_LOCATION = "company_location"


def bind(
    connector: Connector,
    kind: str,
    *,
    shopify_id: str = "",
    netsuite_id: str = "",
    netsuite_type: str = "",
    origin: str,
    marker: str = "",
) -> Binding:
    """Record (or complete) the pair; safe to call again with the same ids."""
    shopify_id, netsuite_id = str(shopify_id or ""), str(netsuite_id or "")
    values = {"netsuite_type": netsuite_type, "origin": origin, "marker": str(marker)[:100]}
    for _ in range(2):
        found = find(connector, kind, shopify_id=shopify_id, netsuite_id=netsuite_id)
        if found is not None:
            changed = {"shopify_id": shopify_id or found.shopify_id}
            changed["netsuite_id"] = netsuite_id or found.netsuite_id
            changed.update({k: v for k, v in values.items() if v})
            Binding.objects.filter(pk=found.pk).update(**changed)
            found.__dict__.update(changed)
            return found
        try:
            with transaction.atomic():
                return Binding.objects.create(
                    connector=connector,
                    kind=kind,
                    shopify_id=shopify_id,
                    netsuite_id=netsuite_id,
                    **values,
                )
        except IntegrityError:
            continue  # made by another worker between our read and our insert: update it
    raise IntegrityError(f"could not bind {kind} {shopify_id}/{netsuite_id}")


def find(
    connector: Connector, kind: str, *, shopify_id: str = "", netsuite_id: str = ""
) -> Binding | None:
    qs = Binding.objects.filter(connector=connector, kind=kind)
    if shopify_id:
        found = qs.filter(shopify_id=str(shopify_id)).first()
        if found is not None:
            return found
    if netsuite_id:
        return qs.filter(netsuite_id=str(netsuite_id)).first()
    return None


def netsuite_ids(connector: Connector, kind: str, shopify_ids) -> dict[str, str]:
    """shopify id -> netsuite id of the bound records among `shopify_ids`, in one query."""
    ids = [str(i) for i in shopify_ids]
    if not ids:
        return {}
    return dict(
        Binding.objects.filter(connector=connector, kind=kind, shopify_id__in=ids)
        .exclude(netsuite_id="")
        .values_list("shopify_id", "netsuite_id")
    )


def parts(connector: Connector, kind: str, netsuite_id: str) -> dict[str, str]:
    """netsuite id -> shopify id for a NetSuite record bound to several Shopify records: the
    first bound as `netsuite_id`, the others as `netsuite_id:2`, `netsuite_id:3` ... (an item
    fulfillment shipped from two locations is two Shopify fulfilments)."""
    netsuite_id = str(netsuite_id)
    return dict(
        Binding.objects.filter(connector=connector, kind=kind)
        .filter(Q(netsuite_id=netsuite_id) | Q(netsuite_id__startswith=f"{netsuite_id}:"))
        .values_list("netsuite_id", "shopify_id")
    )


def written_by_us(connector: Connector, kind: str, channel: str, remote_id: str) -> bool:
    """Did the panel create this record in `channel` (as the copy of one from the other side)?"""
    lookup = {"shopify_id" if channel == Origin.SHOPIFY else "netsuite_id": str(remote_id)}
    return (
        Binding.objects.filter(connector=connector, kind=kind, **lookup)
        .exclude(origin=channel)
        .exists()
    )


def bind_many(
    connector: Connector,
    kind: str,
    pairs: dict[str, str],
    *,
    netsuite_type: str = "",
    origin: str,
    markers: dict[str, str] | None = None,
) -> None:
    """`bind` for many records at once (shopify id -> netsuite id), in a few queries: the
    batch path of the synchronizer binds a hundred sales orders per NetSuite call."""
    if not pairs:
        return
    markers = markers or {}
    qs = Binding.objects.filter(connector=connector, kind=kind)
    existing = {b.shopify_id: b for b in qs.filter(shopify_id__in=list(pairs))}
    changed = []
    for shopify_id, binding in existing.items():
        wanted = (pairs[shopify_id], markers.get(shopify_id, "")[:100])
        if (binding.netsuite_id, binding.marker) != wanted:
            binding.netsuite_id, binding.marker = wanted
            changed.append(binding)
    with transaction.atomic():
        if changed:
            Binding.objects.bulk_update(changed, ["netsuite_id", "marker"])
        Binding.objects.bulk_create(
            [
                Binding(
                    connector=connector,
                    kind=kind,
                    shopify_id=str(shopify_id),
                    netsuite_id=str(netsuite_id),
                    netsuite_type=netsuite_type,
                    origin=origin,
                    marker=markers.get(shopify_id, "")[:100],
                )
                for shopify_id, netsuite_id in pairs.items()
                if shopify_id not in existing
            ],
            ignore_conflicts=True,
        )
