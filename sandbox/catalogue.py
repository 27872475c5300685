"""The demo catalogue both sandboxes share: the same SKUs in the Shopify store and in the
NetSuite account, so demo orders import without an unknown-SKU error."""

from __future__ import annotations

# (SKU, title, price): Shopify product variants and NetSuite inventory items (itemId = SKU).
DEMO_CATALOGUE = (
    ("TSHIRT-BLK-M", "T-shirt black M", "25.00"),
    ("TSHIRT-WHT-L", "T-shirt white L", "25.00"),
    ("HOODIE-GRY-M", "Hoodie grey M", "59.00"),
    ("CAP-NAVY", "Cap navy", "19.50"),
    ("MUG-LOGO", "Logo mug", "12.00"),
    ("SOCKS-3PK", "Socks 3-pack", "15.00"),
)

# NetSuite other-charge items (OtherChargeSaleItem, itemId as below) for the money that is
# not a product: Shopify's tax, order adjustments / amount-only refunds, and discounts (a
# negative amount). Shipping needs none: it travels in the body field shippingCost.
DEMO_CHARGE_ITEMS = {
    "SHOPIFY-TAX": "Shopify tax",
    "SHOPIFY-ADJUSTMENT": "Shopify refund adjustment",
    "SHOPIFY-DISCOUNT": "Shopify discount",
}
