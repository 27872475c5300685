"""Pure functions of the payout flow: a payout's balance transactions → deposit lines, and
whether they add up to the payout's net amount to the cent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from connector import gids
from flows.sync import money

ZERO = Decimal("0.00")
# Balance transactions that pay for an order or give money back for one.
ORDER_TYPES = ("CHARGE", "REFUND")


@dataclass(frozen=True)
class Candidate:
    """A NetSuite record a balance transaction may deposit: a cash sale or customer payment
    (a charge), a cash refund (a refund), with the amount it moved."""

    record_type: str
    internal_id: str
    amount: Decimal


@dataclass
class Plan:
    payments: list[tuple[Candidate, Decimal, str]] = field(default_factory=list)  # (rec, amt, bt)
    adjustments: list[tuple[Decimal, str]] = field(default_factory=list)  # (amount, memo)
    fees: Decimal = ZERO
    unmatched: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        paid = sum((amount for _, amount, _ in self.payments), ZERO)
        other = sum((amount for amount, _ in self.adjustments), ZERO)
        return paid + other - self.fees


def amount(bag: dict | None) -> Decimal:
    return money((bag or {}).get("amount")) or ZERO


def describe(bt: dict) -> str:
    order = (bt.get("associatedOrder") or {}).get("name") or ""
    where = f" of order {order}" if order else ""
    return f"{bt.get('type')}{where} {amount(bt.get('amount'))}"


def plan(transactions: list[dict], candidates: Callable[[str, str], list[Candidate]]) -> Plan:
    """Deposit lines for a payout. `candidates(type, order legacy id)` lists the NetSuite records
    of an order a charge or refund may match; each is used once."""
    out = Plan()
    used: set[tuple[str, str]] = set()
    for bt in transactions:
        kind = bt.get("type") or ""
        gross = amount(bt.get("amount"))
        out.fees += amount(bt.get("fee"))
        order = bt.get("associatedOrder")
        if kind in ORDER_TYPES and order:
            order_id = gids.legacy_id(order["id"])
            match = next(
                (
                    c
                    for c in candidates(kind, order_id)
                    if (c.record_type, c.internal_id) not in used and c.amount == abs(gross)
                ),
                None,
            )
            if match is None:
                what = "cash refund" if kind == "REFUND" else "cash sale or customer payment"
                out.unmatched.append(
                    f"{describe(bt)}: no NetSuite {what} of {abs(gross)} for order "
                    f"{order.get('name')}"
                )
                continue
            used.add((match.record_type, match.internal_id))
            out.payments.append((match, gross, describe(bt)))
        else:
            reason = bt.get("adjustmentReason") or kind.replace("_", " ").lower()
            out.adjustments.append((gross, f"Shopify {kind}: {reason}"[:100]))
    return out
