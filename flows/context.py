"""What flow code gets to work with: the connector, its options, clients, and (in a run) the
run's counters and delta cursor.

`Job` serves a single post (Post, Retry, the retry sweeper); `RunContext` adds the FlowRun it
reports to. Flow code takes either, so the batch path and the one-record path are the same
code.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .base import Flow
from .models import FlowCursor, FlowRun, Lane, RunStatus

logger = logging.getLogger(__name__)

POSTED, SKIPPED, FAILED = "posted", "skipped", "failed"

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


class RunLeaseLost(Exception):
    """This worker no longer owns the run (its lease ran out and the sweeper or another worker
    has it, or it could not renew for too long): stop writing, stop without reporting."""


class RunStopped(RunLeaseLost):
    """The run must stop: the connector (or the flow, or an option it needs) was switched off
    while it ran. A RunLeaseLost, so code that stops on that stops on this; the engine reports
    the run failed with the reason."""


class Job:
    """One piece of flow work for a connector, outside a run."""

    run = None
    run_id: int | None = None

    def __init__(self, connector, flow: Flow):
        self.connector = connector
        self.options = connector.options
        self.flow = flow
        self.lease_lost = threading.Event()
        self._shopify = None

    @property
    def scope(self) -> list[str]:
        return []

    @property
    def shopify(self):
        if self._shopify is None:
            from connector.clients import shopify_client

            from .points import PointsKeeper

            self._shopify = shopify_client(
                self.connector, on_throttle=PointsKeeper(self.connector.pk)
            )
        return self._shopify

    def netsuite(self, **overrides):
        """A new NetSuite client at the flow's priority (one per thread: sessions are not
        shared across threads)."""
        from connector.clients import netsuite_client

        return netsuite_client(self.connector, priority=self.priority, **overrides)

    @property
    def priority(self):
        return self.flow.priority

    def check(self) -> None:
        """Call before every write: a worker that lost its lease must stop writing."""
        if self.lease_lost.is_set():
            raise RunLeaseLost(f"flow run {self.run_id} was taken over by another worker")

    # In a single post there is no run to report to.
    def add_total(self, count: int) -> None:
        return None

    def record(self, outcomes: Iterable[tuple[int | None, str, str]]) -> None:
        return None

    def cursor(self) -> str | None:
        return None

    def advance_cursor(self, position: str) -> None:
        return None

    def set_summary(self, summary: dict) -> None:
        return None


class RunContext(Job):
    """What a flow's `run` gets: a Job plus its FlowRun's counters and the delta cursor.

    Ownership: a worker owns its run while the row is `running` with this worker's `attempts`
    (the claim increments it). The heartbeat renews the lease; a renewal that finds the row
    changed sets `lease_lost`. Call `check()` before every write (to NetSuite, to Shopify, to our
    rows): it raises RunLeaseLost once the run is not certainly ours, and RunStopped (a
    RunLeaseLost) once the heartbeat has seen the connector, the flow or an option it needs
    switched off. `record`, `add_total` and `advance_cursor` check ownership themselves (a
    stopped run still counts what it did) and update the row only while it is theirs.
    """

    def __init__(
        self,
        run: FlowRun,
        flow: Flow,
        *,
        clock: Callable[[], float] = time.monotonic,
        claimed_at=None,
    ):
        super().__init__(run.connector, flow)
        self.run = run
        self.attempt = run.attempts
        self.stop_reason = ""  # set by the heartbeat when the gates close mid-run
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
    def priority(self):
        """A records run (the records webhooks named) goes one step ahead of its flow's delta
        in the NetSuite budget: someone is waiting for those records now."""
        from connector.netsuite.budget import Priority

        if self.run.lane == Lane.RECORDS:
            return Priority(max(Priority.URGENT, self.flow.priority - 1))
        return self.flow.priority

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
        super().check()
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
        from connector.models import Connector

        from .gates import why_not_runnable

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

    def set_summary(self, summary: dict) -> None:
        """The run's summary (FlowRun.summary), replaced as a whole, while the run is ours."""
        self._check_owner()
        if not self._mine().update(summary=summary):
            raise self._lost()
        self.run.summary = summary

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
