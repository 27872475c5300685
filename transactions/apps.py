from django.apps import AppConfig


class TransactionsConfig(AppConfig):
    name = "transactions"
    verbose_name = "Transactions"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from .models import EditReview

        # Who applied, dismissed or credited an edit (and why) is part of the audit trail.
        auditlog.register(EditReview, include_fields=["state", "resolution", "adjustment_id"])
