from django.apps import AppConfig


class ConnectorConfig(AppConfig):
    name = "connector"
    verbose_name = "Connectors"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import SECRET_FIELDS, Connector, ConnectorOptions

        auditlog.register(
            Connector,
            exclude_fields=["updated_at", "last_run_at", "last_error", "last_error_at"],
            mask_fields=[f"{name}_encrypted" for name in SECRET_FIELDS],
            mask_callable="connector.audit.mask_secret",
        )
        auditlog.register(ConnectorOptions, exclude_fields=["updated_at"])
