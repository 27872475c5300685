"""The flow engine: request a run (from any trigger), execute it, report its outcome.

A run is a FlowRun row first and a queued task second: the task only carries the row id, and
the sweeper re-queues runs whose message was lost or whose worker died (its lease ran out).
One queued-or-running delta run per connector and flow (a partial unique constraint), so delta
runs never overlap; a trigger that finds one active marks it `run_again` instead of being lost,
and the engine queues the follow-up when the active run ends.

A webhook names its record: it starts a records run of just that record beside the delta run
(never behind it), or joins the records run of its flow still queued, so a burst of deliveries
becomes one small batch. Two runs may then meet the same record: the transaction claim lets one
of them do it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from connector.models import Connector

from .context import (
    FAILED,
    HEARTBEAT_SECONDS,
    LEASE,
    POSTED,
    SKIPPED,
    RunContext,
    RunLeaseLost,
    RunStopped,
    heartbeat_seconds,
    lease_duration,
)
from .gates import why_not_runnable
from .models import ACTIVE_RUN_STATUSES, FlowRun, Lane, RunStatus, Trigger
from .registry import FLOWS

logger = logging.getLogger(__name__)

__all__ = [
    "FAILED",
    "HEARTBEAT_SECONDS",
    "LEASE",
    "POSTED",
    "SKIPPED",
    "RunContext",
    "RunLeaseLost",
    "RunStopped",
    "execute",
    "request_run",
    "why_not_runnable",
]


class FlowNotRunnable(Exception):
    """The flow cannot run for this connector now; the message says why, for a person."""


def request_run(
    connector: Connector,
    flow_name: str,
    trigger: str,
    *,
    user=None,
    scope: Iterable[str] = (),
) -> tuple[FlowRun, bool]:
    """Create a queued run and queue its task, or coalesce into the active one.

    Returns (run, created). Raises FlowNotRunnable with a reason a person can act on.
    """
    flow = FLOWS[flow_name]
    reason = why_not_runnable(connector, flow, trigger)
    if reason:
        raise FlowNotRunnable(reason)
    requested_by = user if user is not None and user.is_authenticated else None
    scope = [str(s) for s in scope]
    if trigger == Trigger.WEBHOOK and scope:
        return _request_records_run(connector, flow_name, scope)
    for _ in range(3):
        with transaction.atomic():
            active = (
                FlowRun.objects.select_for_update()
                .filter(
                    connector=connector,
                    flow=flow_name,
                    lane=Lane.DELTA,
                    status__in=ACTIVE_RUN_STATUSES,
                )
                .first()
            )
            if active is not None:
                FlowRun.objects.filter(pk=active.pk).update(run_again=True)
                active.run_again = True
                return active, False
            try:
                with transaction.atomic():
                    run = FlowRun.objects.create(
                        connector=connector,
                        flow=flow_name,
                        trigger=trigger,
                        requested_by=requested_by,
                        scope=scope,
                    )
            except IntegrityError:
                continue  # another trigger created the active run between our read and insert
            transaction.on_commit(lambda run_id=run.pk: queue_run(run_id))
            return run, True
    raise FlowNotRunnable("Could not start the run: another one is starting; try again.")


def _request_records_run(
    connector: Connector, flow_name: str, scope: list[str]
) -> tuple[FlowRun, bool]:
    """Join the flow's queued records run (a burst becomes one batch), or queue a new one."""
    with transaction.atomic():
        # Locked, so a worker claiming the run waits for our scope to land (PostgreSQL
        # re-checks `queued` after the wait: a run claimed meanwhile is not joined).
        queued = (
            FlowRun.objects.select_for_update()
            .filter(connector=connector, flow=flow_name, lane=Lane.RECORDS, status=RunStatus.QUEUED)
            .order_by("pk")
        )
        limit = FLOWS[flow_name].records_per_run
        for run in queued:
            merged = list(dict.fromkeys([*run.scope, *scope]))
            if len(merged) <= limit:
                if merged != run.scope:
                    FlowRun.objects.filter(pk=run.pk).update(scope=merged)
                    run.scope = merged
                return run, False
        run = FlowRun.objects.create(
            connector=connector,
            flow=flow_name,
            trigger=Trigger.WEBHOOK,
            lane=Lane.RECORDS,
            scope=scope,
        )
        transaction.on_commit(lambda run_id=run.pk: queue_run(run_id))
        return run, True


def queue_run(run_id: int) -> None:
    """Nudge a worker. If the broker is down, the run stays queued for the sweeper."""
    from django_q.tasks import async_task

    try:
        async_task("flows.tasks.execute_run", run_id, task_name=f"flow-run-{run_id}")
    except Exception:
        logger.exception("Could not queue flow run %s; the sweeper will", run_id)


