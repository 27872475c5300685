from django.contrib import admin

from connector.admin import ReadOnlyAdminMixin

from .models import WebhookDelivery


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "received_at",
        "connector",
        "topic",
        "status",
        "attempts",
        "next_attempt_at",
        "duplicates",
        "webhook_id",
    )
    list_filter = ("status", "topic", "connector")
    list_select_related = ("connector",)
    search_fields = ("webhook_id", "event_id")
    date_hierarchy = "received_at"
