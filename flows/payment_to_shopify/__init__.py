"""NetSuite Customer Payment to Shopify Payment ("Reverse Payment Sync", seed 002): payments
recorded in NetSuite against invoices of orders from Shopify mark those orders paid, the whole
balance with orderMarkAsPaid, a part with orderCreateManualPayment (Shopify Plus) (run.py)."""

from connector.netsuite.budget import Priority
from flows.base import Flow
from transactions.models import Kind

from .run import post_one, run

FLOW = Flow(
    name="payment_to_shopify",
    label="NetSuite Customer Payment to Shopify Payment",
    direction="netsuite_to_shopify",
    kind=Kind.PAYMENT,
    settings_section="b2b",
    default_interval_minutes=15,
    priority=Priority.NORMAL,
    run=run,
    post_one=post_one,
)
