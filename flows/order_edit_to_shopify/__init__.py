"""NetSuite Sales Order Edit to Shopify Order Edit (Reverse Order Edit Sync, seed 002): item and
quantity changes made on a NetSuite sales order are applied to its Shopify order (run.py)."""

from connector.netsuite.budget import Priority
from flows.base import Flow
from transactions.models import Kind

from .run import post_one, run

FLOW = Flow(
    name="order_edit_to_shopify",
    label="NetSuite Sales Order Edit to Shopify Order Edit",
    direction="netsuite_to_shopify",
    kind=Kind.ORDER_EDIT,
    settings_section="order-edits",
    default_interval_minutes=15,
    # Seed 002: both switches must be on (corrections allowed, and posted to Shopify).
    required_options=("post_order_modifications_to_shopify", "allow_netsuite_order_corrections"),
    # An order edit must reach the other side before the warehouse or the customer acts on
    # the old lines: ahead of bulk work in the NetSuite budget.
    priority=Priority.URGENT,
    records_per_run=20,
    run=run,
    post_one=post_one,
)
