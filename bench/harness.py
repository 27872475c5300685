"""What every benchmark needs to start the two sandboxes as processes of their own (the
clients then reach them over real HTTP, as in production), and, for the benches that time the
product as deployed (bench-latency, bench-edits), gunicorn and a qcluster on PostgreSQL and
Redis beside them."""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
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


# -- the product as deployed (bench-latency, bench-edits) --------------------------------------
def deployed_arguments(description: str, *, orders: int, seconds: float) -> argparse.ArgumentParser:
    """The knobs every deployed-product bench has (make's N, DURATION, SKUS overrides)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--orders", type=int, default=int(os.environ.get("N") or orders))
    parser.add_argument(
        "--seconds", type=float, default=float(os.environ.get("DURATION") or seconds)
    )
    parser.add_argument("--skus", type=int, default=int(os.environ.get("SKUS") or 10000))
    parser.add_argument("--limit", type=int, default=5, help="NetSuite concurrency limit")
    parser.add_argument("--latency", type=float, default=1.0, help="NetSuite seconds/request")
    parser.add_argument("--workers", type=int, default=4, help="django-q2 workers")
    return parser


@contextlib.contextmanager
def deployed(args, *, database: str, redis_db: int):
    """Both sandboxes (Shopify unthrottled, NetSuite at the concurrency limit), a fresh
    PostgreSQL database and Redis broker, gunicorn and a qcluster on them; yields the URLs
    (Shopify, NetSuite, web)."""
    unthrottled = ["--restore-rate", "1000000", "--maximum-available", "1000000"]
    with sandboxes(unthrottled, ["--limit", str(args.limit)]) as (shopify_url, netsuite_url):
        fresh_database_and_broker(database, redis_db)
        with Product(args.workers) as web_url:
            yield shopify_url, netsuite_url, web_url


def fresh_database_and_broker(database: str, redis_db: int) -> None:
    """A new PostgreSQL database (several processes write at once, as in production) and a
    Redis database of its own for the task broker; Django set up on them here too. Each bench
    has its own names, so two benches on one machine do not drop each other's database."""
    url = os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{database}")
    server, name = url.rsplit("/", 1)
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    redis_url = os.environ.get("BENCH_REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    os.environ.update(
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        DJANGO_SETTINGS_MODULE="config.settings_test",
        ALLOWED_HOSTS="127.0.0.1",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class Product:
    """gunicorn and a qcluster of `workers` on the bench database; stopped on exit."""

    def __init__(self, workers: int):
        self.workers = workers
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> str:
        port = free_port()
        os.environ["Q_WORKERS"] = str(self.workers)
        web = start(
            [
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
            ],
            f"http://127.0.0.1:{port}/healthz",
        )
        self.procs.append(web)
        self.procs.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc):
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def pct(values: list[float], pct: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]
