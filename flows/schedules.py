"""django-q2 schedules mirroring FlowSchedule rows: one per connector and switched-on flow.

Named `flow:<connector>:<flow>`, so saving settings again updates the same schedule instead of
adding one; a switched-off flow (or an inactive connector) has none.
"""

from __future__ import annotations

from django_q.models import Schedule

from .models import FlowSchedule
from .registry import FLOWS


def schedule_name(connector_id: int, flow: str) -> str:
    return f"flow:{connector_id}:{flow}"


def sync_schedule(flow_schedule: FlowSchedule) -> Schedule | None:
    name = schedule_name(flow_schedule.connector_id, flow_schedule.flow)
    wanted = (
        flow_schedule.enabled
        and flow_schedule.connector.is_active
        and FLOWS[flow_schedule.flow].available
    )
    if not wanted:
        Schedule.objects.filter(name=name).delete()
        return None
    if flow_schedule.cron:
        timing = {"schedule_type": Schedule.CRON, "cron": flow_schedule.cron, "minutes": None}
    else:
        timing = {
            "schedule_type": Schedule.MINUTES,
            "minutes": flow_schedule.interval_minutes,
            "cron": None,
        }
    schedule, _ = Schedule.objects.update_or_create(
        name=name,
        defaults={
            "func": "flows.tasks.scheduled_run",
            "args": repr((flow_schedule.connector_id, flow_schedule.flow)),
            "repeats": -1,
            **timing,
        },
    )
    return schedule


def sync_connector_schedules(connector) -> None:
    for flow_schedule in FlowSchedule.objects.filter(connector=connector).select_related(
        "connector"
    ):
        sync_schedule(flow_schedule)
