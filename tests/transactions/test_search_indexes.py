"""On PostgreSQL the search box's text matches are answered from trigram indexes, not a scan
of the search window (1.3–2.0 s at a million rows without them: make bench-transactions)."""

import pytest
from django.db import connection

from tests.conftest import require_service

pytestmark = pytest.mark.django_db


def test_the_search_expressions_have_trigram_indexes():
    # Whether the planner uses them depends on the table's size; make bench-transactions
    # measures that on a million rows. Here: the migration made them.
    require_service("postgres", connection.vendor == "postgresql", "pg_trgm needs PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'transactions_transaction' "
            "AND indexname LIKE '%%trgm'"
        )
        assert {row[0] for row in cursor.fetchall()} == {"txn_payload_trgm", "txn_open_error_trgm"}
