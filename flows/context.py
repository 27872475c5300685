"""What flow code gets to work with: the connector, its options, clients, and (in a run) the
run's counters and delta cursor.

`Job` serves a single post (Post, Retry, the retry sweeper); `RunContext` adds the FlowRun it
reports to. Flow code takes either, so the batch path and the one-record path are the same
code.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F

from .base import Flow
from .models import FlowCursor, FlowRun

POSTED, SKIPPED, FAILED = "posted", "skipped", "failed"


class RunLeaseLost(Exception):
    """Another worker took this run over (our lease ran out): stop without writing more."""


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

            self._shopify = shopify_client(self.connector)
        return self._shopify

    def netsuite(self, **overrides):
        """A new NetSuite client at the flow's priority (one per thread: sessions are not
        shared across threads)."""
        from connector.clients import netsuite_client

        return netsuite_client(self.connector, priority=self.flow.priority, **overrides)

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


class RunContext(Job):
    """What a flow's `run` gets: a Job plus its FlowRun's counters and the delta cursor."""

    def __init__(self, run: FlowRun, flow: Flow):
        super().__init__(run.connector, flow)
        self.run = run
        self.attempt = run.attempts

    @property
    def run_id(self) -> int:
        return self.run.pk

    @property
    def scope(self) -> list[str]:
        return list(self.run.scope or [])

    # -- progress -------------------------------------------------------------------------
    def add_total(self, count: int) -> None:
        FlowRun.objects.filter(pk=self.run_id).update(
            total=F("total") + count if self.run.total is not None else count
        )
        self.run.total = (self.run.total or 0) + count

    def record(self, outcomes: Iterable[tuple[int | None, str, str]]) -> None:
        """Count outcomes of records: (transaction id or None, posted/skipped/failed, reason)."""
        outcomes = list(outcomes)
        if not outcomes:
            return
        counts = {POSTED: 0, SKIPPED: 0, FAILED: 0}
        reasons: dict[str, int] = {}
        for _txn, outcome, reason in outcomes:
            counts[outcome] += 1
            if outcome == SKIPPED and reason:
                reasons[reason] = reasons.get(reason, 0) + 1
        txn_ids = {txn for txn, _o, _r in outcomes if txn}
        with transaction.atomic():
            FlowRun.objects.filter(pk=self.run_id).update(
                seen=F("seen") + len(outcomes),
                posted=F("posted") + counts[POSTED],
                skipped=F("skipped") + counts[SKIPPED],
                failed=F("failed") + counts[FAILED],
            )
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
        current = self.cursor()
        if current is not None and position <= current:
            return
        FlowCursor.objects.update_or_create(
            connector=self.connector, flow=self.run.flow, defaults={"position": position}
        )
