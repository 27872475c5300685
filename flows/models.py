from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from connector.models import Connector
from connector.validators import validate_cron

from .registry import FLOW_CHOICES, FLOWS


class FlowSchedule(models.Model):
    """Whether a flow runs for a connector, and when: every N minutes, or on a cron line."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="schedules")
    flow = models.CharField(max_length=64, choices=FLOW_CHOICES)
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
        return FLOWS[self.flow].label

    @property
    def schedule_display(self) -> str:
        return f"cron {self.cron}" if self.cron else f"every {self.interval_minutes} min"

    def get_additional_data(self) -> dict:
        return {"connector_id": self.connector_id, "connector": str(self.connector)}
