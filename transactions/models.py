"""Every record a flow touches, with its status and timeline.

A Transaction is also the unit of work: posting claims it with a conditional UPDATE
(`Scheduled to post`/`Error posting` → `Posting`), so double clicks, two staff members or a
retried task cannot post twice; remote writes are keyed by ids derived from this row.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from connector.models import Connector


class Channel(models.TextChoices):
    SHOPIFY = "shopify", "Shopify"
    NETSUITE = "netsuite", "NetSuite"


class Kind(models.TextChoices):
    ORDER = "order", "Order"
    REFUND = "refund", "Refund"
    CANCELLATION = "cancellation", "Cancellation"
    FULFILMENT = "fulfilment", "Fulfilment"
    PAYMENT = "payment", "Payment"
    ORDER_EDIT = "order_edit", "Order edit"
    CUSTOMER = "customer", "Customer"
    COMPANY = "company", "Company"
    INVENTORY = "inventory", "Inventory"
    PRODUCT = "product", "Product"
    PAYOUT = "payout", "Payout"


class Status(models.TextChoices):
    RETRIEVED = "retrieved", "Retrieved"
    SCHEDULED = "scheduled", "Scheduled to post"
    POSTING = "posting", "Posting"
    POSTED = "posted", "Posted"
    ERROR = "error", "Error posting"
    IGNORED = "ignored", "Ignored"
    SKIPPED = "skipped", "Skipped"
    # Not an error: something must happen first (the order imported, the order billed); the
    # record is checked again by itself (next_attempt_at).
    WAITING = "waiting", "Waiting"
    # Order-kind statuses users know from the NetSuite Connector.
    ORDER_POSTED = "order_posted", "Order posted / waiting for shipment"
    COMPLETE = "complete", "Complete"
    CANCELED = "canceled", "Canceled"
    # An order edit the connector may not apply by itself (the NetSuite order is past the
    # fulfilment lock, a fulfilled line would shrink in Shopify): it waits in the exception
    # queue (EditReview) for a person to apply it anyway, dismiss it or credit it.
    REVIEW = "review", "Needs review"


# Statuses from which a post may be (re)claimed. A row in review is claimed again when its
# source changes (a later edit supersedes the one waiting for a person).
POSTABLE = (Status.RETRIEVED, Status.SCHEDULED, Status.ERROR, Status.WAITING, Status.REVIEW)
# Statuses a person (or the retry sweeper) may post again.
RETRYABLE = (Status.ERROR, Status.WAITING)
# Work not done yet: asked to post, posting, failed and due again, waiting for something. The
# dashboard's lag is the oldest of these per flow (a partial index keeps that one row away).
# Retrieved rows are not in it: they wait for a person to ask, not for the connector.
PENDING = (Status.SCHEDULED, Status.POSTING, Status.ERROR, Status.WAITING)


class Transaction(models.Model):
    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="transactions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    source_channel = models.CharField(max_length=10, choices=Channel.choices)
    flow = models.CharField(
        max_length=64, blank=True, help_text="API name of the flow that created it, if any."
    )
    # Identity on the source side: with connector, kind and channel it makes a record unique,
    # so retrieving or importing the same thing twice finds the existing row.
    source_id = models.CharField(max_length=100)
    source_type = models.CharField(
        max_length=40, blank=True, help_text="e.g. cashRefund, creditMemo, salesOrder"
    )
    target_id = models.CharField(
        max_length=100, blank=True, help_text="The record's id on the target side once posted."
    )

    shopify_order_id = models.CharField(max_length=40, blank=True)
    shopify_order_name = models.CharField(max_length=40, blank=True)
    netsuite_sales_order_id = models.CharField(max_length=40, blank=True)

    amount = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RETRIEVED)
    status_reason = models.CharField(
        max_length=300, blank=True, help_text="Why it was skipped or ignored."
    )
    last_error = models.TextField(blank=True)
    # The pattern of last_error (errors.error_kind), set with it by lifecycle.finish: the error
    # workbench groups open errors by it. Kept while a retry is Scheduled/Posting (the error
    # is not resolved yet), emptied when the row leaves Error otherwise.
    error_kind = models.CharField(max_length=200, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When it is tried again by itself; empty: not due."
    )
    key_generation = models.PositiveIntegerField(
        default=0,
        help_text="Part of the idempotency key: bumped after a permanent refusal, so a new "
        "attempt is not answered with the refused one.",
    )
    payload = models.JSONField(default=dict, blank=True, help_text="The source record.")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    posting_started_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("retrieve_transaction", "Can retrieve a refund by order ID"),
            ("post_transaction", "Can post, retry or ignore a transaction"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "kind", "source_channel", "source_id"],
                name="transaction_unique_source_record",
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="txn_newest"),
            models.Index(fields=["connector", "-created_at", "-id"], name="txn_conn_newest"),
            models.Index(fields=["connector", "status", "-created_at"], name="txn_conn_status"),
            models.Index(fields=["connector", "kind", "-created_at"], name="txn_conn_kind"),
            models.Index(fields=["shopify_order_name"], name="txn_order_name"),
            models.Index(fields=["shopify_order_id"], name="txn_order_id"),
            models.Index(fields=["netsuite_sales_order_id"], name="txn_ns_order"),
            models.Index(fields=["status", "posting_started_at"], name="txn_stuck"),
            models.Index(fields=["status", "next_attempt_at"], name="txn_due"),
            # The search box matches ids exactly; these keep it an index lookup at any size.
            models.Index(fields=["source_id"], name="txn_source_id"),
            models.Index(fields=["target_id"], name="txn_target_id"),
            # Filters without a connector still read newest first from an index.
            models.Index(fields=["status", "-created_at", "-id"], name="txn_status_newest"),
            models.Index(fields=["kind", "-created_at", "-id"], name="txn_kind_newest"),
            # The error workbench: open errors grouped by connector, flow and kind with their
            # count and oldest age come from this (small, partial) index alone, and a group's
            # rows page oldest first from it.
            models.Index(
                fields=["connector", "flow", "error_kind", "updated_at", "id"],
                name="txn_open_errors",
                condition=models.Q(status="error"),
            ),
            # The dashboard's lag: the oldest pending row of a flow is the first entry here.
            models.Index(
                fields=["connector", "kind", "source_channel", "created_at"],
                condition=Q(status__in=PENDING),
                name="txn_pending_oldest",
            ),
        ]

    def __str__(self) -> str:
        order = self.shopify_order_name or self.shopify_order_id or self.source_id
        return f"{self.get_kind_display()} {order} ({self.get_status_display()})"

    @property
    def target_channel(self) -> str:
        return Channel.NETSUITE if self.source_channel == Channel.SHOPIFY else Channel.SHOPIFY

    # What the action menu offers in each state (the verbs enforce the same rules).
    @property
    def can_post(self) -> bool:
        return self.status == Status.RETRIEVED

    @property
    def can_retry(self) -> bool:
        return self.status in RETRYABLE

    @property
    def can_ignore(self) -> bool:
        return self.status in (Status.RETRIEVED, Status.SCHEDULED, *RETRYABLE)

    @property
    def in_flight(self) -> bool:
        return self.status in (Status.SCHEDULED, Status.POSTING)

    @property
    def post_label(self) -> str:
        if self.target_channel == Channel.SHOPIFY:
            return "Post to Shopify"
        return "Post Order to NetSuite"


class TransactionEvent(models.Model):
    """One line of a transaction's timeline. Never holds secrets."""

    class Type(models.TextChoices):
        RETRIEVED = "retrieved", "Retrieved"
        STATUS = "status", "Status changed"
        POSTED = "posted", "Posted"
        ERROR = "error", "Error"
        IGNORED = "ignored", "Ignored"
        SKIPPED = "skipped", "Skipped"
        WAITING = "waiting", "Waiting"
        # An error that left Error for good: posted by a later attempt, retried, ignored.
        # Its detail keeps the error, its kind and how it was resolved (the workbench's
        # Resolved tab lists these).
        RESOLVED = "resolved", "Error resolved"

    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=20, choices=Type.choices)
    message = models.TextField()
    detail = models.JSONField(
        default=dict, blank=True, help_text="Request summary and answer, never credentials."
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    flow_run_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["transaction", "created_at"], name="txnevent_timeline"),
            models.Index(
                fields=["-created_at", "-id"],
                name="txnevent_resolved_newest",
                condition=models.Q(type="resolved"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.message[:60]}"


class Outcome:
    """What the hourly counts count: the outcome of each attempt, when it was recorded."""

    SYNCED = (Status.POSTED, Status.ORDER_POSTED, Status.COMPLETE)
    FAILED = (Status.ERROR,)
    SKIPPED = (Status.SKIPPED,)
    # An edit in the exception queue waits too (for a person, not for another system).
    WAITING = (Status.WAITING, Status.REVIEW)


class HourlyOutcome(models.Model):
    """Outcomes of attempts per connector, flow (kind + source channel) and hour.

    Incremented by `transactions.outcomes` in the same database transaction as lifecycle's
    finish, so a count exists exactly when its status change does (nothing lost, nothing twice,
    no watermark to miss late commits). A row that fails at 10:00 and posts at 11:00 is one
    failure in the 10:00 bucket and one sync in the 11:00 bucket: these are attempts, not rows.
    The dashboard reads at most 24 × 7 of these per flow instead of scanning transactions.
    """

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    source_channel = models.CharField(max_length=10, choices=Channel.choices)
    flow = models.CharField(max_length=64, blank=True, help_text="The row's flow, if any.")
    hour = models.DateTimeField(help_text="Start of the hour (UTC).")
    synced = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    waiting = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "kind", "source_channel", "flow", "hour"],
                name="hourly_outcome_bucket",
            ),
        ]
        indexes = [models.Index(fields=["connector", "hour"], name="hourly_outcome_recent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_channel} {self.hour:%Y-%m-%d %H}:00"


class EditReview(models.Model):
    """The exception queue: an order edit that was not applied by itself, with what each side
    holds, waiting for customer service to apply it anyway, dismiss it with a reason, or
    create an adjustment (a credit memo for what was removed, seed 004).

    One open review per order and direction: a later edit of the same order updates it in
    place (its version and changes), so a person always decides on the order as it is now.
    """

    class Direction(models.TextChoices):
        TO_NETSUITE = "to_netsuite", "Shopify edit → NetSuite"
        TO_SHOPIFY = "to_shopify", "NetSuite correction → Shopify"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        APPLYING = "applying", "Applying"
        APPLIED = "applied", "Applied anyway"
        DISMISSED = "dismissed", "Dismissed"
        ADJUSTED = "adjusted", "Credit memo created"
        SUPERSEDED = "superseded", "No longer needed"

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="+")
    transaction = models.ForeignKey(
        Transaction, on_delete=models.CASCADE, related_name="edit_reviews"
    )
    direction = models.CharField(max_length=12, choices=Direction.choices)
    shopify_order_id = models.CharField(max_length=40)
    shopify_order_name = models.CharField(max_length=40, blank=True)
    netsuite_sales_order_id = models.CharField(max_length=40, blank=True)
    # Fingerprint of the source's line state this review is about (flows.order_edits.lines).
    version = models.CharField(max_length=64)
    reason = models.TextField(help_text="Why the edit was not applied by itself.")
    # [{key, sku, title, change: added|removed|quantity|charge|shipping, source_quantity,
    #   target_quantity, fulfilled, source_amount, target_amount}]
    changes = models.JSONField(default=list, blank=True)
    source_state = models.JSONField(default=dict, blank=True)
    target_state = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    resolution = models.TextField(blank=True, help_text="The reason given, or what was done.")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    adjustment_id = models.CharField(
        max_length=40, blank=True, help_text="The NetSuite credit memo created for it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "direction", "shopify_order_id"],
                condition=Q(state__in=("open", "applying")),
                name="editreview_one_open_per_order",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at", "id"], name="editreview_queue"),
        ]

    def __str__(self) -> str:
        return f"Edit of {self.shopify_order_name or self.shopify_order_id} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    def get_additional_data(self) -> dict:
        return {"connector_id": self.connector_id, "connector": str(self.connector)}
