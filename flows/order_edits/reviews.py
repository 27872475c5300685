"""The flows' side of the exception queue: open a review for an edit that may not be applied
by itself, and close it once the order no longer needs it. A person's decisions (apply
anyway, dismiss, create an adjustment) are verbs in transactions/edit_reviews.py."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from transactions.models import EditReview, Transaction

OPEN = (EditReview.State.OPEN, EditReview.State.APPLYING)


def open_review(
    txn: Transaction,
    *,
    netsuite_sales_order_id: str = "",
    direction: str,
    version: str,
    reason: str,
    changes: list[dict],
    source_state: dict,
    target_state: dict,
) -> EditReview:
    """The open review of this order and direction, created or brought up to date: one per
    order, always about the order as it is now (a later edit replaces what it shows)."""
    values = {
        "transaction": txn,
        "shopify_order_name": txn.shopify_order_name,
        "netsuite_sales_order_id": netsuite_sales_order_id or txn.netsuite_sales_order_id,
        "version": version,
        "reason": reason,
        "changes": changes,
        "source_state": source_state,
        "target_state": target_state,
        "state": EditReview.State.OPEN,
    }
    key = {
        "connector": txn.connector,
        "direction": direction,
        "shopify_order_id": txn.shopify_order_id or txn.source_id,
    }
    for _ in range(2):
        try:
            with transaction.atomic():
                review = (
                    EditReview.objects.select_for_update().filter(**key, state__in=OPEN).first()
                )
                if review is None:
                    return EditReview.objects.create(**key, **values)
                for name, value in values.items():
                    setattr(review, name, value)
                review.save()
                return review
        except IntegrityError:  # opened by another worker meanwhile: update that one
            continue
    raise RuntimeError("Could not open the edit review")  # pragma: no cover


def close_open(connector, direction: str, shopify_order_id: str, state: str, resolution: str):
    """Close the order's open review (applied, superseded, ...); returns how many closed."""
    return EditReview.objects.filter(
        connector=connector,
        direction=direction,
        shopify_order_id=shopify_order_id,
        state__in=OPEN,
    ).update(state=state, resolution=resolution[:2000], resolved_at=timezone.now())


def pending_action(txn: Transaction) -> tuple[str, str] | None:
    """What a person asked for this row (apply / adjust) and the version they saw."""
    asked = (txn.payload or {}).get("review_action") or {}
    if asked.get("action") in ("apply", "adjust") and asked.get("version"):
        return asked["action"], asked["version"]
    return None
