"""The settings pages of a connector, as users know them from FarApp and Celigo."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    intro: str
    option_fields: tuple[str, ...] = ()
    admin_only: bool = False
    fields_heading: str = ""


SECTIONS: dict[str, Section] = {
    s.slug: s
    for s in [
        Section(
            "general",
            "General",
            "The store and the account this connector keeps in sync.",
        ),
        Section(
            "credentials",
            "Credentials",
            "Stored encrypted and never shown again. Leave a field empty to keep its value.",
            admin_only=True,
        ),
        Section(
            "alerts",
            "Alerts",
            "Who is told when a flow fails or stops running: a message within a minute of the "
            "first failure of a kind, then at most one digest per interval, and one when it is "
            "resolved.",
            admin_only=True,
        ),
        Section(
            "orders",
            "Orders",
            "How orders that change after they were synced are handled.",
            fields_heading="Advanced options",
            option_fields=(
                "cancel_in_shopify_when_cancelled_in_netsuite",
                "prevent_shopify_refund_on_cancel",
                "netsuite_tax_item_id",
                "netsuite_discount_item_id",
                "netsuite_adjustment_item_id",
            ),
        ),
        Section(
            "cancellation",
            "Cancellation",
            "Fully cancelled orders sync both ways; partial cancellations are not synced.",
            fields_heading="Advanced settings",
            option_fields=(
                "cancelled_orders_saved_search_id",
                "cancelled_exported_field_id",
                "cancelled_in_shopify_field_id",
            ),
        ),
        Section(
            "fulfilment",
            "Fulfilment",
            "NetSuite item fulfillments become Shopify fulfilments with their tracking.",
            option_fields=("notify_customer_on_fulfilment",),
        ),
        Section(
            "inventory",
            "Inventory",
            "NetSuite is the source of truth for stock: available quantities per location "
            "are copied to the mapped Shopify locations.",
        ),
        Section(
            "products",
            "Products",
            "NetSuite items become Shopify products (matrix items: one product with "
            "variants). NetSuite's prices and SKUs always win; the fields ticked below stay "
            "as the merchant sets them in Shopify. Price levels go to B2B price lists as "
            "mapped in the admin (Price level mappings).",
            option_fields=(
                "product_price_level_id",
                "product_compare_at_price_level_id",
                "shopify_keeps_title",
                "shopify_keeps_description",
                "shopify_keeps_status",
                "shopify_keeps_barcode",
                "shopify_keeps_weight",
                "shopify_keeps_compare_at_price",
                "product_bulk_threshold",
            ),
        ),
        Section(
            "refunds",
            "Refunds",
            "Refunds sync in one direction only.",
            option_fields=(
                "refund_sync_direction",
                "refund_to_store_credit",
                "create_return_authorization",
                "netsuite_no_restock_location_id",
            ),
        ),
        Section(
            "order-edits",
            "Order edits",
            "Edits flow until the NetSuite order reaches the lock status; later edits go to a "
            "person.",
            option_fields=(
                "post_order_modifications_to_shopify",
                "allow_netsuite_order_corrections",
                "order_edit_lock_status",
                "netsuite_line_key_field_id",
            ),
        ),
        Section(
            "payments",
            "Payments",
            "Shopify Payments payouts become NetSuite deposits of the matching cash sales and "
            "customer payments, with fees and adjustments on their own lines.",
            option_fields=(
                "netsuite_payout_account_id",
                "netsuite_payout_fee_account_id",
                "netsuite_payout_adjustment_account_id",
            ),
        ),
        Section(
            "b2b",
            "B2B",
            "Shopify B2B companies and their orders.",
            option_fields=("b2b_sync_enabled", "b2b_only", "b2b_sync_window_days"),
        ),
    ]
}
