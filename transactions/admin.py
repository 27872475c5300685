"""Read-only admin: staff audit transactions and their timelines, they do not edit them."""

from django.contrib import admin

from connector.admin import ReadOnlyAdminMixin

from .models import Transaction, TransactionEvent


class EventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TransactionEvent
    fields = ["created_at", "type", "message", "actor", "detail"]
    readonly_fields = fields
    extra = 0


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "connector",
        "kind",
        "source_channel",
        "shopify_order_name",
        "source_id",
        "amount",
        "currency",
        "status",
    ]
    list_filter = ["status", "kind", "source_channel", "connector"]
    list_select_related = ["connector"]
    search_fields = ["=shopify_order_name", "=shopify_order_id", "=source_id", "=target_id"]
    show_full_result_count = False  # no COUNT(*) over the whole table per page
    readonly_fields = [f.name for f in Transaction._meta.fields]
    inlines = [EventInline]


@admin.register(TransactionEvent)
class TransactionEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "transaction", "type", "message", "actor"]
    list_filter = ["type"]
    list_select_related = ["transaction", "actor"]
    readonly_fields = [f.name for f in TransactionEvent._meta.fields]
