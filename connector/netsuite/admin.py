"""Read-only views of the concurrency budget, to see who holds NetSuite's slots right now."""

from django.contrib import admin

from .models import BudgetLease, BudgetWaiter


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(BudgetLease)
class BudgetLeaseAdmin(_ReadOnly):
    list_display = ("account", "holder", "priority", "acquired_at", "lease_until")
    list_filter = ("account",)


@admin.register(BudgetWaiter)
class BudgetWaiterAdmin(_ReadOnly):
    list_display = ("account", "holder", "priority", "created_at", "alive_until")
    list_filter = ("account", "priority")
