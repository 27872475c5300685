"""The shared concurrency budget, on the real database."""

import multiprocessing
import threading
import time
import uuid

import pytest
from django.db import connection, connections

from connector.netsuite.budget import BudgetInTransaction, DatabaseBudget, Priority
from connector.netsuite.errors import BudgetTimeout
from connector.netsuite.models import BudgetLease, BudgetWaiter
from tests.conftest import require_service
from tests.faults import FakeClock, failing_queries, statement, wait_for

ACCOUNT = "TSTDRV1_SB1"


def _holder():
    return uuid.uuid4().hex


@pytest.mark.django_db
def test_refuses_to_run_inside_a_transaction():
    with pytest.raises(BudgetInTransaction, match=r"outside transaction\.atomic"):
        DatabaseBudget().acquire(ACCOUNT, 5)


@pytest.mark.django_db(transaction=True)
def test_never_more_slots_than_the_limit_and_release_frees_one():
    budget = DatabaseBudget()
    held = [budget.acquire(ACCOUNT, 3) for _ in range(3)]
    with pytest.raises(BudgetTimeout):
        budget.acquire(ACCOUNT, 3, timeout=0.1)
    assert BudgetWaiter.objects.count() == 0  # a caller that gives up leaves the queue
    budget.release(held[0])
    assert budget.acquire(ACCOUNT, 3, timeout=30)
    assert BudgetLease.objects.filter(account_id=ACCOUNT).count() == 3


@pytest.mark.django_db(transaction=True)
def test_urgent_work_overtakes_queued_bulk_work():
    budget = DatabaseBudget()
    first = budget.acquire(ACCOUNT, 1)
    bulk = [_holder() for _ in range(3)]
    for h in bulk:
        assert not budget.try_grant(ACCOUNT, 1, h, Priority.BULK, enqueue=True)
    urgent = _holder()
    assert not budget.try_grant(ACCOUNT, 1, urgent, Priority.URGENT, enqueue=True)

    budget.release(first)
    # The free slot is the urgent waiter's, even though bulk waiters queued earlier.
    assert not budget.try_grant(ACCOUNT, 1, bulk[0], Priority.BULK)
    assert budget.try_grant(ACCOUNT, 1, urgent, Priority.URGENT)
    budget.release(urgent)
    # Then bulk in arrival order.
    assert not budget.try_grant(ACCOUNT, 1, bulk[1], Priority.BULK)
    assert budget.try_grant(ACCOUNT, 1, bulk[0], Priority.BULK)


@pytest.mark.django_db(transaction=True)
def test_a_dead_holder_frees_its_slot_after_the_lease():
    budget = DatabaseBudget(lease_seconds=0.3)
    budget.acquire(ACCOUNT, 1)  # never released, never renewed: the process "died"
    start = time.monotonic()
    # Not before the lease ends; no upper bound on a busy machine beyond the generous wait.
    assert budget.acquire(ACCOUNT, 1, timeout=30)
    assert time.monotonic() - start > 0.2


@pytest.mark.django_db(transaction=True)
def test_a_dead_waiter_does_not_block_the_queue():
    budget = DatabaseBudget(waiter_seconds=0.2)
    first = budget.acquire(ACCOUNT, 1)
    ghost = _holder()
    assert not budget.try_grant(ACCOUNT, 1, ghost, Priority.URGENT, enqueue=True)
    budget.release(first)
    time.sleep(0.3)  # the ghost stopped polling
    assert budget.acquire(ACCOUNT, 1, Priority.BULK, timeout=30)


@pytest.mark.django_db(transaction=True)
def test_slot_renews_its_lease_while_held():
    budget = DatabaseBudget(lease_seconds=0.3)
    with budget.slot(ACCOUNT, 1) as slot:
        first = BudgetLease.objects.get(holder=slot.holder).lease_until
        # The heartbeat pushes the lease forward (however slowly this machine runs it).
        _wait_for(
            lambda: BudgetLease.objects.get(holder=slot.holder).lease_until > first, timeout=30
        )
    assert not BudgetLease.objects.exists()


RENEWAL = statement('UPDATE "netsuite_budgetlease" SET "lease_until"')


