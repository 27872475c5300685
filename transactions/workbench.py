"""The error workbench: open errors across flows, grouped by flow and kind, and what people do
about them (retry, ignore with a reason, bind an unknown SKU and retry).

The page, the API and tests call these verbs; each acts row by row through the verbs of
actions.py (conditional claims), so a row that meanwhile succeeded, or that someone else
retried, is left as it is and counted as skipped. A group action takes the group's rows as
they are when it is confirmed, at most GROUP_LIMIT at a time (bounded work per request).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Min, Q
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode

from connector import items
from connector.models import Connector, ItemBinding

from . import actions
from .models import Status, Transaction, TransactionEvent

GROUP_LIMIT = 500
SELECTION_LIMIT = 100
PAGE_SIZE = 50
MAX_GROUPS = 500

# The order import's message for a SKU NetSuite does not know (flows/order_import/mapping.py).
_UNKNOWN_SKU = re.compile(r"^SKU (?P<sku>\S+) on line \S+ is not an item in NetSuite")


class WorkbenchError(Exception):
    """Refused before anything changed; the message is for the person who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Group:
    connector_id: int
    connector_name: str
    flow: str
    flow_label: str
    kind: str
    count: int
    oldest: datetime

    @property
    def unknown_sku(self) -> bool:
        return is_unknown_sku_kind(self.kind)

    @property
    def uid(self) -> str:
        return group_uid(self.connector_id, self.flow, self.kind)

    @property
    def query(self) -> str:
        return group_query(self.connector_id, self.flow, self.kind)


def group_uid(connector_id: int, flow: str, kind: str) -> str:
    """A short stable id for a group in the page (element ids, form ids)."""
    return hashlib.sha256(f"{connector_id}|{flow}|{kind}".encode()).hexdigest()[:12]


def group_query(connector_id: int, flow: str, kind: str) -> str:
    return urlencode({"connector": connector_id, "flow": flow, "kind": kind})


@dataclass
class Outcome:
    """What an action did: the rows it moved (with their status before), and how many it left
    as they were (no longer in Error) or did not reach (beyond the limit)."""

    verb: str
    acted: list[tuple[Transaction, str]] = field(default_factory=list)
    asked: int = 0
    remaining: int = 0
    lead: str = ""  # what was done first (the binding), said before the count

    @property
    def done(self) -> int:
        return len(self.acted)

    @property
    def skipped(self) -> int:
        return self.asked - self.done

    @property
    def message(self) -> str:
        text = f"{self.lead}{self.done} error{'s' if self.done != 1 else ''} {self.verb}."
        if self.skipped:
            text += (
                f" {self.skipped} left as {'it was' if self.skipped == 1 else 'they were'}: "
                "no longer in Error (retried, resolved or ignored meanwhile)."
            )
        if self.remaining:
            text += f" {self.remaining} more in the group: confirm again to go on."
        return text


def is_unknown_sku_kind(kind: str) -> bool:
    return bool(re.match(r"^SKU .+ on line .+ is not an item in NetSuite", kind or ""))


def unknown_sku(message: str) -> str:
    """The SKU an unknown-SKU error names, or ""."""
    found = _UNKNOWN_SKU.match(message or "")
    return found.group("sku") if found else ""


def flow_label(name: str) -> str:
    from flows.registry import FLOWS

    flow = FLOWS.get(name)
    return flow.label if flow is not None else (name or "No flow (retrieved by hand)")


def open_errors():
    return Transaction.objects.filter(status=Status.ERROR)


def groups(connector_id: int | None = None, flow: str = "") -> list[Group]:
    """Open errors by connector, flow and kind, with counts and the oldest: one grouped query
    (answered from the partial index txn_open_errors) and one for the connectors' names."""
    qs = open_errors()
    if connector_id:
        qs = qs.filter(connector_id=connector_id)
    if flow:
        qs = qs.filter(flow=flow)
    rows = list(
        qs.values("connector_id", "flow", "error_kind")
        .annotate(count=Count("id"), oldest=Min("updated_at"))
        .order_by("flow", "-count", "oldest")[:MAX_GROUPS]
    )
    names = dict(
        Connector.objects.filter(pk__in={r["connector_id"] for r in rows}).values_list("pk", "name")
    )
    found = [
        Group(
            connector_id=r["connector_id"],
            connector_name=names.get(r["connector_id"], ""),
            flow=r["flow"],
            flow_label=flow_label(r["flow"]),
            kind=r["error_kind"],
            count=r["count"],
            oldest=r["oldest"],
        )
        for r in rows
    ]
    found.sort(key=lambda g: (g.flow_label.lower(), -g.count, g.oldest))
    return found


def group_rows(connector_id: int, flow: str, kind: str):
    return open_errors().filter(connector_id=connector_id, flow=flow, error_kind=kind)


@dataclass
class RowsPage:
    rows: list[Transaction]
    next_cursor: str | None


def cursor_of(txn: Transaction) -> str:
    return f"{txn.updated_at.isoformat()}_{txn.pk}"


