"""The flow engine: request a run (from any trigger), execute it, report its outcome.

A run is a FlowRun row first and a queued task second: the task only carries the row id, and
the sweeper re-queues runs whose message was lost or whose worker died (its lease ran out).
One queued-or-running run per connector and flow (a partial unique constraint), so runs never
overlap; a trigger that finds one active marks it `run_again` instead of being lost, and the
engine queues the follow-up when the active run ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from connector.models import Connector

from .models import ACTIVE_RUN_STATUSES, FlowCursor, FlowRun, FlowSchedule, RunStatus, Trigger
from .registry import FLOWS, Flow

logger = logging.getLogger(__name__)

# A running run's lease, renewed by a heartbeat thread every HEARTBEAT_SECONDS; the sweeper
# re-queues a run whose lease ran out. Settings FLOWS_RUN_LEASE_SECONDS and
# FLOWS_HEARTBEAT_SECONDS override them (read at each run).
LEASE = timedelta(minutes=2)
HEARTBEAT_SECONDS = 30


def lease_duration() -> timedelta:
    seconds = getattr(settings, "FLOWS_RUN_LEASE_SECONDS", None)
    return LEASE if seconds is None else timedelta(seconds=seconds)


def heartbeat_seconds() -> float:
    return getattr(settings, "FLOWS_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS)


POSTED, SKIPPED, FAILED = "posted", "skipped", "failed"


class FlowNotRunnable(Exception):
    """The flow cannot run for this connector now; the message says why, for a person."""


def why_not_runnable(connector: Connector, flow: Flow, trigger: str) -> str | None:
    if not flow.available:
        return f"“{flow.label}” is not available yet."
    if not connector.is_active:
        return f"Connector “{connector}” is inactive: it runs no flows."
    options = connector.options
    for name in flow.required_options:
        if not getattr(options, name):
            label = options._meta.get_field(name).verbose_name
            return f"“{flow.label}” needs the option “{label}” switched on."
    if trigger in (Trigger.SCHEDULE, Trigger.WEBHOOK):
        # Manual runs (button, API) work on a flow that is not scheduled; automatic ones don't.
        enabled = FlowSchedule.objects.filter(
            connector=connector, flow=flow.api_name, enabled=True
        ).exists()
        if not enabled:
            return f"“{flow.label}” is switched off."
    return None


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
    for _ in range(3):
        with transaction.atomic():
            active = (
                FlowRun.objects.select_for_update()
                .filter(connector=connector, flow=flow_name, status__in=ACTIVE_RUN_STATUSES)
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
                        scope=[str(s) for s in scope],
                    )
            except IntegrityError:
                continue  # another trigger created the active run between our read and insert
            transaction.on_commit(lambda run_id=run.pk: queue_run(run_id))
            return run, True
    raise FlowNotRunnable("Could not start the run: another one is starting; try again.")


def queue_run(run_id: int) -> None:
    """Nudge a worker. If the broker is down, the run stays queued for the sweeper."""
    from django_q.tasks import async_task

    try:
        async_task("flows.tasks.execute_run", run_id, task_name=f"flow-run-{run_id}")
    except Exception:
        logger.exception("Could not queue flow run %s; the sweeper will", run_id)


class RunLeaseLost(Exception):
    """This worker no longer owns the run (its lease ran out and the sweeper or another worker
    has it, or it could not renew for too long): stop writing, stop without reporting."""


class RunStopped(RunLeaseLost):
    """The run must stop: the connector (or the flow, or an option it needs) was switched off
    while it ran. A RunLeaseLost, so code that stops on that stops on this; the engine reports
    the run failed with the reason."""


class RunContext:
    """What a flow's `run` gets: the run, its connector, clients, counters, cursor.

    Ownership: a worker owns its run while the row is `running` with this worker's `attempts`
    (the claim increments it). The heartbeat renews the lease; a renewal that finds the row
    changed sets `lease_lost`. Call `check()` before every write (to NetSuite, to Shopify, to our
    rows): it raises RunLeaseLost once the run is not certainly ours, and RunStopped (a
    RunLeaseLost) once the heartbeat has seen the connector, the flow or an option it needs
    switched off. `record`, `add_total` and `advance_cursor` check ownership themselves (a
    stopped run still counts what it did) and update the row only while it is theirs.
    """

    def __init__(
        self, run: FlowRun, *, clock: Callable[[], float] = time.monotonic, claimed_at=None
    ):
        self.run = run
        self.connector = run.connector
        self.options = run.connector.options
        self.flow = FLOWS[run.flow]
        self.attempt = run.attempts
        self.lease_lost = threading.Event()
        self.stop_reason = ""  # set by the heartbeat when the gates close mid-run
        self._shopify = None
        # The lease is certainly ours until this instant of `clock` (monotonic seconds): the
        # start of the last successful renewal (or the claim) plus the lease, less one beat of
        # margin for clock skew between this machine and the sweeper's.
        self._clock = clock
        lease = lease_duration().total_seconds()
        self._lease_margin = lease - min(heartbeat_seconds(), lease / 2)
        start = clock() if claimed_at is None else claimed_at
        self._lease_sure_until = start + self._lease_margin

    @property
    def run_id(self) -> int:
        return self.run.pk

    @property
    def scope(self) -> list[str]:
        return list(self.run.scope or [])

    @property
    def shopify(self):
        if self._shopify is None:
            from connector.clients import shopify_client

            self._shopify = shopify_client(self.connector)
        return self._shopify

    def netsuite(self, **overrides):
        """A new NetSuite client at the flow's priority (one per thread: sessions aren't
        shared across threads)."""
        from connector.clients import netsuite_client

        return netsuite_client(self.connector, priority=self.flow.priority, **overrides)

    # -- ownership ----------------------------------------------------------------------------
    def owns_run(self) -> bool:
        """True while this worker certainly still owns the run (no I/O: cheap to call often)."""
        return not self.lease_lost.is_set() and self._clock() < self._lease_sure_until

    def check(self) -> None:
        """Call before each write. Raises RunLeaseLost when the run is no longer ours: a renewal
        found it re-queued or claimed by another worker, or renewals have failed for longer than
        the lease (the sweeper may have handed it on). The engine then ends quietly; the new
        owner (or the sweeper's re-run) does the work, idempotently. Raises RunStopped when the
        connector or the flow was switched off meanwhile: the engine ends the run failed."""
        self._check_owner()
        if self.stop_reason:
            raise RunStopped(self.stop_reason)

    def _check_owner(self) -> None:
        if self.lease_lost.is_set():
            raise RunLeaseLost(f"flow run {self.run_id} was taken over by another worker")
        if self._clock() >= self._lease_sure_until:
            raise RunLeaseLost(
                f"flow run {self.run_id} could not renew its lease in time; it may belong to "
                "another worker now"
            )

    def renew_lease(self) -> bool:
        """One heartbeat: extend the lease if the run is still ours. False (and `lease_lost`
        set) when the row says another attempt owns it or it is no longer running. Database
        errors propagate: the heartbeat logs them and tries again at the next beat."""
        started = self._clock()
        renewed = self._mine().update(lease_until=timezone.now() + lease_duration())
        if not renewed:
            self.lease_lost.set()
            return False
        self._lease_sure_until = started + self._lease_margin
        # The gates, once a beat: a connector switched off stops its running flows.
        connector = Connector.objects.select_related("options").get(pk=self.connector.pk)
        reason = why_not_runnable(connector, self.flow, self.run.trigger)
        if reason and not self.stop_reason:
            logger.warning("Flow run %s stops: %s", self.run_id, reason)
            self.stop_reason = reason
        return True

    def _mine(self):
        """The run's row, as long as this attempt owns it."""
        return FlowRun.objects.filter(
            pk=self.run_id, status=RunStatus.RUNNING, attempts=self.attempt
        )

    def _lost(self) -> RunLeaseLost:
        self.lease_lost.set()
        return RunLeaseLost(f"flow run {self.run_id} was taken over by another worker")

    # -- progress -------------------------------------------------------------------------
    def add_total(self, count: int) -> None:
        self._check_owner()
        updated = self._mine().update(
            total=F("total") + count if self.run.total is not None else count
        )
        if not updated:
            raise self._lost()
        self.run.total = (self.run.total or 0) + count

    def record(self, outcomes: Iterable[tuple[int | None, str, str]]) -> None:
        """Count outcomes of records: (transaction id or None, posted/skipped/failed, reason)."""
        outcomes = list(outcomes)
        if not outcomes:
            return
        self._check_owner()
        counts = {POSTED: 0, SKIPPED: 0, FAILED: 0}
        reasons: dict[str, int] = {}
        for _txn, outcome, reason in outcomes:
            counts[outcome] += 1
            if outcome == SKIPPED and reason:
                reasons[reason] = reasons.get(reason, 0) + 1
        txn_ids = {txn for txn, _o, _r in outcomes if txn}
        with transaction.atomic():
            updated = self._mine().update(
                seen=F("seen") + len(outcomes),
                posted=F("posted") + counts[POSTED],
                skipped=F("skipped") + counts[SKIPPED],
                failed=F("failed") + counts[FAILED],
            )
            if not updated:  # another attempt owns the run: its counters are not ours
                raise self._lost()
            if reasons:
                run = FlowRun.objects.select_for_update().only("skip_reasons").get(pk=self.run_id)
                merged = dict(run.skip_reasons or {})
                for reason, n in reasons.items():
                    merged[reason] = merged.get(reason, 0) + n
                FlowRun.objects.filter(pk=self.run_id).update(skip_reasons=merged)
            if txn_ids:
                through = FlowRun.transactions.through
                through.objects.bulk_create(
                    [through(flowrun_id=self.run_id, transaction_id=t) for t in txn_ids],
                    ignore_conflicts=True,
                )

    # -- delta cursor -----------------------------------------------------------------------
    def cursor(self) -> str | None:
        found = FlowCursor.objects.filter(connector=self.connector, flow=self.run.flow).first()
        return found.position if found else None

    def advance_cursor(self, position: str) -> None:
        """Move forward only (a re-run over older records never moves it back)."""
        self._check_owner()
        current = self.cursor()
        if current is not None and position <= current:
            return
        FlowCursor.objects.update_or_create(
            connector=self.connector, flow=self.run.flow, defaults={"position": position}
        )


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
    ctx = RunContext(run, clock=clock, claimed_at=claimed_at)
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
