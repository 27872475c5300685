"""How long inventory records are kept. A 15-minute schedule makes ~3,000 runs a month per
connector; their summaries and the rows of SKUs that failed and were since fixed or ignored
are history nobody reads after a while. Open rows (Error, Waiting, Posting, Scheduled) are
never deleted: they are work."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q

from flows.models import ACTIVE_RUN_STATUSES, FlowRun
from transactions.models import Kind, Status, Transaction

DONE = (Status.POSTED, Status.SKIPPED, Status.IGNORED)


def retention() -> timedelta:
    return timedelta(days=int(getattr(settings, "INVENTORY_RETENTION_DAYS", 30)))


def cleanup(now) -> dict:
    """Delete inventory runs finished, and inventory rows done, before the retention period."""
    from . import FLOW

    cutoff = now - retention()
    runs, _ = (
        FlowRun.objects.filter(flow=FLOW.name, finished_at__lt=cutoff)
        .exclude(status__in=ACTIVE_RUN_STATUSES)
        .delete()
    )
    rows, _ = Transaction.objects.filter(
        Q(kind=Kind.INVENTORY), Q(status__in=DONE), Q(updated_at__lt=cutoff)
    ).delete()
    return {"inventory_runs_deleted": runs, "inventory_rows_deleted": rows}
