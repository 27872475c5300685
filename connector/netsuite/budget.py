"""The NetSuite concurrency budget: one per account, shared by every process on every machine.

NetSuite allows a fixed number of requests in flight per account (5 on a Standard tier) and
answers WS_REQUEST_BLOCKED beyond it. Every web and worker process asks this budget for a slot
before each SOAP call, so together they never exceed the connector's limit.

Design (why: it needs no service beyond the database we already have, and works on SQLite and
PostgreSQL alike):

* ``BudgetLease`` rows are the slots in use. Each has a ``lease_until`` that the holder renews
  from a heartbeat thread; a killed process stops renewing and its slot frees when the lease
  runs out (``lease_seconds``, 30 s by default), not when a 15-minute NetSuite call would end.
* ``BudgetWaiter`` rows queue the callers that found the budget full, with a priority and a
  ticket (the row id). A free slot goes to the best waiter: URGENT before NORMAL before BULK,
  first come first served within a priority. So a cancellation or refund overtakes a queue of
  inventory pushes. Waiters refresh ``alive_until`` as they poll; a dead one is skipped.
* A grant decision runs in a short transaction that starts by UPDATEing the account's
  ``BudgetAccount`` row. On PostgreSQL that takes the row lock; on SQLite the write takes the
  database write lock at once (no read-then-upgrade deadlock). Either way, decisions for one
  account are serialised and two processes can never both take the last slot.
* Waiting is polling with jittered sleeps scaled by the place in the queue: the next in line
  polls every ~10 ms so a freed slot is not left idle, waiters far back up to every 250 ms so
  a long queue does not flood the database. Most polls are plain reads; only a waiter that
  looks next in line takes the account lock to confirm.

Transactions: the budget commits its rows in its own transactions, so the rows are visible to
other processes at once. It therefore refuses to run inside a caller's ``atomic`` block (there
its rows would stay invisible until the caller commits, and on SQLite it would hold the write
lock for the whole call): ``BudgetInTransaction`` says so. Call NetSuite outside atomic blocks.
"""

from __future__ import annotations

import contextlib
import enum
import random
import threading
import time
import uuid
from datetime import timedelta

from .errors import BudgetTimeout


class Priority(enum.IntEnum):
    URGENT = 0  # cancellations, refunds, order edits, a staff click
    NORMAL = 1
    BULK = 2  # inventory, products


class BudgetInTransaction(RuntimeError):
    pass


class NoBudget:
    """No coordination at all: for unit tests and one-off scripts against a sandbox."""

    @contextlib.contextmanager
    def slot(self, account_id, limit, priority=Priority.NORMAL, timeout=None):
        yield


