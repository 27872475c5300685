"""Runs in a child process: a worker executing one flow run against the shared database, so a
test can kill it (SIGKILL) halfway, as a machine dies."""

from __future__ import annotations

import os


def execute(db_url: str, run_id: int) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
    import django

    django.setup()
    from flows import engine

    engine.execute(run_id)
