"""Start the whole product for a demo: sandboxes, a django-q2 cluster and the web server."""

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from panel import demo

STATE_DIR = Path(settings.BASE_DIR) / "var" / "sandbox"

# (label, module, arguments): the demo connector's credentials are the sandboxes' own, and
# their state files keep the demo store and account consistent with the panel's database
# across restarts.
SANDBOXES = [
    (
        "Shopify sandbox store",
        "sandbox.shopify",
        [
            "--port",
            str(demo.SHOPIFY_SANDBOX_PORT),
            "--demo",
            "--state",
            str(STATE_DIR / "shopify.json"),
            "--shop-domain",
            demo.DEMO_SHOP_DOMAIN,
            "--access-token",
            demo.DEMO_SHOPIFY_TOKEN,
            "--webhook-secret",
            demo.DEMO_WEBHOOK_SECRET,
        ],
    ),
    (
        "NetSuite sandbox account",
        "sandbox.netsuite",
        [
            "--port",
            str(demo.NETSUITE_SANDBOX_PORT),
            "--demo",
            "--state",
            str(STATE_DIR / "netsuite.json"),
            "--account-id",
            demo.DEMO_NETSUITE_ACCOUNT,
            *[
                f"--{name.removeprefix('netsuite_').replace('_', '-')}={value}"
                for name, value in demo.DEMO_NETSUITE_CREDENTIALS.items()
            ],
        ],
    ),
]


def _answers(url: str) -> bool:
    import requests

    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False


class Command(BaseCommand):
    help = "Run the sandboxes, a qcluster and the web server until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-sandboxes", action="store_true")

    def _seed_refund_demo(self) -> None:
        """Once both sandboxes answer: the refund demo (#1001 cash refund, #1002 credit memo,
        #1003 not billed). `seed_demo` runs before the sandboxes exist, so it happens here;
        idempotent, so every start can run it."""
        from connector.models import Connector
        from transactions.demo import seed_sandboxes

        shopify = f"http://127.0.0.1:{demo.SHOPIFY_SANDBOX_PORT}"
        netsuite = f"http://127.0.0.1:{demo.NETSUITE_SANDBOX_PORT}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if _answers(f"{shopify}/_control/health") and _answers(f"{netsuite}/_control/state"):
                break
            time.sleep(0.3)
        connector = Connector.objects.filter(name=demo.DEMO_CONNECTOR).first()
        if connector is None:
            return
        try:
            seeded = seed_sandboxes(connector, shopify, netsuite)
        except Exception as exc:
            self.stderr.write(f"Refund demo not seeded: {exc}")
        else:
            self.stdout.write(f"Refund demo ready: orders {', '.join(seeded)}.")

    def handle(self, *args, port, no_sandboxes, **options):
        python = sys.executable
        children: list[tuple[str, subprocess.Popen]] = []

        def start(label, argv):
            children.append((label, subprocess.Popen(argv)))  # noqa: S603

        if not no_sandboxes:
            STATE_DIR.mkdir(parents=True, exist_ok=True)
            for label, module, arguments in SANDBOXES:
                if importlib.util.find_spec(module) is None:
                    continue
                start(label, [python, "-m", module, *arguments])
        if not no_sandboxes:
            self._seed_refund_demo()
        start("Task cluster", [python, "manage.py", "qcluster"])
        start("Web server", [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"])

        password = os.environ.get("DEMO_PASSWORD", "demo")
        self.stdout.write(
            self.style.SUCCESS(f"\n  Panel:  http://127.0.0.1:{port}/\n")
            + f"  Logins: admin / {password}  (connector admin, staff)\n"
            f"          cs / {password}     (customer service)\n"
            f"  API:    http://127.0.0.1:{port}/api/v1/docs/\n"
            "  Ctrl-C stops everything.\n"
        )

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        try:
            while not stopping:
                for label, proc in children:
                    if proc.poll() is not None:
                        self.stderr.write(f"{label} exited with code {proc.returncode}.")
                        exit_code = proc.returncode or 1
                        stopping = True
                time.sleep(0.5)
        finally:
            for _, proc in children:
                if proc.poll() is None:
                    proc.terminate()
            for _, proc in children:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        sys.exit(exit_code)
