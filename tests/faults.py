"""Fault injection at the database seam, for robustness tests.

`failing_queries(match, times)` makes SQL statements that `match` raise `OperationalError`
before they reach the database, on every connection of every thread, including connections
that threads open while it is active (installed through Django's `connection_created` signal
as a `connection.execute_wrapper`). Nothing of the project is patched: its code meets the error
exactly as it would meet a dropped connection or a lock time-out.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from django.db import OperationalError, connections
from django.db.backends.signals import connection_created


class Faults:
    def __init__(self, match: Callable[[str], bool], times: int | None):
        self.match = match
        self.left = times  # None: every matching statement fails
        self.failed = 0  # matching statements that raised
        self.passed = 0  # matching statements that ran after the faults were used up
        self._lock = threading.Lock()

    def __call__(self, execute, sql, params, many, context):
        if self.match(sql):
            with self._lock:
                fail = self.left is None or self.left > 0
                if fail:
                    self.failed += 1
                    if self.left is not None:
                        self.left -= 1
                else:
                    self.passed += 1
            if fail:
                raise OperationalError("injected fault: the database is unreachable")
        return execute(sql, params, many, context)

    def heal(self) -> None:
        with self._lock:
            self.left = 0


@contextlib.contextmanager
def failing_queries(match: Callable[[str], bool], times: int | None = 1):
    faults = Faults(match, times)
    wrapped = []

    def install(sender, connection, **kwargs):
        # A closed connection that reconnects keeps its wrappers: install once per wrapper.
        if faults not in connection.execute_wrappers:
            connection.execute_wrappers.append(faults)
            wrapped.append(connection)

    connection_created.connect(install, weak=False)
    for conn in connections.all(initialized_only=True):
        conn.execute_wrappers.append(faults)
        wrapped.append(conn)
    try:
        yield faults
    finally:
        connection_created.disconnect(install)
        for conn in wrapped:
            with contextlib.suppress(ValueError):
                conn.execute_wrappers.remove(faults)


def statement(prefix: str) -> Callable[[str], bool]:
    """Matches SQL starting with `prefix`, ignoring the quoting style."""
    prefix = prefix.replace('"', "").replace("`", "")
    return lambda sql: sql.replace('"', "").replace("`", "").startswith(prefix)


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, what: str = "condition"):
    """Poll until `condition()` holds; a generous bound, never a measure of speed."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.005)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0):
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds
