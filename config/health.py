"""Liveness/readiness for load balancers and docker-compose: the app answers and the DB does."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

HEALTH_PATH = "/healthz"


@login_not_required
@never_cache
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any DB failure means "not ready"
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


class HealthCheckMiddleware:
    """First in MIDDLEWARE: GET /healthz is answered before the host check and the HTTPS
    redirect, so a health check from inside the container (Host 127.0.0.1, plain HTTP) passes
    with production settings. It says only "ok" or "database unavailable"."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)
