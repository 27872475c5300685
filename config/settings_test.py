"""Settings for the test suite: the real settings with test-only keys and fast hashing.

DATABASE_URL / REDIS_URL from the environment still apply, so `make test` runs on
PostgreSQL and Redis in CI and on SQLite with the ORM broker elsewhere.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("CREDENTIALS_ENCRYPTION_KEYS", "dGVzdC1vbmx5LWNyZWRlbnRpYWxzLWtleS0zMmJ5dGU=")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not Django's shared-cache in-memory database: flows run NetSuite calls from a
    # thread pool whose budget rows are written from several threads, which shared-cache
    # SQLite refuses at once ("table is locked") where a WAL file waits its turn.
    import tempfile
    from pathlib import Path

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"panel-test-{os.getpid()}.sqlite3")
    }

# The sandboxes listen on loopback ports; the real Shopify and NetSuite hosts are not allowed,
# so a connector without an endpoint override fails closed instead of reaching the internet.
CONNECTOR_ENDPOINT_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
# The WSDL comes from ../shared/contracts; never from NetSuite's public address.
NETSUITE_WSDL_PUBLIC_FALLBACK = False

# Whole suites log in from 127.0.0.1 (and the API fuzzer sends bad passwords): the limits are
# tested with their own values in tests/test_login_limits.py.
LOGIN_FAILURES_PER_USERNAME = LOGIN_FAILURES_PER_ADDRESS = 10**6

# Posts run in-process through django-q2's sync mode: the same task function, no cluster.
TRANSACTIONS_POST_SYNC = True

# Alert webhooks go to a loopback receiver started by the test (tests/flows/test_alerts.py).
ALERT_WEBHOOK_HOSTS = ["127.0.0.1", "localhost"]
ALERT_WEBHOOK_TIMEOUT = 2.0
PANEL_BASE_URL = "https://panel.example.test"
