from django.apps import AppConfig


class FlowsConfig(AppConfig):
    name = "flows"
    verbose_name = "Flows"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import webhooks
        from .models import FlowSchedule

        auditlog.register(FlowSchedule, exclude_fields=["updated_at"])
        webhooks.register()
