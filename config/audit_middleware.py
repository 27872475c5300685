"""django-auditlog's middleware, with the client address taken as the login limits take it.

auditlog believes the first X-Forwarded-For entry, which any client can write; we trust the
header only as far as `NUM_PROXIES` proxies of our own appended to it (config.login_guard).
"""

from auditlog.middleware import AuditlogMiddleware

from config.login_guard import client_address


class TrustedProxyAuditlogMiddleware(AuditlogMiddleware):
    @staticmethod
    def _get_remote_addr(request):
        address = client_address(request)
        return None if address == "unknown" else address
