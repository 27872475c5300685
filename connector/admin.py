"""The Django admin: where staff audit. Connectors are read-only here (change them in the
panel, so every write goes through the verbs); the audit log is filterable by connector,
user and date, and secrets appear only as "changed"."""

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.utils.html import format_html_join

from .audit import SECRET_MASK
from .models import (
    SECRET_FIELDS,
    BundleComponent,
    Connector,
    ConnectorOptions,
    ItemBinding,
    LocationMapping,
    PriceLevelMapping,
)
from .permissions import can_manage_connectors


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ConnectorOptionsInline(ReadOnlyAdminMixin, admin.StackedInline):
    model = ConnectorOptions
    can_delete = False


@admin.register(Connector)
class ConnectorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "shopify_shop_domain",
        "netsuite_account_id",
        "is_active",
        "last_run_at",
        "credentials",
    )
    list_filter = ("is_active", "netsuite_environment")
    search_fields = ("name", "shopify_shop_domain", "netsuite_account_id")
    readonly_fields = ("credentials", "last_run_at", "last_error", "created_at", "updated_at")
    inlines = [ConnectorOptionsInline]

    @admin.display(description="Credentials")
    def credentials(self, obj):
        return ", ".join(
            f"{label}: {'set' if obj.has_secret(name) else 'not set'}"
            for name, label in SECRET_FIELDS.items()
        )


@admin.register(ItemBinding)
class ItemBindingAdmin(admin.ModelAdmin):
    """Admins correct a SKU the flows could not find (or found wrong); what they set is
    marked `admin` and the flows never overwrite it."""

    list_display = (
        "sku",
        "netsuite_item_id",
        "shopify_variant_id",
        "shopify_inventory_item_id",
        "source",
        "connector",
        "updated_at",
    )
    list_filter = ("connector", "source")
    search_fields = ("sku", "netsuite_item_id", "shopify_variant_id", "shopify_inventory_item_id")
    list_select_related = ("connector",)
    readonly_fields = ("source", "created_at", "updated_at")

    def save_model(self, request, obj, form, change):
        obj.source = ItemBinding.Source.ADMIN
        super().save_model(request, obj, form, change)


@admin.register(LocationMapping)
class LocationMappingAdmin(admin.ModelAdmin):
    list_display = ("netsuite_location_id", "shopify_location_id", "connector", "updated_at")
    list_filter = ("connector",)
    list_select_related = ("connector",)


@admin.register(PriceLevelMapping)
class PriceLevelMappingAdmin(admin.ModelAdmin):
    list_display = ("netsuite_price_level_id", "shopify_price_list_id", "connector", "updated_at")
    list_filter = ("connector",)
    list_select_related = ("connector",)


@admin.register(BundleComponent)
class BundleComponentAdmin(admin.ModelAdmin):
    """The bundle table admins maintain: each bundle SKU and the component SKUs a sales order
    carries instead (flows/bundles.py). Writing needs the model permission and the right to
    manage connectors, since it changes what every imported order contains; support staff
    may read it."""

    list_display = (
        "bundle_sku",
        "component_sku",
        "quantity",
        "price_weight",
        "connector",
        "updated_at",
    )
    list_filter = ("connector",)
    search_fields = ("bundle_sku", "component_sku")
    list_select_related = ("connector",)
    ordering = ("connector", "bundle_sku", "component_sku")
    readonly_fields = ("created_at", "updated_at")

    def has_add_permission(self, request):
        return can_manage_connectors(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return can_manage_connectors(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return can_manage_connectors(request.user) and super().has_delete_permission(request, obj)


class ConnectorFilter(admin.SimpleListFilter):
    title = "connector"
    parameter_name = "connector"

    def lookups(self, request, model_admin):
        return [(str(c.pk), c.name) for c in Connector.objects.order_by("name")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(additional_data__connector_id=int(self.value()))
        return queryset


class ActorFilter(admin.RelatedOnlyFieldListFilter):
    pass


_SECRET_COLUMNS = {f"{name}_encrypted": label for name, label in SECRET_FIELDS.items()}


EMPTY = ("", "None", "False", "[]", "{}")
ACTION_LABELS = {"action": "Action", "run": "Run"}


def _label(entry: LogEntry, field: str) -> str:
    """The field's verbose name ("Switched on", not enabled)."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    try:
        name = str(model._meta.get_field(field).verbose_name)
    except Exception:  # a field since removed, or our own action entries
        return ACTION_LABELS.get(field, field.replace("_", " "))
    return name[:1].upper() + name[1:]


def describe_changes(entry: LogEntry) -> list[tuple[str, str]]:
    """(verbose name, "old → new") pairs; credentials only ever say "changed". A creation lists
    only what was set (no row of empty defaults)."""
    rows = []
    creating = entry.action == LogEntry.Action.CREATE
    for field, values in (entry.changes_dict or {}).items():
        if field in _SECRET_COLUMNS:
            rows.append((_SECRET_COLUMNS[field], SECRET_MASK))
            continue
        old, new = [*values, None, None][:2] if isinstance(values, list) else (None, values)
        if creating:
            if str(new) in EMPTY or field in ("id", "connector"):
                continue
            rows.append((_label(entry, field), str(new)))
        elif str(old) in EMPTY and field in ACTION_LABELS:
            rows.append((_label(entry, field), str(new)))
        else:
            rows.append((_label(entry, field), f"{old} → {new}"))
    return rows


admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class ConnectorAuditAdmin(LogEntryAdmin):
    """Every change to a connector, its options and flow schedules: who, when, what."""

    list_display = [
        "created",
        "connector_name",
        "resource_url",
        "action",
        "changes_summary",
        "user_url",
    ]
    list_filter = [ConnectorFilter, ("actor", ActorFilter), "timestamp", "action", "content_type"]
    readonly_fields = [
        "created",
        "connector_name",
        "resource_url",
        "action",
        "user_url",
        "changes_table",
        "remote_addr",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["created", "user_url", "remote_addr", "connector_name", "resource_url"]},
        ),
        ("Changes", {"fields": ["action", "changes_table"]}),
    ]

    @admin.display(description="Connector")
    def connector_name(self, obj):
        return (obj.additional_data or {}).get("connector", "—")

    @admin.display(description="Changes")
    def changes_summary(self, obj):
        return "; ".join(f"{field}: {change}" for field, change in describe_changes(obj))

    @admin.display(description="Changes")
    def changes_table(self, obj):
        return (
            format_html_join("\n", "<div><strong>{}</strong>: {}</div>", describe_changes(obj))
            or "—"
        )