def execute(run_id: int, *, clock: Callable[[], float] = time.monotonic) -> str:
    """Claim a queued run, run its flow, record the outcome. Safe to call twice.

    `clock` (monotonic seconds) times the lease as this worker sees it; tests inject one."""
    claimed_at = clock()
    now = timezone.now()
    claimed = FlowRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING,
        started_at=now,
        lease_until=now + lease_duration(),
        attempts=F("attempts") + 1,
        error="",
    )
    if not claimed:
        return "not queued"
    run = FlowRun.objects.select_related("connector", "connector__options").get(pk=run_id)
    # The gates again: the connector may have been switched off (or the flow, or an option it
    # needs) since the run was queued. Such a run ends failed with the reason and does nothing.
    reason = (
        why_not_runnable(run.connector, FLOWS[run.flow], run.trigger)
        if run.flow in FLOWS
        else f"Flow {run.flow} is not known."
    )
    if reason:
        logger.info("Flow run %s not run: %s", run_id, reason)
        FlowRun.objects.filter(pk=run_id, status=RunStatus.RUNNING, attempts=run.attempts).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), lease_until=None, error=reason
        )
        return RunStatus.FAILED
    ctx = RunContext(run, FLOWS[run.flow], clock=clock, claimed_at=claimed_at)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(ctx, stop), daemon=True)
    beat.start()
    error = ""
    try:
        ctx.flow.run(ctx)
    except RunStopped as exc:
        logger.warning("Flow run %s stopped: %s", run_id, exc)
        error = str(exc)
    except RunLeaseLost:
        logger.warning("Flow run %s lost its lease; another worker has it", run_id)
        return "lease lost"
    except Exception as exc:
        logger.exception("Flow run %s failed", run_id)
        error = str(exc)[:2000] or exc.__class__.__name__
    finally:
        stop.set()
        beat.join(timeout=5)
    return _finish(ctx, error)


def _heartbeat(ctx: RunContext, stop: threading.Event) -> None:
    """Renew the lease every beat until stopped. A database error does not end it: it is logged
    and the next beat tries again (the lease outlasts several beats). It ends when the run is
    found taken over (`lease_lost`), since renewing then would steal it back."""
    interval = heartbeat_seconds()
    try:
        while not stop.wait(interval):
            try:
                if not ctx.renew_lease():
                    logger.warning("Flow run %s: lease lost; another worker has it", ctx.run_id)
                    return
            except Exception:
                logger.exception(
                    "Flow run %s: could not renew its lease; trying again in %ss",
                    ctx.run_id,
                    interval,
                )
                # A broken connection is replaced at the next beat.
                connection.close_if_unusable_or_obsolete()
    finally:
        connection.close()  # this thread's own connection


def _finish(ctx: RunContext, error: str) -> str:
    run = FlowRun.objects.get(pk=ctx.run_id)
    if error:
        status = RunStatus.FAILED
    elif run.failed and (run.posted or run.skipped):
        status = RunStatus.PARTLY_FAILED
    elif run.failed:
        status = RunStatus.FAILED
    else:
        status = RunStatus.SUCCEEDED
    now = timezone.now()
    with transaction.atomic():
        # Conditional on ownership: a worker whose lease was taken over never overwrites the
        # new owner's run.
        done = ctx._mine().update(status=status, finished_at=now, lease_until=None, error=error)
        if not done:
            return "lease lost"
        _write_health(ctx, status, error or f"{run.failed} record(s) failed", now)
        # The follow-up is queued in the same transaction as the end of this run, so a worker
        # dying between the two cannot lose a trigger that arrived while the run was active.
        if FlowRun.objects.filter(pk=run.pk, run_again=True).exists():
            connector = Connector.objects.select_related("options").get(pk=ctx.connector.pk)
            try:
                request_run(connector, run.flow, Trigger.FOLLOW_UP)
            except FlowNotRunnable as exc:
                logger.info("No follow-up for flow run %s: %s", run.pk, exc)
    return status


def _write_health(ctx: RunContext, status: str, error: str, now) -> None:
    """The connector list's health column: last run, last error (named by flow)."""
    prefix = f"{ctx.flow.label}: "
    updates = {"last_run_at": now}
    if status in (RunStatus.FAILED, RunStatus.PARTLY_FAILED):
        updates.update(last_error=prefix + error, last_error_at=now)
        Connector.objects.filter(pk=ctx.connector.pk).update(**updates)
    else:
        Connector.objects.filter(pk=ctx.connector.pk).update(**updates)
        # A success clears the error only if this flow caused it.
        Connector.objects.filter(pk=ctx.connector.pk, last_error__startswith=prefix).update(
            last_error=""
        )
