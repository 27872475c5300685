"""The exception queue's read side (/transactions/edits/ and /api/v1/edit-reviews/): which
reviews a tab shows and in what order, the count of reviews waiting for a person, and each
review's changes laid out as what Shopify says against what NetSuite holds.

What people decide (apply anyway, dismiss, credit memo) are the verbs of edit_reviews.py."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce

from . import edit_reviews
from .models import EditReview, Status

State = EditReview.State
# Open: waiting for a person, or a person's decision still being carried out (Applying).
OPEN_STATES = (State.OPEN, State.APPLYING)
DECIDED_STATES = (State.APPLIED, State.DISMISSED, State.ADJUSTED, State.SUPERSEDED)
TABS = {"open": OPEN_STATES, "decided": DECIDED_STATES}
# Changes that take something away (the verb credits only these).
REDUCING = ("removed", "quantity", "charge", "shipping")


def reviews(tab: str = "open", connector_id: int | None = None) -> QuerySet[EditReview]:
    """Open: oldest first (the queue's order). Decided: the latest decision first."""
    qs = EditReview.objects.filter(state__in=TABS.get(tab, OPEN_STATES)).select_related(
        "connector", "transaction", "resolved_by"
    )
    if connector_id:
        qs = qs.filter(connector_id=connector_id)
    if tab == "decided":
        # The flow closes some reviews with an UPDATE that leaves resolved_at empty.
        return qs.order_by(Coalesce("resolved_at", "updated_at").desc(), F("id").desc())
    return qs.order_by("created_at", "id")


def open_count() -> int:
    """Reviews waiting for a person (one indexed COUNT: editreview_queue starts with state)."""
    return EditReview.objects.filter(state=State.OPEN).count()


def offers_adjustment(review: EditReview) -> bool:
    """A credit memo is offered for an edit to NetSuite that takes something away (the same
    test the verb applies before it accepts the request)."""
    return review.direction == EditReview.Direction.TO_NETSUITE and any(
        change.get("change") in REDUCING and edit_reviews.reduces(change)
        for change in review.changes or ()
    )


@dataclass(frozen=True)
class ChangeRow:
    """One change, whichever way the edit goes: Shopify's figures and NetSuite's."""

    title: str
    sku: str
    change: str
    summary: str
    shopify_quantity: object
    shopify_amount: object
    netsuite_quantity: object
    netsuite_amount: object
    fulfilled: int
    reduces: bool


def _sides(review: EditReview) -> tuple[str, str]:
    """Which of source/target is Shopify's side and which NetSuite's."""
    if review.direction == EditReview.Direction.TO_SHOPIFY:
        return "target", "source"
    return "source", "target"


def change_rows(review: EditReview) -> list[ChangeRow]:
    shopify, netsuite = _sides(review)
    rows = []
    for change in review.changes or ():
        if not isinstance(change, dict):
            continue
        rows.append(
            ChangeRow(
                title=str(change.get("title") or ""),
                sku=str(change.get("sku") or ""),
                change=str(change.get("change") or ""),
                summary=str(change.get("summary") or ""),
                shopify_quantity=change.get(f"{shopify}_quantity"),
                shopify_amount=change.get(f"{shopify}_amount"),
                netsuite_quantity=change.get(f"{netsuite}_quantity"),
                netsuite_amount=change.get(f"{netsuite}_amount"),
                fulfilled=change.get("fulfilled") or 0,
                reduces=change.get("change") in REDUCING and edit_reviews.reduces(change),
            )
        )
    return rows


@dataclass(frozen=True)
class Totals:
    shopify_total: str
    netsuite_total: str
    currency: str
    netsuite_status: str


def totals(review: EditReview) -> Totals:
    shopify, netsuite = _sides(review)
    states = {"source": review.source_state or {}, "target": review.target_state or {}}
    return Totals(
        shopify_total=str(states[shopify].get("total") or ""),
        netsuite_total=str(states[netsuite].get("total") or ""),
        currency=str(states[shopify].get("currency") or states[netsuite].get("currency") or ""),
        netsuite_status=str(states[netsuite].get("status") or ""),
    )


def apply_failed(review: EditReview) -> bool:
    """A person's decision was carried out and refused (NetSuite said no): the flow reopens
    the review for a new decision, and the order's edit row is in Error with NetSuite's
    words."""
    return review.state in OPEN_STATES and review.transaction.status == Status.ERROR


def present(review: EditReview) -> EditReview:
    """Attach what the page shows (no queries: the transaction is select_related)."""
    review.rows = change_rows(review)
    review.totals = totals(review)
    review.can_adjust = review.is_open and offers_adjustment(review)
    review.failed = apply_failed(review)
    review.in_flight = review.state == State.APPLYING and not review.failed
    return review
