"""One worker per run: leases, heartbeats, take-overs and the gates at claim time.

Real database, real threads. A "probe" flow (registered like any flow, its body set by each
test) stands in for the synchronizer so the tests can act at exact points of a run; faults are
injected at the database seam (tests/faults.py) and the worker's lease clock is injected.
"""

import dataclasses
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from connector.models import Connector
from flows import engine, sweeper
from flows.models import FlowRun, RunStatus, Trigger
from flows.registry import FLOWS
from tests.factories import make_connector
from tests.faults import FakeClock, failing_queries, statement, wait_for

RENEWAL = statement('UPDATE "flows_flowrun" SET "lease_until"')


class Probe:
    def __init__(self):
        self.calls: list[int] = []  # the attempt of each call
        self.body = lambda ctx: None

    def __call__(self, ctx):
        self.calls.append(ctx.attempt)
        return self.body(ctx)


@pytest.fixture
def probe(monkeypatch):
    probe = Probe()
    flow = dataclasses.replace(
        FLOWS["order_import"], name="probe", label="Probe", run=probe, required_options=()
    )
    monkeypatch.setitem(FLOWS, "probe", flow)
    return probe


@pytest.fixture
def fast_heartbeat(settings):
    settings.FLOWS_HEARTBEAT_SECONDS = 0.01


def _queued_run(connector=None) -> FlowRun:
    run, created = engine.request_run(connector or make_connector(), "probe", Trigger.BUTTON)
    assert created
    return run


