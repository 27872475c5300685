"""Shopify Payments payouts to NetSuite deposits ("Payout sync"): per payout one deposit of the
matching cash sales and customer payments, fees and adjustments on their own lines (run.py)."""

from connector.netsuite.budget import Priority
from flows.base import Flow
from transactions.models import Kind

from .run import post_one, run

FLOW = Flow(
    name="payout_to_netsuite",
    label="Shopify Payout to NetSuite Deposit",
    direction="shopify_to_netsuite",
    kind=Kind.PAYOUT,
    settings_section="payments",
    default_interval_minutes=60,
    required_options=("netsuite_payout_account_id",),
    priority=Priority.NORMAL,
    run=run,
    post_one=post_one,
)
