"""Cursor positions of the NetSuite deltas: a record's lastModifiedDate as fixed-width UTC
text (text order is time order), and the order the deltas walk records in."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def position(moment: datetime) -> str:
    """A cursor position: fixed-width UTC text, so text order is time order."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_position(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def oldest_first(found: list) -> list:
    """Records by last change, then internal id: the cursor moves past each in turn."""
    return sorted(found, key=lambda r: (utc(r.lastModifiedDate), int(r.internalId)))


def walk(ctx, found: list, handle) -> None:
    """Handle each record oldest first, moving the run's cursor past it: a record is then
    handled, or due for retry by itself, so the next delta need not see it again."""
    found = oldest_first(found)
    ctx.add_total(len(found))
    for record in found:
        ctx.check()
        ctx.record([handle(record)])
        ctx.advance_cursor(position(record.lastModifiedDate))