@pytest.mark.django_db(transaction=True)
def test_heartbeat_survives_database_errors_and_keeps_the_lease(probe, fast_heartbeat):
    run = _queued_run()
    with failing_queries(RENEWAL, times=2) as faults:

        def body(ctx):
            # Two renewals fail, then the heartbeat must go on renewing.
            wait_for(lambda: faults.passed >= 2, what="renewals after the errors")
            ctx.check()

        probe.body = body
        assert engine.execute(run.pk) == RunStatus.SUCCEEDED
    assert faults.failed == 2
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_whose_run_was_taken_over_stops_writing_and_cannot_finish_it(probe):
    run = _queued_run()
    second_started, first_done = threading.Event(), threading.Event()
    seen: dict = {}

    def first(ctx):
        # Our worker stalls; its lease runs out; the sweeper hands the run to another worker.
        FlowRun.objects.filter(pk=run.pk).update(lease_until=timezone.now() - timedelta(1))
        assert sweeper.sweep()["runs_requeued"] == 1
        other = threading.Thread(target=lambda: seen.update(second=engine.execute(run.pk)))
        other.start()
        seen["thread"] = other
        wait_for(second_started.is_set, what="the second worker")
        # Back in the first worker: every write is refused, and nothing reaches the new run.
        for write in (
            lambda: ctx.record([(None, engine.FAILED, "")]),
            lambda: ctx.add_total(7),
            lambda: ctx.advance_cursor("2026-12-03T10:00:00Z"),
            ctx.check,
        ):
            with pytest.raises(engine.RunLeaseLost):
                write()
        assert ctx.lease_lost.is_set() and not ctx.owns_run()
        # A flow that swallowed the error and returned normally: _finish must not report.

    def second(ctx):
        second_started.set()
        wait_for(first_done.is_set, what="the first worker to end")
        ctx.record([(None, engine.POSTED, "")])

    probe.body = lambda ctx: (first if ctx.attempt == 1 else second)(ctx)
    assert engine.execute(run.pk) == "lease lost"
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING and run.attempts == 2  # still the second worker's
    first_done.set()
    seen["thread"].join(20)
    assert seen["second"] == RunStatus.SUCCEEDED
    run.refresh_from_db()
    assert (run.status, run.posted, run.failed, run.total) == (RunStatus.SUCCEEDED, 1, 0, None)
    assert not run.connector.cursors.exists()
    assert probe.calls == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_cannot_renew_for_a_whole_lease_stops_writing(probe, fast_heartbeat):
    run = _queued_run()
    clock = FakeClock()
    with failing_queries(RENEWAL, times=None) as faults:

        def body(ctx):
            ctx.check()  # fine at first
            wait_for(lambda: faults.failed >= 1, what="a failed renewal")
            clock.advance(engine.lease_duration().total_seconds())
            assert not ctx.owns_run()
            ctx.record([(None, engine.POSTED, "")])  # must raise RunLeaseLost

        probe.body = body
        assert engine.execute(run.pk, clock=clock) == "lease lost"
    run.refresh_from_db()
    # Nothing written; the row waits for the sweeper to hand it on when its lease ends.
    assert (run.status, run.posted, run.seen) == (RunStatus.RUNNING, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_run_queued_before_the_connector_was_switched_off_does_nothing(probe):
    connector = make_connector()
    run = _queued_run(connector)
    Connector.objects.filter(pk=connector.pk).update(is_active=False)
    assert engine.execute(run.pk) == RunStatus.FAILED
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert f"Connector “{connector.name}” is inactive" in run.error
    assert probe.calls == []  # the flow never ran: nothing read, nothing written
    assert run.lease_until is None and run.finished_at is not None
    connector.refresh_from_db()
    assert connector.last_run_at is None and connector.last_error == ""


@pytest.mark.django_db(transaction=True)
def test_a_connector_switched_off_mid_run_stops_it_at_the_next_write(probe, fast_heartbeat):
    connector = make_connector()
    run = _queued_run(connector)

    def body(ctx):
        ctx.check()
        ctx.record([(None, engine.POSTED, "")])  # one record written before the switch
        Connector.objects.filter(pk=connector.pk).update(is_active=False)
        wait_for(lambda: ctx.stop_reason, what="the heartbeat to see the connector off")
        ctx.record([(None, engine.SKIPPED, "")])  # what it did is still counted
        ctx.check()  # before the next write: stops
        raise AssertionError("wrote after the connector was switched off")

    probe.body = body
    assert engine.execute(run.pk) == RunStatus.FAILED
    run.refresh_from_db()
    assert f"Connector “{connector.name}” is inactive" in run.error
    assert (run.posted, run.skipped) == (1, 1)


FOLLOW_UP_INSERT = statement('INSERT INTO "flows_flowrun" (')


@pytest.mark.django_db(transaction=True)
def test_a_trigger_coalesced_into_a_run_is_not_lost_when_its_end_fails(probe):
    connector = make_connector()
    run = _queued_run(connector)
    # A second trigger arrives while the run is active: coalesced into run_again.
    probe.body = lambda ctx: engine.request_run(connector, "probe", Trigger.API)
    # The database fails as the run ends and queues its follow-up (a dying worker would too).
    with failing_queries(FOLLOW_UP_INSERT, times=1), pytest.raises(Exception, match="injected"):
        engine.execute(run.pk)
    run.refresh_from_db()
    # Not reported half-way: still running, so the sweeper hands it on when its lease ends.
    assert run.status == RunStatus.RUNNING and run.run_again
    FlowRun.objects.filter(pk=run.pk).update(lease_until=timezone.now() - timedelta(1))
    assert sweeper.sweep()["runs_requeued"] == 1
    probe.body = lambda ctx: None
    assert engine.execute(run.pk) == RunStatus.SUCCEEDED
    follow_up = FlowRun.objects.exclude(pk=run.pk).get()
    assert (follow_up.trigger, follow_up.status) == (Trigger.FOLLOW_UP, RunStatus.QUEUED)


@pytest.mark.django_db(transaction=True)
def test_a_run_that_keeps_killing_its_worker_ends_failed(probe):
    run = _queued_run()
    probe.body = lambda ctx: (_ for _ in ()).throw(SystemExit("worker killed"))
    for attempt in range(1, sweeper.MAX_RUN_ATTEMPTS + 1):
        with pytest.raises(SystemExit):
            engine.execute(run.pk)
        FlowRun.objects.filter(pk=run.pk).update(lease_until=timezone.now() - timedelta(1))
        report = sweeper.sweep()
        if attempt < sweeper.MAX_RUN_ATTEMPTS:
            assert report["runs_requeued"] == 1
    assert report["runs_failed"] == 1 and report["runs_requeued"] == 0
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "stopped 5 times" in run.error
    assert probe.calls == [1, 2, 3, 4, 5]


@pytest.mark.django_db(transaction=True)
def test_one_failing_sweeper_step_does_not_starve_the_others():
    from connector.shopify.models import WebhookDelivery

    delivery = WebhookDelivery.objects.create(
        connector=make_connector(), topic="orders/create", webhook_id="w1", body="{}"
    )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        received_at=timezone.now() - timedelta(hours=1)
    )
    # Every read of flow runs fails (a lock time-out on that table, say).
    with failing_queries(lambda sql: 'FROM "flows_flowrun"' in sql, times=None):
        report = sweeper.sweep()
    # The retention step deletes old inventory runs: it fails on that table too, alone.
    assert report["errors"] == ["runs", "retention"]
    assert report["deliveries_requeued"] == 1 and "posts" in report
