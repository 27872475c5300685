"""Shopify Order Edit to NetSuite Sales Order Update (seed 004)."""

from connector.netsuite.budget import Priority
from flows.base import Flow
from transactions.models import Kind

from .run import post_one, run

FLOW = Flow(
    name="order_edit_to_netsuite",
    label="Shopify Order Edit to NetSuite Sales Order Update",
    direction="shopify_to_netsuite",
    kind=Kind.ORDER_EDIT,
    settings_section="order-edits",
    default_interval_minutes=15,
    webhook_topics=("orders/edited",),
    webhook_order_key="order_edit.order_id",
    # An edit must reach the sales order before the warehouse picks: business-critical
    # work, ahead of inventory and products in the NetSuite budget (seed 004).
    priority=Priority.URGENT,
    records_per_run=20,
    run=run,
    post_one=post_one,
)
