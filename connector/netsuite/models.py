"""Rows behind the shared NetSuite concurrency budget (budget.py, docs/netsuite-budget.md)."""

from django.db import models


class BudgetAccount(models.Model):
    """One row per NetSuite account; updating it is the lock that serialises grant decisions."""

    account_id = models.CharField(max_length=64, primary_key=True)
    touched_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.account_id


class BudgetLease(models.Model):
    """A slot in use. A holder that dies stops renewing, and the slot frees at ``lease_until``."""

    account = models.ForeignKey(BudgetAccount, on_delete=models.CASCADE, related_name="leases")
    holder = models.CharField(max_length=64, unique=True)
    priority = models.PositiveSmallIntegerField()
    acquired_at = models.DateTimeField()
    lease_until = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.account_id} lease {self.holder}"


class BudgetWaiter(models.Model):
    """A caller queued for a slot. The id is the ticket: lower priority value first, then FIFO.
    Waiters refresh ``alive_until`` while polling; a dead one is dropped from the queue."""

    account = models.ForeignKey(BudgetAccount, on_delete=models.CASCADE, related_name="waiters")
    holder = models.CharField(max_length=64, unique=True)
    priority = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    alive_until = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["account", "priority", "id"])]

    def __str__(self) -> str:
        return f"{self.account_id} waiter {self.holder}"
