"""Thin task entry points (django-q2): the daily schedule and the Run button."""

import logging

from connector.models import Connector

from .run import DEFAULT_DAYS, reconcile

logger = logging.getLogger(__name__)

SCHEDULE_NAME = "reconciliation:daily"


def run_one(connector_id: int, days: int = DEFAULT_DAYS) -> None:
    connector = Connector.objects.filter(pk=connector_id).first()
    if connector is None:
        return
    try:
        reconcile(connector, days)
    except Exception:  # recorded on the Run (status failed, error); a task must not crash
        logger.warning("reconciliation of connector %s failed", connector_id)


def daily() -> None:
    """Every active connector, one after the other (default window)."""
    for pk in Connector.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True):
        run_one(pk)
