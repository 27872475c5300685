"""The home page's dashboard: per connector and flow, the last and next run, records synced
and failed (24 hours by hour, 7 days by day), the oldest record still pending (lag), the
NetSuite budget in use and the Shopify points left.

Read side only, and sized by the number of connectors and flows, never by history: a fixed
number of queries (the connectors with their latest run ids and lags as scalar subqueries, the
runs, the schedules, the hourly outcome buckets of the last 7 days, the budget, the points),
each served by an index. Counts come from `transactions.HourlyOutcome` (kept by lifecycle's
finish), never from scanning transactions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django_q.models import Schedule

from connector.models import Connector
from connector.netsuite.models import BudgetLease, BudgetWaiter
from connector.netsuite.wsdl import passport_account_id
from flows.base import Flow
from flows.models import FlowRun, FlowSchedule, ShopifyPoints
from flows.registry import FLOWS, SOURCE_OF, flow_for
from flows.schedules import schedule_name
from transactions.models import PENDING, HourlyOutcome, Transaction

HOURS = 24
DAYS = 7


@dataclass
class Series:
    """One chart: bar labels and the synced / failed count of each bar."""

    labels: list[str]
    synced: list[int]
    failed: list[int]

    @property
    def total_synced(self) -> int:
        return sum(self.synced)

    @property
    def total_failed(self) -> int:
        return sum(self.failed)

    def rows(self):
        return zip(self.labels, self.synced, self.failed, strict=True)

    def as_json(self) -> dict:
        return {"labels": self.labels, "synced": self.synced, "failed": self.failed}


@dataclass
class FlowRow:
    flow: Flow
    on: bool
    last_run: FlowRun | None
    next_run: datetime | None
    oldest_pending: datetime | None
    day: Series
    week: Series

    @property
    def active(self) -> bool:
        """Worth charts: switched on, or something synced or failed this week."""
        return self.on or bool(self.week.total_synced or self.week.total_failed)

    @property
    def idle(self) -> bool:
        """Nothing to show: switched off, never ran, nothing pending or counted this week."""
        return not (self.active or self.last_run or self.oldest_pending)


@dataclass
class ConnectorBoard:
    connector: Connector
    budget_in_use: int
    budget_waiting: int
    budget_limit: int
    points: ShopifyPoints | None
    points_now: float | None
    flows: list[FlowRow] = field(default_factory=list)

    @property
    def charted(self) -> list[FlowRow]:
        return [row for row in self.flows if row.active]

    @property
    def listed(self) -> list[FlowRow]:
        return [row for row in self.flows if not row.idle]

    @property
    def idle(self) -> list[FlowRow]:
        return [row for row in self.flows if row.idle]


def _flow_of_key() -> dict[tuple[str, str], str]:
    """(kind, source channel) -> the flow that syncs them, for rows made without a flow name
    (a refund retrieved by a person is the refund flow's work)."""
    out: dict[tuple[str, str], str] = {}
    for flow in FLOWS.values():
        key = (flow.kind, SOURCE_OF[flow.direction])
        poster = flow_for(*key)  # the one Post and Retry use, when there is one
        out.setdefault(key, poster.api_name if poster else flow.api_name)
    return out


def build(connectors: list[Connector], now: datetime | None = None) -> list[ConnectorBoard]:
    now = now or timezone.now()
    if not connectors:
        return []
    flows = list(FLOWS.values())
    keys = sorted({(f.kind, SOURCE_OF[f.direction]) for f in flows})
    ids = [c.pk for c in connectors]

    # 1. Per connector: the newest run id of each flow and the oldest pending row of each
    # (kind, channel), as scalar subqueries (indexes flowrun_latest and txn_pending_oldest:
    # one index probe each, whatever the history).
    annotations = {}
    for i, flow in enumerate(flows):
        annotations[f"dash_run_{i}"] = Subquery(
            FlowRun.objects.filter(connector=OuterRef("pk"), flow=flow.api_name)
            .order_by("-created_at")
            .values("id")[:1]
        )
    for i, (kind, channel) in enumerate(keys):
        annotations[f"dash_lag_{i}"] = Subquery(
            Transaction.objects.filter(
                connector=OuterRef("pk"), kind=kind, source_channel=channel, status__in=PENDING
            )
            .order_by("created_at")
            .values("created_at")[:1]
        )
    per_connector = {
        row["pk"]: row
        for row in Connector.objects.filter(pk__in=ids)
        .annotate(**annotations)
        .values("pk", *annotations)
    }
    run_ids = [
        row[f"dash_run_{i}"]
        for row in per_connector.values()
        for i in range(len(flows))
        if row[f"dash_run_{i}"]
    ]
    runs = {r.pk: r for r in FlowRun.objects.filter(pk__in=run_ids)}

    # 2. Switches and next runs.
    schedules = {
        (s.connector_id, s.flow): s.enabled
        for s in FlowSchedule.objects.filter(connector_id__in=ids).only(
            "connector_id", "flow", "enabled"
        )
    }
    next_runs = dict(
        Schedule.objects.filter(
            name__in=[schedule_name(c, f.api_name) for c in ids for f in flows]
        ).values_list("name", "next_run")
    )

    # 3. Outcome buckets: at most 24 × 7 per flow.
    this_hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    first_hour = this_hour - timedelta(hours=HOURS * DAYS - 1)
    flow_of = _flow_of_key()
    buckets: dict[tuple[int, str], dict[datetime, list[int]]] = {}
    for connector_id, flow_name, kind, channel, hour, synced, failed in (
        HourlyOutcome.objects.filter(connector_id__in=ids, hour__gte=first_hour)
        .values_list("connector_id", "flow", "kind", "source_channel", "hour", "synced", "failed")
        .order_by()
    ):
        name = flow_name if flow_name in FLOWS else flow_of.get((kind, channel))
        if name is None:
            continue
        slot = buckets.setdefault((connector_id, name), {}).setdefault(hour, [0, 0])
        slot[0] += synced
        slot[1] += failed

    # 4. NetSuite budget in use / waiting and the Shopify points last seen.
    accounts = {c.pk: passport_account_id(c.netsuite_account_id) for c in connectors}
    in_use = dict(
        BudgetLease.objects.filter(account_id__in=set(accounts.values()), lease_until__gt=now)
        .values_list("account_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    waiting = dict(
        BudgetWaiter.objects.filter(account_id__in=set(accounts.values()), alive_until__gt=now)
        .values_list("account_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    points = {p.connector_id: p for p in ShopifyPoints.objects.filter(connector_id__in=ids)}

    axis = Axis(this_hour)
    boards = []
    for connector in connectors:
        row = per_connector.get(connector.pk, {})
        point = points.get(connector.pk)
        board = ConnectorBoard(
            connector=connector,
            budget_in_use=in_use.get(accounts[connector.pk], 0),
            budget_waiting=waiting.get(accounts[connector.pk], 0),
            budget_limit=connector.netsuite_concurrency_limit,
            points=point,
            points_now=point.available_at(now) if point else None,
        )
        for i, flow in enumerate(flows):
            day, week = axis.series(buckets.get((connector.pk, flow.api_name), {}))
            board.flows.append(
                FlowRow(
                    flow=flow,
                    on=schedules.get((connector.pk, flow.api_name), False),
                    last_run=runs.get(row.get(f"dash_run_{i}")),
                    next_run=next_runs.get(schedule_name(connector.pk, flow.api_name)),
                    oldest_pending=row.get(
                        f"dash_lag_{keys.index((flow.kind, SOURCE_OF[flow.direction]))}"
                    ),
                    day=day,
                    week=week,
                )
            )
        boards.append(board)
    return boards


class Axis:
    """The 168 hours of the window and the labels of both charts, computed once per page."""

    def __init__(self, this_hour: datetime):
        self.hours = [
            this_hour - timedelta(hours=HOURS * DAYS - 1 - i) for i in range(HOURS * DAYS)
        ]
        self.hour_labels = [timezone.localtime(h).strftime("%H:00") for h in self.hours[-HOURS:]]
        # Seven 24-hour periods, the last ending with the current hour (rolling, so the newest
        # bar is never a partial day), each labelled by the day it ends on.
        self.day_labels = [
            timezone.localtime(self.hours[(d + 1) * HOURS - 1]).strftime("%a %d")
            for d in range(DAYS)
        ]

    def series(self, buckets: dict[datetime, list[int]]) -> tuple[Series, Series]:
        empty = (0, 0)
        synced = [buckets.get(h, empty)[0] for h in self.hours]
        failed = [buckets.get(h, empty)[1] for h in self.hours]
        day = Series(list(self.hour_labels), synced[-HOURS:], failed[-HOURS:])
        week = Series(
            list(self.day_labels),
            [sum(synced[d * HOURS : (d + 1) * HOURS]) for d in range(DAYS)],
            [sum(failed[d * HOURS : (d + 1) * HOURS]) for d in range(DAYS)],
        )
        return day, week
