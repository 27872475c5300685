"""NetSuite failures, split by what the caller should do about them.

``retryable`` says whether the same request may succeed later (concurrency faults, outages);
permanent errors need a person to fix data, permissions or credentials first.
"""

from __future__ import annotations

from connector.errors import RemoteError


class NetSuiteError(RemoteError):
    system = "NetSuite"

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.code else self.message


class NetSuiteConcurrencyError(NetSuiteError):
    """The account is at its concurrency limit (WS_REQUEST_BLOCKED / WS_CONCUR_SESSION_DISALLWD)."""

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message, retryable=True, code=code)


class NetSuiteUnavailable(NetSuiteError):
    """Timeouts, connection errors, HTTP 5xx: NetSuite did not answer usefully."""

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message, retryable=True, code=code)


class NetSuiteAuthError(NetSuiteError):
    """The token credentials were refused; retrying cannot help until someone fixes them."""

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message, retryable=False, code=code)


class NetSuiteRecordError(NetSuiteError):
    """NetSuite refused the record itself (isSuccess=false or a validation fault). Permanent,
    except for the codes NetSuite also sends for its own passing trouble (UNEXPECTED_ERROR,
    an unavailable account, the concurrency limit reached by a record of a list): the same
    record may well be accepted later, so it is retried with a backoff, not left for a
    person."""

    def __init__(self, message: str, *, code: str | None = None, details=()):
        super().__init__(message, retryable=code in RETRYABLE_RECORD_CODES, code=code)
        # Every statusDetail NetSuite sent, as (code, message) pairs.
        self.details = list(details)


class BudgetTimeout(NetSuiteError):
    """No concurrency slot became free in time; the work should be retried later."""

    def __init__(self, message: str):
        super().__init__(message, retryable=True, code="BUDGET_TIMEOUT")


# SOAP fault element names (the detail's local name) -> how to classify them.
CONCURRENCY_FAULTS = {"exceededConcurrentRequestLimitFault", "exceededRequestLimitFault"}
AUTH_FAULTS = {"invalidCredentialsFault", "invalidSessionFault", "invalidAccountFault"}
RETRYABLE_FAULT_CODES = {"UNEXPECTED_ERROR", "ACCT_TEMP_UNAVAILABLE"}
RETRYABLE_RECORD_CODES = RETRYABLE_FAULT_CODES | {
    "WS_REQUEST_BLOCKED",
    "WS_CONCUR_SESSION_DISALLWD",
}
# INVALID_LOGIN_ATTEMPT is what NetSuite really sends for a bad TBA signature, although the
# 2025.2 FaultCodeType enumeration does not list it.
AUTH_FAULT_CODES = {
    "INVALID_LOGIN_ATTEMPT",
    "INVALID_LOGIN",
    "INVALID_LOGIN_CREDENTIALS",
    "INVALID_ACCT",
    "INVALID_ROLE",
    "LOGIN_DISABLED",
    "WS_PERMISSION_REQD",
    "WS_FEATURE_REQD",
}


def from_fault(fault_name: str | None, code: str | None, message: str) -> NetSuiteError:
    """The error for a SOAP fault, from its detail element name and NetSuite's code."""
    if fault_name in CONCURRENCY_FAULTS or code in {
        "WS_REQUEST_BLOCKED",
        "WS_CONCUR_SESSION_DISALLWD",
    }:
        return NetSuiteConcurrencyError(
            f"NetSuite refused the request because the account is at its concurrency limit "
            f"({message}). It will be retried.",
            code=code,
        )
    if fault_name in AUTH_FAULTS or code in AUTH_FAULT_CODES:
        return NetSuiteAuthError(
            f"NetSuite refused the login ({message}). Check the account id, the consumer "
            f"key/secret and the token id/secret of this connector, and that the token's role "
            f"has the Web Services permission.",
            code=code,
        )
    if fault_name == "unexpectedErrorFault" or code in RETRYABLE_FAULT_CODES:
        return NetSuiteUnavailable(f"NetSuite had an unexpected error: {message}", code=code)
    return NetSuiteRecordError(f"NetSuite refused the request: {message}", code=code)
