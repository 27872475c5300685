"""The synchronizer: the one path every flow takes for every record.

    claim -> read -> map -> write -> bind -> verify -> finish

The flow supplies the middle (read the source through its client, map with pure functions,
write idempotently: upsert by externalId, `@idempotent`, or read-before-write); the
synchronizer owns both ends and the error policy, so every flow keeps the same promises:

- claim: a conditional UPDATE moves the Transaction to Posting (two workers, a double click
  or a redelivered task cannot both work on it); a row left Posting by a dead worker is taken
  over only once its lease has run out.
- bind: after a write, the pair of ids goes into `connector.bindings`, with the side the
  panel wrote, so nothing we wrote is ever offered back as new work (no echo).
- verify: after a write that carries money, the flow reads back the total the target computed
  and `check_total` compares it with the source's to the cent; a difference is an Error
  showing both figures, never Posted.
- finish: every outcome ends in a visible state with a timeline event; nothing stays Posting.

The error policy, in one place (`outcome_of`):
- `Skip(reason)`: nothing to do (Skipped, with the reason).
- `Wait(reason)`: something must happen first (Waiting; checked again by itself).
- `NeedsPerson(message)` and permanent RemoteErrors: Error; waits for a person to Retry.
  When Shopify refused the mutation itself, the idempotency generation moves on, so Retry is
  not answered with the refusal; after a write it never does (a retry finds the write).
- retryable RemoteErrors and unexpected exceptions: Error with a next attempt after a
  backoff, up to SYNC_MAX_ATTEMPTS; then it waits for a person.
- `RunLeaseLost`: another worker owns the run now; we stop without writing.

It works on one record (`one`) or on a batch (`claim` many, write them as one list, then
`finish_many`): the order import writes 100 sales orders per NetSuite call through it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from connector import bindings
from connector.errors import RemoteError
from connector.shopify.errors import ShopifyUserError
from transactions import lifecycle
from transactions.models import POSTABLE, RETRYABLE, Status, Transaction

from .context import FAILED, POSTED, SKIPPED, Job, RunLeaseLost

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
TAKEN_OVER = "Taken over by another worker."


class Skip(Exception):
    """Nothing to write for this record; the reason is shown on it."""

    def __init__(self, reason: str, *, status: str = Status.SKIPPED, **fields):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.fields = fields


class Wait(Exception):
    """The record cannot go yet (the order is not imported or not billed): it waits and is
    checked again by itself."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class NeedsPerson(Exception):
    """The record cannot be posted as it is; the message tells a person what to fix."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Mismatch(NeedsPerson):
    """The target computed another total than the source's."""


@dataclass
class Written:
    """A successful write: what the row shows afterwards."""

    target_id: str
    message: str
    status: str = Status.POSTED
    fields: dict = field(default_factory=dict)
    detail: dict = field(default_factory=dict)


def money(value) -> Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, float):
        value = repr(value)  # zeep gives xsd:double as float; repr keeps NetSuite's digits
    return Decimal(str(value)).quantize(CENT)


def check_total(
    what: str, source: str, source_total, target: str, target_total, *, currency: str = ""
) -> None:
    """Raise Mismatch unless both totals are equal to the cent."""
    expected, actual = money(source_total), money(target_total)
    if expected is not None and expected == actual:
        return
    unit = f" {currency}" if currency else ""
    if expected is None:
        raise Mismatch(
            f"{what}: {source} gave no total to compare with {target}'s {actual}{unit}; "
            f"check the record in {source}."
        )
    if actual is None:
        raise Mismatch(
            f"{what}: {target} did not report a total to compare with {source}'s "
            f"{expected}{unit}. Check the record in {target}; it is not marked posted."
        )
    raise Mismatch(
        f"{what}: {source} total {expected}{unit}, but {target} computed {actual}{unit} "
        f"(difference {actual - expected}{unit}). Check the record in {target} (tax, shipping, "
        "discounts), correct it, then Retry."
    )


def max_attempts() -> int:
    return int(getattr(settings, "SYNC_MAX_ATTEMPTS", 5))


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... minutes after the attempts so far, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def post_lease() -> timedelta:
    return timedelta(seconds=settings.TRANSACTIONS_POST_LEASE_SECONDS)


def message_of(exc: BaseException) -> str:
    if isinstance(exc, NeedsPerson):
        return exc.message
    if isinstance(exc, RemoteError):
        return str(exc) or exc.message
    return f"Unexpected error ({exc.__class__.__name__}): {exc}"[:2000]


