"""Re-encrypt every stored credential with the first key of CREDENTIALS_ENCRYPTION_KEYS.

Key rotation, three steps: 1. put the new key first, keep the old one after it, restart;
2. `python manage.py rotate_credentials`; 3. drop the old key, restart.
"""

from django.core.management.base import BaseCommand, CommandError

from connector import actions
from connector.crypto import CredentialDecryptionError


class Command(BaseCommand):
    help = "Re-encrypt every stored credential with the first CREDENTIALS_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        try:
            connectors, credentials = actions.rotate_credentials()
        except CredentialDecryptionError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Re-encrypted {credentials} credential(s) of {connectors} connector(s) with the "
            "first key. The other keys can now be removed."
        )
