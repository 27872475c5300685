"""Settings, read from the environment (django-environ).

Everything has an embedded default so that `make run` works on a fresh machine: SQLite in the
project folder, the django-q2 ORM broker, local-memory cache. Setting DATABASE_URL and
REDIS_URL moves the same code to PostgreSQL and Redis. Values that must never have a
production default (SECRET_KEY, CREDENTIALS_ENCRYPTION_KEYS) fail loudly when missing
unless DEBUG is on.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# Dev-only fallbacks; refused outside DEBUG so a misconfigured deployment cannot start with them.
_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"  # noqa: S105
_DEV_CREDENTIALS_KEY = "ZGV2LW9ubHktY3JlZGVudGlhbHMta2V5LTMyLWJ5dGU="


def _required_secret(name: str, dev_default: str) -> str:
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(f"{name} must be set when DEBUG is off (see .env.example).")


SECRET_KEY = _required_secret("SECRET_KEY", _DEV_SECRET_KEY)
# Fernet keys for credentials at rest, comma separated: the first encrypts, all decrypt
# (rotation, docs/architecture.md: add the new key first, `manage.py rotate_credentials`,
# then drop the old key).
CREDENTIALS_ENCRYPTION_KEYS = _required_secret(
    "CREDENTIALS_ENCRYPTION_KEYS", _DEV_CREDENTIALS_KEY
).split(",")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "django_htmx",
    "auditlog",
    "connector",
    "connector.shopify",
    "connector.netsuite",
    "flows",
    "transactions",
    "panel",
    "reconciliation",
]

MIDDLEWARE = [
    # /healthz answers before the host check and the HTTPS redirect (container health checks).
    "config.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless the view opts out with @login_not_required
    # (only the login page and signed webhooks do). DRF views do their own auth.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.audit_middleware.TrustedProxyAuditlogMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "panel.context_processors.roles",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions let the web server and the qcluster workers share the file
    # without "database is locked" errors on every concurrent write.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# django-q2: the database row is the unit of work and a task only a nudge, so a lost message
# is re-queued by the sweeper. `timeout` stays below `retry` or a slow task would run twice.
Q_CLUSTER = {
    "name": "panel",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=600),
    "retry": env.int("Q_RETRY", default=720),
    "max_attempts": 1,
    "catch_up": False,
    "ack_failures": True,
    "save_limit": 1000,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 0.5

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed logins (login page, API token, admin) are limited per username and per client
# address within a window (config/login_guard.py); the counts live in the cache.
AUTHENTICATION_BACKENDS = ["config.login_guard.LockoutBackend"]
LOGIN_FAILURES_PER_USERNAME = env.int("LOGIN_FAILURES_PER_USERNAME", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=900)
# How many reverse proxies in front of the app append to X-Forwarded-For; 0 (the default)
# trusts none of it and uses the connection's address. Used by the login limits and DRF.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "connector:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous API call gets 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_RATES": {"token": "10/minute"},
    # Without it DRF keys throttles on the whole X-Forwarded-For header, which a client writes.
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shopify ↔ NetSuite connector panel API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI assets come from drf-spectacular-sidecar: the panel must work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `status`; name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "TransactionStatusEnum": "transactions.models.Status",
        "FlowRunStatusEnum": "flows.models.RunStatus",
        "TransactionKindEnum": "transactions.models.Kind",
        "VarianceKindEnum": "reconciliation.models.VarianceKind",
        "VarianceRecordEnum": "reconciliation.models.VarianceRecord",
    },
}

AUDITLOG_DISABLE_REMOTE_ADDR = False
AUDITLOG_STORE_JSON_CHANGES = True

# Where the published contracts live (NetSuite WSDL/XSDs, Shopify Admin schema). Tests and the
# sandboxes read them from ../shared/contracts; they are never copied into the project.
CONTRACTS_DIR = env.path("CONTRACTS_DIR", default=BASE_DIR.parent / "shared" / "contracts")

# Hosts the clients may send credentials to (connector/endpoints.py): endpoint overrides and
# the real services' addresses must match one. `make run` adds the sandboxes' loopback ports.
CONNECTOR_ENDPOINT_HOSTS = env.list(
    "CONNECTOR_ENDPOINT_HOSTS", default=["*.myshopify.com", "*.suitetalk.api.netsuite.com"]
)

# Outbound HTTP timeouts (seconds) for the Shopify and NetSuite clients.
HTTP_CONNECT_TIMEOUT = env.float("HTTP_CONNECT_TIMEOUT", default=5.0)
HTTP_READ_TIMEOUT = env.float("HTTP_READ_TIMEOUT", default=60.0)

# Alerts (flows/alerts): mail through Django's mail backend, configured by EMAIL_URL
# (django-environ: smtp+tls://user:password@host:587, consolemail:// as `make run` sets it);
# outgoing webhooks (Slack-compatible) only to the hosts an operator allows, https only except
# loopback. Links in messages start with PANEL_BASE_URL.
globals().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="connector@localhost")
ALERT_WEBHOOK_HOSTS = env.list("ALERT_WEBHOOK_HOSTS", default=["hooks.slack.com"])
ALERT_WEBHOOK_TIMEOUT = env.float("ALERT_WEBHOOK_TIMEOUT", default=5.0)
PANEL_BASE_URL = env.str("PANEL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Other Transactions: a row Posting longer than this is re-queued by the sweeper (the worker
# was killed); longer than the task time-out so a slow but live post is not doubled needlessly.
TRANSACTIONS_POST_LEASE_SECONDS = env.int("TRANSACTIONS_POST_LEASE_SECONDS", default=900)
# Run the post task in the web process through django-q2's sync mode (tests, no qcluster).
TRANSACTIONS_POST_SYNC = env.bool("TRANSACTIONS_POST_SYNC", default=False)

# The home page's dashboard refreshes its figures (htmx polling) this often.
DASHBOARD_POLL_SECONDS = env.int("DASHBOARD_POLL_SECONDS", default=10)

# Inventory (flows/inventory): runs and their per-SKU rows (failures only) are kept this many
# days, then deleted by the sweeper; a delta search starts this many seconds before its cursor.
INVENTORY_RETENTION_DAYS = env.int("INVENTORY_RETENTION_DAYS", default=30)
INVENTORY_CURSOR_OVERLAP_SECONDS = env.int("INVENTORY_CURSOR_OVERLAP_SECONDS", default=300)

# --- Production hardening (python manage.py check --deploy) ---------------------------------
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips a client's own), say
# so with TRUST_X_FORWARDED_PROTO; otherwise a client could claim HTTPS with the header.
TRUST_X_FORWARDED_PROTO = env.bool("TRUST_X_FORWARDED_PROTO", default=False)
if TRUST_X_FORWARDED_PROTO:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Webhook endpoints answer Shopify, which does not follow redirects: exempt them from the
# HTTPS redirect only when a deployment terminates TLS elsewhere and asks for it.
SECURE_REDIRECT_EXEMPT = env.list("SECURE_REDIRECT_EXEMPT", default=[])

if not DEBUG:
    # HSTS preload is a one-way door for the operator's whole domain; they opt in explicitly.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # zeep logs whole envelopes (with the tokenPassport) at DEBUG: never let that through.
        "zeep.transports": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}
