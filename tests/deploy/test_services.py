"""In CI the suite must really run on PostgreSQL and Redis, not fall back silently."""

import os

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import require_service


@pytest.mark.django_db
def test_database_backend_matches_environment():
    url = os.environ.get("DATABASE_URL", "")
    require_service("postgres", url.startswith("postgres"), "DATABASE_URL is not PostgreSQL")
    assert connection.vendor == "postgresql"


def test_task_broker_matches_environment():
    require_service("redis", bool(os.environ.get("REDIS_URL")), "REDIS_URL is not set")
    import redis

    assert settings.Q_CLUSTER["redis"] == os.environ["REDIS_URL"]
    assert redis.Redis.from_url(os.environ["REDIS_URL"]).ping()
