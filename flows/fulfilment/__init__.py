"""NetSuite Item Fulfillment to Shopify Fulfillment: shipped item fulfillments of orders from
Shopify become fulfilments, with tracking, on the right fulfillment orders (run.py)."""

from connector.netsuite.budget import Priority
from flows.base import Flow
from transactions.models import Kind

from .run import post_one, run

FLOW = Flow(
    name="fulfilment_to_shopify",
    label="NetSuite Item Fulfillment to Shopify Fulfillment",
    direction="netsuite_to_shopify",
    kind=Kind.FULFILMENT,
    settings_section="fulfilment",
    default_interval_minutes=5,
    priority=Priority.NORMAL,
    run=run,
    post_one=post_one,
)
