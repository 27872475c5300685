"""The Other Transactions list: filters and keyset pagination.

No COUNT(*) over the table: a page is read newest first from an index with one row more than
it shows, which says whether there is an older page; the next page starts after the last row's
(created_at, id). So a page costs the same with a thousand rows or a million. The total shown
is a bounded count (`COUNT_LIMIT`, then "1,000+"), which stops reading at the bound.

Search: ids match exactly (index lookups); an email, a SKU or any other value of the source
record matches a whole JSON string value in the payload, among the rows of the last
`SEARCH_DAYS` days (or the dates given), read from the date index; error text matches among
the rows still in Error or Waiting (the status index), where an error is still worth reading.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Status, Transaction

PAGE_SIZE = 50
COUNT_LIMIT = 1000
SEARCH_DAYS = 90
OPEN_STATUSES = (Status.ERROR, Status.WAITING)


def id_q(text: str) -> Q:
    """Exact matches on the ids staff type: "#1001", a Shopify or NetSuite id."""
    text = text.strip()
    bare = text.lstrip("#")
    q = Q(shopify_order_name=f"#{bare}") | Q(source_id=bare) | Q(target_id=text)
    if bare.isdigit():
        q |= Q(shopify_order_id=bare) | Q(netsuite_sales_order_id=bare)
    return q


ORDER_NAME = re.compile(r"#\d+")


def search_q(text: str, *, since=None) -> Q:
    """Ids exactly, or an email / SKU / value of the source record, or the open error's text."""
    text = text.strip()
    if isinstance(since, date) and not isinstance(since, datetime):
        since = timezone.make_aware(datetime.combine(since, time.min))
    since = since or timezone.now() - timedelta(days=SEARCH_DAYS)
    # A whole JSON string value ("sku": "ABC-1", "email": "ann@example.com"), any case.
    in_payload = Q(created_at__gte=since, payload__icontains=json.dumps(text, ensure_ascii=False))
    in_error = Q(status__in=OPEN_STATUSES) & (
        Q(last_error__icontains=text) | Q(status_reason__icontains=text)
    )
    if ORDER_NAME.fullmatch(text):
        # "#1001" is an order's name, an indexed column: reading every payload for it took
        # 1.5 s at a million rows. (A bare number may be a numeric SKU: searched everywhere.)
        return id_q(text)
    return id_q(text) | in_payload | in_error


def filtered(params) -> QuerySet[Transaction]:
    """Transactions matching the page's (or the API's) filters, newest first."""
    qs = Transaction.objects.select_related("connector")
    for name in ("connector", "source_channel", "kind", "status"):
        value = params.get(name)
        if value:
            qs = qs.filter(**{f"{name}_id" if name == "connector" else name: value})
    if params.get("date_from"):
        qs = qs.filter(created_at__date__gte=params["date_from"])
    if params.get("date_to"):
        qs = qs.filter(created_at__date__lte=params["date_to"])
    if params.get("search"):
        qs = qs.filter(search_q(params["search"], since=params.get("date_from")))
    return qs.order_by("-created_at", "-id")


@dataclass
class Page:
    rows: list[Transaction]
    next_cursor: str | None
    is_first: bool
    total: int | None = None
    total_capped: bool = False


def bounded_count(qs: QuerySet[Transaction], limit: int = COUNT_LIMIT) -> tuple[int, bool]:
    """How many rows match, counting at most `limit` + 1: (count, more than `limit`)."""
    n = qs.order_by().values("id")[: limit + 1].count()
    return min(n, limit), n > limit


def encode_cursor(txn: Transaction) -> str:
    raw = json.dumps([txn.created_at.isoformat(), txn.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, pk = json.loads(raw)
        return datetime.fromisoformat(created_at), int(pk)
    except (ValueError, TypeError):
        return None


def page(qs: QuerySet[Transaction], cursor: str | None, size: int = PAGE_SIZE) -> Page:
    after = decode_cursor(cursor) if cursor else None
    if after:
        created_at, pk = after
        # The plain `created_at <= X` lets PostgreSQL start an index range scan there; the OR
        # alone would make it walk the index from the newest row.
        qs = qs.filter(
            Q(created_at__lte=created_at),
            Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk),
        )
    rows = list(qs[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    return Page(rows, encode_cursor(rows[-1]) if has_more else None, is_first=after is None)
