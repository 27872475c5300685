"""Alerts: who is told about a connector's trouble, and how (issue 17).

- `evaluate(now)` (from the sweeper, every minute): open error kinds and stale flows
  → AlertState claims → the outbox (evaluation.py, messages.py);
- `deliver_due(now)` (from the sweeper too): the outbox by email and webhook, retried until it
  goes (delivery.py);
- `send_test(connector, user, now)`: the Settings › Alerts "Send test alert" button.

Flows never send alerts themselves: a failure of a flow is a row in Error, and the sweeper
announces it within a minute, once per kind, with digests and a "resolved".

This module imports its parts lazily: flows/models.py imports alerts/models.py while Django
loads the models, before the registry and the transactions app can be imported.
"""

from __future__ import annotations


def evaluate(now) -> dict:
    from .evaluation import evaluate as _evaluate

    return _evaluate(now)


def deliver_due(now, ids=None) -> dict:
    from .delivery import deliver_due as _deliver_due

    return _deliver_due(now, ids)


def send_test(connector, user, now) -> list:
    """Queue a test message on each channel and try to send it at once; returns the rows
    (their status and last_error say how it went; a failed one is retried by the sweeper)."""
    from connector.models import alert_settings_of

    from . import messages
    from .delivery import enqueue
    from .models import AlertMessage

    alerts = alert_settings_of(connector)
    url = messages.settings_link(connector, "alerts")
    queued = enqueue(connector, alerts, "test", messages.test(connector, user, now, url), now)
    deliver_due(now, ids=[m.pk for m in queued])
    return list(AlertMessage.objects.filter(pk__in=[m.pk for m in queued]).order_by("channel"))


__all__ = ["deliver_due", "evaluate", "send_test"]