def page_of_group(
    connector_id: int, flow: str, kind: str, after: str | None = None, size: int = PAGE_SIZE
) -> RowsPage:
    """A group's rows, oldest first, by keyset on (updated_at, id) from the same index."""
    qs = group_rows(connector_id, flow, kind).select_related("connector")
    if after:
        stamp, _, pk = after.rpartition("_")
        try:
            when = parse_datetime(stamp) if stamp else None
        except ValueError:  # well formed but not a date (month 13)
            when = None
        if when is None or not pk.isdigit():
            raise WorkbenchError("That page link is not valid any more: start from the first page.")
        qs = qs.filter(Q(updated_at__gt=when) | Q(updated_at=when, id__gt=int(pk)))
    rows = list(qs.order_by("updated_at", "id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return RowsPage(rows, cursor_of(rows[-1]) if more else None)


def resolved(connector_id: int | None = None, limit: int = PAGE_SIZE) -> list[TransactionEvent]:
    """Recently resolved errors with who, when and how (newest first, one query)."""
    qs = TransactionEvent.objects.filter(type=TransactionEvent.Type.RESOLVED)
    if connector_id:
        qs = qs.filter(transaction__connector_id=connector_id)
    return list(
        qs.select_related("actor", "transaction", "transaction__connector").order_by(
            "-created_at", "-id"
        )[:limit]
    )


# --- verbs -----------------------------------------------------------------------------


def _act(verb: str, do, rows, asked: int, remaining: int = 0) -> Outcome:
    outcome = Outcome(verb, asked=asked, remaining=remaining)
    for txn in rows:
        before = txn.get_status_display()
        if do(txn.pk):
            outcome.acted.append((txn, before))
    return outcome


def _selection(ids) -> tuple[list[Transaction], int]:
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        raise WorkbenchError("Tick the errors first.")
    if len(ids) > SELECTION_LIMIT:
        raise WorkbenchError(f"Select at most {SELECTION_LIMIT} errors at a time.")
    return list(Transaction.objects.select_related("connector").filter(pk__in=ids)), len(ids)


def _group(connector_id: int, flow: str, kind: str) -> tuple[list[Transaction], int, int]:
    """The group's rows as they are now (oldest first, at most GROUP_LIMIT), and how many
    more it has."""
    qs = group_rows(connector_id, flow, kind)
    rows = list(qs.select_related("connector").order_by("updated_at", "id")[: GROUP_LIMIT + 1])
    remaining = 0
    if len(rows) > GROUP_LIMIT:
        rows = rows[:GROUP_LIMIT]
        remaining = qs.count() - GROUP_LIMIT
    if not rows:
        raise WorkbenchError("This group has no open errors any more.")
    return rows, len(rows), remaining


def _target(ids=None, group=None) -> tuple[list[Transaction], int, int]:
    if group is not None:
        return _group(group["connector"], group["flow"], group["kind"])
    rows, asked = _selection(ids or [])
    return rows, asked, 0


def retry(user, *, ids=None, group=None) -> Outcome:
    """Retry one row, a selection (ids) or a whole group ({connector, flow, kind})."""
    rows, asked, remaining = _target(ids, group)
    return _act(
        "retried",
        lambda pk: actions.retry(user, pk, from_statuses=(Status.ERROR,)),
        rows,
        asked,
        remaining,
    )


def ignore(user, reason: str, *, ids=None, group=None) -> Outcome:
    """Ignore with a reason (required: it is the history of why nobody fixed it)."""
    reason = (reason or "").strip()
    if not reason:
        raise WorkbenchError("Say why these errors are ignored: a reason is required.")
    rows, asked, remaining = _target(ids, group)
    return _act(
        "ignored",
        lambda pk: actions.ignore(user, pk, reason, from_statuses=(Status.ERROR,)),
        rows,
        asked,
        remaining,
    )


def bind_sku_and_retry(user, connector: Connector, sku: str, netsuite_item_id: str) -> Outcome:
    """Bind a SKU NetSuite does not know to a NetSuite item (an admin's binding, never
    overwritten by a flow's finding), then retry every open error of the connector that names
    that SKU."""
    sku = (sku or "").strip()
    item = (netsuite_item_id or "").strip()
    if not sku:
        raise WorkbenchError("Give the SKU to bind.")
    if not item.isdigit():
        raise WorkbenchError(
            "The NetSuite item id is the item's internal id, a number (e.g. 1234)."
        )
    items.bind_item(connector, sku, netsuite_item_id=item, source=ItemBinding.Source.ADMIN)
    # The error text starts with the SKU; the exact SKU is checked on each row's message so
    # "A-1" does not retry the rows of "A-10".
    candidates = open_errors().filter(
        connector=connector, last_error__startswith=f"SKU {sku} on line"
    )
    candidates = candidates.select_related("connector").order_by("updated_at", "id")
    rows = [t for t in candidates[:GROUP_LIMIT] if unknown_sku(t.last_error) == sku]
    note = f"after binding SKU {sku} to NetSuite item {item}"
    outcome = _act(
        "retried",
        lambda pk: actions.retry(user, pk, from_statuses=(Status.ERROR,), note=note),
        rows,
        len(rows),
    )
    outcome.lead = f"SKU {sku} bound to NetSuite item {item}. "
    return outcome
