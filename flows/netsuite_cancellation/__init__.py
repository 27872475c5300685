"""NetSuite Cancellation to Shopify Cancellation Add."""

from connector.netsuite.budget import Priority
from flows.base import Flow
from transactions.models import Kind

from .run import post_one, run

FLOW = Flow(
    name="netsuite_cancellation_to_shopify",
    label="NetSuite Cancellation to Shopify Cancellation Add",
    direction="netsuite_to_shopify",
    kind=Kind.CANCELLATION,
    settings_section="cancellation",
    default_interval_minutes=15,
    required_options=("cancel_in_shopify_when_cancelled_in_netsuite",),
    priority=Priority.URGENT,
    run=run,
    post_one=post_one,
)
