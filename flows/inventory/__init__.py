"""Inventory: NetSuite to Shopify (stock per location; NetSuite is the source of truth)."""

from connector.netsuite.budget import Priority
from flows.base import Flow
from transactions.models import Kind

from .run import post_one, run

FLOW = Flow(
    name="inventory_to_shopify",
    label="NetSuite Inventory to Shopify Inventory Update",
    direction="netsuite_to_shopify",
    kind=Kind.INVENTORY,
    settings_section="inventory",
    default_interval_minutes=15,
    priority=Priority.BULK,
    run=run,
    post_one=post_one,
    full_resync=True,
)
