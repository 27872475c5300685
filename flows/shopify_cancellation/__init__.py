"""Shopify Cancellation to NetSuite Cancellation Add."""

from connector.netsuite.budget import Priority
from flows.base import Flow
from transactions.models import Kind

from .run import post_one, run

FLOW = Flow(
    name="shopify_cancellation_to_netsuite",
    label="Shopify Cancellation to NetSuite Cancellation Add",
    direction="shopify_to_netsuite",
    kind=Kind.CANCELLATION,
    settings_section="cancellation",
    default_interval_minutes=15,
    webhook_topics=("orders/cancelled",),
    priority=Priority.URGENT,
    run=run,
    post_one=post_one,
)
