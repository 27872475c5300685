"""Shopify Order to NetSuite Order Add: every Shopify order becomes a NetSuite sales order
(customers first; B2B companies as parent customers), totals checked to the cent."""

from connector.netsuite.budget import Priority
from flows.base import Flow
from transactions.models import Kind

from .run import post_one, run

FLOW = Flow(
    name="order_import",
    label="Shopify Order to NetSuite Order Add",
    direction="shopify_to_netsuite",
    kind=Kind.ORDER,
    settings_section="orders",
    default_interval_minutes=20,
    webhook_topics=("orders/create", "orders/updated"),
    priority=Priority.NORMAL,
    run=run,
    post_one=post_one,
)
