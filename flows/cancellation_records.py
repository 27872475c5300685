"""What both cancellation flows do to our rows: the cancellation transaction, and the order
transaction it cancels."""

from __future__ import annotations

from transactions.lifecycle import claim, finish, upsert_transaction
from transactions.models import POSTABLE, Channel, Kind, Status, Transaction

from .engine import RunContext


def claim_cancellation(
    ctx: RunContext, *, source_channel: str, source_id: str, flow: str, fields: dict
) -> tuple[Transaction, bool]:
    txn, _ = upsert_transaction(
        ctx.connector,
        kind=Kind.CANCELLATION,
        source_channel=source_channel,
        source_id=source_id,
        defaults=fields,
        status=Status.SCHEDULED,
        flow=flow,
        flow_run_id=ctx.run_id,
        message=f"Cancellation retrieved from {Channel(source_channel).label}.",
    )
    # Runs of one flow never overlap: a row left `posting` is from a run that died; the
    # flow reads the target before writing, so taking it over cannot cancel twice.
    won = claim(
        txn.pk,
        from_statuses=(*POSTABLE, Status.POSTING),
        message="Cancelling.",
        flow_run_id=ctx.run_id,
    )
    return txn, won


def mark_order_canceled(ctx: RunContext, shopify_order_id: str, message: str) -> None:
    order = Transaction.objects.filter(
        connector=ctx.connector,
        kind=Kind.ORDER,
        source_channel=Channel.SHOPIFY,
        source_id=str(shopify_order_id),
    ).first()
    if order is None or order.status == Status.CANCELED:
        return
    finish(
        order.pk,
        Status.CANCELED,
        from_status=order.status,
        message=message,
        flow_run_id=ctx.run_id,
    )
