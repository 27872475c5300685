"""Payments recorded by hand on the sandbox store's orders, and the shop's plan.

`orderMarkAsPaid` (graph.py, store.mark_paid) pays the whole outstanding balance with one
manual SALE transaction. `orderCreateManualPayment(id, amount, paymentMethodName,
processedAt)` pays a part of it, and only on Shopify Plus: the shop's `plan` ("plus", the
default, or "basic" / "shopify" / "advanced") decides, as Shopify's does. Off Plus the mutation
answers a userError naming the limit; an amount over the balance answers
AMOUNT_EXCEEDS_BALANCE, one not positive AMOUNT_NOT_POSITIVE, another currency
CURRENCY_MISMATCH (the codes of the 2026-10 schema).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from .store import Shop, Store, user_error

PLANS = {
    "basic": "Basic",
    "shopify": "Shopify",
    "advanced": "Advanced",
    "plus": "Shopify Plus",
}
NOT_ON_PLAN = (
    "Manual payments for a partial amount are only available on the Shopify Plus plan; this "
    "store is on the {plan} plan."
)


def plan_of(shop: Shop) -> str:
    return getattr(shop, "plan", "plus") or "plus"


def is_plus(shop: Shop) -> bool:
    return plan_of(shop) == "plus"


def plan_node(shop: Shop) -> dict:
    name = PLANS.get(plan_of(shop), plan_of(shop).title())
    return {
        "displayName": name,
        "publicDisplayName": name,
        "partnerDevelopment": True,
        "shopifyPlus": is_plus(shop),
    }


def set_plan(shop: Shop, plan: str) -> None:
    if plan not in PLANS:
        raise ValueError(f"plan must be one of {sorted(PLANS)}")
    shop.plan = plan


def manual_payment(store: Store, shop: Shop, order: dict, amount: dict | None, method=None):
    """(transaction or None, user errors)."""
    if not is_plus(shop):
        plan = PLANS.get(plan_of(shop), plan_of(shop))
        return None, [user_error(NOT_ON_PLAN.format(plan=plan), ["id"])]
    t = store.totals(order)
    outstanding = max(Decimal(0), t["current_total"] - t["received"])
    if amount is None:
        value = outstanding
    else:
        if amount.get("currencyCode") and amount["currencyCode"] != order["currency"]:
            return None, [
                user_error(
                    "The currency must match the order's currency.",
                    ["amount", "currencyCode"],
                    "CURRENCY_MISMATCH",
                )
            ]
        try:
            value = Decimal(str(amount.get("amount"))).quantize(Decimal("0.01"))
        except (InvalidOperation, TypeError):
            value = Decimal(0)
    if value <= 0:
        return None, [
            user_error("Amount must be greater than zero.", ["amount"], "AMOUNT_NOT_POSITIVE")
        ]
    if order["cancelled_at"] or value > outstanding:
        return None, [
            user_error(
                f"Amount exceeds the order's outstanding balance of {outstanding}.",
                ["amount"],
                "AMOUNT_EXCEEDS_BALANCE",
            )
        ]
    created = store._add_transaction(order, "SALE", value, method or "manual")
    store.touch(order)
    return created, []
