"""The periodic sweeper: re-queues work that is due or stuck, so a lost broker message, a
killed worker or a restart loses nothing (the database row is the unit of work).

Runs every minute as the django-q2 schedule `flows-sweeper` (created by migration;
`ensure_schedule` makes it again if someone deleted it).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from transactions.tasks import sweep_stuck_posts

from .engine import LEASE, queue_run
from .models import FlowRun, RunStatus

logger = logging.getLogger(__name__)

SCHEDULE_NAME = "flows-sweeper"
# A queued run this old had its broker message lost.
NUDGE_AFTER = timedelta(minutes=2)
# A run whose worker died this many times is not re-queued again.
MAX_RUN_ATTEMPTS = 5


def sweep(now=None) -> dict:
    """One pass over every kind of work. Each step runs even if another fails (a database error
    in one must not starve the others); a failed step is logged and named in `errors`. `now`
    is for tests (an injected clock); the schedule calls it without."""
    now = now or timezone.now()
    report = {"runs_requeued": 0, "runs_failed": 0, "runs_nudged": 0, "deliveries_requeued": 0}
    for name, step in (
        ("runs", _sweep_runs),
        ("deliveries", _sweep_deliveries),
        ("posts", _sweep_posts),
        ("retention", _sweep_retention),
        ("alerts", _sweep_alerts),
        ("alert deliveries", _sweep_alert_deliveries),
    ):
        try:
            step(now, report)
        except Exception:
            logger.exception("Sweeper: the %s step failed; the next sweep tries again", name)
            report.setdefault("errors", []).append(name)
    return report


def _sweep_runs(now, report: dict) -> None:
    # Runs whose worker stopped renewing the lease: back to queued, once each (conditional on
    # the attempt too, so a worker that renewed meanwhile keeps its run). A run whose workers
    # died MAX_RUN_ATTEMPTS times (a record that kills the process?) ends failed instead of
    # taking workers down forever; the next scheduled run starts from the cursor.
    requeued = set()
    for run in FlowRun.objects.filter(status=RunStatus.RUNNING, lease_until__lt=now):
        mine = FlowRun.objects.filter(
            pk=run.pk, status=RunStatus.RUNNING, attempts=run.attempts, lease_until__lt=now
        )
        if run.attempts >= MAX_RUN_ATTEMPTS:
            reason = (
                f"The worker running it stopped {run.attempts} times without finishing "
                "(killed or out of memory?); not tried again."
            )
            if mine.update(
                status=RunStatus.FAILED, lease_until=None, finished_at=now, error=reason
            ):
                logger.error("Flow run %s: %s", run.pk, reason)
                report["runs_failed"] += 1
            continue
        if mine.update(status=RunStatus.QUEUED, lease_until=None):
            logger.warning("Flow run %s: worker lease expired; queued again", run.pk)
            queue_run(run.pk)
            requeued.add(run.pk)
            report["runs_requeued"] += 1

    # Runs queued long ago and never started: the message was lost. A duplicate message is
    # harmless (execute claims queued -> running once).
    for run_id in FlowRun.objects.filter(
        status=RunStatus.QUEUED, created_at__lt=now - NUDGE_AFTER
    ).values_list("pk", flat=True):
        if run_id not in requeued:
            queue_run(run_id)
            report["runs_nudged"] += 1


def _sweep_deliveries(now, report: dict) -> None:
    from connector.shopify.tasks import requeue_stuck_deliveries

    report["deliveries_requeued"] = requeue_stuck_deliveries(now)


def _sweep_posts(now, report: dict) -> None:
    # Posts of the Other Transactions page stuck in Posting/Scheduled (killed worker, lost
    # message): one periodic sweeper covers every kind of work.
    report["posts"] = sweep_stuck_posts()


def ensure_schedule() -> None:
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "func": "flows.sweeper.sweep",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )


__all__ = ["LEASE", "ensure_schedule", "sweep"]


def _sweep_retention(now, report: dict) -> None:
    """Old records of bulk flows (inventory) past their retention period."""
    from .inventory.retention import cleanup

    for key, count in cleanup(now).items():
        if count:
            report[key] = count


def _sweep_alerts(now, report: dict) -> None:
    """Announce new error kinds, digests, resolutions and stale flows (flows/alerts)."""
    from . import alerts

    report.update(alerts.evaluate(now))


def _sweep_alert_deliveries(now, report: dict) -> None:
    """Send the alert outbox; a receiver that is down is tried again next time. Its own step,
    so a failing evaluation never holds back messages already queued."""
    from . import alerts

    report.update(alerts.deliver_due(now))
