"""The exception queue's verbs: what customer service does with an order edit the connector
did not apply by itself (seed 004). Called by the page, the API and tests alike.

- apply anyway: the flow applies the edit as it is now, past the lock (NetSuite still refuses
  what it never allows, e.g. fewer units than already fulfilled: that shows as an error);
- dismiss with a reason: nothing is written; the order's edit row is Ignored with the reason;
- create an adjustment: a NetSuite credit memo for what the edit removed (the prevention rule
  of seed 004: after the cut-off, an adjustment transaction instead of changing the order).

Apply and adjust go through the flow's Post (the row is claimed, so two clicks or two people
cannot both post); the review says Applying until the flow has finished.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from . import actions
from .models import EditReview, Status, Transaction


class ReviewError(Exception):
    """The review cannot take this action (already decided, or the input is wrong)."""


MIN_REASON = 5
# The order's edit row while its review is open: in review, or failed after a person's action
# (the review reopens with the error, to be decided again).
DECIDABLE = (Status.REVIEW, Status.ERROR, Status.WAITING)


def _locked_open(review_id: int) -> EditReview:
    review = EditReview.objects.select_for_update().select_related("transaction").get(pk=review_id)
    if review.state != EditReview.State.OPEN:
        raise ReviewError(
            f"This edit is already {review.get_state_display().lower()}: nothing was done."
        )
    return review


def _request(user, review_id: int, action: str) -> EditReview:
    with transaction.atomic():
        review = _locked_open(review_id)
        if action == "adjust" and not any(
            c.get("change") in ("removed", "quantity", "charge", "shipping") and reduces(c)
            for c in review.changes
        ):
            raise ReviewError("The edit removes nothing: there is nothing to credit.")
        txn = Transaction.objects.select_for_update().get(pk=review.transaction_id)
        payload = dict(txn.payload or {})
        payload["review_action"] = {
            "action": action,
            "version": review.version,
            "review": review.pk,
        }
        Transaction.objects.filter(pk=txn.pk).update(payload=payload)
        note = "(apply the edit anyway)" if action == "apply" else "(credit what the edit removed)"
        if not actions.request_post(user, txn.pk, from_statuses=DECIDABLE, note=note):
            raise ReviewError("The order's edit is being posted already: nothing was done.")
        review.state = EditReview.State.APPLYING
        review.resolved_by = user
        review.save(update_fields=["state", "resolved_by", "updated_at"])
    return review


def reduces(change: dict) -> bool:
    """Whether a change takes something off the order (what a credit memo can carry)."""
    try:
        if change.get("source_quantity") is not None and change.get("target_quantity") is not None:
            return int(change["source_quantity"]) < int(change["target_quantity"])
        return float(change.get("source_amount") or 0) < float(change.get("target_amount") or 0)
    except (TypeError, ValueError):
        return False


def apply_anyway(user, review_id: int) -> EditReview:
    return _request(user, review_id, "apply")


def create_adjustment(user, review_id: int) -> EditReview:
    return _request(user, review_id, "adjust")


def dismiss(user, review_id: int, reason: str) -> EditReview:
    reason = (reason or "").strip()
    with transaction.atomic():
        review = _locked_open(review_id)
        if len(reason) < MIN_REASON:
            raise ReviewError("Say why the edit is dismissed (a few words): nothing was done.")
        if not actions.ignore(
            user,
            review.transaction_id,
            f"Edit dismissed: {reason}"[:300],
            from_statuses=(Status.REVIEW,),
        ):
            raise ReviewError("The order's edit is being posted already: nothing was done.")
        review.state = EditReview.State.DISMISSED
        review.resolution = reason[:2000]
        review.resolved_by = user
        review.resolved_at = timezone.now()
        review.save(
            update_fields=["state", "resolution", "resolved_by", "resolved_at", "updated_at"]
        )
    return review
