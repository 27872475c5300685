import logging
import sys

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def credentials_keys_check(app_configs=None, **kwargs):
    """A malformed CREDENTIALS_ENCRYPTION_KEYS stops `check`, `migrate`, `runserver` and the
    web/worker start (config/wsgi.py), not the first decryption."""
    from .crypto import KEY_HELP, key_problems

    return [
        checks.Error(problem, hint=KEY_HELP, obj="settings", id="connector.E001")
        for problem in key_problems(getattr(settings, "CREDENTIALS_ENCRYPTION_KEYS", []))
    ]


class ConnectorConfig(AppConfig):
    name = "connector"
    verbose_name = "Connectors"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import (
            SECRET_FIELDS,
            AlertSettings,
            BundleComponent,
            Connector,
            ConnectorOptions,
            ItemBinding,
            LocationMapping,
            PriceLevelMapping,
        )

        auditlog.register(
            Connector,
            exclude_fields=["updated_at", "last_run_at", "last_error", "last_error_at"],
            mask_fields=[f"{name}_encrypted" for name in SECRET_FIELDS],
            mask_callable="connector.audit.mask_secret",
        )
        auditlog.register(ConnectorOptions, exclude_fields=["updated_at"])
        auditlog.register(ItemBinding, exclude_fields=["updated_at"])
        auditlog.register(LocationMapping, exclude_fields=["updated_at"])
        auditlog.register(PriceLevelMapping, exclude_fields=["updated_at"])
        auditlog.register(BundleComponent, exclude_fields=["updated_at"])
        # The webhook URL is a secret: the log says "changed", never any part of it.
        auditlog.register(
            AlertSettings,
            exclude_fields=["updated_at"],
            mask_fields=["webhook_url_encrypted"],
            mask_callable="connector.audit.mask_secret",
        )
        if "qcluster" in sys.argv[1:2]:
            _parse_the_wsdl_before_the_workers_fork()


def _parse_the_wsdl_before_the_workers_fork() -> None:
    """The task cluster forks its workers from this process: the NetSuite WSDL parsed here
    (about 2 s of CPU) is shared by every worker, instead of each worker's first NetSuite call
    after a start paying for it while an order waits."""
    from .netsuite import wsdl

    try:
        wsdl.get_client()
    except Exception:  # no contracts here: the first NetSuite call says so, with the reason
        logging.getLogger(__name__).exception("NetSuite WSDL not loaded before the workers")
