"""The wording of alerts: our own sentences with counts, the flow's label, the kind of error
(transactions.errors.error_kind: ids, amounts and names already taken out), the oldest age and a
link to the panel. Never credentials, never a remote body."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


def age(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def link(path: str, query: dict | None = None) -> str:
    return settings.PANEL_BASE_URL + path + (f"?{urlencode(query)}" if query else "")


def errors_link(connector, kind: str, channel: str) -> str:
    query = {"connector": connector.pk, "kind": kind, "source_channel": channel, "status": "error"}
    return link(reverse("transactions:list"), query)


def settings_link(connector, section: str) -> str:
    return link(reverse("connector:settings", args=[connector.pk, section or "general"]))


def _records(n: int) -> str:
    return f"{n} record{'' if n == 1 else 's'}"


def first(connector, label, kind_text, count, oldest, now, url, examples=()) -> Text:
    listed = "".join(f"\n- {example}" for example in examples)
    if listed and count > len(examples):
        listed += f"\n- … and {count - len(examples)} more"
    return Text(
        f"[{connector.name}] {label} is failing",
        f"“{label}” on connector “{connector.name}” has {_records(count)} in Error of this "
        f"kind:\n\n    {kind_text}\n{listed}\n\nThe oldest has been failing for "
        f"{age(now - oldest)}. "
        f"Each record keeps its reason; fix the cause, then Retry them:\n{url}\n\n"
        "You get a digest of new failures of this kind at most once per digest interval, "
        "and a message when none is left.",
    )


def digest(connector, label, kind_text, count, new, oldest, last_sent, now, url) -> Text:
    return Text(
        f"[{connector.name}] {label} is still failing: {new} new",
        f"“{label}” on connector “{connector.name}”: {new} new failure{'' if new == 1 else 's'} "
        f"of this kind since the last message ({when(last_sent)}):\n\n    {kind_text}\n\n"
        f"{_records(count)} in Error now; the oldest has been failing for "
        f"{age(now - oldest)}.\n{url}",
    )


def resolved(connector, label, kind_text, first_seen, now, url) -> Text:
    return Text(
        f"[{connector.name}] Resolved: {label}",
        f"No record of “{label}” on connector “{connector.name}” is in Error with this kind "
        f"any more:\n\n    {kind_text}\n\nIt was first seen {age(now - first_seen)} ago "
        f"({when(first_seen)}).\n{url}",
    )


def stale(connector, label, every, last_ok, now, url) -> Text:
    since = f"since {when(last_ok)} ({age(now - last_ok)})" if last_ok else "yet"
    return Text(
        f"[{connector.name}] {label} is not running",
        f"“{label}” on connector “{connector.name}” is switched on ({every}) but has not "
        f"completed a run {since}. Check its runs and the task workers:\n{url}",
    )


def recovered(connector, label, now, url) -> Text:
    return Text(
        f"[{connector.name}] {label} is running again",
        f"“{label}” on connector “{connector.name}” completed a run again ({when(now)}).\n{url}",
    )


def test(connector, user, now, url) -> Text:
    who = getattr(user, "get_username", lambda: "")() or "someone"
    return Text(
        f"[{connector.name}] Test alert",
        f"A test alert of connector “{connector.name}”, sent by {who} at {when(now)}. "
        f"Failures of its flows will be announced here.\n{url}",
    )
