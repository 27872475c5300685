"""Fault knobs: the failures a client must survive, on demand and deterministic for tests.

Rates draw from a seeded random generator; the `next` queue ("fail the next N requests with
X") is consumed first, one entry per GraphQL request, so a test knows exactly what happens.
An entry may name an `operation` (the request's operationName) to wait for it.
Kinds: "error" (HTTP 5xx, `status`), "throttled" (HTTP 200 THROTTLED body), "hang" (accept,
then wait `seconds` before handling), "apply_then_hang" (handle, then wait before answering:
the ambiguous outcome of a mutation that was applied but whose answer never came).
"""

from __future__ import annotations

import random
import threading
from collections import deque
from typing import Any

KINDS = ("error", "throttled", "hang", "apply_then_hang")


class Faults:
    def __init__(
        self,
        latency_ms: float = 0,
        error_rate: float = 0.0,
        throttle_rate: float = 0.0,
        hang_seconds: float | None = None,
        error_status: int = 503,
        seed: int = 0,
    ) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.latency_ms = latency_ms
        self.error_rate = error_rate
        self.throttle_rate = throttle_rate
        self.hang_seconds = hang_seconds
        self.error_status = error_status
        # What the sandbox was started with: a reset goes back to these, not to zero (the
        # start itself resets the store, which used to wipe --latency-ms).
        self._started_with = (latency_ms, error_rate, throttle_rate, hang_seconds)
        self.queue: deque[dict[str, Any]] = deque()
        self.injected = 0

    def configure(self, **settings: Any) -> None:
        with self._lock:
            for name in ("latency_ms", "error_rate", "throttle_rate", "hang_seconds"):
                if name in settings:
                    setattr(self, name, settings[name])
            if "error_status" in settings:
                self.error_status = int(settings["error_status"])
            for entry in settings.get("next", []):
                self._enqueue(**entry)

    def fail_next(self, count: int, kind: str, **options: Any) -> None:
        with self._lock:
            for _ in range(count):
                self._enqueue(kind, **options)

    def _enqueue(self, kind: str, count: int = 1, **options: Any) -> None:
        if kind not in KINDS:
            raise ValueError(f"Unknown fault kind {kind!r}; use one of {', '.join(KINDS)}")
        for _ in range(int(count)):
            self.queue.append({"kind": kind, **options})

    def clear(self) -> None:
        with self._lock:
            self.latency_ms, self.error_rate, self.throttle_rate, self.hang_seconds = (
                self._started_with
            )
            self.error_status = 503
            self.queue.clear()
            self.injected = 0

    def draw(self, operation: str | None = None) -> dict[str, Any] | None:
        """The fault for the request being handled now, if any. A queued fault with an
        `operation` waits for a request of that operation name (e.g. the create after a
        read); the others apply to the next request."""
        with self._lock:
            fault = None
            for index, entry in enumerate(self.queue):
                if entry.get("operation") in (None, operation):
                    fault = entry
                    del self.queue[index]
                    break
            if fault is not None:
                pass
            elif self.hang_seconds:
                fault = {"kind": "hang", "seconds": self.hang_seconds}
            elif self.error_rate and self._random.random() < self.error_rate:
                fault = {"kind": "error", "status": self.error_status}
            elif self.throttle_rate and self._random.random() < self.throttle_rate:
                fault = {"kind": "throttled"}
            if fault:
                self.injected += 1
            return fault

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "latency_ms": self.latency_ms,
                "error_rate": self.error_rate,
                "throttle_rate": self.throttle_rate,
                "hang_seconds": self.hang_seconds,
                "error_status": self.error_status,
                "next": list(self.queue),
                "injected": self.injected,
            }
