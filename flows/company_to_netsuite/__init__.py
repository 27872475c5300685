"""Shopify companies → NetSuite customers (seed 002): the company as the parent customer,
each location as a sub-customer with its addresses. Runs only with B2B sync on."""

from connector.netsuite.budget import Priority
from flows.base import Flow
from transactions.models import Kind

from .run import post_one, run

FLOW = Flow(
    name="company_to_netsuite",
    label="Shopify Company to NetSuite Customer",
    direction="shopify_to_netsuite",
    kind=Kind.COMPANY,
    settings_section="b2b",
    required_options=("b2b_sync_enabled",),
    priority=Priority.NORMAL,
    run=run,
    post_one=post_one,
)
