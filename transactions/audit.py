"""Audit entries for what people do that is not a model save: a Run click, a Post, Retry,
Ignore or Undo (the verbs move rows with conditional UPDATEs, which django-auditlog does not
see). One LogEntry each, with the person, their address (config.login_guard.client_address:
X-Forwarded-For only through the configured proxies) and the connector, so the audit log's
connector filter finds them."""

from __future__ import annotations

from auditlog.models import LogEntry

from config.login_guard import client_address


def record(request, instance, connector, field: str, old: str, new: str) -> LogEntry:
    return LogEntry.objects.log_create(
        instance,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        changes={field: [old, new]},
        actor=request.user if request.user.is_authenticated else None,
        remote_addr=client_address(request) or None,
        additional_data={"connector_id": connector.pk, "connector": str(connector)},
    )
