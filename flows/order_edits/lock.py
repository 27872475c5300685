"""The fulfilment lock (seed 004): once the warehouse may act on a sales order, an edit is no
longer applied by itself; it goes to a person (the exception queue).

The cut-off is a connector option (Settings › Order edits): edits apply while the sales order
is at or before that status and no item fulfillment exists for it; a cancelled or closed
order never takes an edit."""

from __future__ import annotations

# NetSuite's sales order statuses in the order an order moves through them.
PROGRESSION = (
    "_pendingApproval",
    "_pendingFulfillment",
    "_partiallyFulfilled",
    "_pendingBillingPartFulfilled",
    "_pendingBilling",
    "_fullyBilled",
)
LABELS = {
    "_pendingApproval": "Pending Approval",
    "_pendingFulfillment": "Pending Fulfillment",
    "_partiallyFulfilled": "Partially Fulfilled",
    "_pendingBillingPartFulfilled": "Pending Billing/Partially Fulfilled",
    "_pendingBilling": "Pending Billing",
    "_fullyBilled": "Billed",
    "_cancelled": "Cancelled",
    "_closed": "Closed",
}


def status_label(status: str | None) -> str:
    return LABELS.get(status or "", status or "unknown")


def lock_reason(status: str | None, cut_off: str, fulfilled_units: int = 0) -> str | None:
    """Why an edit may not be applied by itself now, or None when it may. `fulfilled_units`:
    units of the order already on item fulfillments (each sales order line says how many)."""
    if status in ("_cancelled", "_closed"):
        return f"The NetSuite sales order is {status_label(status)}: it takes no more edits."
    if fulfilled_units:
        return (
            f"NetSuite already has item fulfillments for {fulfilled_units} unit(s) of this "
            "order: the warehouse may have picked the old lines."
        )
    if status in PROGRESSION and cut_off in PROGRESSION:
        if PROGRESSION.index(status) > PROGRESSION.index(cut_off):
            return (
                f"The NetSuite sales order is {status_label(status)}, past the lock "
                f"({status_label(cut_off)}, Settings › Order edits)."
            )
        return None
    if status not in PROGRESSION:
        return f"The NetSuite sales order has an unknown status ({status!r}): not edited."
    return None
