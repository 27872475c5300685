"""Keeps the Shopify points a connector's store has left (flows.ShopifyPoints) for the
dashboard, from the `throttleStatus` every Shopify answer carries.

Cheap and rare: a client calls `PointsKeeper` after each answer; it writes only when the last
write for that connector from this process is `PERSIST_EVERY` seconds old (one UPDATE, an
INSERT the first time). A failed write is logged and forgotten: a dashboard note must never
fail a sync.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from .models import ShopifyPoints

logger = logging.getLogger(__name__)

PERSIST_EVERY = 5.0  # seconds

_last_write: dict[int, float] = {}
_lock = threading.Lock()


class PointsKeeper:
    def __init__(
        self,
        connector_id: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], Any] = timezone.now,
        every: float = PERSIST_EVERY,
    ) -> None:
        self.connector_id = connector_id
        self._clock = clock
        self._now = now
        self._every = every

    def __call__(self, status: dict[str, Any]) -> None:
        try:
            available = float(status["currentlyAvailable"])
            maximum = float(status["maximumAvailable"])
            rate = float(status.get("restoreRate") or 0)
        except (KeyError, TypeError, ValueError):
            return  # an HTTP 429 carries no status; nothing to keep
        tick = self._clock()
        with _lock:
            last = _last_write.get(self.connector_id)
            if last is not None and tick - last < self._every:
                return
            _last_write[self.connector_id] = tick
        try:
            with transaction.atomic():  # a savepoint if a caller holds a transaction
                ShopifyPoints.objects.update_or_create(
                    connector_id=self.connector_id,
                    defaults={
                        "available": available,
                        "maximum": maximum,
                        "restore_rate": rate,
                        "seen_at": self._now(),
                    },
                )
        except DatabaseError:
            logger.warning("Could not keep Shopify points for connector %s", self.connector_id)
            with _lock:
                _last_write.pop(self.connector_id, None)


def forget() -> None:
    """Tests: every keeper writes its next status again."""
    with _lock:
        _last_write.clear()
