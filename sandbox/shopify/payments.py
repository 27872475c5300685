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


# -- Shopify Payments: payouts and their balance transactions ----------------------------------
#
# A payout (`shop.payouts`) pays the net of its balance transactions into the bank. A balance
# transaction has a type (CHARGE, REFUND, ADJUSTMENT, RESERVED_FUNDS ...), an amount (negative
# for money leaving), a fee and net = amount - fee, an associated order for charges and
# refunds. The control API makes payouts from the store's orders (`/_control/payouts`, see
# docs/sandbox-shopify.md); the Admin API serves them as `shopifyPaymentsAccount.payouts` and
# `balanceTransactions(query: "payments_transfer_id:<payout id>")`.

CENT = Decimal("0.01")


def _dec(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def standard_fee(amount: Decimal) -> Decimal:
    """2.9 % + 0.30 on a charge, as Shopify Payments' basic card rate."""
    return (abs(amount) * Decimal("0.029") + Decimal("0.30")).quantize(CENT)


def create_payout(store: Store, shop: Shop, body: dict) -> dict:
    """A payout from ``{"status": "PAID", "issued_at": iso, "transactions": [{"type":
    "CHARGE", "order_id": n, "amount"?: "69.50", "fee"?: "2.32"}, {"type": "REFUND",
    "order_id": n, "amount": "-10.00"}, {"type": "ADJUSTMENT", "amount": "-5.00", "reason":
    "..."}]}``. A charge without an amount takes what the order received; without a fee, the
    standard fee. Refunds and adjustments carry no fee unless given."""
    payouts = shop.payouts
    payout_id = store.new_id()
    issued = body.get("issued_at") or store.now()
    lines = []
    for wanted in body.get("transactions") or []:
        kind = wanted.get("type", "CHARGE")
        order = store.order(shop, wanted["order_id"]) if wanted.get("order_id") else None
        if "amount" in wanted:
            amount = _dec(wanted["amount"])
        elif order is not None and kind == "CHARGE":
            amount = store.totals(order)["received"]
        else:
            raise ValueError(f"a {kind} balance transaction needs an amount")
        fee = (
            _dec(wanted["fee"])
            if "fee" in wanted
            else (standard_fee(amount) if kind == "CHARGE" else Decimal("0.00"))
        )
        lines.append(
            {
                "id": store.new_id(),
                "type": kind,
                "amount": str(amount),
                "fee": str(fee),
                "net": str(amount - fee),
                "order_id": order["id"] if order else None,
                "order_name": order["name"] if order else None,
                "reason": wanted.get("reason"),
                "date": wanted.get("date") or issued,
            }
        )
    net = sum((_dec(li["net"]) for li in lines), Decimal(0))
    payout = {
        "id": payout_id,
        "status": body.get("status", "PAID"),
        "issued_at": issued,
        "currency": shop.currency,
        "net": str(_dec(body["net"]) if "net" in body else net),
        "transactions": lines,
    }
    payouts.append(payout)
    return payout


def _bag(amount, currency) -> dict:
    return {"amount": str(_dec(amount)), "currencyCode": currency}


def _summary(payout: dict) -> dict:
    currency = payout["currency"]
    sums: dict[str, Decimal] = {}
    for li in payout["transactions"]:
        group = {"CHARGE": "charges", "REFUND": "refunds", "RESERVED_FUNDS": "reservedFunds"}.get(
            li["type"], "adjustments"
        )
        sums[f"{group}Gross"] = sums.get(f"{group}Gross", Decimal(0)) + _dec(li["amount"])
        sums[f"{group}Fee"] = sums.get(f"{group}Fee", Decimal(0)) + _dec(li["fee"])
    names = {
        "adjustmentsFee": "adjustmentsFee",
        "adjustmentsGross": "adjustmentsGross",
        "advanceFees": "-",
        "advanceGross": "-",
        "chargesFee": "chargesFee",
        "chargesGross": "chargesGross",
        "refundsFee": "refundsFee",
        "refundsFeeGross": "refundsGross",
        "reservedFundsFee": "reservedFundsFee",
        "reservedFundsGross": "reservedFundsGross",
        "retriedPayoutsFee": "-",
        "retriedPayoutsGross": "-",
        "usdcRebateCreditAmount": "-",
    }
    return {field: _bag(sums.get(key, 0), currency) for field, key in names.items()}


def payout_node(payout: dict) -> dict:
    from .store import gid

    return {
        "__typename": "ShopifyPaymentsPayout",
        "id": gid("ShopifyPaymentsPayout", payout["id"]),
        "legacyResourceId": str(payout["id"]),
        "issuedAt": payout["issued_at"],
        "status": payout["status"],
        "transactionType": "DEPOSIT",
        "net": _bag(payout["net"], payout["currency"]),
        "gross": _bag(payout["net"], payout["currency"]),
        "externalTraceId": None,
        "summary": _summary(payout),
    }


def balance_transaction_node(payout: dict, li: dict) -> dict:
    from .store import gid

    currency = payout["currency"]
    source = li["type"] if li["type"] in ("CHARGE", "REFUND", "ADJUSTMENT") else "ADJUSTMENT"
    return {
        "__typename": "ShopifyPaymentsBalanceTransaction",
        "id": gid("ShopifyPaymentsBalanceTransaction", li["id"]),
        "type": li["type"],
        "test": True,
        "amount": _bag(li["amount"], currency),
        "fee": _bag(li["fee"], currency),
        "net": _bag(li["net"], currency),
        "transactionDate": li["date"],
        "sourceType": source,
        "sourceId": li["id"],
        "sourceOrderTransactionId": None,
        "adjustmentReason": li.get("reason"),
        "adjustmentsOrders": [],
        "associatedOrder": {"id": gid("Order", li["order_id"]), "name": li["order_name"]}
        if li.get("order_id")
        else None,
        "associatedPayout": {
            "id": gid("ShopifyPaymentsPayout", payout["id"]),
            "status": payout["status"],
        },
    }


def account_node(shop: Shop, connection) -> dict:
    """`shopifyPaymentsAccount`: payouts (oldest first; `reverse` for newest first), filtered by
    `issued_at:>=YYYY-MM-DD` and `status:paid`; balance transactions filtered by
    `payments_transfer_id:<payout id>`."""
    from .store import gid

    payouts = list(getattr(shop, "payouts", []) or [])

    def payouts_connection(query: str | None = None, reverse: bool = False, **kw):
        found = payouts
        for term in (query or "").split():
            name, _, value = term.partition(":")
            value = value.strip("'\"")
            if name == "issued_at" and value.startswith(">="):
                found = [p for p in found if p["issued_at"][:10] >= value[2:12]]
            elif name == "status":
                found = [p for p in found if p["status"].lower() == value.lower()]
        kw.pop("savedSearchId", None)
        kw.pop("sortKey", None)
        kw.pop("transactionType", None)
        return connection(
            (((p["issued_at"], p["id"]), lambda p=p: payout_node(p)) for p in found),
            reverse=reverse,
            **kw,
        )

    def transactions_connection(query: str | None = None, **kw):
        wanted = None
        for term in (query or "").split():
            name, _, value = term.partition(":")
            if name == "payments_transfer_id":
                wanted = value.strip("'\"")
        chosen = [p for p in payouts if wanted is None or str(p["id"]) == wanted]
        rows = [(p, li) for p in chosen for li in p["transactions"]]
        for key in ("savedSearchId", "sortKey", "hideTransfers", "reverse"):
            kw.pop(key, None)
        return connection(
            ((li["id"], lambda p=p, li=li: balance_transaction_node(p, li)) for p, li in rows),
            **kw,
        )

    return {
        "__typename": "ShopifyPaymentsAccount",
        "id": gid("ShopifyPaymentsAccount", shop.shop_id),
        "activated": True,
        "onboardable": False,
        "country": "US",
        "defaultCurrency": shop.currency,
        "payouts": payouts_connection,
        "balanceTransactions": transactions_connection,
    }
