from django.db import models
from django.db.models import Q

from connector.models import Connector


class WebhookDelivery(models.Model):
    """A Shopify webhook as received: stored before we answer, processed by a task.

    Shopify delivers at least once (and retries for hours), so a delivery is unique per
    connector by its webhook id, an event (the same change sent to several subscriptions or
    re-sent) by its event id, and a version of a resource by (topic, body `id`, body
    `updated_at`), because the ids are headers outside the signature: a repeat is counted on
    the first row, never stored or processed again.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSING = "processing", "Processing"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="webhooks")
    topic = models.CharField(max_length=64)
    webhook_id = models.CharField(max_length=100)
    event_id = models.CharField(max_length=100, blank=True)
    # The signed body's `id` and `updated_at`: a replay of the same change under new (unsigned)
    # delivery and event ids is the same (topic, resource, version), so it is a duplicate.
    resource_id = models.CharField(max_length=100, blank=True)
    resource_updated_at = models.CharField(max_length=40, blank=True)
    api_version = models.CharField(max_length=16, blank=True)
    triggered_at = models.CharField(max_length=40, blank=True)
    body = models.TextField(help_text="The raw body, exactly as signed by Shopify.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    status_detail = models.TextField(blank=True)
    duplicates = models.PositiveIntegerField(
        default=0, help_text="Repeated deliveries of the same webhook or event, not stored again."
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Processing (connector/shopify/tasks.py): a worker claims `received` -> `processing` when
    # the delivery is due, counting the attempt and taking a lease; the sweeper returns it to
    # `received` only once the lease has run out (the worker died). A failed attempt goes back
    # to `received` with `next_attempt_at` (backing off), until the attempts run out: `failed`.
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the current or last attempt started."
    )
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="The worker processing it must finish by then."
    )
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When a failed delivery is tried again."
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "webhook_id"], name="webhookdelivery_unique_webhook"
            ),
            models.UniqueConstraint(
                fields=["connector", "topic", "event_id"],
                condition=~Q(event_id=""),
                name="webhookdelivery_unique_event",
            ),
            models.UniqueConstraint(
                fields=["connector", "topic", "resource_id", "resource_updated_at"],
                condition=~Q(resource_id="") & ~Q(resource_updated_at=""),
                name="webhookdelivery_unique_version",
            ),
        ]
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.topic} {self.webhook_id}"
