"""The NetSuite items that carry Shopify's money where NetSuite has no field for it.

A real account computes `taxTotal` (and refuses a written one) and has no field for an
amount-only refund, so Shopify's tax, discounts and refund adjustments travel as lines of
items the merchant names in Settings › Orders (connector options).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChargeItems:
    """NetSuite items (internal ids) that carry Shopify's tax, discounts and refund
    adjustments as lines; connector options (Settings › Orders)."""

    tax: str = ""
    discount: str = ""
    adjustment: str = ""

    @classmethod
    def of(cls, options) -> ChargeItems:
        return cls(
            tax=options.netsuite_tax_item_id,
            discount=options.netsuite_discount_item_id,
            adjustment=options.netsuite_adjustment_item_id,
        )
