"""Runs in a child process: many threads calling NetSuite through the shared DB budget."""

from __future__ import annotations

import os
import threading


def run(db_url: str, service_url: str, credentials: dict, callers: int, calls: int, results):
    os.environ["DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
    import django

    django.setup()
    from django.db import connections

    from connector.netsuite.budget import DatabaseBudget
    from connector.netsuite.client import NetSuiteClient

    outcomes: list[str] = []
    lock = threading.Lock()

    def caller(n: int) -> None:
        client = NetSuiteClient(
            **credentials,
            service_url=service_url,
            concurrency_limit=5,
            budget=DatabaseBudget(),
            # No retries: a single concurrency fault fails the test instead of hiding.
            max_retries=0,
        )
        try:
            for _ in range(calls):
                client.get_server_time()
                with lock:
                    outcomes.append("ok")
        except Exception as exc:
            with lock:
                outcomes.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put(outcomes)
