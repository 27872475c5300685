from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from connector.clients import shopify_client
from connector.models import Connector


class Command(BaseCommand):
    help = "Subscribe a connector's Shopify store to the webhooks the flows use."

    def add_arguments(self, parser):
        parser.add_argument("connector", help="Connector id or name")
        parser.add_argument(
            "--base-url",
            required=True,
            help="Public HTTPS address of this panel, e.g. https://panel.example.com",
        )

    def handle(self, *args, connector, base_url, **options):
        from connector.shopify import webhooks
        from connector.shopify.errors import ShopifyError
        from connector.shopify.tasks import topics

        found = (
            Connector.objects.filter(pk=int(connector)).first()
            if connector.isdigit()
            else Connector.objects.filter(name=connector).first()
        )
        if found is None:
            raise CommandError(f"No connector {connector!r}.")
        callback = base_url.rstrip("/") + reverse("shopify-webhook", args=[found.pk])
        try:
            wanted = topics()
            results = webhooks.subscribe(shopify_client(found), callback, wanted)
        except ShopifyError as exc:
            raise CommandError(str(exc)) from exc
        for topic, result in zip(wanted, results, strict=True):
            self.stdout.write(f"{topic}: subscribed ({result})")
        self.stdout.write(self.style.SUCCESS(f"{len(results)} topics → {callback}"))
