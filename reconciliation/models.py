"""Reconciliation runs and the variances they find (issue 13).

A Variance is one difference between the books, keyed per connector by what it is about
(`key`, see compare.Finding.key): a later run that finds it again moves `last_seen`; a later
run that checks the order and finds the books equal sets `resolved_at`.
"""

from django.db import models

from connector.models import Connector


class Run(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    connector = models.ForeignKey(
        Connector, on_delete=models.CASCADE, related_name="reconciliation_runs"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    window_days = models.PositiveIntegerField(default=90)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    orders_checked = models.PositiveIntegerField(default=0)
    variances_found = models.PositiveIntegerField(default=0)
    variances_resolved = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        permissions = [("run_reconciliation", "Can run a reconciliation")]

    def __str__(self) -> str:
        return f"Reconciliation of {self.connector_id} at {self.started_at:%Y-%m-%d %H:%M}"


class Variance(models.Model):
    class Kind(models.TextChoices):
        MISSING_IN_NETSUITE = "missing_in_netsuite", "Missing in NetSuite"
        MISSING_IN_SHOPIFY = "missing_in_shopify", "Missing in Shopify"
        DUPLICATE = "duplicate", "Duplicate"
        AMOUNT = "amount", "Amount variance"
        TAX = "tax", "Tax variance"
        QUANTITY = "quantity", "Quantity variance"

    class Record(models.TextChoices):
        ORDER = "order", "Order"
        REFUND = "refund", "Refund"

    class LineKind(models.TextChoices):
        ITEM = "item", "Item line"
        CHARGE = "charge", "Charge"

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="variances")
    key = models.CharField(max_length=255)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    record = models.CharField(max_length=10, choices=Record.choices)
    shopify_order_id = models.CharField(max_length=40)
    shopify_order_name = models.CharField(max_length=40, blank=True)
    shopify_ids = models.CharField(max_length=255, blank=True, help_text="Comma-separated.")
    netsuite_ids = models.CharField(max_length=255, blank=True, help_text="Comma-separated.")
    netsuite_type = models.CharField(max_length=40, blank=True)
    expected = models.DecimalField(
        max_digits=18, decimal_places=2, null=True, blank=True, help_text="Shopify's figure."
    )
    actual = models.DecimalField(
        max_digits=18, decimal_places=2, null=True, blank=True, help_text="NetSuite's figure."
    )
    detail = models.CharField(max_length=300, blank=True)
    # A line of the record (empty: the record as a whole): an item line by SKU, or a charge
    # (discount, shipping, adjustment), with both sides' quantities for an item line.
    line_kind = models.CharField(max_length=10, choices=LineKind.choices, blank=True)
    line = models.CharField(max_length=100, blank=True, help_text="SKU, or the charge.")
    expected_quantity = models.DecimalField(
        max_digits=18, decimal_places=4, null=True, blank=True, help_text="Shopify's quantity."
    )
    actual_quantity = models.DecimalField(
        max_digits=18, decimal_places=4, null=True, blank=True, help_text="NetSuite's quantity."
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["connector", "key"], name="variance_unique_key")
        ]
        indexes = [
            models.Index(fields=["connector", "shopify_order_id"], name="variance_conn_order"),
            models.Index(fields=["resolved_at", "-last_seen"], name="variance_open_newest"),
            models.Index(fields=["connector", "kind", "-last_seen"], name="variance_conn_kind"),
        ]

    def __str__(self) -> str:
        on = f"{self.line} of " if self.line else ""
        return f"{self.get_kind_display()} on {on}{self.record} {self.shopify_order_name}"

    @property
    def line_label(self) -> str:
        """What a person reads for the line: "SKU TSHIRT-BLK-M", "Shipping"; "" for a record."""
        if self.line_kind == self.LineKind.ITEM:
            return f"SKU {self.line}"
        return self.line.capitalize()

    @staticmethod
    def _qty(value) -> str:
        return "" if value is None else f"{value.normalize():f}"

    @property
    def expected_quantity_text(self) -> str:
        return self._qty(self.expected_quantity)

    @property
    def actual_quantity_text(self) -> str:
        return self._qty(self.actual_quantity)

    @property
    def shopify_id_list(self) -> list[str]:
        return [i for i in self.shopify_ids.split(",") if i]

    @property
    def netsuite_id_list(self) -> list[str]:
        return [i for i in self.netsuite_ids.split(",") if i]


# Importable names for the API schema's enum overrides (config/settings.py).
VarianceKind = Variance.Kind
VarianceRecord = Variance.Record
VarianceLineKind = Variance.LineKind
