"""The connector admin page with the flow schedules inline: assembled here, on the top floor,
because the connector app (the ground floor) knows nothing of flows."""

from django.contrib import admin

from connector.admin import ConnectorAdmin, ReadOnlyAdminMixin
from connector.models import Connector
from flows.models import FlowSchedule


class FlowScheduleInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = FlowSchedule
    fields = ("flow", "enabled", "interval_minutes", "cron")


class ConnectorWithFlowsAdmin(ConnectorAdmin):
    inlines = [*ConnectorAdmin.inlines, FlowScheduleInline]


admin.site.unregister(Connector)
admin.site.register(Connector, ConnectorWithFlowsAdmin)
