"""What every benchmark needs to start the two sandboxes as processes of their own (the
clients then reach them over real HTTP, as in production)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], health: str, *, attempts: int = 300) -> subprocess.Popen:
    """Start `python <args>` in the project and wait (up to 30 s) until `health` answers."""
    proc = subprocess.Popen(  # noqa: S603 (our own interpreter and module names)
        [sys.executable, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(attempts):
        try:
            if requests.get(health, timeout=1).ok:
                return proc
        except requests.RequestException:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"sandbox did not start: {' '.join(args)}")


@contextlib.contextmanager
def sandboxes(shopify_args: list[str] = (), netsuite_args: list[str] = ()):
    """Both sandboxes on free loopback ports (extra command-line knobs for each); yields their
    base URLs (Shopify, NetSuite) and stops them afterwards."""
    shopify_port, netsuite_port = free_port(), free_port()
    shopify_url = f"http://127.0.0.1:{shopify_port}"
    netsuite_url = f"http://127.0.0.1:{netsuite_port}"
    shopify = start(
        ["-m", "sandbox.shopify", "--port", str(shopify_port), *shopify_args],
        f"{shopify_url}/_control/health",
    )
    try:
        netsuite = start(
            ["-m", "sandbox.netsuite", "--port", str(netsuite_port), *netsuite_args],
            f"{netsuite_url}/_control/state",
        )
        try:
            yield shopify_url, netsuite_url
        finally:
            netsuite.terminate()
    finally:
        shopify.terminate()


def django_on_a_fresh_database() -> None:
    """Django on a new SQLite file, migrated: every bench starts from an empty panel."""
    db = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_connector(shopify_url: str, netsuite_url: str, *, limit: int | None = None, **options):
    """A user and a connector on both sandboxes (their default credentials), through the
    panel's own verb; returns (user, connector)."""
    from django.contrib.auth import get_user_model

    from panel import actions
    from sandbox.netsuite import DEFAULT_CREDENTIALS as creds
    from sandbox.shopify import DEFAULT_ACCESS_TOKEN, DEFAULT_SHOP_DOMAIN, DEFAULT_WEBHOOK_SECRET

    user = get_user_model().objects.create(username="bench")
    fields = {
        "name": "Bench",
        "shopify_shop_domain": DEFAULT_SHOP_DOMAIN,
        "shopify_endpoint": shopify_url,
        "netsuite_account_id": creds["account_id"],
        "netsuite_endpoint": f"{netsuite_url}/services/NetSuitePort_2025_2",
    }
    if limit is not None:
        fields["netsuite_concurrency_limit"] = limit
    connector = actions.create_connector(
        user,
        fields,
        secrets={
            "shopify_access_token": DEFAULT_ACCESS_TOKEN,
            "shopify_webhook_secret": DEFAULT_WEBHOOK_SECRET,
            "netsuite_consumer_key": creds["consumer_key"],
            "netsuite_consumer_secret": creds["consumer_secret"],
            "netsuite_token_id": creds["token_id"],
            "netsuite_token_secret": creds["token_secret"],
        },
        options=options,
    )
    return user, connector
