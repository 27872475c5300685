"""Pure decisions of the cancellation flows: which cancellations may be copied, and what a
NetSuite order status becomes. No I/O here."""

from __future__ import annotations

# Shopify statuses that mean part of the order already happened: not a full cancellation.
PARTLY_FULFILLED = {"PARTIALLY_FULFILLED", "FULFILLED", "PARTIALLY_RETURNED", "RETURNED"}
PARTLY_REFUNDED = {"PARTIALLY_REFUNDED"}


def shopify_cancellation_skip_reason(order: dict) -> str | None:
    """Why a cancelled Shopify order is not a full cancellation we may copy, or None.

    Only full cancellations go to NetSuite: partly fulfilled or partly refunded
    orders are left to a person.
    """
    fulfilment = order.get("displayFulfillmentStatus")
    if fulfilment in PARTLY_FULFILLED:
        return "Partly fulfilled in Shopify: only full cancellations are synced."
    refunds = order.get("refunds") or []
    cancelled_at = order.get("cancelledAt") or ""
    # A cancellation makes at most one refund, at the time of cancelling; any other refund
    # means part of the order was refunded before.
    refunded_before = len(refunds) > 1 or any(
        cancelled_at and (r.get("createdAt") or "") < cancelled_at for r in refunds
    )
    if order.get("displayFinancialStatus") in PARTLY_REFUNDED or refunded_before:
        return "Partly refunded in Shopify: only full cancellations are synced."
    return None


CANCEL_IN_NETSUITE = {
    # NetSuite status -> (the status we set, what a person calls it)
    "_pendingApproval": ("_cancelled", "cancelled"),
    "_pendingFulfillment": ("_closed", "closed"),
}


def netsuite_cancellation_for_status(status: str | None) -> tuple[str | None, str | None]:
    """(new status, None) for an order we may cancel or close; (None, skip reason) otherwise."""
    if status in CANCEL_IN_NETSUITE:
        return CANCEL_IN_NETSUITE[status][0], None
    if status in ("_cancelled", "_closed"):
        return None, "Already cancelled or closed in NetSuite."
    return None, (
        f"The NetSuite sales order is {status or 'in an unknown status'}: only orders pending "
        "approval or pending fulfilment can be cancelled."
    )
