"""Failures of the transaction verbs, worded for the person who clicked.

A RetrieveError carries the HTTP status the API answers with; the dialog shows the same text.
A PostError is a permanent refusal found before or after writing (the row turns Error posting).
"""

import re


class RetrieveError(Exception):
    status_code = 400

    def __init__(self, message: str, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code


class PostError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# What varies from one row to the next in a message (ids, amounts, quoted names, emails, gids)
# is replaced by a placeholder, so "No NetSuite item has SKU “A-1”" and "… “B-2”" are one kind.
_VARYING = [
    # A SKU named without quotes ("SKU TEE-M on line 2 …") is an identifier even with no digit.
    (re.compile(r"(?<=\bSKU )[A-Z0-9][\w./-]*"), "…"),
    (re.compile(r"gid://\S+"), "…"),
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "…"),
    (re.compile(r"“[^”]*”|\"[^\"]*\"|'[^']*'|‘[^’]*’"), "“…”"),
    (re.compile(r"#?\b[A-Z]{0,4}-?\d[\w.,:/-]*"), "…"),
]
_SPACES = re.compile(r"\s+")
KIND_MAX_LENGTH = 200


def error_kind(message: str) -> str:
    """The pattern of an error message: the same for errors of the same kind.

    Used to group open errors (the workbench) and to alert once per kind, not once per row.
    """
    text = (message or "").strip().splitlines()[0] if (message or "").strip() else ""
    for pattern, placeholder in _VARYING:
        text = pattern.sub(placeholder, text)
    return _SPACES.sub(" ", text).strip()[:KIND_MAX_LENGTH]
