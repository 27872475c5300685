import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _refuse_to_start_misconfigured() -> None:
    """gunicorn runs no system checks of its own: a serious one (a malformed
    CREDENTIALS_ENCRYPTION_KEYS, say) stops the server here instead of at first use."""
    from django.core import checks
    from django.core.management.base import SystemCheckError

    serious = [e for e in checks.run_checks() if e.is_serious() and not e.is_silenced()]
    if serious:
        raise SystemCheckError("\n".join(str(e) for e in serious))


_refuse_to_start_misconfigured()
