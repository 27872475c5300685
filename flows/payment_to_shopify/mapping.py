"""Pure functions of the payment flow: what a customer payment applies, and which of an
order's Shopify transactions a payment already made."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flows.sync import money


@dataclass(frozen=True)
class Application:
    """One invoice a customer payment pays (its `applyList` line with apply = true)."""

    payment_id: str
    invoice_id: str
    amount: Decimal

    @property
    def key(self) -> str:
        """The row's source id and the binding's NetSuite id: payment/invoice."""
        return f"{self.payment_id}/{self.invoice_id}"


def applications(payment) -> list[Application]:
    """The invoices a customer payment applies to, with the amount applied to each."""
    apply_list = getattr(payment, "applyList", None)
    lines = list(getattr(apply_list, "apply", None) or []) if apply_list is not None else []
    out = []
    for line in lines:
        if not getattr(line, "apply", False) or getattr(line, "doc", None) is None:
            continue
        kind = (getattr(line, "type", "") or "").lower()
        if kind and kind != "invoice":
            continue  # e.g. a journal entry or a deposit: not an order's invoice
        amount = money(getattr(line, "amount", None))
        if amount is None or amount <= 0:
            continue
        out.append(Application(str(payment.internalId), str(line.doc), amount))
    return out


def amount_of(money_bag: dict | None) -> Decimal:
    shop = (money_bag or {}).get("shopMoney") or {}
    return money(shop.get("amount")) or Decimal("0.00")


def sales(order: dict) -> list[dict]:
    """The order's successful payments (SALE / CAPTURE)."""
    return [
        t
        for t in order.get("transactions") or []
        if t.get("kind") in ("SALE", "CAPTURE") and t.get("status") == "SUCCESS"
    ]


# orderMarkAsPaid records gateway "manual"; orderCreateManualPayment records the payment
# method name we give it (PAYMENT_METHOD) as the gateway.
PAYMENT_METHOD = "NetSuite"
MANUAL_GATEWAYS = frozenset({"manual", PAYMENT_METHOD})


def found_unbound(order: dict, amount: Decimal, bound: set[str], since: str | None) -> dict | None:
    """Our write whose binding was lost: a manual payment of exactly this amount, made at or
    after the NetSuite payment was created (whole seconds), bound to no payment."""
    for t in sales(order):
        if (t.get("gateway") or "") not in MANUAL_GATEWAYS or str(t.get("id")) in bound:
            continue
        if amount_of(t.get("amountSet")) != amount:
            continue
        if since and (t.get("processedAt") or "") < since:
            continue
        return t
    return None


def new_sale(before: dict, after: dict) -> dict | None:
    """The payment a mutation added: in `after`, not in `before`."""
    known = {t.get("id") for t in before.get("transactions") or []}
    added = [t for t in sales(after) if t.get("id") not in known]
    return added[-1] if added else None
