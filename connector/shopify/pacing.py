"""Client-side pacing from Shopify's cost-based rate limit.

Shopify reports `extensions.cost.throttleStatus` on every response. Between responses the
bucket refills at `restoreRate`, so the client can predict how many points are available and
wait just long enough instead of sending a request that will come back THROTTLED. Nothing is
hard-coded: until the first response arrives, the client assumes there is room.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class CostBudget:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.maximum: float | None = None
        self.restore_rate: float | None = None
        self._available: float | None = None
        self._seen_at = 0.0
        # The last requested cost per operation predicts the next one's (same document,
        # usually the same page size).
        self._expected: dict[str, float] = {}

    def available_now(self) -> float | None:
        if self._available is None or not self.restore_rate:
            return self._available
        elapsed = max(0.0, self._clock() - self._seen_at)
        restored = self._available + elapsed * self.restore_rate
        return min(self.maximum, restored) if self.maximum else restored

    def wait_before(self, operation: str) -> float:
        """Seconds to wait so that `operation` finds enough points in the bucket."""
        available = self.available_now()
        expected = self._expected.get(operation)
        if available is None or expected is None or not self.restore_rate:
            return 0.0
        # Our extrapolation is already conservative (Shopify measured the bucket before we
        # received its answer), so one point of headroom covers rounding.
        needed = expected + 1
        if self.maximum:
            needed = min(needed, self.maximum)
        if available >= needed:
            return 0.0
        return (needed - available) / self.restore_rate

    def wait_after_throttle(self, cost: dict[str, Any] | None) -> float:
        """How long until a THROTTLED request's cost has been restored."""
        if not cost:
            return 1.0
        if cost.get("retryAfter") is not None:  # HTTP 429 carries Retry-After instead
            return float(cost["retryAfter"])
        status = cost.get("throttleStatus") or {}
        rate = status.get("restoreRate") or self.restore_rate or 50.0
        requested = cost.get("requestedQueryCost") or 0
        available = status.get("currentlyAvailable") or 0
        return max(0.05, (requested - available) / rate + 0.05)

    def record(self, operation: str, cost: dict[str, Any] | None) -> None:
        if not cost:
            return
        status = cost.get("throttleStatus") or {}
        if status.get("currentlyAvailable") is not None:
            self._available = float(status["currentlyAvailable"])
            self._seen_at = self._clock()
        if status.get("maximumAvailable"):
            self.maximum = float(status["maximumAvailable"])
        if status.get("restoreRate"):
            self.restore_rate = float(status["restoreRate"])
        if cost.get("requestedQueryCost") is not None:
            self._expected[operation] = float(cost["requestedQueryCost"])
