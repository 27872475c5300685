from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from connector.models import Connector
from connector.validators import validate_cron


def flow_label(name: str) -> str:
    """The flow's label; a flow that no longer exists keeps its API name (old rows)."""
    from .registry import FLOWS

    flow = FLOWS.get(name)
    return flow.label if flow else name


class FlowSchedule(models.Model):
    """Whether a flow runs for a connector, and when: every N minutes, or on a cron line."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="schedules")
    flow = models.CharField(max_length=64, help_text="The flow's API name (flows.registry).")
    enabled = models.BooleanField("Switched on", default=False)
    interval_minutes = models.IntegerField(
        "Every (minutes)",
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(10080)],
        help_text="Between 5 minutes and a week.",
    )
    cron = models.CharField(
        "Cron schedule",
        max_length=100,
        blank=True,
        validators=[validate_cron],
        help_text="Optional. Five fields, e.g. */15 8-18 * * 1-5; replaces the interval.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["connector", "flow"]
        constraints = [
            models.UniqueConstraint(fields=["connector", "flow"], name="flowschedule_unique"),
            models.CheckConstraint(
                condition=models.Q(interval_minutes__gte=5) & models.Q(interval_minutes__lte=10080),
                name="flowschedule_interval_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.flow_label} for {self.connector}"

    @property
    def flow_label(self) -> str:
        return flow_label(self.flow)

    @property
    def schedule_display(self) -> str:
        return f"cron {self.cron}" if self.cron else f"every {self.interval_minutes} min"

    def get_additional_data(self) -> dict:
        return {"connector_id": self.connector_id, "connector": str(self.connector)}


class Trigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    WEBHOOK = "webhook", "Webhook"
    BUTTON = "button", "Run button"
    API = "api", "API"
    SWEEPER = "sweeper", "Sweeper"
    FOLLOW_UP = "follow_up", "Run again after the previous run"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTLY_FAILED = "partly_failed", "Partly failed"
    FAILED = "failed", "Failed"


ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class Lane(models.TextChoices):
    """Delta runs read everything changed since the cursor, one at a time per flow; records
    runs do only the records webhooks named, beside the delta run, so a delivered order never
    waits behind a whole delta (the transaction claim keeps a record from being done twice)."""

    DELTA = "delta", "Delta"
    RECORDS = "records", "Records"


class FlowRun(models.Model):
    """One execution of a flow for a connector: the unit the engine claims, leases and reports.

    At most one queued-or-running delta run per connector and flow (a partial unique
    constraint), so two delta runs never overlap; a trigger arriving meanwhile sets `run_again`
    on the active run. Records runs (webhooks) are not limited so: a delivery joins the queued
    records run of its flow if there is one (a burst becomes one batch), else starts one.
    """

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="flow_runs")
    flow = models.CharField(max_length=64, help_text="The flow's API name (flows.registry).")
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    lane = models.CharField(max_length=8, choices=Lane.choices, default=Lane.DELTA)
    # Shopify order ids a webhook asked for; empty means the whole delta.
    scope = models.JSONField(default=list, blank=True)
    run_again = models.BooleanField(
        default=False, help_text="Another trigger arrived while this run was active."
    )
    attempts = models.PositiveIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)

    total = models.IntegerField(null=True, blank=True, help_text="Records to do, where known.")
    seen = models.IntegerField(default=0)
    posted = models.IntegerField(default=0)
    skipped = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)
    skip_reasons = models.JSONField(default=dict, blank=True, help_text="reason -> count")
    # What a bulk flow did, in one record instead of a Transaction per item (the inventory
    # flow: items read, quantities written, unknown SKUs listed once, unmapped locations).
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    transactions = models.ManyToManyField(
        "transactions.Transaction", blank=True, related_name="flow_runs"
    )

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "flow"],
                condition=models.Q(status__in=["queued", "running"], lane="delta"),
                name="flowrun_one_active_per_flow",
            ),
        ]
        indexes = [
            models.Index(fields=["connector", "flow", "-created_at"], name="flowrun_latest"),
            models.Index(fields=["status", "lease_until"], name="flowrun_stuck"),
            models.Index(
                fields=["connector", "flow"],
                condition=models.Q(status="queued", lane="records"),
                name="flowrun_queued_records",
            ),
        ]
        permissions = [("run_flow", "Can run flows")]

    def __str__(self) -> str:
        return f"{self.flow_label} #{self.pk} ({self.get_status_display()})"

    @property
    def flow_label(self) -> str:
        return flow_label(self.flow)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES

    @property
    def done(self) -> int:
        return self.posted + self.skipped + self.failed


class FlowCursor(models.Model):
    """How far a delta flow has got for a connector: it only moves past records fully handled."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="cursors")
    flow = models.CharField(max_length=64, help_text="The flow's API name (flows.registry).")
    position = models.CharField(max_length=64, help_text="e.g. the last updated_at handled")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connector", "flow"], name="flowcursor_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.flow} of {self.connector}: {self.position}"


class KnownShopifyLevel(models.Model):
    """The `available` quantity we last read from (or set in) Shopify for an inventory item at
    a location: the inventory flow's `changeFromQuantity`, so a delta run does not read every
    level back from Shopify first (10,000 SKUs would cost more points than a 15-minute run
    restores). A stale value is harmless: Shopify refuses the compare
    (CHANGE_FROM_QUANTITY_STALE) and the flow reads the level again."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="+")
    inventory_item_id = models.CharField(max_length=30, help_text="Shopify legacy id")
    location_id = models.CharField(max_length=30, help_text="Shopify legacy id")
    available = models.IntegerField()
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "inventory_item_id", "location_id"],
                name="known_level_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inventory_item_id}@{self.location_id}: {self.available}"


class ShopifyPoints(models.Model):
    """The last `throttleStatus` Shopify reported for a connector's store (the dashboard's
    "points left"). Written by flows/points.py at most every few seconds per process: a note for
    people, never used for pacing (each client paces from its own responses)."""

    connector = models.OneToOneField(
        Connector, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    available = models.FloatField(help_text="currentlyAvailable when seen")
    maximum = models.FloatField(help_text="maximumAvailable")
    restore_rate = models.FloatField(help_text="points restored per second")
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.available:.0f}/{self.maximum:.0f} points at {self.seen_at:%H:%M:%S}"

    def available_at(self, now) -> float:
        """Extrapolated like the client does: the bucket refills at restore_rate up to its
        maximum."""
        elapsed = max(0.0, (now - self.seen_at).total_seconds())
        return min(self.maximum, self.available + elapsed * self.restore_rate)


# The alerts' state and outbox live in their package; Django finds models through this module.
from .alerts.models import AlertMessage, AlertState  # noqa: E402, F401
