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
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from .errors import BudgetTimeout

logger = logging.getLogger(__name__)


class Priority(enum.IntEnum):
    URGENT = 0  # cancellations, refunds, order edits, a staff click
    NORMAL = 1
    BULK = 2  # inventory, products


class BudgetInTransaction(RuntimeError):
    pass


class Slot:
    """A slot held for the body of ``DatabaseBudget.slot()``: its holder token, and whether it
    is still certainly ours.

    ``lost`` becomes true when a renewal finds the lease row gone (renewals failed for a whole
    lease, and a grant decision dropped the expired row and may have given the slot to another
    caller), or when no renewal has succeeded for ``lease_seconds`` (the row may be gone
    without our knowing). A lost slot is never taken back: the renewer stops and does not
    re-create the row (that could exceed the limit). The request in flight finishes (it cannot
    be unsent); for its remaining time the account may have one request more in flight than
    the limit, which NetSuite answers with a retryable concurrency fault. Leaving the ``with``
    deletes only this holder's row, never the new holder's. The next call acquires a fresh slot:
    every call takes its own."""

    def __init__(self, holder: str, clock: Callable[[], float], sure_for: float, granted: float):
        self.holder = holder
        self._clock = clock
        # Sure for a lease less one renewal interval (clock skew between machines), counted
        # from before the grant or renewal that set the row's lease_until.
        self._sure_for = sure_for
        self._sure_until = granted + sure_for
        self._gone = threading.Event()

    @property
    def lost(self) -> bool:
        return self._gone.is_set() or self._clock() >= self._sure_until

    def _renewed(self, started: float) -> None:
        self._sure_until = started + self._sure_for

    def __str__(self) -> str:
        return self.holder


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
        renew_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.using = using
        self.lease_seconds = lease_seconds
        # Three renewals per lease by default: two may fail (logged) before the lease runs out.
        self.renew_seconds = lease_seconds / 3 if renew_seconds is None else renew_seconds
        self.clock = clock  # monotonic seconds, for what the holder believes; tests inject one
        self.waiter_seconds = waiter_seconds
        self.timeout = timeout
        self.poll_min = poll_min
        self.poll_max = poll_max

    @contextlib.contextmanager
    def slot(self, account_id: str, limit: int, priority=Priority.NORMAL, timeout=None):
        """Hold one of ``limit`` slots of ``account_id`` for the body of the ``with``; yields a
        ``Slot`` (``slot.lost`` says whether it is still certainly ours)."""
        holder, granted = self._acquire(account_id, limit, priority, timeout)
        sure_for = self.lease_seconds - min(self.renew_seconds, self.lease_seconds / 2)
        held = Slot(holder, self.clock, sure_for, granted)
        stop = threading.Event()
        renewer = threading.Thread(
            target=self._renew, args=(held, stop), name=f"budget-renew-{holder[:8]}", daemon=True
        )
        renewer.start()
        try:
            yield held
        finally:
            stop.set()
            renewer.join()
            try:
                self.release(holder)
            except Exception:
                # The call's outcome matters more than our bookkeeping: the lease frees itself
                # within lease_seconds.
                logger.exception(
                    "Could not release NetSuite budget slot %s; it will expire", holder
                )

    # --- steps (public so tests can drive the queue step by step) --------------------------

    def acquire(self, account_id: str, limit: int, priority=Priority.NORMAL, timeout=None) -> str:
        """Wait for a slot; returns the holder token to ``release``. ``BudgetTimeout`` when
        none frees up in ``timeout`` seconds."""
        return self._acquire(account_id, limit, priority, timeout)[0]

    def _acquire(self, account_id, limit, priority, timeout) -> tuple[str, float]:
        """(holder, the clock reading taken just before the poll that granted the slot)."""
        from django.db import DatabaseError, connections

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
        queued = False
        try:
            while True:
                polled_at = self.clock()
                try:
                    behind = self._poll(account_id, limit, holder, priority, enqueue=not queued)
                    queued = True
                except DatabaseError:
                    # A transient database error (lock time-out, dropped connection) costs a
                    # poll, not the call: log it and poll again until the deadline.
                    logger.warning("NetSuite budget poll failed; polling again", exc_info=True)
                    connections[self.using].close_if_unusable_or_obsolete()
                    behind = 0
                if behind is None:
                    return holder, polled_at
                if time.monotonic() >= deadline:
                    raise BudgetTimeout(
                        f"No NetSuite concurrency slot for account {account_id} became free in "
                        f"time (limit {limit}); the work will be retried."
                    )
                # Next in line polls fast so a freed slot is not left idle; waiters far back
                # poll slowly so a long queue does not flood the database.
                delay = min(self.poll_max, self.poll_min * (1 + max(behind, 0)))
                time.sleep(random.uniform(delay / 2, delay))
        except BaseException:
            with contextlib.suppress(DatabaseError):  # a dead waiter is dropped anyway
                self.leave_queue(holder)
            raise

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
            # (Re)queue: also when our row expired during a long pause (we lose our place), and
            # idempotently (a retried first poll may find its own row).
            if not waiters.filter(holder=holder).update(alive_until=alive):
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

    def _renew(self, held: Slot, stop: threading.Event) -> None:
        """Renew the lease every ``renew_seconds`` while the slot is held. A database error is
        logged and retried at the next beat. A renewal that finds the row gone marks the slot
        lost and stops (it never re-creates the row: the slot may be someone else's now)."""
        from django.db import connections
        from django.utils import timezone

        from .models import BudgetLease

        try:
            while not stop.wait(self.renew_seconds):
                started = self.clock()
                try:
                    renewed = (
                        BudgetLease.objects.using(self.using)
                        .filter(holder=held.holder)
                        .update(lease_until=timezone.now() + timedelta(seconds=self.lease_seconds))
                    )
                except Exception:
                    logger.warning(
                        "Could not renew NetSuite budget slot %s; trying again in %ss",
                        held.holder,
                        self.renew_seconds,
                        exc_info=True,
                    )
                    connections[self.using].close_if_unusable_or_obsolete()
                    continue
                if not renewed:
                    held._gone.set()
                    logger.warning(
                        "NetSuite budget slot %s was lost (its lease ran out and was dropped); "
                        "the call in flight finishes, the next call takes a new slot",
                        held.holder,
                    )
                    return
                held._renewed(started)
        finally:
            # This thread opened its own connection; close it rather than leak one per call.
            connections[self.using].close()
