"""Products: NetSuite items to Shopify products and variants, and price levels to B2B price
lists (NetSuite is the source of truth for what the panel manages)."""

from connector.netsuite.budget import Priority
from flows.base import Flow
from transactions.models import Kind

from .run import post_one, run

FLOW = Flow(
    name="product_to_shopify",
    label="NetSuite Item to Shopify Product",
    direction="netsuite_to_shopify",
    kind=Kind.PRODUCT,
    settings_section="products",
    default_interval_minutes=60,
    priority=Priority.BULK,
    run=run,
    post_one=post_one,
    full_resync=True,
)
