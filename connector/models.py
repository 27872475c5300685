"""A connector: one Shopify store + one NetSuite account, their credentials and options."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from . import crypto
from .validators import (
    validate_api_version,
    validate_internal_id,
    validate_netsuite_account_id,
    validate_shop_domain,
    validate_shopify_legacy_id,
)

DEFAULT_SHOPIFY_API_VERSION = "2026-10"


class NetSuiteEnvironment(models.TextChoices):
    PRODUCTION = "production", "Production"
    SANDBOX = "sandbox", "Sandbox"


class RefundSyncDirection(models.TextChoices):
    # One direction or none: syncing both ways would post every refund twice.
    NONE = "none", "None"
    SHOPIFY_TO_NETSUITE = "shopify_to_netsuite", "Shopify → NetSuite"
    NETSUITE_TO_SHOPIFY = "netsuite_to_shopify", "NetSuite → Shopify"


class SalesOrderStatus(models.TextChoices):
    """NetSuite SalesOrderOrderStatus, in lifecycle order."""

    PENDING_APPROVAL = "_pendingApproval", "Pending Approval"
    PENDING_FULFILLMENT = "_pendingFulfillment", "Pending Fulfillment"
    PARTIALLY_FULFILLED = "_partiallyFulfilled", "Partially Fulfilled"
    PENDING_BILLING_PART_FULFILLED = (
        "_pendingBillingPartFulfilled",
        ("Pending Billing/Partially Fulfilled"),
    )
    PENDING_BILLING = "_pendingBilling", "Pending Billing"
    FULLY_BILLED = "_fullyBilled", "Billed"
    CANCELLED = "_cancelled", "Cancelled"
    CLOSED = "_closed", "Closed"


# Credentials: stored encrypted in `<name>_encrypted`, write-only everywhere.
SECRET_FIELDS = {
    "shopify_access_token": "Shopify Admin API access token",
    "shopify_webhook_secret": "Shopify webhook signing secret",
    "netsuite_consumer_key": "NetSuite consumer key",
    "netsuite_consumer_secret": "NetSuite consumer secret",
    "netsuite_token_id": "NetSuite token id",
    "netsuite_token_secret": "NetSuite token secret",
}


class Connector(models.Model):
    name = models.CharField(max_length=100, unique=True)
    is_active = models.BooleanField(
        default=True,
        help_text="Inactive connectors run no flows; their webhooks are recorded, not processed.",
    )

    shopify_shop_domain = models.CharField(
        "Shopify shop domain",
        max_length=100,
        validators=[validate_shop_domain],
        help_text="The store's permanent domain, e.g. your-store.myshopify.com.",
    )
    shopify_api_version = models.CharField(
        "Shopify API version",
        max_length=16,
        default=DEFAULT_SHOPIFY_API_VERSION,
        validators=[validate_api_version],
    )
    shopify_endpoint = models.URLField(
        "Shopify endpoint override",
        blank=True,
        help_text="Leave empty for the real Shopify. Set only for the bundled sandbox store "
        "or a proxy, e.g. http://127.0.0.1:8701.",
    )

    netsuite_account_id = models.CharField(
        "NetSuite account id", max_length=40, validators=[validate_netsuite_account_id]
    )
    netsuite_environment = models.CharField(
        "NetSuite environment",
        max_length=16,
        choices=NetSuiteEnvironment.choices,
        default=NetSuiteEnvironment.PRODUCTION,
    )
    netsuite_concurrency_limit = models.SmallIntegerField(
        "NetSuite concurrency limit",
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
        help_text="Most requests in flight at once for this account: 5 on Standard, 15 on "
        "Premium, 20 on Enterprise/Ultimate, +10 per SuiteCloud Plus licence. Set it lower "
        "if other integrations share the account.",
    )
    netsuite_endpoint = models.URLField(
        "NetSuite endpoint override",
        blank=True,
        help_text="Leave empty for the real NetSuite. Set only for the bundled sandbox "
        "account or a proxy, e.g. http://127.0.0.1:8702/services/NetSuitePort_2025_2.",
    )

    shopify_access_token_encrypted = models.TextField(blank=True, editable=False)
    shopify_webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    netsuite_consumer_key_encrypted = models.TextField(blank=True, editable=False)
    netsuite_consumer_secret_encrypted = models.TextField(blank=True, editable=False)
    netsuite_token_id_encrypted = models.TextField(blank=True, editable=False)
    netsuite_token_secret_encrypted = models.TextField(blank=True, editable=False)

    # The last outcome, written by the flow engine so the list page can show health cheaply.
    last_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(netsuite_concurrency_limit__gte=1)
                & Q(netsuite_concurrency_limit__lte=200),
                name="connector_concurrency_limit_range",
            ),
            models.CheckConstraint(
                condition=Q(netsuite_environment__in=NetSuiteEnvironment.values),
                name="connector_netsuite_environment_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .endpoints import EndpointNotAllowed, check

        errors = {}
        for name in ("shopify_endpoint", "netsuite_endpoint"):
            value = getattr(self, name)
            if value:
                try:
                    check(value)
                except EndpointNotAllowed as exc:
                    errors[name] = str(exc)
        if errors:
            raise ValidationError(errors)

    # -- credentials -------------------------------------------------------------------
    def set_secret(self, name: str, value: str) -> None:
        if name not in SECRET_FIELDS:
            raise KeyError(name)
        setattr(self, f"{name}_encrypted", crypto.encrypt(value) if value else "")

    def get_secret(self, name: str) -> str:
        if name not in SECRET_FIELDS:
            raise KeyError(name)
        token = getattr(self, f"{name}_encrypted")
        return crypto.decrypt(token) if token else ""

    def has_secret(self, name: str) -> bool:
        return bool(getattr(self, f"{name}_encrypted"))

    def credential_status(self) -> dict[str, bool]:
        return {name: self.has_secret(name) for name in SECRET_FIELDS}

    @property
    def credentials_complete(self) -> bool:
        return all(self.credential_status().values())

    def get_additional_data(self) -> dict:
        """Stored on every audit entry so the admin can filter changes by connector."""
        return {"connector_id": self.pk, "connector": self.name}


class ConnectorOptions(models.Model):
    """The options an admin toggles, typed and validated. API names are the field names."""

    connector = models.OneToOneField(Connector, on_delete=models.CASCADE, related_name="options")

    # Settings › Orders › Advanced options
    cancel_in_shopify_when_cancelled_in_netsuite = models.BooleanField(
        "If an order is canceled in NetSuite, cancel it in Shopify",
        default=False,
        help_text="An order cancelled while pending approval, or closed while pending "
        "fulfillment, in NetSuite is cancelled in Shopify by the NetSuite Cancellation to "
        "Shopify Cancellation Add flow.",
    )
    prevent_shopify_refund_on_cancel = models.BooleanField(
        "Prevent Shopify from refunding paid orders when cancelling",
        default=False,
        help_text="By default Shopify refunds a paid order when it is cancelled. Tick this to "
        "cancel without refunding; refunds then follow your refund sync.",
    )

    # Settings › Cancellation
    cancelled_orders_saved_search_id = models.CharField(
        "NetSuite saved search for syncing order cancellations",
        max_length=100,
        default="customsearch_nsc_cancelled_orders",
        help_text="Script id of the saved search listing Shopify orders cancelled in NetSuite "
        "and not yet exported.",
    )
    cancelled_exported_field_id = models.CharField(
        "“eTail cancelled order exported” field id",
        max_length=100,
        default="custbody_etail_cancelled_exported",
        help_text="NetSuite checkbox set on the sales order once its cancellation reached Shopify.",
    )
    cancelled_in_shopify_field_id = models.CharField(
        "“Order cancelled in Shopify” field id",
        max_length=100,
        default="custbody_etail_cancelled_in_shopify",
        help_text="NetSuite checkbox set on the sales order when it was cancelled in Shopify.",
    )

    # Settings › Orders: NetSuite items that carry Shopify's money as lines (see flows/charges)
    netsuite_tax_item_id = models.CharField(
        "Tax item (NetSuite internal id)",
        max_length=20,
        blank=True,
        validators=[validate_internal_id],
        help_text="An other-charge item that carries Shopify's tax on sales orders and refunds "
        "(NetSuite computes taxTotal itself and refuses a written one).",
    )
    netsuite_discount_item_id = models.CharField(
        "Discount item (NetSuite internal id)",
        max_length=20,
        blank=True,
        validators=[validate_internal_id],
        help_text="The item that carries Shopify's order discounts as a negative line.",
    )
    netsuite_adjustment_item_id = models.CharField(
        "Refund adjustment item (NetSuite internal id)",
        max_length=20,
        blank=True,
        validators=[validate_internal_id],
        help_text="The item that carries amount-only refunds and order adjustments.",
    )

    # Settings › Fulfilment
    notify_customer_on_fulfilment = models.BooleanField(
        "Notify the customer when an order ships",
        default=True,
        help_text="Shopify emails the customer the tracking details of each fulfilment the "
        "panel creates from a NetSuite item fulfillment.",
    )

    # Settings › Refunds
    refund_sync_direction = models.CharField(
        "Refund sync direction",
        max_length=32,
        choices=RefundSyncDirection.choices,
        default=RefundSyncDirection.NONE,
        help_text="Refunds sync in one direction only; both at once would post every refund "
        "twice. Leading practice for Shopify: NetSuite → Shopify.",
    )
    refund_to_store_credit = models.BooleanField(
        "Refund to Shopify store credit",
        default=False,
        help_text="NetSuite → Shopify: give the NetSuite refund back as Shopify store credit "
        "instead of to the original payment method.",
    )
    create_return_authorization = models.BooleanField(
        "Create a Return Authorization for returns",
        default=False,
        help_text="Shopify → NetSuite: a refund of a Shopify return (items sent back) first "
        "becomes a NetSuite Return Authorization created from the sales order, then the "
        "credit memo or cash refund is created from it.",
    )
    netsuite_no_restock_location_id = models.CharField(
        "Location for items not restocked (NetSuite internal id)",
        max_length=20,
        blank=True,
        validators=[validate_internal_id],
        help_text="Shopify → NetSuite: refunded items Shopify did not restock (NO_RESTOCK) are "
        "credited at this location (e.g. a “Damaged” location no Shopify location is mapped "
        "to), so stock you sell is not put back. Empty: their amount goes on the refund "
        "adjustment item instead, and no stock moves.",
    )

    # Settings › Order edits
    post_order_modifications_to_shopify = models.BooleanField(
        "PostOrderModificationsToShopify",
        default=False,
        help_text="Send item and quantity changes made in NetSuite back to the Shopify order. "
        "Needs AllowNetSuiteOrderCorrections as well.",
    )
    allow_netsuite_order_corrections = models.BooleanField(
        "AllowNetSuiteOrderCorrections",
        default=False,
        help_text="Allow corrections of synced orders made in NetSuite.",
    )
    order_edit_lock_status = models.CharField(
        "Lock order edits from status",
        max_length=40,
        choices=SalesOrderStatus.choices,
        default=SalesOrderStatus.PENDING_FULFILLMENT,
        help_text="Shopify edits are applied to the NetSuite sales order while it is at or "
        "before this status and no item fulfillment exists; after that they go to the "
        "exception queue for a person.",
    )
    netsuite_line_key_field_id = models.CharField(
        "Shopify line id field (NetSuite line custom field)",
        max_length=100,
        default="custcol_shopify_line_id",
        help_text="A free-text transaction column field that holds each sales order line's "
        "Shopify line item id, so edits change the right line.",
    )

    # Settings › Payments (flows/payout_to_netsuite)
    netsuite_payout_account_id = models.CharField(
        "Payout bank account (NetSuite internal id)",
        max_length=20,
        blank=True,
        validators=[validate_internal_id],
        help_text="The bank account Shopify Payments pays out to: each payout becomes a "
        "deposit into it.",
    )
    netsuite_payout_fee_account_id = models.CharField(
        "Processing fee account (NetSuite internal id)",
        max_length=20,
        blank=True,
        validators=[validate_internal_id],
        help_text="The expense account of Shopify Payments' processing fees (a cash-back line "
        "of each deposit).",
    )
    netsuite_payout_adjustment_account_id = models.CharField(
        "Payout adjustment account (NetSuite internal id)",
        max_length=20,
        blank=True,
        validators=[validate_internal_id],
        help_text="The account of payout adjustments and reserves (chargebacks, holds, "
        "corrections): an other-deposit line of each deposit.",
    )

    # Settings › Products (flows/product_to_shopify)
    product_price_level_id = models.CharField(
        "Price level of the Shopify price (NetSuite internal id)",
        max_length=20,
        default="1",
        validators=[validate_internal_id],
        help_text="The NetSuite price level each variant's price is copied from (1 is NetSuite's "
        "Base Price).",
    )
    product_compare_at_price_level_id = models.CharField(
        "Price level of the compare-at price (NetSuite internal id)",
        max_length=20,
        blank=True,
        validators=[validate_internal_id],
        help_text="Empty: the panel leaves compare-at prices empty (unless Shopify keeps them).",
    )
    shopify_keeps_title = models.BooleanField(
        "Shopify keeps product titles",
        default=False,
        help_text="Titles are set when a product is created, then left to the merchant.",
    )
    shopify_keeps_description = models.BooleanField(
        "Shopify keeps product descriptions",
        default=False,
        help_text="Descriptions are set when a product is created, then left to the merchant.",
    )
    shopify_keeps_status = models.BooleanField(
        "Shopify keeps product status",
        default=False,
        help_text="Otherwise an item made inactive in NetSuite is archived in Shopify.",
    )
    shopify_keeps_barcode = models.BooleanField(
        "Shopify keeps barcodes",
        default=False,
        help_text="Otherwise each variant's barcode is the NetSuite item's UPC code.",
    )
    shopify_keeps_weight = models.BooleanField(
        "Shopify keeps weights",
        default=False,
        help_text="Otherwise each variant's weight is the NetSuite item's weight.",
    )
    shopify_keeps_compare_at_price = models.BooleanField(
        "Shopify keeps compare-at prices",
        default=False,
        help_text="Compare-at prices are then never written, even with a price level set.",
    )
    product_bulk_threshold = models.PositiveIntegerField(
        "Bulk operation above (products)",
        default=500,
        validators=[MinValueValidator(1), MaxValueValidator(1_000_000)],
        help_text="A run that updates more products than this sends them as one Shopify bulk "
        "operation (outside the API's rate limit) instead of one call each.",
    )

    # Settings › B2B
    b2b_sync_enabled = models.BooleanField(
        "Sync B2B orders",
        default=False,
        help_text="Companies become NetSuite customers, their locations sub-customers.",
    )
    b2b_only = models.BooleanField(
        "Sync B2B orders only",
        default=False,
        help_text="Orders placed without a B2B company (B2C) are skipped by the order import, "
        "for stores whose B2C orders reach NetSuite another way. Needs “Sync B2B orders”.",
    )
    b2b_sync_window_days = models.SmallIntegerField(
        "B2B order sync window (days)",
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="How far back B2B payments and orders are considered.",
    )

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "connector options"
        verbose_name_plural = "connector options"
        constraints = [
            models.CheckConstraint(
                condition=Q(refund_sync_direction__in=RefundSyncDirection.values),
                name="options_refund_direction_single",
            ),
            models.CheckConstraint(
                condition=Q(b2b_sync_window_days__gte=1) & Q(b2b_sync_window_days__lte=3650),
                name="options_b2b_window_range",
            ),
            models.CheckConstraint(
                condition=Q(order_edit_lock_status__in=SalesOrderStatus.values),
                name="options_order_edit_lock_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Options of {self.connector}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.b2b_only and not self.b2b_sync_enabled:
            raise ValidationError(
                {"b2b_only": "Switch on “Sync B2B orders” too: B2B-only means B2B orders only."}
            )

    def get_additional_data(self) -> dict:
        return {"connector_id": self.connector_id, "connector": str(self.connector)}


class Binding(models.Model):
    """Which Shopify record and which NetSuite record are the same thing, and which of the
    two the panel wrote.

    Written by the synchronizer after every successful write (our record <-> remote ids, with
    the marker of what we wrote last), read before writing and before offering a record as new
    work: a record whose `origin` is the other system was written by the panel and is never
    synced back (no echo).
    """

    class Origin(models.TextChoices):
        SHOPIFY = "shopify", "Shopify"
        NETSUITE = "netsuite", "NetSuite"

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="bindings")
    kind = models.CharField(max_length=30, help_text="order, refund, customer, item, ...")
    shopify_id = models.CharField(max_length=100, blank=True, help_text="Legacy (numeric) id.")
    netsuite_id = models.CharField(max_length=100, blank=True, help_text="Internal id.")
    netsuite_type = models.CharField(max_length=40, blank=True)
    origin = models.CharField(
        max_length=10, choices=Origin.choices, help_text="Where the record was first made."
    )
    marker = models.CharField(
        max_length=100, blank=True, help_text="What we wrote last: a version, total or time."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "kind", "shopify_id"],
                condition=~Q(shopify_id=""),
                name="binding_unique_shopify",
            ),
            models.UniqueConstraint(
                fields=["connector", "kind", "netsuite_id"],
                condition=~Q(netsuite_id=""),
                name="binding_unique_netsuite",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} shopify {self.shopify_id or '-'} = netsuite {self.netsuite_id or '-'}"


class ItemBinding(models.Model):
    """A Shopify SKU and the NetSuite item it is, kept so flows do not look items up on every
    record. Filled by the flows when they find an item by its SKU (`source=found`); an admin
    may set or correct one (`source=admin`), and the flows never overwrite what an admin set.
    """

    class Source(models.TextChoices):
        FOUND = "found", "Found by SKU"
        ADMIN = "admin", "Set by an admin"

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="item_bindings")
    sku = models.CharField("SKU", max_length=255)
    netsuite_item_id = models.CharField(
        "NetSuite item (internal id)",
        max_length=20,
        blank=True,
        validators=[validate_internal_id],
        help_text="Empty: not found in NetSuite the last time it was looked up.",
    )
    shopify_variant_id = models.CharField(
        "Shopify variant id", max_length=30, blank=True, help_text="Legacy (numeric) id."
    )
    shopify_inventory_item_id = models.CharField(
        "Shopify inventory item id", max_length=30, blank=True, help_text="Legacy (numeric) id."
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.FOUND)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SKU ↔ item binding"
        constraints = [
            models.UniqueConstraint(fields=["connector", "sku"], name="item_binding_unique_sku"),
        ]
        indexes = [
            models.Index(fields=["connector", "netsuite_item_id"], name="item_binding_ns_item"),
            models.Index(
                fields=["connector", "shopify_inventory_item_id"], name="item_binding_inv_item"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} = NetSuite item {self.netsuite_item_id or '?'}"

    def get_additional_data(self) -> dict:
        return {"connector_id": self.connector_id, "connector": str(self.connector)}


class LocationMapping(models.Model):
    """A NetSuite location and the Shopify location its stock and shipments belong to. Several
    NetSuite locations may map to one Shopify location (their quantities are summed)."""

    connector = models.ForeignKey(
        Connector, on_delete=models.CASCADE, related_name="location_mappings"
    )
    netsuite_location_id = models.CharField(
        "NetSuite location (internal id)", max_length=20, validators=[validate_internal_id]
    )
    shopify_location_id = models.CharField(
        "Shopify location id",
        max_length=30,
        validators=[validate_shopify_legacy_id],
        help_text="Legacy (numeric) id, as in the location's admin URL.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "netsuite_location_id"], name="location_mapping_unique_ns"
            ),
        ]

    def __str__(self) -> str:
        return f"NetSuite location {self.netsuite_location_id} → Shopify {self.shopify_location_id}"

    def get_additional_data(self) -> dict:
        return {"connector_id": self.connector_id, "connector": str(self.connector)}


class PriceLevelMapping(models.Model):
    """A NetSuite price level and the Shopify B2B catalog price list its prices go to, as
    fixed prices per variant (flows/product_to_shopify)."""

    connector = models.ForeignKey(
        Connector, on_delete=models.CASCADE, related_name="price_level_mappings"
    )
    netsuite_price_level_id = models.CharField(
        "NetSuite price level (internal id)", max_length=20, validators=[validate_internal_id]
    )
    shopify_price_list_id = models.CharField(
        "Shopify price list id",
        max_length=30,
        validators=[validate_shopify_legacy_id],
        help_text="Legacy (numeric) id of the B2B catalog's price list. Its currency is the "
        "currency the price level's prices are in.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "shopify_price_list_id"], name="price_level_mapping_unique"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"NetSuite price level {self.netsuite_price_level_id} → Shopify price list "
            f"{self.shopify_price_list_id}"
        )

    def get_additional_data(self) -> dict:
        return {"connector_id": self.connector_id, "connector": str(self.connector)}


class BundleComponent(models.Model):
    """One component of a bundle SKU: a sales order carries the components, not the bundle
    (the warehouse picks components). `price_weight` is the value of one unit of the
    component relative to the others (its list price, say): the bundle line's amount and tax
    are shared out in proportion to weight × quantity (flows/bundles.py)."""

    connector = models.ForeignKey(
        Connector, on_delete=models.CASCADE, related_name="bundle_components"
    )
    bundle_sku = models.CharField(
        "Bundle SKU", max_length=255, help_text="The SKU the bundle is sold under in Shopify."
    )
    component_sku = models.CharField(
        "Component SKU", max_length=255, help_text="A SKU the NetSuite sales order carries."
    )
    quantity = models.PositiveIntegerField(
        "Quantity per bundle", default=1, validators=[MinValueValidator(1)]
    )
    price_weight = models.DecimalField(
        "Price weight",
        max_digits=12,
        decimal_places=4,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text="The value of one unit relative to the other components (its list price, "
        "for example). The bundle's amount and tax are shared out by weight × quantity.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "bundle component"
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "bundle_sku", "component_sku"],
                name="bundle_component_unique",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="bundle_component_qty"),
            models.CheckConstraint(condition=Q(price_weight__gt=0), name="bundle_component_weight"),
            models.CheckConstraint(
                condition=~Q(bundle_sku=models.F("component_sku")),
                name="bundle_component_not_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bundle_sku}: {self.quantity} × {self.component_sku}"

    def clean(self) -> None:
        """One level only: a component is never a bundle itself (the sales order would carry
        a SKU the warehouse cannot pick), and a bundle is never a component of another."""
        from django.core.exceptions import ValidationError

        self.bundle_sku = (self.bundle_sku or "").strip()
        self.component_sku = (self.component_sku or "").strip()
        if not self.connector_id or not self.bundle_sku or not self.component_sku:
            return
        if self.bundle_sku == self.component_sku:
            raise ValidationError({"component_sku": "A bundle cannot contain itself."})
        others = BundleComponent.objects.filter(connector_id=self.connector_id).exclude(pk=self.pk)
        if others.filter(bundle_sku=self.component_sku).exists():
            raise ValidationError(
                {"component_sku": f"{self.component_sku} is a bundle itself: list its components."}
            )
        if others.filter(component_sku=self.bundle_sku).exists():
            raise ValidationError(
                {"bundle_sku": f"{self.bundle_sku} is a component of another bundle."}
            )

    def get_additional_data(self) -> dict:
        return {"connector_id": self.connector_id, "connector": str(self.connector)}


class Installation(models.Model):
    """This install's own secret, made once by migration: part of every idempotency key, so
    keys never repeat across installs (and, with the remote ids in them, after a restore)."""

    secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"installation of {self.created_at:%Y-%m-%d}"


class AlertSettings(models.Model):
    """Who is told about a connector's failures, and how (flows/alerts sends the messages).

    The webhook URL is a secret (Slack's carry a token): stored encrypted, write-only like the
    credentials, and only to hosts an operator allowed (connector/alert_webhooks.py)."""

    connector = models.OneToOneField(
        Connector, on_delete=models.CASCADE, related_name="alert_settings"
    )
    emails = models.JSONField(
        "Alert emails",
        default=list,
        blank=True,
        help_text="Who gets the alerts by email. Leave empty for no email.",
    )
    webhook_url_encrypted = models.TextField(blank=True, editable=False)
    digest_minutes = models.PositiveIntegerField(
        "Digest interval (minutes)",
        default=60,
        validators=[MinValueValidator(5), MaxValueValidator(1440)],
        help_text="A kind of failure is announced at once, then at most once per interval with "
        "the count of new failures. Between 5 minutes and a day.",
    )
    stale_after_intervals = models.PositiveSmallIntegerField(
        "Not running after (intervals)",
        default=3,
        validators=[MinValueValidator(2), MaxValueValidator(100)],
        help_text="A switched-on flow with no completed run for this many of its intervals is "
        "announced as not running.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "alert settings"
        verbose_name_plural = "alert settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(digest_minutes__gte=5) & Q(digest_minutes__lte=1440),
                name="alertsettings_digest_range",
            ),
            models.CheckConstraint(
                condition=Q(stale_after_intervals__gte=2) & Q(stale_after_intervals__lte=100),
                name="alertsettings_stale_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Alerts of {self.connector}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        if not isinstance(self.emails, list) or not all(isinstance(e, str) for e in self.emails):
            raise ValidationError({"emails": "A list of email addresses."})
        bad = []
        for address in self.emails:
            try:
                validate_email(address)
            except ValidationError:
                bad.append(address)
        if bad:
            raise ValidationError({"emails": f"Not an email address: {', '.join(bad)}."})

    # -- the webhook URL (a secret) --------------------------------------------------------
    def set_webhook_url(self, url: str) -> None:
        """Check the host (a refused URL raises ValidationError on `webhook_url`), then store it
        encrypted; an empty value clears it."""
        from django.core.exceptions import ValidationError

        from .alert_webhooks import check_webhook_url
        from .endpoints import EndpointNotAllowed

        if url:
            try:
                check_webhook_url(url)
            except EndpointNotAllowed as exc:
                raise ValidationError({"webhook_url": str(exc)}) from None
        self.webhook_url_encrypted = crypto.encrypt(url) if url else ""

    def get_webhook_url(self) -> str:
        return crypto.decrypt(self.webhook_url_encrypted) if self.webhook_url_encrypted else ""

    @property
    def has_webhook(self) -> bool:
        return bool(self.webhook_url_encrypted)

    @property
    def has_channel(self) -> bool:
        return bool(self.emails) or self.has_webhook

    def get_additional_data(self) -> dict:
        return {"connector_id": self.connector_id, "connector": str(self.connector)}


def alert_settings_of(connector: Connector) -> AlertSettings:
    """The connector's alert settings; defaults (nobody told) when none were saved."""
    try:
        return connector.alert_settings
    except AlertSettings.DoesNotExist:
        return AlertSettings(connector=connector)
