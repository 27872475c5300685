"""django-q2 tasks: thin, they carry ids and call the engine."""

from __future__ import annotations

import logging

from connector.models import Connector

from . import engine
from .models import Trigger

logger = logging.getLogger(__name__)


def execute_run(run_id: int) -> str:
    return engine.execute(run_id)


def scheduled_run(connector_id: int, flow: str) -> str:
    """Called by the django-q2 schedule of a connector's flow."""
    connector = Connector.objects.select_related("options").filter(pk=connector_id).first()
    if connector is None:
        return "no connector"
    try:
        run, created = engine.request_run(connector, flow, Trigger.SCHEDULE)
    except engine.FlowNotRunnable as exc:
        return str(exc)
    return f"run {run.pk} {'queued' if created else 'coalesced'}"
