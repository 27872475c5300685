"""One error type for every outside system: what failed, and whether trying again can help.

Both clients raise subclasses of RemoteError, so the synchronizer needs one `except` and one
retry policy: `retryable` errors (throttling, concurrency faults, time-outs, 5xx) are tried
again with backoff; the rest need a person and carry the service's own words.
"""

from __future__ import annotations


class RemoteError(Exception):
    system = "remote system"

    def __init__(self, message: str, *, retryable: bool, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code

    @property
    def permanent(self) -> bool:
        return not self.retryable
