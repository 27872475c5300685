import os

from django.core.management.base import BaseCommand

from panel import demo


class Command(BaseCommand):
    help = "Create the demo users (admin, cs) and the demo connector. Safe to run again."

    def handle(self, *args, **options):
        password = os.environ.get("DEMO_PASSWORD", "demo")
        connector = demo.seed(password)
        self.stdout.write(f"Demo users admin and cs ready; connector “{connector.name}” ready.")
