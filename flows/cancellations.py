"""What both cancellation flows do to the order a cancellation belongs to."""

from __future__ import annotations

from transactions.lifecycle import finish
from transactions.models import Channel, Kind, Status, Transaction


def order_row(connector, shopify_order_id: str) -> Transaction | None:
    return Transaction.objects.filter(
        connector=connector,
        kind=Kind.ORDER,
        source_channel=Channel.SHOPIFY,
        source_id=str(shopify_order_id),
    ).first()


def mark_order_canceled(job, shopify_order_id: str, message: str) -> None:
    order = order_row(job.connector, shopify_order_id)
    if order is None or order.status == Status.CANCELED:
        return
    finish(
        order.pk,
        Status.CANCELED,
        from_status=order.status,
        message=message,
        flow_run_id=job.run_id,
    )
