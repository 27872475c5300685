"""Deciding what to announce, once a minute from the sweeper (never from inside a flow).

Open errors: rows in Error, grouped by connector, flow and error kind
(`transactions.errors.error_kind`) in one query. A kind seen for the first time is announced at
once; while it stays open, at most one digest per the connector's digest interval, and only
when new failures came since the last message; when no row of it is left, one "resolved".
Stale flows: a switched-on, scheduled flow of an active connector with no completed run
(succeeded or partly failed) for N of its intervals is announced once, and "running again"
when it completes one.

Every message is claimed by a conditional UPDATE of its AlertState in the transaction that puts
it in the outbox: a restart, or two sweepers at once, never announce anything twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from croniter import croniter
from django.db import transaction
from django.db.models import Count, Max, Min, Q

from connector.models import Connector, alert_settings_of
from transactions.errors import error_kind
from transactions.models import Status, Transaction

from ..models import FlowRun, FlowSchedule, RunStatus, flow_label
from ..registry import FLOWS, SOURCE_OF, flow_for
from . import messages
from .delivery import enqueue
from .models import AlertState

ERROR_PREFIX = "error:"
STALE_PREFIX = "stale:"
COMPLETED = (RunStatus.SUCCEEDED, RunStatus.PARTLY_FAILED)


@dataclass
class OpenKind:
    connector_id: int
    key: str
    flow: str
    kind: str  # the Transaction kind and channel, for the link to the list
    channel: str
    text: str
    count: int = 0
    oldest: datetime | None = None
    messages: set = field(default_factory=set)  # rows without a stored kind: their errors
    stored_kinds: set = field(default_factory=set)


def _flow_of(flow: str, kind: str, channel: str) -> str:
    if flow:
        return flow
    found = flow_for(kind, channel)
    return found.name if found else kind


def error_key(flow: str, text: str) -> str:
    return f"{ERROR_PREFIX}{flow}:{hashlib.sha256(text.encode()).hexdigest()[:24]}"


def open_error_kinds() -> dict[tuple[int, str], OpenKind]:
    """(connector id, key) -> the open kind: one grouped query over rows in Error."""
    # Grouped by the kind stored on the row (lifecycle sets it with the error; the workbench's
    # index covers these columns), so the query grows with the kinds, not the messages.
    rows = (
        Transaction.objects.filter(status=Status.ERROR)
        .values_list("connector_id", "flow", "kind", "source_channel", "error_kind")
        .annotate(n=Count("id"), oldest=Min("updated_at"), last_error=Min("last_error"))
        .order_by()
    )
    kinds: dict[tuple[int, str], OpenKind] = {}
    for connector_id, flow, kind, channel, stored_kind, n, oldest, last_error in rows:
        name = _flow_of(flow, kind, channel)
        text = stored_kind or error_kind(last_error or "") or "(no message)"
        key = error_key(name, text)
        found = kinds.setdefault(
            (connector_id, key), OpenKind(connector_id, key, name, kind, channel, text)
        )
        found.count += n
        found.oldest = oldest if found.oldest is None else min(found.oldest, oldest)
        if stored_kind:
            found.stored_kinds.add(stored_kind)
        else:
            found.messages.add(last_error or "")
    return kinds


def _states(prefix: str, keys) -> dict[tuple[int, str], AlertState]:
    keys = list(keys)
    query = Q(resolved_at__isnull=True, key__startswith=prefix)
    if keys:
        query |= Q(connector_id__in={c for c, _ in keys}, key__in={k for _, k in keys})
    return {(s.connector_id, s.key): s for s in AlertState.objects.filter(query)}


def _ensure_states(wanted: dict, states: dict, now) -> None:
    """Insert the states not seen before (a conflict means another sweeper made it: fine)."""
    missing = [
        AlertState(connector_id=c, key=k, flow=flow, subject=subject[:200], first_seen=now)
        for (c, k), (flow, subject) in wanted.items()
        if (c, k) not in states
    ]
    if not missing:
        return
    AlertState.objects.bulk_create(missing, ignore_conflicts=True)
    for s in AlertState.objects.filter(
        connector_id__in={m.connector_id for m in missing}, key__in={m.key for m in missing}
    ):
        states.setdefault((s.connector_id, s.key), s)


def _claim_and_enqueue(claim, connector, event: str, text, now, **changes) -> bool:
    """One UPDATE decides who announces; the messages go into the outbox in the same
    transaction, so a claim never stands without its messages, nor messages without it."""
    with transaction.atomic():
        if claim.update(**changes) != 1:
            return False
        if text is not None:
            enqueue(connector, alert_settings_of(connector), event, text, now)
    return True


def _connectors(ids) -> dict[int, Connector]:
    return {
        c.pk: c for c in Connector.objects.filter(pk__in=set(ids)).select_related("alert_settings")
    }


def evaluate(now) -> dict:
    report = {"alerts_queued": 0}
    _errors(now, report)
    _stale(now, report)
    return report


# -- open errors -------------------------------------------------------------------------------
def _errors(now, report: dict) -> None:
    kinds = open_error_kinds()
    states = _states(ERROR_PREFIX, kinds)
    _ensure_states({key: (k.flow, k.text) for key, k in kinds.items()}, states, now)
    connectors = _connectors([c for c, _ in kinds] + [c for c, _ in states])
    due = {}
    for key, kind in kinds.items():
        state, connector = states[key], connectors[kind.connector_id]
        label = flow_label(kind.flow)
        url = messages.errors_link(connector, kind.kind, kind.channel)
        first = None
        if state.resolved_at is not None or state.last_sent is None:
            examples = _examples(kind)
            first = messages.first(
                connector, label, kind.text, kind.count, kind.oldest, now, url, examples
            )
        if state.resolved_at is not None:  # back after it was resolved: a new episode
            claim = AlertState.objects.filter(pk=state.pk, resolved_at=state.resolved_at)
            report["alerts_queued"] += _claim_and_enqueue(
                claim, connector, "first", first, now,
                resolved_at=None, first_seen=now, last_sent=now, last_count=kind.count,
            )  # fmt: skip
        elif state.last_sent is None:
            claim = AlertState.objects.filter(
                pk=state.pk, last_sent__isnull=True, resolved_at__isnull=True
            )
            report["alerts_queued"] += _claim_and_enqueue(
                claim, connector, "first", first, now, last_sent=now, last_count=kind.count
            )
        else:
            interval = timedelta(minutes=alert_settings_of(connector).digest_minutes)
            if now - state.last_sent >= interval:
                due[key] = (kind, state)
    _digests(now, due, connectors, report)

    for key, state in states.items():
        if key in kinds or state.resolved_at is not None or not key[1].startswith(ERROR_PREFIX):
            continue
        connector = connectors[state.connector_id]
        text = None
        if state.last_sent is not None:  # announced: say it is over
            flow = FLOWS.get(state.flow)
            url = (
                messages.errors_link(connector, flow.kind, SOURCE_OF[flow.direction])
                if flow
                else messages.settings_link(connector, "general")
            )
            text = messages.resolved(
                connector, flow_label(state.flow), state.subject, state.first_seen, now, url
            )
        claim = AlertState.objects.filter(
            pk=state.pk, resolved_at__isnull=True, last_sent=state.last_sent
        )
        report["alerts_queued"] += (
            _claim_and_enqueue(claim, connector, "resolved", text, now, resolved_at=now)
            and text is not None
        )


EXAMPLES = 5


def _examples(kind: OpenKind) -> list[str]:
    """A few records of a new kind (the oldest first), named by their ids and order names."""
    rows = (
        Transaction.objects.filter(
            connector_id=kind.connector_id,
            status=Status.ERROR,
            kind=kind.kind,
            source_channel=kind.channel,
        )
        .filter(
            Q(error_kind__in=sorted(kind.stored_kinds))
            | Q(error_kind="", last_error__in=sorted(kind.messages)[:100])
        )
        .order_by("updated_at", "pk")[:EXAMPLES]
    )
    out = []
    for txn in rows:
        order = txn.shopify_order_name or txn.shopify_order_id
        out.append(
            f"{txn.source_type or txn.kind} {txn.source_id}"
            + (f" (Shopify order {order})" if order else "")
        )
    return out


def _digests(now, due: dict, connectors: dict, report: dict) -> None:
    """New failures since each due kind's last message: one query over the rows that failed
    since the oldest of those messages."""
    if not due:
        return
    since = min(state.last_sent for _, state in due.values())
    new = dict.fromkeys(due, 0)
    keys_of_message: dict[tuple, str] = {}
    rows = Transaction.objects.filter(
        status=Status.ERROR,
        updated_at__gt=since,
        connector_id__in={c for c, _ in due},
    ).values_list("connector_id", "flow", "kind", "source_channel", "last_error", "updated_at")
    for connector_id, flow, kind, channel, last_error, updated_at in rows.iterator():
        cache_key = (flow, kind, channel, last_error)
        if cache_key not in keys_of_message:
            name = _flow_of(flow, kind, channel)
            keys_of_message[cache_key] = error_key(name, error_kind(last_error) or "(no message)")
        key = (connector_id, keys_of_message[cache_key])
        if key in due and updated_at > due[key][1].last_sent:
            new[key] += 1
    for key, (kind, state) in due.items():
        if not new[key]:
            continue  # still open, nothing new: no message
        connector = connectors[kind.connector_id]
        url = messages.errors_link(connector, kind.kind, kind.channel)
        text = messages.digest(
            connector,
            flow_label(kind.flow),
            kind.text,
            kind.count,
            new[key],
            kind.oldest,
            state.last_sent,
            now,
            url,
        )
        claim = AlertState.objects.filter(
            pk=state.pk, resolved_at__isnull=True, last_sent=state.last_sent
        )
        report["alerts_queued"] += _claim_and_enqueue(
            claim, connector, "digest", text, now, last_sent=now, last_count=kind.count
        )


# -- flows that stopped running ----------------------------------------------------------------
def interval_of(schedule: FlowSchedule, now) -> timedelta:
    if schedule.cron:
        times = croniter(schedule.cron, now)
        first = times.get_next(datetime)
        return times.get_next(datetime) - first
    return timedelta(minutes=schedule.interval_minutes)


def _stale(now, report: dict) -> None:
    schedules = [
        s
        for s in FlowSchedule.objects.filter(enabled=True, connector__is_active=True)
        if s.flow in FLOWS and FLOWS[s.flow].schedulable
    ]
    last_ok = dict(
        (((c, f), last))
        for c, f, last in FlowRun.objects.filter(
            connector_id__in={s.connector_id for s in schedules},
            status__in=COMPLETED,
            finished_at__isnull=False,
        )
        .values_list("connector_id", "flow")
        .annotate(last=Max("finished_at"))
        .order_by()
    )
    watched = {(s.connector_id, f"{STALE_PREFIX}{s.flow}"): s for s in schedules}
    states = _states(STALE_PREFIX, watched)
    connectors = _connectors([c for c, _ in watched] + [c for c, _ in states])
    stale = {}
    for key, schedule in watched.items():
        connector = connectors[schedule.connector_id]
        limit = interval_of(schedule, now) * alert_settings_of(connector).stale_after_intervals
        last = last_ok.get((schedule.connector_id, schedule.flow))
        # A flow switched on (or rescheduled) recently is given its intervals to run.
        since = max(last, schedule.updated_at) if last else schedule.updated_at
        if now - since > limit:
            stale[key] = (schedule, last)
    _ensure_states({key: (s.flow, "") for key, (s, _) in stale.items()}, states, now)

    for key, (schedule, last) in stale.items():
        state, connector = states[key], connectors[schedule.connector_id]
        if state.resolved_at is None and state.last_sent is not None:
            continue  # announced once; "running again" comes when it recovers
        label = flow_label(schedule.flow)
        url = messages.settings_link(connector, FLOWS[schedule.flow].settings_section)
        text = messages.stale(connector, label, schedule.schedule_display, last, now, url)
        claim = AlertState.objects.filter(
            pk=state.pk, resolved_at=state.resolved_at, last_sent=state.last_sent
        )
        report["alerts_queued"] += _claim_and_enqueue(
            claim, connector, "stale", text, now,
            resolved_at=None, first_seen=now, last_sent=now, last_count=0,
        )  # fmt: skip

    for key, state in states.items():
        if key in stale or state.resolved_at is not None:
            continue
        connector = connectors[state.connector_id]
        text = None
        # Running again: only for a flow still watched (one switched off, or of a connector
        # made inactive, is closed without a message: nobody expects it to run).
        if key in watched and state.last_sent is not None:
            url = messages.settings_link(connector, FLOWS[state.flow].settings_section)
            text = messages.recovered(connector, flow_label(state.flow), now, url)
        claim = AlertState.objects.filter(
            pk=state.pk, resolved_at__isnull=True, last_sent=state.last_sent
        )
        report["alerts_queued"] += (
            _claim_and_enqueue(claim, connector, "recovered", text, now, resolved_at=now)
            and text is not None
        )
