"""`manage.py reconcile --connector N --days 90`: one reconciliation run, now."""

from django.core.management.base import BaseCommand, CommandError

from connector.models import Connector
from reconciliation.run import DEFAULT_DAYS, reconcile


class Command(BaseCommand):
    help = "Compare Shopify's orders, refunds and taxes with NetSuite's records; list variances."

    def add_arguments(self, parser):
        parser.add_argument("--connector", type=int, help="Connector id (default: every one).")
        parser.add_argument("--days", type=int, default=DEFAULT_DAYS)

    def handle(self, *args, connector=None, days=DEFAULT_DAYS, **options):
        connectors = Connector.objects.all()
        if connector is not None:
            connectors = connectors.filter(pk=connector)
            if not connectors.exists():
                raise CommandError(f"No connector {connector}.")
        for c in connectors.order_by("pk"):
            run = reconcile(c, days)
            self.stdout.write(
                f"connector {c.pk}: {run.orders_checked} orders checked, "
                f"{run.variances_found} variances, {run.variances_resolved} resolved"
            )
