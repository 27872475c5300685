"""Trigram indexes for the transaction search box on PostgreSQL.

The search matches an email, a SKU or an error's words anywhere in the source record
(`UPPER(payload::text) LIKE ...`) and in open rows' error text. Without an index that is a scan
of the search window: 1.3–2.0 s at a million rows (make bench-transactions). pg_trgm's GIN
indexes on exactly those expressions let PostgreSQL answer from the index (tens of ms).

Raw SQL because the expressions (a cast, UPPER, a partial index on the open statuses) are what
Django's icontains generates; SQLite, the embedded default, has no such index and is skipped.
pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it. Where it
cannot be created, the search still works, only slower; the migration says so and goes on.
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS txn_payload_trgm ON transactions_transaction "
    "USING gin ((UPPER(payload::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS txn_open_error_trgm ON transactions_transaction "
    "USING gin ((UPPER(last_error)) gin_trgm_ops, (UPPER(status_reason)) gin_trgm_ops) "
    "WHERE status IN ('error', 'waiting')",
]
DROP = [
    "DROP INDEX IF EXISTS txn_open_error_trgm",
    "DROP INDEX IF EXISTS txn_payload_trgm",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                with schema_editor.connection.cursor() as cursor:
                    for sql in statements:
                        cursor.execute(sql)
        except DatabaseError as exc:
            logger.warning("Search indexes not created (%s); the search works, slower.", exc)

    return run


class Migration(migrations.Migration):
    dependencies = [("transactions", "0005_timeline_event_types")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