class DatabaseBudget:
    def __init__(
        self,
        *,
        using: str = "default",
        lease_seconds: float = 30.0,
        waiter_seconds: float = 10.0,
        timeout: float = 600.0,
        poll_min: float = 0.01,
        poll_max: float = 0.25,
    ):
        self.using = using
        self.lease_seconds = lease_seconds
        self.waiter_seconds = waiter_seconds
        self.timeout = timeout
        self.poll_min = poll_min
        self.poll_max = poll_max

    @contextlib.contextmanager
    def slot(self, account_id: str, limit: int, priority=Priority.NORMAL, timeout=None):
        """Hold one of ``limit`` slots of ``account_id`` for the body of the ``with``."""
        holder = self.acquire(account_id, limit, priority, timeout)
        stop = threading.Event()
        renewer = threading.Thread(
            target=self._renew, args=(holder, stop), name=f"budget-renew-{holder[:8]}", daemon=True
        )
        renewer.start()
        try:
            yield holder
        finally:
            stop.set()
            renewer.join()
            self.release(holder)

    # --- steps (public so tests can drive the queue step by step) --------------------------

    def acquire(self, account_id: str, limit: int, priority=Priority.NORMAL, timeout=None) -> str:
        """Wait for a slot; returns the holder token to ``release``. ``BudgetTimeout`` when
        none frees up in ``timeout`` seconds."""
        from django.db import connections

        if connections[self.using].in_atomic_block:
            raise BudgetInTransaction(
                "The NetSuite budget must run outside transaction.atomic(): its slot rows have "
                "to be committed at once to be seen by other processes."
            )
        if limit < 1:
            raise ValueError("the concurrency limit must be at least 1")
        holder = uuid.uuid4().hex
        priority = Priority(priority)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        behind = self._poll(account_id, limit, holder, priority, enqueue=True)
        try:
            while behind is not None:
                if time.monotonic() >= deadline:
                    raise BudgetTimeout(
                        f"No NetSuite concurrency slot for account {account_id} became free in "
                        f"time (limit {limit}); the work will be retried."
                    )
                # Next in line polls fast so a freed slot is not left idle; waiters far back
                # poll slowly so a long queue does not flood the database.
                delay = min(self.poll_max, self.poll_min * (1 + max(behind, 0)))
                time.sleep(random.uniform(delay / 2, delay))
                behind = self._poll(account_id, limit, holder, priority)
        except BaseException:
            self.leave_queue(holder)
            raise
        return holder

    def try_grant(
        self, account_id: str, limit: int, holder: str, priority: Priority, enqueue=False
    ) -> bool:
        """One grant decision. Queues ``holder`` (when ``enqueue``) and gives it a slot if one
        is free and no better waiter is ahead of it. True when ``holder`` now holds a slot."""
        return self._poll(account_id, limit, holder, Priority(priority), enqueue) is None

    def _poll(self, account_id, limit, holder, priority, enqueue=False) -> int | None:
        """None when ``holder`` got a slot, else how many waiters must be served first."""
        from django.db import transaction
        from django.utils import timezone

        from .models import BudgetAccount, BudgetLease, BudgetWaiter

        leases = BudgetLease.objects.using(self.using).filter(account_id=account_id)
        waiters = BudgetWaiter.objects.using(self.using).filter(account_id=account_id)
        if not enqueue:
            # Most polls end here, without the account lock, so a long queue of waiters does
            # not serialise on it; only a plausible winner takes the lock to decide.
            behind = self._behind(leases, waiters, limit, holder)
            if behind is not None and behind >= 0:
                alive = timezone.now() + timedelta(seconds=self.waiter_seconds)
                waiters.filter(holder=holder).update(alive_until=alive)
                return behind

        with transaction.atomic(using=self.using):
            now = timezone.now()
            # The UPDATE is the lock; create the row the first time an account is seen.
            locked = BudgetAccount.objects.using(self.using).filter(pk=account_id)
            if not locked.update(touched_at=now):
                BudgetAccount.objects.using(self.using).get_or_create(
                    pk=account_id, defaults={"touched_at": now}
                )
                locked.update(touched_at=now)
            leases.filter(lease_until__lt=now).delete()
            waiters.filter(alive_until__lt=now).delete()
            alive = now + timedelta(seconds=self.waiter_seconds)
            # (Re)queue: also when our row expired during a long pause (we lose our place).
            if enqueue or not waiters.filter(holder=holder).update(alive_until=alive):
                BudgetWaiter.objects.using(self.using).create(
                    account_id=account_id,
                    holder=holder,
                    priority=priority,
                    created_at=now,
                    alive_until=alive,
                )
            free = limit - leases.count()
            first = list(
                waiters.order_by("priority", "id").values_list("holder", flat=True)[: max(free, 0)]
            )
            if holder not in first:
                behind = self._behind(leases, waiters, limit, holder)
                return 0 if behind is None else max(behind, 0)
            waiters.filter(holder=holder).delete()
            BudgetLease.objects.using(self.using).create(
                account_id=account_id,
                holder=holder,
                priority=priority,
                acquired_at=now,
                lease_until=now + timedelta(seconds=self.lease_seconds),
            )
            return None

    @staticmethod
    def _behind(leases, waiters, limit: int, holder: str) -> int | None:
        """Unlocked estimate: waiters ahead of ``holder`` minus free slots (< 0: a slot is
        probably ours). None when ``holder`` is not queued. Confirmed under the lock."""
        from django.db.models import Q
        from django.utils import timezone

        now = timezone.now()
        me = waiters.filter(holder=holder).values_list("id", "priority").first()
        if me is None:
            return None
        my_id, my_priority = me
        ahead = (
            waiters.filter(alive_until__gte=now)
            .filter(Q(priority__lt=my_priority) | Q(priority=my_priority, id__lt=my_id))
            .count()
        )
        free = limit - leases.filter(lease_until__gte=now).count()
        return ahead - free

    def release(self, holder: str) -> None:
        from .models import BudgetLease

        BudgetLease.objects.using(self.using).filter(holder=holder).delete()

    def leave_queue(self, holder: str) -> None:
        from .models import BudgetWaiter

        BudgetWaiter.objects.using(self.using).filter(holder=holder).delete()

    def _renew(self, holder: str, stop: threading.Event) -> None:
        from django.db import connections
        from django.utils import timezone

        from .models import BudgetLease

        try:
            while not stop.wait(self.lease_seconds / 3):
                BudgetLease.objects.using(self.using).filter(holder=holder).update(
                    lease_until=timezone.now() + timedelta(seconds=self.lease_seconds)
                )
        finally:
            # This thread opened its own connection; close it rather than leak one per call.
            connections[self.using].close()
