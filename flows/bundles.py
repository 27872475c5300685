"""Bundles become their components on a NetSuite sales order.

A Shopify bundle line (a bundle SKU in the admins' table, `connector.models.BundleComponent`,
maintained in the Django admin) is written as one sales-order line per component, so the
warehouse picks what is really in the box. The bundle's amount and tax are Shopify's figures
and are copied, not recomputed: they are shared out across the components by weight ×
quantity, to the cent, and always add up exactly to the bundle line's.

`components_for` is the one lookup (one query); `explode` is pure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from connector.models import BundleComponent, Connector

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Component:
    sku: str
    quantity: int  # per bundle
    weight: Decimal  # value of one unit relative to the other components

    def __post_init__(self) -> None:
        if not self.sku:
            raise ValueError("A component needs a SKU.")
        if isinstance(self.quantity, bool) or int(self.quantity) != self.quantity:
            raise ValueError(f"Component {self.sku}: quantity must be a whole number.")
        if self.quantity < 1:
            raise ValueError(f"Component {self.sku}: quantity must be at least 1.")
        if not Decimal(self.weight) > 0:
            raise ValueError(f"Component {self.sku}: weight must be positive.")


def components_for(connector: Connector, skus: set[str]) -> dict[str, tuple[Component, ...]]:
    """The bundle SKUs among `skus`, each with its components in SKU order (stable, so the
    same bundle always explodes the same way); SKUs that are no bundle are left out."""
    wanted = {sku for sku in skus if sku}
    if not wanted:
        return {}
    rows = (
        BundleComponent.objects.filter(connector=connector, bundle_sku__in=wanted)
        .order_by("bundle_sku", "component_sku")
        .values_list("bundle_sku", "component_sku", "quantity", "price_weight")
    )
    found: dict[str, list[Component]] = {}
    for bundle_sku, component_sku, quantity, weight in rows:
        found.setdefault(bundle_sku, []).append(Component(component_sku, quantity, weight))
    return {sku: tuple(components) for sku, components in found.items()}


def explode(line: dict, components: tuple[Component, ...], *, unit: Decimal = CENT) -> list[dict]:
    """One line per component for a bundle line `{"key", "sku", "quantity", "amount", "tax",
    "description"}` (amount: the net amount for that quantity). Each component line has the
    same keys (any others the line carries are passed on unchanged): key `<line key>:<component
    sku>`, the bundle quantity × the component's, and its share of the amount and of the tax
    by weight × quantity, in `unit`s (cents), the shares adding up exactly to the line's.

    Quantity 0 (the bundle was removed by an edit) gives every component quantity 0 and
    amount and tax 0, so an edit can zero the lines it wrote before."""
    if not components:
        raise ValueError(f"Bundle {line.get('sku')}: no components.")
    quantity = line["quantity"]
    if isinstance(quantity, bool) or int(quantity) != quantity or quantity < 0:
        raise ValueError(f"Bundle {line.get('sku')}: quantity must be a whole number ≥ 0.")
    shares = [component.weight * component.quantity for component in components]
    if quantity == 0:
        amounts = taxes = [Decimal(0).quantize(unit)] * len(components)
    else:
        amounts = allocate(Decimal(line["amount"]), shares, unit)
        taxes = allocate(Decimal(line["tax"]), shares, unit)
    return [
        {
            **line,
            "key": f"{line['key']}:{component.sku}",
            "sku": component.sku,
            "quantity": quantity * component.quantity,
            "amount": amount,
            "tax": tax,
            "description": f"{component.sku} (bundle {line['sku']})",
        }
        for component, amount, tax in zip(components, amounts, taxes, strict=True)
    ]


def allocate(total: Decimal, shares: list[Decimal], unit: Decimal = CENT) -> list[Decimal]:
    """`total` split in proportion to `shares`, in whole `unit`s, summing exactly to `total`
    (largest remainder: each part is first rounded down, then the units left over go one each
    to the parts that lost the most, the earlier part first on a tie). A negative total is
    split as its magnitude and given its sign back, so no part ever has the other sign."""
    if total != total.quantize(unit):
        raise ValueError(f"{total} is not a whole number of {unit}.")
    if not shares or any(share <= 0 for share in shares):
        raise ValueError("Shares must be positive.")
    sign = -1 if total < 0 else 1
    units = int(abs(total) / unit)
    # Exact fractions: a rounded quotient could round up past a whole unit.
    whole = sum(Fraction(share) for share in shares)
    exact = [units * Fraction(share) / whole for share in shares]
    parts = [math.floor(value) for value in exact]
    left = units - sum(parts)
    by_loss = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for index in by_loss[:left]:
        parts[index] += 1
    return [(sign * part * unit).quantize(unit) for part in parts]