class Synchronizer:
    """Claims, finishes and binds the records of one flow for one connector."""

    def __init__(self, job: Job, *, kind: str, source_channel: str, clock=timezone.now):
        self.job = job
        self.kind = kind
        self.source_channel = source_channel
        self.clock = clock
        # Claim tokens (posting_started_at) of the rows this synchronizer claimed: a finish
        # lands only while the row is still ours (see lifecycle.finish's claimed_at).
        self._claims: dict[int, Any] = {}

    @property
    def connector(self):
        return self.job.connector

    # -- claim ------------------------------------------------------------------------------
    def records(
        self, fields_by_source_id: Mapping[str, Mapping[str, Any]], *, message: str = ""
    ) -> dict[str, Transaction]:
        """The Transaction of each source record, created (Scheduled) once if missing."""
        return lifecycle.upsert_transactions(
            self.connector,
            kind=self.kind,
            source_channel=self.source_channel,
            records=fields_by_source_id,
            status=Status.SCHEDULED,
            flow=self.job.flow.name,
            flow_run_id=self.job.run_id,
            message=message,
        )

    def claim(self, txns: Iterable[Transaction], *, message: str = "Posting started.") -> set[int]:
        """Move the rows to Posting; returns the ids this call won. A row Posting for longer
        than the post lease belongs to a worker that died: it is taken over (every write is
        idempotent, so doing it again is safe)."""
        now = self.clock()
        stale = now - post_lease()
        marker = timezone.now()
        # An Error row with a next attempt still ahead is left to its backoff (the sweeper
        # posts it when due): a run that sees it again must not hammer the cause. A Waiting
        # row is checked whenever its source shows up again (that is what it waits for).
        due = (
            ~Q(status=Status.ERROR) | Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )
        won = lifecycle.claim_many(
            [t.pk for t in txns],
            from_statuses=(*POSTABLE, Status.POSTING),
            only_if=(Q(status__in=POSTABLE) & due) | Q(posting_started_at__lt=stale),
            message=message,
            flow_run_id=self.job.run_id,
            marker=marker,
        )
        self._claims.update(dict.fromkeys(won, marker))
        return won

    def reclaim(self, txn: Transaction, *, message: str, from_statuses=(Status.POSTED,)) -> bool:
        """Claim a Posted row again because its source changed after it was posted (e.g. a
        tracking number typed later in NetSuite, an order edited again): the same conditional
        UPDATE, from Posted (or the given done states), so two workers still cannot both take
        it."""
        return bool(self.reclaim_many([txn], message=message, from_statuses=from_statuses))

    def reclaim_many(
        self, txns: Iterable[Transaction], *, message: str, from_statuses=(Status.POSTED,)
    ) -> set[int]:
        """`reclaim` for many rows in one UPDATE; returns the ids this call won."""
        marker = timezone.now()
        won = lifecycle.claim_many(
            [t.pk for t in txns],
            from_statuses=from_statuses,
            message=message,
            flow_run_id=self.job.run_id,
            marker=marker,
        )
        self._claims.update(dict.fromkeys(won, marker))
        return won

    def record(self, source_id: str, fields: Mapping[str, Any], *, message: str = ""):
        """records() + claim() for one record: (txn, won)."""
        txn = self.records({str(source_id): fields}, message=message)[str(source_id)]
        return txn, bool(self.claim([txn]))

    # -- bind -------------------------------------------------------------------------------
    def bind(self, kind: str = "", **ids) -> None:
        """Remember which remote records are the same thing (and which side we wrote)."""
        bindings.bind(self.connector, kind or self.kind, **ids)

    def bind_many(self, pairs: dict[str, str], **values) -> None:
        """`bind` for a batch: shopify id -> netsuite id."""
        bindings.bind_many(self.connector, self.kind, pairs, **values)

    # -- finish -----------------------------------------------------------------------------
    def one(self, txn: Transaction, work: Callable[[], Written]) -> tuple[int, str, str]:
        """Run `work` for a claimed row under the error policy and finish the row."""
        try:
            self.job.check()
            result: Written | BaseException = work()
        except RunLeaseLost:
            raise
        except Exception as exc:  # every failure ends in a visible state
            result = exc
        return self.finish(txn, result)

    def finish(self, txn: Transaction | int, result: Written | BaseException):
        return self.finish_many([(txn, result)])[0]

    def record_failures(
        self, failures: Mapping[str, tuple[Mapping[str, Any], BaseException]], *, message: str
    ) -> list[tuple[int | None, str, str]]:
        """For flows that record a run's successes as counts (inventory, products): a row
        only for each record that failed (source id -> (its fields, the error)), finished
        with the error policy. A row another worker holds still counts as a failure here."""
        if not failures:
            return []
        txns = self.records(
            {sid: fields for sid, (fields, _e) in failures.items()}, message=message
        )
        won = self.claim(txns.values())
        done = [(txns[sid], exc) for sid, (_f, exc) in failures.items() if txns[sid].pk in won]
        return self.finish_many(done) + [(None, FAILED, "")] * (len(failures) - len(done))

    def close_fixed(self, source_ids: Iterable[str], *, message: str) -> None:
        """Rows an earlier run left failed for records this run wrote: Posted now."""
        ids = list(source_ids)
        if not ids:
            return
        open_rows = list(
            Transaction.objects.filter(
                connector=self.connector,
                kind=self.kind,
                source_channel=self.source_channel,
                source_id__in=ids,
                status__in=RETRYABLE,
            )
        )
        if not open_rows:
            return
        won = self.claim(open_rows, message="Written by a later run.")
        self.finish_many(
            [
                (t, Written(target_id=t.target_id or "", message=message))
                for t in open_rows
                if t.pk in won
            ]
        )

    def finish_many(
        self, results: Iterable[tuple[Transaction | int, Written | BaseException]]
    ) -> list[tuple[int, str, str]]:
        """Finish claimed rows (from Posting) with their outcome; returns run outcomes."""
        results = list(results)
        for txn, _ in results:
            # A row claimed elsewhere (the Post task's claim) carries its token on the row.
            if (
                isinstance(txn, Transaction)
                and txn.pk not in self._claims
                and txn.status == Status.POSTING
                and txn.posting_started_at
            ):
                self._claims[txn.pk] = txn.posting_started_at
        results = [(t if isinstance(t, int) else t.pk, r) for t, r in results]
        failures = [pk for pk, r in results if isinstance(r, BaseException)]
        attempts = dict(
            Transaction.objects.filter(pk__in=failures).values_list("pk", "attempts")
            if failures
            else []
        )
        finishes, outcomes = [], []
        for pk, result in results:
            if isinstance(result, RunLeaseLost):
                raise result
            finish, outcome = self.outcome_of(pk, result, attempts.get(pk, 1))
            if pk in self._claims:
                finish["claimed_at"] = self._claims[pk]
            finishes.append(finish)
            outcomes.append(outcome)
        done = lifecycle.finish_many(finishes, flow_run_id=self.job.run_id)
        for pk in done:
            self._claims.pop(pk, None)
        lost = {f["txn_id"] for f in finishes} - done
        for pk in lost:
            # Taken over after our lease ran out (or finished by someone else): the worker
            # that owns it now records the outcome; ours is only logged.
            logger.warning("Transaction %s is no longer ours; its outcome was not recorded", pk)
        return [(pk, SKIPPED, TAKEN_OVER) if pk in lost else (pk, o, r) for pk, o, r in outcomes]

    def outcome_of(self, pk: int, result, attempts: int) -> tuple[dict, tuple[int, str, str]]:
        """The error policy: (finish arguments, run outcome) for one result."""
        if isinstance(result, Written):
            finish = {
                "txn_id": pk,
                "status": result.status,
                "target_id": str(result.target_id),
                "message": result.message,
                "detail": result.detail,
                **result.fields,
            }
            return finish, (pk, POSTED, "")
        if isinstance(result, Skip):
            finish = {"txn_id": pk, "status": result.status, "reason": result.reason}
            return {**finish, **result.fields}, (pk, SKIPPED, result.reason)
        if isinstance(result, Wait):
            due = self.clock() + backoff(attempts)
            finish = {
                "txn_id": pk,
                "status": Status.WAITING,
                "reason": result.reason,
                "message": f"{result.reason} Checked again by itself.",
                "next_attempt_at": due,
            }
            return finish, (pk, SKIPPED, result.reason)
        message = message_of(result)
        retry_by_itself = not isinstance(result, NeedsPerson) and (
            not isinstance(result, RemoteError) or result.retryable
        )
        if not isinstance(result, (NeedsPerson, RemoteError)):
            logger.error("Unexpected error posting transaction %s", pk, exc_info=result)
        finish: dict[str, Any] = {"txn_id": pk, "status": Status.ERROR}
        if retry_by_itself and attempts < max_attempts():
            due = self.clock() + backoff(attempts)
            finish["next_attempt_at"] = due
            finish["message"] = f"{message} Tried {attempts} time(s); trying again by itself."
        elif retry_by_itself:
            finish["message"] = (
                f"{message} Stopped trying by itself after {attempts} attempts: Retry once "
                "the cause is fixed."
            )
        elif isinstance(result, ShopifyUserError):
            # Shopify refused the mutation itself, so nothing was written: the next attempt
            # must not be answered with this refusal (a new key). After a write (a mismatch,
            # a failed read-back) the key stays, so a retry finds the write, never repeats it.
            finish["key_generation"] = F("key_generation") + 1
        finish["error"] = message
        finish["detail"] = {"attempt": attempts, "error": message}
        return finish, (pk, FAILED, "")
