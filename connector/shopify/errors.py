"""Errors raised by the Shopify client.

Every error says whether trying again later can succeed (`retryable`), so callers need one
`except ShopifyError` and one bounded retry loop instead of knowing about HTTP codes.
"""

from __future__ import annotations

from typing import Any

from connector.errors import RemoteError


class ShopifyError(RemoteError):
    """A call to the Shopify Admin API failed; `retryable` tells whether waiting can help."""

    system = "Shopify"

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        code: str | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message, retryable=retryable, code=code)
        self.details = details


class ShopifyAuthError(ShopifyError):
    """HTTP 401/403: the token is wrong, revoked, or lacks a scope. Someone must fix settings."""

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message, retryable=False, code=code, details=details)


class ShopifyNotFound(ShopifyError):
    """The shop (or the API version) does not exist at that address."""

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message, retryable=False, code=code, details=details)


class ShopifyThrottled(ShopifyError):
    """Out of cost points (THROTTLED or HTTP 429) even after waiting for the bucket to refill."""

    def __init__(self, message: str, *, code: str | None = "THROTTLED", details: Any = None):
        super().__init__(message, retryable=True, code=code, details=details)


class ShopifyServerError(ShopifyError):
    """5xx, connection failures and time-outs: Shopify or the network, not our request."""

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message, retryable=True, code=code, details=details)


class ShopifyGraphQLError(ShopifyError):
    """The document or its variables were rejected; sending it again cannot help."""

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message, retryable=False, code=code, details=details)


class ShopifyUserError(ShopifyError):
    """A mutation ran but Shopify refused the change; `user_errors` holds field/message/code."""

    def __init__(
        self,
        message: str,
        *,
        user_errors: list[dict[str, Any]],
        code: str | None = None,
    ) -> None:
        super().__init__(message, retryable=False, code=code, details=user_errors)
        self.user_errors = user_errors
