"""The transaction state machine: the only code that changes a Transaction's status.

Every change is a conditional UPDATE on the row (a claim), so two workers, a double click or a
retried task cannot both move the same row; every change also writes a timeline event.
Flows and the Other Transactions actions both build on these functions.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import outcomes as counts
from .errors import error_kind
from .models import POSTABLE, Status, Transaction, TransactionEvent


def record_event(
    txn: Transaction | int,
    type: str,
    message: str,
    *,
    detail: Mapping[str, Any] | None = None,
    actor=None,
    flow_run_id: int | None = None,
) -> TransactionEvent:
    return TransactionEvent.objects.create(
        transaction_id=txn if isinstance(txn, int) else txn.pk,
        type=type,
        message=message,
        detail=dict(detail or {}),
        actor=actor if actor is not None and actor.is_authenticated else None,
        flow_run_id=flow_run_id,
    )


def upsert_transaction(
    connector,
    *,
    kind: str,
    source_channel: str,
    source_id: str,
    defaults: Mapping[str, Any] | None = None,
    status: str = Status.RETRIEVED,
    flow: str = "",
    actor=None,
    flow_run_id: int | None = None,
    message: str | None = None,
) -> tuple[Transaction, bool]:
    """Find the transaction for a source record, or create it (once, even under races).

    An existing row is returned unchanged: re-importing a record never resets its status.
    """
    lookup = {
        "connector": connector,
        "kind": kind,
        "source_channel": source_channel,
        "source_id": str(source_id),
    }
    existing = Transaction.objects.filter(**lookup).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            txn = Transaction.objects.create(
                **lookup, status=status, flow=flow, **dict(defaults or {})
            )
            record_event(
                txn,
                TransactionEvent.Type.RETRIEVED,
                message
                or f"{txn.get_kind_display()} retrieved from {txn.get_source_channel_display()}.",
                actor=actor,
                flow_run_id=flow_run_id,
            )
    except IntegrityError:
        # Another request created it between our read and our insert.
        return Transaction.objects.get(**lookup), False
    return txn, True


def claim(
    txn_id: int,
    *,
    from_statuses: Iterable[str] = POSTABLE,
    to_status: str = Status.POSTING,
    actor=None,
    message: str = "Posting started.",
    flow_run_id: int | None = None,
    only_if: Mapping[str, Any] | None = None,
) -> bool:
    """Move a row to `to_status` only if it is still in one of `from_statuses`.

    Returns False when someone else got there first (or the row is in another state): the
    caller then does nothing. `only_if` adds conditions (e.g. the sweeper's "started before").
    """
    now = timezone.now()
    updates: dict[str, Any] = {"status": to_status, "updated_at": now, "next_attempt_at": None}
    if to_status == Status.POSTING:
        updates.update(attempts=F("attempts") + 1, posting_started_at=now)
    if to_status not in (Status.SCHEDULED, Status.POSTING, Status.ERROR):
        # Left otherwise than to be tried again (ignored): no longer an open error.
        updates["error_kind"] = ""
    with transaction.atomic():
        won = Transaction.objects.filter(
            pk=txn_id, status__in=list(from_statuses), **dict(only_if or {})
        ).update(**updates)
        if won:
            record_event(
                txn_id,
                TransactionEvent.Type.STATUS,
                message,
                actor=actor,
                flow_run_id=flow_run_id,
                detail={"status": to_status},
            )
    return bool(won)


def finish(
    txn_id: int,
    status: str,
    *,
    from_status: str = Status.POSTING,
    target_id: str | None = None,
    error: str = "",
    reason: str = "",
    message: str = "",
    detail: Mapping[str, Any] | None = None,
    actor=None,
    flow_run_id: int | None = None,
    claimed_at=None,
    **fields: Any,
) -> bool:
    """Record the outcome of a claimed piece of work (posted, error, skipped, ...).

    `claimed_at` is the claim's token (the `posting_started_at` it set): with it, the outcome
    lands only if the row is still ours. A worker that stalled past its lease and was taken
    over must not overwrite what the worker that took over recorded.
    """
    now = timezone.now()
    updates: dict[str, Any] = {"status": status, "updated_at": now, **fields}
    if target_id is not None:
        updates["target_id"] = target_id
    if status in (Status.POSTED, Status.ORDER_POSTED, Status.COMPLETE):
        updates["posted_at"] = now
    if status != Status.ERROR:
        # The old error is history (on the timeline), not the row's state any more.
        updates["last_error"] = updates["error_kind"] = ""
    if status == Status.ERROR:
        updates["last_error"] = error
        updates["error_kind"] = error_kind(error)
    if reason:
        updates["status_reason"] = reason
    event_type = {
        Status.POSTED: TransactionEvent.Type.POSTED,
        Status.ORDER_POSTED: TransactionEvent.Type.POSTED,
        Status.ERROR: TransactionEvent.Type.ERROR,
        Status.SKIPPED: TransactionEvent.Type.SKIPPED,
        Status.IGNORED: TransactionEvent.Type.IGNORED,
        Status.WAITING: TransactionEvent.Type.WAITING,
    }.get(status, TransactionEvent.Type.STATUS)
    with transaction.atomic():
        ours = Transaction.objects.filter(pk=txn_id, status=from_status)
        if claimed_at is not None:
            ours = ours.filter(posting_started_at=claimed_at)
        if status == Status.ERROR:
            done, was = ours.update(**updates), None
        else:
            done, was = _update_noting_resolution(ours, updates)
        if done:
            record_event(
                txn_id,
                event_type,
                message or error or reason or Status(status).label,
                detail=detail,
                actor=actor,
                flow_run_id=flow_run_id,
            )
            if was:
                _record_resolution(txn_id, was, status, flow_run_id)
            # The dashboard's hourly counts, in this transaction (transactions/outcomes.py).
            counts.record(txn_id, status, now)
    return bool(done)


def _update_noting_resolution(ours, updates) -> tuple[int, dict | None]:
    """UPDATE a claimed row to a non-error outcome; also return its error when it had one
    (a retry or a later attempt that did not fail again: the error is resolved)."""
    # Most outcomes follow no error: one UPDATE, as before the workbench.
    done = ours.filter(error_kind="").update(**updates)
    if done:
        return done, None
    was = ours.select_for_update().values("last_error", "error_kind").first()
    if was is None:
        return 0, None
    return ours.update(**updates), was


def _record_resolution(txn_id: int, was: Mapping[str, str], status: str, flow_run_id) -> None:
    """The timeline's note of who resolved an error, when and how: a person's Retry (the last
    request by a person since the error) or, with nobody's, "resolved by a later attempt"."""
    last = (
        TransactionEvent.objects.filter(transaction_id=txn_id)
        .filter(Q(type=TransactionEvent.Type.ERROR) | Q(type="status", actor__isnull=False))
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )
    person = last.actor if last is not None and last.type == "status" else None
    outcome = Status(status).label
    if person is not None:
        how = "retry"
        message = f"Error resolved: {outcome} after {person.get_username()}'s retry."
    else:
        how = "later_attempt"
        message = f"Error resolved by a later attempt: {outcome}."
    record_event(
        txn_id,
        TransactionEvent.Type.RESOLVED,
        message,
        detail={
            "how": how,
            "status": status,
            "error": was["last_error"][:1000],
            "error_kind": was["error_kind"],
            "request": last.message if person is not None else "",
        },
        actor=person,
        flow_run_id=flow_run_id,
    )


# -- batch forms, for flows that handle a hundred records per NetSuite call ----------------
# Same rules as the single-row functions above (create once, conditional status changes, one
# timeline event per change), with a few queries per batch instead of a few per row.


def upsert_transactions(
    connector,
    *,
    kind: str,
    source_channel: str,
    records: Mapping[str, Mapping[str, Any]],
    status: str = Status.RETRIEVED,
    flow: str = "",
    flow_run_id: int | None = None,
    message: str = "",
) -> dict[str, Transaction]:
    """`records`: source_id -> defaults. Returns source_id -> Transaction (existing rows as
    they are, missing ones created with `status` and a "retrieved" event)."""
    ids = [str(s) for s in records]
    base = {"connector": connector, "kind": kind, "source_channel": source_channel}
    found = {t.source_id: t for t in Transaction.objects.filter(**base, source_id__in=ids)}
    missing = [s for s in ids if s not in found]
    if missing:
        with transaction.atomic():
            Transaction.objects.bulk_create(
                [
                    Transaction(**base, source_id=s, status=status, flow=flow, **records[s])
                    for s in missing
                ],
                ignore_conflicts=True,
            )
            created = Transaction.objects.filter(**base, source_id__in=missing, events__isnull=True)
            TransactionEvent.objects.bulk_create(
                [
                    TransactionEvent(
                        transaction=t,
                        type=TransactionEvent.Type.RETRIEVED,
                        message=message
                        or f"{t.get_kind_display()} retrieved from "
                        f"{t.get_source_channel_display()}.",
                        flow_run_id=flow_run_id,
                    )
                    for t in created
                ]
            )
        found = {t.source_id: t for t in Transaction.objects.filter(**base, source_id__in=ids)}
    return found


def claim_many(
    txn_ids: Iterable[int],
    *,
    from_statuses: Iterable[str] = POSTABLE,
    to_status: str = Status.POSTING,
    message: str = "Posting started.",
    flow_run_id: int | None = None,
    only_if=None,
    marker=None,
) -> set[int]:
    """`claim` for many rows at once; returns the ids this call moved. `only_if` (a Q) adds
    a condition, e.g. "or Posting since before the lease". `marker` (default: now) is the
    claim's token, written to `posting_started_at`; `finish(claimed_at=marker)` checks it."""
    txn_ids = list(txn_ids)
    if not txn_ids:
        return set()
    # The claim time marks our rows: read back what this UPDATE (and only it) moved.
    marker = marker or timezone.now()
    updates: dict[str, Any] = {"status": to_status, "updated_at": marker, "next_attempt_at": None}
    if to_status == Status.POSTING:
        updates.update(attempts=F("attempts") + 1)
    with transaction.atomic():
        claimable = Transaction.objects.filter(pk__in=txn_ids, status__in=list(from_statuses))
        if only_if is not None:
            claimable = claimable.filter(only_if)
        claimable.update(posting_started_at=marker, **updates)
        won = set(
            Transaction.objects.filter(
                pk__in=txn_ids, status=to_status, posting_started_at=marker
            ).values_list("pk", flat=True)
        )
        TransactionEvent.objects.bulk_create(
            [
                TransactionEvent(
                    transaction_id=t,
                    type=TransactionEvent.Type.STATUS,
                    message=message,
                    detail={"status": to_status},
                    flow_run_id=flow_run_id,
                )
                for t in won
            ]
        )
    return won


def finish_many(
    outcomes: Iterable[Mapping[str, Any]], *, flow_run_id: int | None = None
) -> set[int]:
    """`finish` for many rows in one database transaction; each outcome is a dict of
    `finish`'s arguments (`txn_id`, `status`, and any of its keywords). Returns the ids
    finished (a row no longer ours is left to the worker that owns it)."""
    outcomes = list(outcomes)
    done: set[int] = set()
    if not outcomes:
        return done
    with transaction.atomic(), counts.batch():  # one upsert per hourly bucket, not per row
        for outcome in outcomes:
            outcome = dict(outcome)
            txn_id = outcome.pop("txn_id")
            if finish(txn_id, outcome.pop("status"), flow_run_id=flow_run_id, **outcome):
                done.add(txn_id)
    return done
