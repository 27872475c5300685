"""Runs bulk mutation operations: the mutation once per JSONL line, in the background.

Each line goes through the same GraphQL execution and resolvers as a direct call (so the
userErrors are the same) but is not charged to the shop's cost bucket. The pace is
`rows_per_second` (default 200: fast, but an operation of thousands of lines is visibly
RUNNING for a while, as on Shopify); 0 runs the whole operation inline, right after the
request that created it, so tests see it COMPLETED on their first poll without sleeping.

State changes happen under the store lock, a line at a time, so direct calls interleave with
a running operation as they would on Shopify. `fail_after` (a control knob) fails operations
after that many lines with INTERNAL_SERVER_ERROR and a `partialDataUrl`, for clients that
must handle it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import TYPE_CHECKING

from graphql import parse

from sandbox.shopify import bulk, graph

if TYPE_CHECKING:
    from sandbox.shopify.server import ShopifySandbox

logger = logging.getLogger(__name__)
SAVE_EVERY_SECONDS = 1.0


class BulkRunner:
    def __init__(self, sandbox: ShopifySandbox, rows_per_second: float = 200.0) -> None:
        self.sandbox = sandbox
        self.started_with = float(rows_per_second)
        self.rows_per_second = float(rows_per_second)
        self.fail_after: int | None = None
        self._started: set[tuple[str, int]] = set()
        self._threads: list[threading.Thread] = []
        # Set (and replaced) to make pacing threads look again: a cancel, a new pace, a
        # reset or the sandbox stopping.
        self._wake = threading.Event()

    def configure(self, rows_per_second: float | None = None, fail_after=...) -> None:
        if rows_per_second is not None:
            if float(rows_per_second) < 0:
                raise ValueError("rows_per_second must be 0 (inline) or more")
            self.rows_per_second = float(rows_per_second)
        if fail_after is not ...:
            self.fail_after = None if fail_after is None else int(fail_after)
        self.wake()

    def reset(self) -> None:
        self.rows_per_second = self.started_with
        self.fail_after = None
        self._started.clear()
        self.wake()

    def wake(self) -> None:
        event, self._wake = self._wake, threading.Event()
        event.set()

    def settings(self) -> dict:
        return {"rows_per_second": self.rows_per_second, "fail_after": self.fail_after}

    def kick(self) -> None:
        """Start the operations created since the last call (after every mutation request),
        and let running ones see a cancel."""
        self.wake()
        store = self.sandbox.store
        with store.lock:
            pending = [
                (shop, op)
                for shop in store.shops.values()
                for op in shop.bulk_operations.values()
                if op["status"] == "CREATED" and (shop.domain, op["id"]) not in self._started
            ]
            for shop, op in pending:
                self._started.add((shop.domain, op["id"]))
        for shop, op in pending:
            if self.rows_per_second <= 0:
                self._run(shop, op)
                continue
            thread = threading.Thread(
                target=self._run, args=(shop, op), name=f"bulk-{op['id']}", daemon=True
            )
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def join(self, timeout: float | None = None, operation_ids=None) -> None:
        """Wait for the running operations (those given as gids or numbers, else all) to
        end: tests wait for the work, never for the clock."""
        names = None
        if operation_ids is not None:
            names = {f"bulk-{str(i).rsplit('/', 1)[-1]}" for i in operation_ids}
        for thread in list(self._threads):
            if names is None or thread.name in names:
                thread.join(timeout)

    # -- one operation --------------------------------------------------------------------

    def _run(self, shop, op: dict) -> None:
        try:
            self._execute(shop, op)
        except Exception:  # a bug must fail the operation, not leave it RUNNING forever
            logger.exception("bulk operation %s failed", op["id"])
            with self.sandbox.store.lock:
                self._finish(op, "FAILED", "INTERNAL_SERVER_ERROR")

    def _alive(self, shop, op: dict) -> bool:
        """False once a reset replaced the shop or dropped the operation."""
        store = self.sandbox.store
        return store.shops.get(shop.domain) is shop and shop.bulk_operations.get(op["id"]) is op

    def _execute(self, shop, op: dict) -> None:
        store = self.sandbox.store
        document = parse(op["query"])
        with open(op["upload_path"], encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        path = bulk.result_path(store, op)
        path.parent.mkdir(parents=True, exist_ok=True)
        with store.lock:
            if not self._alive(shop, op):
                return
            if op["status"] == "CANCELING":
                self._finish(op, "CANCELED")
                return
            op["status"] = "RUNNING"
        started = last_save = time.monotonic()
        done = 0
        with open(path, "w", encoding="utf-8", buffering=1) as out:  # line-flushed: partial data
            for number, line in enumerate(lines):
                if not line.strip():
                    continue
                if not self._pace(shop, op, started, done):
                    return
                with store.lock:
                    if not self._alive(shop, op):
                        return
                    if op["status"] == "CANCELING":
                        out.flush()
                        self._finish(op, "CANCELED", partial=done > 0)
                        return
                    if self.fail_after is not None and done >= self.fail_after:
                        out.flush()
                        self._finish(op, "FAILED", "INTERNAL_SERVER_ERROR", partial=done > 0)
                        return
                    entry = self._line(store, shop, document, line, number)
                    out.write(json.dumps(entry) + "\n")
                    done += 1
                    op["object_count"] = done
                    op["root_object_count"] = done
                    if time.monotonic() - last_save > SAVE_EVERY_SECONDS:
                        store.save()
                        last_save = time.monotonic()
        with store.lock:
            if self._alive(shop, op):
                self._finish(op, "COMPLETED")

    def _pace(self, shop, op: dict, started: float, done: int) -> bool:
        """Wait for this line's turn; False when the operation ended meanwhile (cancelled,
        reset away) or the sandbox stops (a restart then marks the operation FAILED)."""
        while True:
            # Taken before the checks: a wake() after them sets this very event.
            event = self._wake
            if self.sandbox.stopping.is_set():
                return False
            rate = self.rows_per_second
            wait = started + done / rate - time.monotonic() if rate > 0 else 0
            if wait <= 0:
                return True
            with self.sandbox.store.lock:
                if not self._alive(shop, op):
                    return False
                if op["status"] == "CANCELING":
                    self._finish(op, "CANCELED", partial=done > 0)
                    return False
            event.wait(wait)

    def _line(self, store, shop, document, line: str, number: int) -> dict:
        variables = json.loads(line)
        result = graph.run(
            self.sandbox.schema, document, store, shop, variables, None, True, bulk=True
        )
        entry: dict = {}
        if result.errors:
            entry["errors"] = [error.formatted for error in result.errors]
        if result.data is not None:
            entry["data"] = result.data
        entry["__lineNumber"] = number
        return entry

    def _finish(self, op: dict, status: str, error_code=None, partial: bool = False) -> None:
        store = self.sandbox.store
        path = bulk.result_path(store, op)
        op["status"] = status
        op["error_code"] = error_code
        op["completed_at"] = store.now()
        size = path.stat().st_size if path.exists() else 0
        url = bulk.result_url(self.sandbox.url, op) if size else None
        if status == "COMPLETED":
            op["file_size"] = size
            op["url"] = url
        elif partial:
            op["partial_data_url"] = url
        store.save()