@pytest.mark.django_db(transaction=True)
def test_lease_renewal_survives_database_errors():
    budget = DatabaseBudget(lease_seconds=60, renew_seconds=0.01)
    with failing_queries(RENEWAL, times=2) as faults, budget.slot(ACCOUNT, 1) as slot:
        wait_for(lambda: faults.passed >= 2, what="renewals after the errors")
        assert not slot.lost
        assert BudgetLease.objects.filter(holder=slot.holder).exists()
    assert faults.failed == 2
    assert not BudgetLease.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_holder_whose_lease_was_taken_knows_it_and_spares_the_new_holder():
    budget = DatabaseBudget(lease_seconds=0.3, renew_seconds=0.01)
    with failing_queries(RENEWAL, times=None) as faults:
        with budget.slot(ACCOUNT, 1) as slot:
            # Renewals fail for longer than the lease: the expired row is dropped by the next
            # grant decision and the slot goes to another caller (limit 1).
            other = DatabaseBudget().acquire(ACCOUNT, 1, timeout=30)
            assert slot.lost  # no renewal for a whole lease: not sure any more
            faults.heal()
            wait_for(lambda: faults.passed >= 1, what="a renewal once the database is back")
            wait_for(lambda: slot._gone.is_set(), what="the renewal to find the lease gone")
            assert slot.lost
            renewals = faults.passed
        # Leaving the block released nothing of the new holder's, and the renewer stopped
        # (it found the row gone once, and never re-created it).
        assert faults.passed == renewals == 1
        assert list(BudgetLease.objects.values_list("holder", flat=True)) == [other]


@pytest.mark.django_db(transaction=True)
def test_a_slot_that_cannot_renew_for_a_lease_counts_as_lost():
    clock = FakeClock()
    budget = DatabaseBudget(lease_seconds=30, renew_seconds=0.01, clock=clock)
    with failing_queries(RENEWAL, times=None) as faults, budget.slot(ACCOUNT, 1) as slot:
        wait_for(lambda: faults.failed >= 1, what="a failed renewal")
        assert not slot.lost
        clock.advance(30)
        assert slot.lost


@pytest.mark.django_db(transaction=True)
def test_database_errors_while_waiting_or_releasing_do_not_fail_the_call():
    budget = DatabaseBudget()
    lock = statement('UPDATE "netsuite_budgetaccount"')
    with failing_queries(lock, times=2) as faults:
        holder = budget.acquire(ACCOUNT, 1, timeout=30)
    assert faults.failed == 2 and BudgetLease.objects.filter(holder=holder).exists()
    budget.release(holder)
    release = statement('DELETE FROM "netsuite_budgetlease"')
    with failing_queries(release, times=1) as faults, budget.slot(ACCOUNT, 1):
        pass  # the NetSuite call succeeded; a failed release must not turn it into an error
    assert faults.failed == 1
    # The unreleased lease frees itself when it runs out, like a dead holder's.


def _require_postgres():
    require_service(
        "postgres",
        connection.vendor == "postgresql",
        "needs PostgreSQL (DATABASE_URL) so that several processes share one database",
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_urgent_thread_is_granted_before_waiting_bulk_threads():
    _require_postgres()
    budget = DatabaseBudget(poll_max=0.05)
    order: list[str] = []

    def work(name, priority):
        try:
            with budget.slot(ACCOUNT, 1, priority, timeout=10):
                order.append(name)
        finally:
            connections.close_all()

    first = budget.acquire(ACCOUNT, 1)
    threads = []
    for n, (name, priority) in enumerate(
        [("bulk-1", Priority.BULK), ("bulk-2", Priority.BULK), ("urgent", Priority.URGENT)]
    ):
        t = threading.Thread(target=work, args=(name, priority))
        t.start()
        threads.append(t)
        _wait_for(lambda n=n: BudgetWaiter.objects.count() == n + 1)
    budget.release(first)
    for t in threads:
        t.join(10)
    assert order == ["urgent", "bulk-1", "bulk-2"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_callers_in_five_processes_never_exceed_the_limit(netsuite_sandbox):
    _require_postgres()
    from tests.netsuite import concurrency_worker

    netsuite_sandbox.control.config(latency=0.03)
    s = connection.settings_dict
    db_url = f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    processes = [
        ctx.Process(
            target=concurrency_worker.run,
            args=(db_url, netsuite_sandbox.url, netsuite_sandbox.credentials, 10, 2, results),
        )
        for _ in range(5)
    ]
    for p in processes:
        p.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for p in processes:
        p.join(10)

    flat = [o for per_process in outcomes for o in per_process]
    assert flat == ["ok"] * 100, [o for o in flat if o != "ok"][:3]
    state = netsuite_sandbox.control.state()
    assert state["blocked"] == 0
    assert state["requests"] == 100
    assert 1 < state["max_in_flight"] <= 5


def _wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
