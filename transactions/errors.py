"""Failures of the transaction verbs, worded for the person who clicked.

A RetrieveError carries the HTTP status the API answers with; the dialog shows the same text.
A PostError is a permanent refusal found before or after writing (the row turns Error posting).
"""


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
