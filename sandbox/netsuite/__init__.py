"""A sandbox NetSuite account speaking SuiteTalk SOAP 2025.2 (see docs/sandbox-netsuite.md)."""

from .server import DEFAULT_CREDENTIALS, SERVICE_PATH, NetSuiteSandbox

__all__ = ["DEFAULT_CREDENTIALS", "SERVICE_PATH", "NetSuiteSandbox"]
