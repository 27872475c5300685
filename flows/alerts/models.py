"""What the alerts remember: one AlertState per kind of trouble per connector (so a restart or a
second sweeper never announces it twice), and AlertMessage, the outbox: one row per message and
channel, sent by the sweeper and retried there until it goes (so a receiver that is down loses
nothing, and a channel that worked is not sent again because another failed)."""

from django.db import models

from connector.models import Connector


class AlertState(models.Model):
    """A kind of trouble of a connector: open errors of one kind of one flow
    (key `error:<flow>:<digest of the kind>`), or a flow that stopped running (`stale:<flow>`).

    Every send is claimed with a conditional UPDATE on `last_sent` / `resolved_at`: of two
    sweepers that saw the same thing, one changes the row and sends, the other changes nothing.
    """

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)
    flow = models.CharField(max_length=64)
    subject = models.CharField(max_length=200, blank=True, help_text="The error kind.")
    first_seen = models.DateTimeField()
    last_sent = models.DateTimeField(null=True, blank=True)
    last_count = models.IntegerField(default=0, help_text="Open rows at the last message.")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connector", "key"], name="alertstate_unique"),
        ]
        indexes = [models.Index(fields=["resolved_at"], name="alertstate_open")]

    def __str__(self) -> str:
        return f"{self.key} of connector {self.connector_id}"


class AlertMessage(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    event = models.CharField(max_length=16, help_text="first, digest, resolved, stale, …")
    subject = models.CharField(max_length=250)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="alertmessage_due")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.subject} ({self.get_status_display()})"
